package mapping

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/internal/golden"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

func records[T any](seq iter.Seq[T]) iter.Seq[Record] {
	return func(yield func(Record) bool) {
		for v := range seq {
			if !yield(Struct(&v)) {
				return
			}
		}
	}
}

func sliceSeq[T any](s []T) iter.Seq[T] {
	return func(yield func(T) bool) {
		for _, v := range s {
			if !yield(v) {
				return
			}
		}
	}
}

// pbntestInventory samples a small generated practice the way a host
// would sample a real source.
func pbntestInventory(t testing.TB) (SourceInventory, *pbntest.Practice) {
	t.Helper()
	p := pbntest.MustPractice(42, 60)
	o := InventoryOptions{Samples: 40}
	inv := SourceInventory{Entities: []EntityInventory{
		SampleRecords(string(pbn.EntityOffices), records(sliceSeq(p.Offices())), nil, o),
		SampleRecords(string(pbn.EntityStaff), records(sliceSeq(p.Staff())), nil, o),
		SampleRecords(string(pbn.EntityPatients), records(p.Patients()), nil, o),
		SampleRecords(string(pbn.EntityAppointments), records(p.Appointments()), nil, o),
		SampleRecords(string(pbn.EntityProcedures), records(p.Procedures()), nil, o),
		SampleRecords(string(pbn.EntityTreatmentPlans), records(p.TreatmentPlans()), nil, o),
		SampleRecords(string(pbn.EntityInsuranceCarriers), records(sliceSeq(p.InsuranceCarriers())), nil, o),
		SampleRecords(string(pbn.EntityCoverages), records(p.Coverages()), nil, o),
		SampleRecords(string(pbn.EntityCommunications), records(p.Communications()), nil, o),
		SampleRecords(string(pbn.EntityFormSubmissions), records(p.FormSubmissions()), nil, o),
		SampleRecords(string(pbn.EntityDocuments), records(p.Documents()), nil, o),
		SampleRecords(string(pbn.EntityCohorts), records(sliceSeq(p.Cohorts())), nil, o),
	}, Properties: p.CustomProperties()}
	return inv, p
}

func proposalText(t *testing.T, pr *Proposal) []byte {
	t.Helper()
	var b bytes.Buffer
	out, err := pr.Map.Marshal()
	require.NoError(t, err)
	b.Write(out)
	b.WriteString("\n# --- review ---\n")
	for _, r := range pr.Review {
		fmt.Fprintf(&b, "# %s\n", r)
	}
	b.WriteString("# --- notes ---\n")
	for _, n := range pr.Notes {
		fmt.Fprintf(&b, "# %s\n", n)
	}
	return b.Bytes()
}

