package mapping

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/internal/golden"
)

func mustDefault(t testing.TB) *Map {
	t.Helper()
	m, err := Default(testProperties())
	require.NoError(t, err)
	return m
}

func TestDefaultMapGolden(t *testing.T) {
	m := mustDefault(t)
	out, err := m.Marshal()
	require.NoError(t, err)
	golden.Assert(t, "testdata/default_map.yaml", out)

	var b bytes.Buffer
	require.NoError(t, m.WriteReview(&b, ReviewOptions{}))
	golden.Assert(t, "testdata/default_review.md", b.Bytes())
}

func TestDefaultMapCoversTheTenObjects(t *testing.T) {
	m := mustDefault(t)
	kinds := map[string]TargetKind{}
	for _, o := range m.Objects {
		if _, ok := kinds[o.Source]; !ok {
			kinds[o.Source] = o.Target
		}
		if o.Target.createsRecords() && o.Target != TargetBusiness {
			assert.NotEmpty(t, o.ExternalID, "object %s has no external id", o.Name)
		}
	}
	assert.Equal(t, TargetBusiness, kinds["offices"])
	assert.Equal(t, TargetContact, kinds["patients"])
	assert.Equal(t, TargetUser, kinds["staff"])
	assert.Equal(t, TargetCustomObject, kinds["appointments"])
	assert.Equal(t, TargetCustomObject, kinds["procedures"])
	assert.Equal(t, TargetCustomObject, kinds["coverages"])
	assert.Equal(t, TargetOpportunity, kinds["treatment_plans"])
	assert.Equal(t, TargetContactField, kinds["form_submissions"])
	p := m.Object("patients")
	require.NotNil(t, p)
	for _, k := range []string{"pbn_created_at", "pbn_updated_at"} {
		require.NotNil(t, p.Field(k))
		assert.Equal(t, TypeDate, p.Field(k).Type)
	}
	// KPI custom properties became typed contact fields.
	assert.Equal(t, TypeSingleOptions, p.Field("pbn_case_type").Type)
	assert.Equal(t, TypeNumerical, p.Field("pbn_lifetime_value").Type)
	assert.Equal(t, TypeDate, p.Field("pbn_last_recall").Type)
	assert.Equal(t, TypeText, p.Field("pbn_referral_source").Type)
	var noteTarget, logTarget bool
	for _, o := range m.Objects {
		if o.Source == "communications" && o.Target == TargetNote {
			noteTarget = true
		}
		if o.Source == "communications" && o.Target == TargetContactField {
			logTarget = true
		}
	}
	assert.True(t, noteTarget && logTarget, "communications go to notes and to a JSON log")
	tp := m.Object("treatment_plans")
	require.Len(t, tp.Pipelines, 4)
	assert.InDelta(t, 40, tp.Pipelines[0].Stages[1].Probability, 0)
}

func TestRoundTripIsLossless(t *testing.T) {
	first, err := Parse(DefaultYAML(), "default.yaml")
	require.NoError(t, err)
	require.NoError(t, first.Approve("dr.ops@example.com", time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)))
	out1, err := first.Marshal()
	require.NoError(t, err)
	second, err := Parse(out1, "saved.yaml")
	require.NoError(t, err)
	out2, err := second.Marshal()
	require.NoError(t, err)
	assert.Equal(t, string(out1), string(out2), "save is stable")
	assert.Equal(t, stripPos(first), stripPos(second), "load → save → load keeps every value")
	require.NoError(t, second.Verify(), "approval survives the round trip")
	// Comments stay with their rules.
	for _, c := range []string{"# The default Practice by Numbers", "# Mobile first: HighLevel texts", "# PtNote appointments are sticky notes"} {
		assert.Contains(t, string(out2), c)
	}
}

