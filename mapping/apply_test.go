package mapping

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

func approvedDefault(t testing.TB) *Map {
	t.Helper()
	m := mustDefault(t)
	require.NoError(t, m.Approve("test", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	return m
}

func mustDate(t testing.TB, s string) pbn.Date {
	t.Helper()
	d, err := pbn.ParseDate(s)
	require.NoError(t, err)
	return d
}

func samplePatient(t testing.TB) *pbn.Patient {
	return &pbn.Patient{
		ID: "1001", FirstName: "JOHN", LastName: "O'BRIEN", Status: pbn.PatientStatusPatient,
		Gender: pbn.GenderMale, BirthDate: mustDate(t, "1980-03-04"),
		Address:     pbn.Address{Line1: "12  Main St", Line2: "Apt 4", City: "Portland", State: "Maine", PostalCode: "04101"},
		MobilePhone: "", HomePhone: "(207) 555-0142", WorkPhone: "207.555.0199 x12",
		Email: "John.OBrien@Example.COM", OfficeID: "2", AssignedStaffID: "7",
		ContactMethod: pbn.ContactMethodText, TextConsent: pbn.ConsentYes,
		CreatedAt: time.Date(2015, 6, 1, 14, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 10, 2, 9, 0, 0, 0, time.UTC),
		Custom: map[string]string{"case_type": "Ortho", "lifetime_value": "1,250.50", "last_recall": "03/04/2025", "referral_source": "  Google  "},
	}
}

func TestApplyPatient(t *testing.T) {
	a, err := NewApplier(approvedDefault(t), ApplierOptions{})
	require.NoError(t, err)
	ps, err := a.Apply("patients", Struct(samplePatient(t)))
	require.NoError(t, err)
	require.Len(t, ps, 1)
	p := ps[0]
	require.Empty(t, p.Problems)
	assert.Equal(t, "1001", p.SourceKey)
	assert.Equal(t, TargetContact, p.Target)
	want := map[string]string{
		"firstName": "John", "lastName": "O'Brien", "email": "John.OBrien@example.com",
		"phone": "+12075550142", "dateOfBirth": "1980-03-04", "gender": "male", "address1": "12 Main St",
		"state": "ME", "country": "US", "postalCode": "04101",
		"pbn_patient_id": "1001", "pbn_created_at": "2015-06-01", "pbn_updated_at": "2026-10-02",
		"pbn_status": "Patient", "pbn_work_phone": "+12075550199", "pbn_work_phone_ext": "12",
		"pbn_address_line2": "Apt 4", "pbn_contact_method": "Text message", "pbn_text_consent": "Yes",
		"pbn_case_type": "Ortho", "pbn_lifetime_value": "1250.5", "pbn_last_recall": "2025-03-04",
		"pbn_referral_source": "Google",
	}
	for k, v := range want {
		got, ok := p.Field(k)
		if assert.True(t, ok, "field %s missing", k) {
			assert.Equal(t, v, got.Text, k)
		}
	}
	assert.Equal(t, "pbn_patient_id", p.Custom[0].Key, "external id first")
	_, ok := p.Field("pbn_guarantor_id")
	assert.False(t, ok, "empty optional fields are left out")
	bl, ok := p.Link(LinkBusiness)
	require.True(t, ok)
	assert.Equal(t, Link{To: LinkBusiness, Object: "offices", Key: "2"}, bl)
	ol, ok := p.Link(LinkOwner)
	require.True(t, ok)
	assert.Equal(t, "7", ol.Key)
}

func TestApplyProblemsNeverCarryValues(t *testing.T) {
	a, err := NewApplier(approvedDefault(t), ApplierOptions{})
	require.NoError(t, err)
	pt := samplePatient(t)
	pt.FirstName = "   "
	pt.Email = "not-an-email@@secret"
	pt.HomePhone = "12"
	pt.Custom["case_type"] = "Whitening-secret"
	ps, err := a.Apply("patients", Struct(pt))
	require.NoError(t, err)
	p := ps[0]
	assert.False(t, p.Valid())
	rules := map[string]string{}
	for _, pr := range p.Problems {
		rules[pr.Field] = pr.Rule
		assert.NotContains(t, pr.Reason, "secret")
		assert.NotContains(t, pr.String(), "secret")
		assert.Equal(t, "patients", pr.Object)
		assert.Equal(t, "1001", pr.SourceKey)
	}
	assert.Equal(t, RuleRequired, rules["firstName"])
	assert.Equal(t, RuleFormat, rules["email"])
	assert.Equal(t, RuleType, rules["pbn_case_type"])
	_, ok := p.Field("pbn_case_type")
	assert.False(t, ok, "an off-list value in an optional field is left out")
	_, ok = p.Field("email")
	assert.False(t, ok)
}

func TestApplyFiltersStagesAndLists(t *testing.T) {
	a, err := NewApplier(approvedDefault(t), ApplierOptions{})
	require.NoError(t, err)

	ps, err := a.Apply("procedures", Struct(&pbn.Procedure{ID: "5", PatientID: "1001", Code: "d 1110", Status: pbn.ProcedureDeleted, Fee: 9500}))
	require.NoError(t, err)
	assert.Equal(t, "filter on status", ps[0].Skipped)

	ps, err = a.Apply("procedures", Struct(&pbn.Procedure{ID: "6", PatientID: "1001", Code: "d 1110", Status: pbn.ProcedureComplete, Fee: 9500, Date: mustDate(t, "2019-03-04"), Description: "Prophy adult"}))
	require.NoError(t, err)
	p := ps[0]
	require.Empty(t, p.Problems)
	code, _ := p.Field("code")
	fee, _ := p.Field("fee")
	assert.Equal(t, "D1110", code.Text)
	assert.Equal(t, "95.00", fee.Text)
	assert.InDelta(t, 95.0, fee.JSON(), 0)
	l, _ := p.Link(LinkAssociation)
	assert.Equal(t, Link{To: LinkAssociation, Object: "patients", Key: "1001", Association: "pbn_treatment_patient", Required: true}, l)

	ps, err = a.Apply("treatment_plans", Struct(&pbn.TreatmentPlan{ID: "9", PatientID: "1001", Pipeline: "Implants", Stage: "financing", Status: pbn.TreatmentPlanActive, Amount: 450000, Heading: "Implant plan 2025"}))
	require.NoError(t, err)
	p = ps[0]
	require.Empty(t, p.Problems)
	assert.Equal(t, "Implants", p.Pipeline)
	assert.Equal(t, "Financing", p.Stage)
	assert.InDelta(t, 60, p.Probability, 0)
	st, _ := p.Field("status")
	assert.Equal(t, "open", st.Text)
	mv, _ := p.Field("monetaryValue")
	assert.Equal(t, "4500.00", mv.Text)

	ps, err = a.Apply("treatment_plans", Struct(&pbn.TreatmentPlan{ID: "10", PatientID: "1001", Pipeline: "Whitening", Stage: "Lead"}))
	require.NoError(t, err)
	require.Len(t, ps[0].Problems, 1)
	assert.Equal(t, RuleStage, ps[0].Problems[0].Rule)

	ps, err = a.Apply("appointments", Struct(&pbn.Appointment{ID: "3", PatientID: "1001", Status: pbn.AppointmentPtNote}))
	require.NoError(t, err)
	assert.NotEmpty(t, ps[0].Skipped, "sticky notes are not visits")

	_, err = a.Apply("nope", Row{})
	require.ErrorIs(t, err, ErrUnknownObject)
}

func TestApplyGenericRowAndFormJSON(t *testing.T) {
	a, err := NewApplier(approvedDefault(t), ApplierOptions{})
	require.NoError(t, err)
	f := &pbn.FormSubmission{ID: "4", PatientID: "1001", FormName: "Medical history", FormType: pbn.FormMedicalHistory,
		SubmittedAt: time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC), Fields: []pbn.FormField{{Name: "allergies", Value: "none"}}}
	ps, err := a.Apply("form_submissions", Struct(f))
	require.NoError(t, err)
	p := ps[0]
	require.Empty(t, p.Problems)
	fields, _ := p.Field("fields")
	assert.JSONEq(t, `[{"name":"allergies","value":"none"}]`, fields.Text)
	at, _ := p.Field("submitted_at")
	assert.Equal(t, "2024-02-03T04:05:06Z", at.Text)

	ps, err = a.Apply("offices", Row{"id": "3", "name": " North  Clinic ", "address.state": "California", "phone": "5036240000"})
	require.NoError(t, err)
	p = ps[0]
	require.Empty(t, p.Problems)
	d, _ := p.Field("description")
	assert.Equal(t, "PbN office 3", d.Text)
	s, _ := p.Field("state")
	assert.Equal(t, "CA", s.Text)
}

type fixedOwners map[string]string

func (f fixedOwners) Owner(k string) (string, bool) {
	if id, ok := f[k]; ok {
		return id, true
	}
	return f["fallback"], false
}

func TestApplyOwners(t *testing.T) {
	a, err := NewApplier(approvedDefault(t), ApplierOptions{Owners: fixedOwners{"7": "user-7", "fallback": "user-fb"}})
	require.NoError(t, err)
	pt := samplePatient(t)
	ps, _ := a.Apply("patients", Struct(pt))
	assert.Equal(t, "user-7", ps[0].AssignedTo)
	pt.AssignedStaffID = "99"
	ps, _ = a.Apply("patients", Struct(pt))
	assert.Equal(t, "user-fb", ps[0].AssignedTo)
	require.Len(t, ps[0].Problems, 1)
	assert.Equal(t, Warning, ps[0].Problems[0].Severity)
	pt.AssignedStaffID = ""
	ps, _ = a.Apply("patients", Struct(pt))
	assert.Equal(t, "user-fb", ps[0].AssignedTo, "no contact lands without an owner")
}

func TestValidatorDuplicatesAndReferences(t *testing.T) {
	m := approvedDefault(t)
	a, err := NewApplier(m, ApplierOptions{})
	require.NoError(t, err)
	v := NewValidator(m, ValidatorOptions{Known: func(object, key string) bool { return object == "offices" && key == "2" }})
	apply := func(obj string, rec any) Payload {
		ps, err := a.Apply(obj, Struct(rec))
		require.NoError(t, err)
		v.Check(&ps[0])
		return ps[0]
	}
	p1 := samplePatient(t)
	first := apply("patients", p1)
	require.True(t, first.Valid(), "%v", first.Problems)
	twin := samplePatient(t)
	twin.ID = "1002"
	twin.Email = ""
	dup := apply("patients", twin)
	assert.False(t, dup.Valid())
	var dp *Problem
	for i := range dup.Problems {
		if dup.Problems[i].Rule == RuleDuplicate {
			dp = &dup.Problems[i]
		}
	}
	require.NotNil(t, dp, "%v", dup.Problems)
	assert.Contains(t, dp.Reason, "as patients 1001")
	assert.Equal(t, Invalid, dp.Severity)

	// Appointment of a known patient links; of an unknown one is invalid.
	ok := apply("appointments", &pbn.Appointment{ID: "1", PatientID: "1001", Status: pbn.AppointmentComplete})
	assert.True(t, ok.Valid(), "%v", ok.Problems)
	bad := apply("appointments", &pbn.Appointment{ID: "2", PatientID: "4242", Status: pbn.AppointmentComplete})
	assert.False(t, bad.Valid())
	assert.Equal(t, RuleReference, bad.Problems[0].Rule)
	// A flagged duplicate is not a valid parent either.
	orphan := apply("appointments", &pbn.Appointment{ID: "3", PatientID: "1002", Status: pbn.AppointmentComplete})
	assert.False(t, orphan.Valid())
	none := apply("appointments", &pbn.Appointment{ID: "4", Status: pbn.AppointmentComplete})
	assert.Equal(t, RuleMissingLink, none.Problems[0].Rule)

	// Optional link to an unknown staff member: warning, link dropped.
	p3 := samplePatient(t)
	p3.ID, p3.FirstName, p3.AssignedStaffID = "1003", "Mary", "55"
	w := apply("patients", p3)
	assert.True(t, w.Valid())
	_, has := w.Link(LinkOwner)
	assert.False(t, has)
}

func TestValidatorMergePolicy(t *testing.T) {
	m := approvedDefault(t)
	m.Object("patients").Duplicates.Policy = DuplicateMerge
	require.NoError(t, m.Approve("test", time.Now()))
	a, err := NewApplier(m, ApplierOptions{})
	require.NoError(t, err)
	v := NewValidator(m, ValidatorOptions{})
	for _, id := range []int64{1, 2} {
		pt := samplePatient(t)
		pt.ID, pt.OfficeID, pt.AssignedStaffID = pbn.KeyOf(id), "", ""
		ps, _ := a.Apply("patients", Struct(pt))
		v.Check(&ps[0])
		if id == 2 {
			assert.True(t, ps[0].Valid())
			assert.Equal(t, "1", ps[0].DuplicateOf)
		}
	}
}

func TestStructRecord(t *testing.T) {
	r := Struct(samplePatient(t))
	for k, want := range map[string]string{"id": "1001", "address.city": "Portland", "birthDate": "1980-03-04",
		"createdAt": "2015-06-01T14:00:00Z", "custom.case_type": "Ortho", "gender": "Male", "guarantorId": ""} {
		got, ok := r.Get(k)
		assert.True(t, ok, k)
		assert.Equal(t, want, got, k)
	}
	_, ok := r.Get("nope")
	assert.False(t, ok)
	v, ok := r.Get("custom.unknown")
	assert.True(t, ok)
	assert.Empty(t, v)
	assert.NotPanics(t, func() { Struct(nil).Get("x"); Struct(42).Get("x"); Struct((*pbn.Patient)(nil)).Get("id") })
	fee, _ := Struct(pbn.Procedure{Fee: 9550}).Get("fee")
	assert.Equal(t, "95.50", fee)
}

func TestTemplate(t *testing.T) {
	parts, err := parseTemplate("{a} {{x}} {b}")
	require.NoError(t, err)
	assert.Equal(t, "1 {x} 2", fillTemplate(parts, Row{"a": "1", "b": "2"}))
	assert.Equal(t, "", fillTemplate(parts, Row{}))
	for _, bad := range []string{"{a", "a}", "{}"} {
		_, err := parseTemplate(bad)
		assert.Error(t, err, bad)
	}
}

func TestRegistryHelp(t *testing.T) {
	r := DefaultRegistry()
	for _, n := range r.Names() {
		h, _, ok := r.Help(n)
		assert.True(t, ok)
		assert.NotEmpty(t, h, n)
	}
	f, err := r.CompileChain(Chain{{Name: "trim"}, {Name: "upper"}})
	require.NoError(t, err)
	out, err := f("  d1110 ")
	require.NoError(t, err)
	assert.Equal(t, "D1110", out)
	_, err = r.Compile(Step{Name: "phone", Args: map[string]string{"part": "area"}})
	assert.ErrorContains(t, err, "part must be")
	assert.True(t, strings.Contains(strings.Join(r.Names(), ","), "cdt"))
}

func TestApplyExpandTreatmentNotes(t *testing.T) {
	a, err := NewApplier(approvedDefault(t), ApplierOptions{})
	require.NoError(t, err)
	pt := samplePatient(t)
	pt.Notes = "Prefers mornings\n2019-03-04 D1110 prophy adult $95\n03/05/2019 d0274 bitewings four films"
	ps, err := a.Apply("treatment_notes", Struct(pt))
	require.NoError(t, err)
	require.Len(t, ps, 2)
	assert.Equal(t, "1001#1", ps[0].SourceKey)
	assert.Equal(t, "1001#2", ps[1].SourceKey)
	code, _ := ps[0].Field("code")
	fee, _ := ps[0].Field("fee")
	date, _ := ps[0].Field("date")
	assert.Equal(t, "D1110", code.Text)
	assert.Equal(t, "95.00", fee.Text)
	assert.Equal(t, "2019-03-04", date.Text)
	_, hasFee := ps[1].Field("fee")
	assert.False(t, hasFee, "no fee written, none invented")
	l, _ := ps[1].Link(LinkAssociation)
	assert.Equal(t, "1001", l.Key)
	require.Len(t, ps[0].Problems, 1, "the unparsed line is reported")
	assert.Equal(t, RuleParse, ps[0].Problems[0].Rule)
	assert.NotContains(t, ps[0].Problems[0].Reason, "mornings")

	pt.Notes = ""
	ps, err = a.Apply("treatment_notes", Struct(pt))
	require.NoError(t, err)
	require.Len(t, ps, 1)
	assert.NotEmpty(t, ps[0].Skipped)
	assert.ErrorContains(t, a.ApplyTo("treatment_notes", Struct(pt), &Payload{}), "use Apply")
}

func TestValueJSON(t *testing.T) {
	assert.Equal(t, 95.5, Value{Type: TypeMonetary, Text: "95.50"}.JSON())
	assert.Equal(t, map[string]any{"currency": "default", "value": 95.5}, Value{Type: TypeMonetary, Text: "95.50"}.RecordJSON())
	assert.Equal(t, "existing_current", Value{Type: TypeSingleOptions, Text: "Existing (current)"}.RecordJSON())
	assert.Equal(t, "Existing (current)", Value{Type: TypeSingleOptions, Text: "Existing (current)"}.JSON())
	assert.Equal(t, []string{"a_b", "c"}, Value{Type: TypeCheckbox, List: []string{"A B", "c"}}.RecordJSON())
	assert.Equal(t, []string{}, Value{Type: TypeMultipleOptions}.JSON())
	assert.Equal(t, 3.0, Value{Type: TypeNumerical, Text: "3"}.RecordJSON())
	assert.Equal(t, "2024-01-02", Value{Type: TypeDate, Text: "2024-01-02"}.RecordJSON())
	assert.Equal(t, "option", OptionKey("!!"))
}

func TestOptionsAreMatchedLoosely(t *testing.T) {
	a, err := NewApplier(approvedDefault(t), ApplierOptions{})
	require.NoError(t, err)
	pt := samplePatient(t)
	pt.Custom["case_type"] = "  ortho "
	pt.Custom["lifetime_value"] = "$1,234.50"
	ps, err := a.Apply("patients", Struct(pt))
	require.NoError(t, err)
	require.Empty(t, ps[0].Problems)
	ct, _ := ps[0].Field("pbn_case_type")
	assert.Equal(t, "Ortho", ct.Text, "the option's own spelling is sent")
	lv, _ := ps[0].Field("pbn_lifetime_value")
	assert.Equal(t, "1234.5", lv.Text)
}

func TestYesNoProperty(t *testing.T) {
	f, err := PropertyField(pbn.CustomPropertyDefinition{Key: "Marketing Opt-in", Name: "Marketing", Type: pbn.CustomPickList, Options: []string{"No", "Yes"}})
	require.NoError(t, err)
	assert.Equal(t, "pbn_marketing_opt_in", f.To)
	fn, err := DefaultRegistry().CompileChain(f.Transform)
	require.NoError(t, err)
	for in, want := range map[string]string{"y": "Yes", "TRUE": "Yes", "0": "No", "no": "No"} {
		got, err := fn(in)
		require.NoError(t, err)
		assert.Equal(t, want, got, in)
	}
}

// HighLevel refuses (422) a custom object record whose primary display
// property is empty; the applier knows that before any call, so the record
// is invalid, never sent.
func TestApplyEmptyPrimaryIsInvalid(t *testing.T) {
	m := mustDefault(t)
	o := m.Object("appointments")
	require.NotNil(t, o)
	f := o.Field(o.Primary)
	require.NotNil(t, f)
	f.Default = "" // as a hand-edited map might leave it
	require.NoError(t, m.Approve("test", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	a, err := NewApplier(m, ApplierOptions{})
	require.NoError(t, err)
	rec := Row{"id": "7", "patientId": "1001", "status": "Complete", "start": "2024-02-03T04:05:06Z", f.From: "  "}
	ps, err := a.Apply("appointments", rec)
	require.NoError(t, err)
	require.Len(t, ps, 1)
	var found bool
	for _, p := range ps[0].Problems {
		if p.Field == o.Primary && p.Severity == Invalid && p.Rule == RuleRequired {
			found = true
		}
	}
	assert.True(t, found, "problems: %+v", ps[0].Problems)

	rec[f.From] = "Crown prep"
	ps, err = a.Apply("appointments", rec)
	require.NoError(t, err)
	for _, p := range ps[0].Problems {
		assert.NotEqual(t, o.Primary, p.Field, "a filled primary is not a problem: %+v", p)
	}
}

// TestValidatorRepeatedReportKey: an object reading a practice system's
// report as it is (its source a file, practicebynumbers.FileEntity) has no
// contract making its keys unique: a record repeating an earlier record's
// key is invalid (RuleRepeatedKey, naming the column, not the value) rather
// than taken for that record by the run. Eaglesoft's "Procedures
// Completed" has no id column; keyed by Patient ID, every procedure after a
// patient's first repeats it. Objects reading PbN
// entities are not checked (ids are unique by contract, and their keys are
// not all kept).
func TestValidatorRepeatedReportKey(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join("testdata", "exports", "eaglesoft")
	inv, err := InventoryDir(os.DirFS(dir), InventoryOptions{})
	require.NoError(t, err)
	pr, err := Propose(ctx, inv, Destination{}, ProposeOptions{})
	require.NoError(t, err)
	m := pr.Map
	o := m.Object("procedures_completed")
	require.NotNil(t, o)
	require.Equal(t, "Procedures Completed.csv", o.Source)
	require.Equal(t, "Patient ID + Service Date", o.SourceKey, "a report without an id column: a composite key")
	o.SourceKey = "Patient ID" // a person's choice that does not identify a record
	require.NoError(t, m.Approve("test", time.Now()))
	a, err := NewApplier(m, ApplierOptions{})
	require.NoError(t, err)
	v := NewValidator(m, ValidatorOptions{})
	src, err := pbn.OpenExport(dir, pbn.ExportOptions{})
	require.NoError(t, err)
	rows, repeated := 0, 0
	keys := map[string]bool{}
	for row, err := range src.FileRows(ctx, o.Source, pbn.ListOptions{}) {
		require.NoError(t, err)
		rows++
		ps, err := a.Apply(o.Name, Struct(row))
		require.NoError(t, err)
		p := &ps[0]
		p.Links = nil // the patients are not fed to this validator
		v.Check(p)
		key, _ := row.Get("Patient ID")
		for _, pb := range p.Problems {
			if pb.Rule == RuleRepeatedKey {
				repeated++
				assert.Equal(t, Invalid, pb.Severity)
				assert.Contains(t, pb.Reason, "column Patient ID")
				assert.NotContains(t, pb.Reason, key, "no value in the reason")
				assert.True(t, keys[key], "only a key seen before")
			}
		}
		keys[key] = true
	}
	require.Positive(t, rows)
	assert.Positive(t, repeated)
	assert.Equal(t, rows-len(keys), repeated, "every repeat, and only repeats")

	// The same object reading a PbN entity is not checked.
	o.Source = "procedures"
	require.NoError(t, m.Approve("test", time.Now()))
	v = NewValidator(m, ValidatorOptions{})
	for range 2 {
		ps, err := a.Apply(o.Name, Row{"Patient ID": "7"})
		require.NoError(t, err)
		ps[0].Links = nil
		v.Check(&ps[0])
		for _, pb := range ps[0].Problems {
			assert.NotEqual(t, RuleRepeatedKey, pb.Rule)
		}
	}
}