func TestProposePBNTestInventory(t *testing.T) {
	inv, p := pbntestInventory(t)
	dest := Destination{CustomFields: []SchemaField{{ID: "x1", Model: "contact", Key: "pbn_patient_status", Name: "Patient status", DataType: TypeSingleOptions, Options: []string{"Patient", "Inactive"}}}}
	pr, err := Propose(context.Background(), inv, dest, ProposeOptions{})
	require.NoError(t, err)
	txt := proposalText(t, pr)
	golden.Assert(t, "testdata/proposal_pbntest.yaml", txt)

	m := pr.Map
	kinds := map[string]TargetKind{}
	for _, o := range m.Objects {
		kinds[o.Source] = o.Target
	}
	assert.Equal(t, TargetContact, kinds["patients"])
	assert.Equal(t, TargetBusiness, kinds["offices"])
	assert.Equal(t, TargetUser, kinds["staff"])
	assert.Equal(t, TargetOpportunity, kinds["treatment_plans"])
	assert.Equal(t, TargetNote, kinds["communications"])
	if assert.NotNil(t, m.Object("documents")) {
		assert.Equal(t, TargetMedia, m.Object("documents").Target, "documents move as files")
	}
	pt := m.Object("patients")
	for to, from := range map[string]string{"firstName": "firstName", "lastName": "lastName", "email": "email", "dateOfBirth": "birthDate", "phone": "mobilePhone", "postalCode": "address.postalCode"} {
		f := pt.Field(to)
		if assert.NotNil(t, f, to) {
			assert.Equal(t, from, f.From, to)
			assert.GreaterOrEqual(t, f.Confidence, 0.6, to)
			assert.NotEmpty(t, f.Reason)
		}
	}
	assert.Equal(t, "id", pt.SourceKey)
	for _, prop := range p.CustomProperties() {
		var f *Field
		for i := range pt.Fields {
			if pt.Fields[i].From == "custom."+prop.Key {
				f = &pt.Fields[i]
			}
		}
		if assert.NotNil(t, f, "custom property %s is proposed", prop.Key) {
			assert.Contains(t, f.Reason, "the source declares", prop.Key)
		}
	}
	var st *Field
	for i := range pt.Fields {
		if pt.Fields[i].From == "status" {
			st = &pt.Fields[i]
		}
	}
	require.NotNil(t, st)
	assert.Equal(t, "pbn_patient_status", st.To, "an existing custom field is reused")
	assert.Contains(t, st.Reason, "existing custom field")
	assert.Equal(t, []string{"Patient", "Inactive"}, st.Options[:2], "existing options first")
	assert.Greater(t, len(st.Options), 2, "sampled statuses the field lacks are added for the diff to show")
	assert.Equal(t, "pbn_patient_id", pt.ExternalID)
	var links []string
	for _, l := range pt.Lookups {
		links = append(links, l.From+"→"+l.To)
	}
	assert.Contains(t, links, "officeId→businessId")
	appt := m.Object("appointments")
	require.NotEmpty(t, appt.Lookups)
	assert.Equal(t, LinkAssociation, appt.Lookups[0].To)
	tp := m.Object("treatment_plans")
	assert.Equal(t, "stage", tp.StageField)
	assert.NotEmpty(t, tp.Pipelines)

	// No sample value (PHI) leaks into the proposal.
	n := 0
	for pat := range p.Patients() {
		for _, v := range []string{pat.Email, pat.LastName, pat.MobilePhone, pat.Address.Line1} {
			if len(strings.TrimSpace(v)) >= 5 {
				assert.NotContains(t, string(txt), v)
			}
		}
		if n++; n > 40 {
			break
		}
	}
	// The proposal is a valid map a person can approve and run.
	require.NoError(t, m.Approve("reviewer", fixedTime))
	_, err = NewApplier(m, ApplierOptions{})
	require.NoError(t, err)
}

func TestProposeUnfamiliarCSV(t *testing.T) {
	var inv SourceInventory
	for _, name := range []string{"Patient List.csv", "Visits.csv", "Cases.csv"} {
		f, err := os.Open(filepath.Join("testdata", "unfamiliar", name))
		require.NoError(t, err)
		e, err := SampleCSV(strings.TrimSuffix(name, ".csv"), f, InventoryOptions{})
		f.Close()
		require.NoError(t, err)
		inv.Entities = append(inv.Entities, e)
	}
	pr, err := Propose(context.Background(), inv, Destination{}, ProposeOptions{Name: "Unfamiliar export"})
	require.NoError(t, err)
	golden.Assert(t, "testdata/proposal_unfamiliar.yaml", proposalText(t, pr))
	var rv bytes.Buffer
	require.NoError(t, pr.WriteReview(&rv, ReviewOptions{}))
	golden.Assert(t, "testdata/proposal_unfamiliar_review.md", rv.Bytes())

	pt := pr.Map.Objects[0]
	assert.Equal(t, TargetContact, pt.Target)
	assert.Equal(t, "Pt Num", pt.SourceKey)
	want := map[string]string{"Given Name": "firstName", "Surname": "lastName", "E-mail Addr": "email", "Cell #": "phone",
		"DOB": "dateOfBirth", "Zip": "postalCode", "Sex": "gender", "Town": "city", "Prov": "state", "Street": "address1"}
	got := map[string]Field{}
	for _, f := range pt.Fields {
		got[f.From] = f
	}
	for from, to := range want {
		assert.Equal(t, to, got[from].To, from)
	}
	assert.Empty(t, got["Balance Due"].To, "a balance is skipped, not migrated")
	assert.Contains(t, pt.Skip, Skip{From: "Balance Due", Reason: `"Balance Due" reads as a running balance: it belongs to the billing system, and a copy in the CRM goes stale at once`})
	assert.Equal(t, TypeDate, got["Last Visit"].Type)
	assert.Equal(t, TypeSingleOptions, got["Acct Status"].Type)
	assert.Equal(t, TypePhone, got["Home Tel"].Type)
	// Every row was sampled and Fax is empty in all of them: a skip, said so.
	assert.Contains(t, pt.Skip, Skip{From: "Fax", Reason: "no values in any of the 10 rows"})
	visits := pr.Map.Objects[1]
	assert.Equal(t, TargetCustomObject, visits.Target)
	assert.Equal(t, "Pt Num", visits.Lookups[0].From)
	cases := pr.Map.Objects[2]
	assert.Equal(t, TargetOpportunity, cases.Target)
	require.Len(t, cases.Pipelines, 1)
	st := map[string]float64{}
	for _, s := range cases.Pipelines[0].Stages {
		st[s.Name] = s.Probability
	}
	assert.InDelta(t, 100, st["Accepted"], 0)
	assert.InDelta(t, 0, st["Declined"], 0)
}