func TestCommentsFollowRulesWhenEdited(t *testing.T) {
	src := `# head comment
version: 1
name: t
objects:
  - name: patients # the people
    source: patients
    target: contact
    source_key: id
    external_id: pbn_patient_id
    fields:
      # why the first name
      - from: firstName
        to: firstName
      # why the email
      - from: email
        to: email
        transform: [email]
`
	m, err := Parse([]byte(src), "t.yaml")
	require.NoError(t, err)
	o := m.Object("patients")
	// Insert a rule before the others: comments must stay with their rules.
	o.Fields = append([]Field{{From: "lastName", To: "lastName"}}, o.Fields...)
	out, err := m.Marshal()
	require.NoError(t, err)
	s := string(out)
	assert.Contains(t, s, "# head comment")
	assert.Contains(t, s, "# the people")
	iEmail := strings.Index(s, "# why the email")
	require.Positive(t, iEmail)
	assert.Less(t, iEmail, strings.Index(s, "from: email"))
	assert.Greater(t, iEmail, strings.Index(s, "from: firstName"))
}

func TestLoadErrorsCarryLineAndRule(t *testing.T) {
	base := func(fields string) string {
		return "version: 1\nname: t\nobjects:\n  - name: patients\n    source: patients\n    target: contact\n    source_key: id\n    external_id: pbn_patient_id\n    fields:\n" + fields
	}
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"typo key", base("      - form: email\n        to: email\n"), []string{"t.yaml:10:9:", `unknown key "form" (did you mean "from"?)`}},
		{"unknown transform", base("      - from: email\n        to: email\n        transform: [emial]\n"), []string{"t.yaml:10:", "objects.patients.fields.email", `unknown transform "emial" (did you mean "email"?)`}},
		{"bad argument", base("      - from: birthDate\n        to: dateOfBirth\n        transform: [{date: {zone: Mars/Olympus}}]\n"), []string{"objects.patients.fields.dateOfBirth", "unknown time zone"}},
		{"unknown argument", base("      - from: birthDate\n        to: dateOfBirth\n        transform: [{date: {tz: UTC}}]\n"), []string{`transform "date" has no argument "tz"`}},
		{"not standard", base("      - from: birthDate\n        to: birthday\n"), []string{`"birthday" is not a standard contact field; set type`}},
		{"bad type", base("      - from: x\n        to: pbn_x\n        type: STRING\n"), []string{`unknown custom field type "STRING"`}},
		{"options missing", base("      - from: x\n        to: pbn_x\n        type: SINGLE_OPTIONS\n"), []string{"SINGLE_OPTIONS field needs options or values"}},
		{"yaml type", base("      - from: x\n        to: pbn_x\n        type: TEXT\n        confidence: high\n"), []string{"t.yaml:13:", "cannot unmarshal"}},
		{"duplicate target", base("      - from: a\n        to: email\n      - from: b\n        to: email\n"), []string{"t.yaml:12:", `target "email" is written by two rules`}},
		{"syntax", "version: 1\nname: [\n", []string{"t.yaml:"}},
		{"future version", "version: 9\nname: t\nobjects: []\n", []string{"version 9 is newer"}},
		{"unknown lookup", base("      - from: a\n        to: email\n") + "    lookups:\n      - from: officeId\n        object: clinics\n        to: businessId\n", []string{`lookup refers to unknown object "clinics"`}},
		{"missing external id", "version: 1\nname: t\nobjects:\n  - name: p\n    source: patients\n    target: contact\n    source_key: id\n", []string{"missing external_id"}},
		{"values twice", base("      - from: x\n        to: gender\n        values: {a: b, a: c}\n"), []string{"t.yaml:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), "t.yaml")
			require.Error(t, err)
			var le *LoadError
			require.ErrorAs(t, err, &le)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestApproval(t *testing.T) {
	m := mustDefault(t)
	_, err := NewApplier(m, ApplierOptions{})
	require.ErrorIs(t, err, ErrNotApproved, "an unapproved map cannot run")

	at := time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC)
	require.NoError(t, m.Approve("Jane Admin", at))
	require.NoError(t, m.Verify())
	_, err = NewApplier(m, ApplierOptions{})
	require.NoError(t, err)
	out, err := m.Marshal()
	require.NoError(t, err)

	// A comment edit keeps the approval.
	edited := strings.Replace(string(out), "# Mobile first: HighLevel texts the contact's phone.", "# Mobile first (comment edited).", 1)
	require.NotEqual(t, string(out), edited)
	m2, err := Parse([]byte(edited), "m.yaml")
	require.NoError(t, err)
	require.NoError(t, m2.Verify())

	// A rule edit voids it, with a clear error.
	changed := strings.Replace(string(out), "policy: flag", "policy: merge", 1)
	m3, err := Parse([]byte(changed), "m.yaml")
	require.NoError(t, err)
	err = m3.Verify()
	var dm *DigestMismatchError
	require.ErrorAs(t, err, &dm)
	assert.ErrorIs(t, err, ErrNotApproved)
	assert.Contains(t, err.Error(), "m.yaml changed after it was approved by Jane Admin at 2026-11-30T09:30:00Z")
	assert.Contains(t, err.Error(), "approve it again")
	_, err = NewApplier(m3, ApplierOptions{})
	require.ErrorIs(t, err, ErrNotApproved)

	// The review says so.
	var b bytes.Buffer
	require.NoError(t, m3.WriteReview(&b, ReviewOptions{}))
	assert.Contains(t, b.String(), "changed since approval")
}

func TestLoadApproved(t *testing.T) {
	dir := t.TempDir()
	m := mustDefault(t)
	path := dir + "/map.yaml"
	require.NoError(t, m.SaveFile(path))
	_, err := LoadApproved(path)
	require.ErrorIs(t, err, ErrNotApproved)
	assert.Contains(t, err.Error(), "has no approval")
	require.NoError(t, m.Approve("ops", time.Now()))
	require.NoError(t, m.SaveFile(path))
	got, err := LoadApproved(path)
	require.NoError(t, err)
	assert.True(t, got.Approved())
	assert.Equal(t, path, got.File())
}

func TestDigestIgnoresFormatting(t *testing.T) {
	a := "version: 1\nname: t\nobjects:\n  - name: p\n    source: patients\n    target: contact\n    source_key: id\n    external_id: pbn_patient_id\n    fields:\n      - {from: email, to: email, transform: [email]}\n"
	b := "# comment\nversion: 1\nname: 't'\nobjects:\n- name: p\n  source: patients\n  target: contact\n  source_key: id\n  external_id: pbn_patient_id\n  fields:\n  - from: email\n    to: email\n    transform:\n      - email\n"
	ma, err := Parse([]byte(a), "a")
	require.NoError(t, err)
	mb, err := Parse([]byte(b), "b")
	require.NoError(t, err)
	da, _ := ma.Digest()
	db, _ := mb.Digest()
	assert.Equal(t, da, db)
	assert.True(t, strings.HasPrefix(da, "sha256:"))
}

func FuzzParse(f *testing.F) {
	f.Add(DefaultYAML())
	f.Add([]byte("version: 1\nname: x\nobjects:\n  - name: a\n    source: b\n    target: contact\n"))
	f.Add([]byte("objects: [{fields: [{transform: [{date: {zone: X}}]}]}]"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data, "fuzz.yaml")
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error is not a *LoadError: %T %v", err, err)
			}
			return
		}
		out, err := m.Marshal()
		if err != nil {
			t.Fatalf("marshal a loaded map: %v", err)
		}
		m2, err := Parse(out, "again.yaml")
		if err != nil {
			t.Fatalf("a saved map does not load: %v\n%s", err, out)
		}
		d1, _ := m.Digest()
		d2, _ := m2.Digest()
		if d1 != d2 {
			t.Fatalf("digest changed across save/load")
		}
	})
}

// stripPos clears source positions so two loads compare by value.
func stripPos(m *Map) Map {
	c := *m
	c.file, c.doc = "", nil
	c.Objects = make([]Object, len(m.Objects))
	for i, o := range m.Objects {
		o.at = pos{}
		o.Fields = append([]Field(nil), o.Fields...)
		for j := range o.Fields {
			o.Fields[j].at = pos{}
		}
		o.Lookups = append([]Lookup(nil), o.Lookups...)
		for j := range o.Lookups {
			o.Lookups[j].at = pos{}
		}
		o.Filters = append([]Filter(nil), o.Filters...)
		for j := range o.Filters {
			o.Filters[j].at = pos{}
		}
		c.Objects[i] = o
	}
	return c
}