type fakeSuggester struct {
	out []Suggestion
	err error
	got []SuggestRequest
}

func (f *fakeSuggester) Name() string { return "llm" }

func (f *fakeSuggester) Suggest(_ context.Context, req SuggestRequest) ([]Suggestion, error) {
	f.got = append(f.got, req)
	if f.err != nil {
		return nil, f.err
	}
	return f.out, nil
}

func TestProposeSuggesterMerged(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "unfamiliar", "Visits.csv"))
	require.NoError(t, err)
	e, err := SampleCSV("Visits", f, InventoryOptions{})
	f.Close()
	require.NoError(t, err)
	inv := SourceInventory{Entities: []EntityInventory{e}}
	s := &fakeSuggester{out: []Suggestion{
		{From: "Chair", To: "operatory", Type: TypeText, Confidence: 0.92, Reason: "dental chairs are operatories"},
		{From: "Mins", To: "duration", Type: TypeNumerical, Confidence: 0.2, Reason: "weak"},
		{From: "Nope", To: "x", Type: TypeText, Confidence: 0.9},
		{From: "Dr", To: "firstName", Confidence: 0.9},
	}}
	pr, err := Propose(context.Background(), inv, Destination{}, ProposeOptions{Suggesters: []Suggester{s}})
	require.NoError(t, err)
	o := pr.Map.Objects[0]
	chair := o.Field("operatory")
	require.NotNil(t, chair)
	assert.Equal(t, "suggester:llm", chair.Origin)
	assert.Equal(t, "Chair", chair.From)
	assert.Nil(t, o.Field("chair"), "the suggestion replaced the heuristic rule")
	mins := o.Field("mins")
	require.NotNil(t, mins)
	assert.Equal(t, "heuristic", mins.Origin)
	assert.Contains(t, mins.Reason, "llm suggested duration (0.20)")
	assert.Contains(t, strings.Join(pr.Notes, "\n"), "Nope ignored: no such source field")
	assert.Contains(t, strings.Join(pr.Notes, "\n"), `"firstName" is not a standard custom_object field`)
	var flagged bool
	for _, r := range pr.Review {
		flagged = flagged || (r.Target == "operatory" && strings.Contains(r.Why, "suggester:llm"))
	}
	assert.True(t, flagged, "suggested rules are listed for review")
	require.Len(t, s.got, 1)
	assert.Nil(t, s.got[0].Fields[0].Samples, "samples stay home unless ShareSamples")

	var b bytes.Buffer
	require.NoError(t, pr.Map.WriteReview(&b, ReviewOptions{}))
	assert.Contains(t, b.String(), "*suggester:llm*: dental chairs are operatories")

	_, err = Propose(context.Background(), inv, Destination{}, ProposeOptions{Suggesters: []Suggester{s}, ShareSamples: true})
	require.NoError(t, err)
	assert.NotEmpty(t, s.got[1].Fields[0].Samples)

	bad := &fakeSuggester{err: errors.New("model offline")}
	pr, err = Propose(context.Background(), inv, Destination{}, ProposeOptions{Suggesters: []Suggester{bad}})
	require.NoError(t, err, "a failing suggester does not stop the heuristics")
	assert.Contains(t, strings.Join(pr.Notes, "\n"), "suggester llm failed: model offline")
}

func TestProposeDeterministic(t *testing.T) {
	inv, _ := pbntestInventory(t)
	a, err := Propose(context.Background(), inv, Destination{}, ProposeOptions{})
	require.NoError(t, err)
	b, err := Propose(context.Background(), inv, Destination{}, ProposeOptions{})
	require.NoError(t, err)
	assert.Equal(t, string(proposalText(t, a)), string(proposalText(t, b)))
	out, err := a.Map.Marshal()
	require.NoError(t, err)
	back, err := Parse(out, "proposal.yaml")
	require.NoError(t, err, "a saved proposal loads")
	da, _ := a.Map.Digest()
	db, _ := back.Digest()
	assert.Equal(t, da, db)
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name    string
		samples []string
		kind    string
	}{
		{"mail", []string{"a@b.co", "c@d.org", "", "e@f.net"}, "email"},
		{"x", []string{"(503) 555-0101", "503.555.0102 x2", "5035550103"}, "phone"},
		{"when", []string{"2024-01-02", "03/04/1980", "1999-09-09 10:00:00"}, "date"},
		{"amt", []string{"$1.00", "$2,000.50", "3.25"}, "money"},
		{"qty", []string{"1", "2", "3.5"}, "number"},
		{"zip", []string{"97301", "97302"}, "text"},
		{"ok", []string{"Y", "N", "y"}, "bool"},
		{"status", []string{"A", "B", "A", "A", "B", "C", "A", "B", "A"}, "picklist"},
		{"blank", []string{"", " ", "0001-01-01"}, "empty"},
	}
	for _, tt := range tests {
		s := sniffField(FieldInventory{Name: tt.name, Samples: tt.samples})
		assert.Equal(t, tt.kind, s.kind, tt.name)
		for _, v := range tt.samples {
			if len(v) > 3 {
				assert.NotContains(t, s.evidence, v, "evidence never quotes values")
			}
		}
	}
}

func FuzzSampleCSV(f *testing.F) {
	f.Add("a,b\n1,2\n")
	f.Add("\ufeffPt Num,\"Given\nName\"\n1,\"x\"\"y\"\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, data string) {
		e, err := SampleCSV("f", strings.NewReader(data), InventoryOptions{Samples: 5})
		if err != nil {
			return
		}
		inv := SourceInventory{Entities: []EntityInventory{e}}
		pr, err := Propose(context.Background(), inv, Destination{}, ProposeOptions{})
		if err != nil {
			t.Fatalf("propose on a readable CSV: %v", err)
		}
		if len(pr.Map.Objects) == 0 {
			// Nothing could be drafted: the file is still accounted for.
			if len(pr.Files) != 1 || pr.Files[0].Why == "" {
				t.Fatalf("an entity without an object is not explained: %+v", pr.Files)
			}
			return
		}
		out, err := pr.Map.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(out, "proposal.yaml"); err != nil {
			t.Fatalf("a saved proposal does not load: %v", err)
		}
	})
}

var fixedTime = mustTime("2026-11-30T10:00:00Z")

func TestDestinationFrom(t *testing.T) {
	api := newFakeSchema()
	api.fields["contact"] = []SchemaField{{ID: "1", Model: "contact", Key: "pbn_x", DataType: TypeText}}
	api.objects = []SchemaObject{{ID: "o", Key: "custom_objects.visit"}, {ID: "c", Key: "contact"}}
	api.fields["custom_objects.visit"] = []SchemaField{{ID: "2", Model: "custom_objects.visit", Key: "chair", DataType: TypeText}}
	d, err := DestinationFrom(context.Background(), api)
	require.NoError(t, err)
	require.Len(t, d.CustomFields, 2)
	assert.Equal(t, "custom_objects.visit.chair", d.CustomFields[1].FieldKey())
}
