package mapping

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

func TestOfficeName(t *testing.T) {
	assert.Equal(t, "Bright Smiles North", OfficeName(pbn.Office{ID: "1", Name: " Bright  Smiles,North "}))
	assert.Equal(t, "BSN", OfficeName(pbn.Office{ID: "1", Abbr: "BSN"}))
	assert.Equal(t, "Office 7", OfficeName(pbn.Office{ID: "7"}))
}

// TestCarryOffices: the drafted list object, saved and read back, in the
// schema (MULTIPLE_OPTIONS, one option per office) and the review (the
// sentence on HighLevel's one business per contact); renamed options kept
// on a redraft; on under the history policy that turns appointment logs
// off; the errors of a map it cannot apply to.
func TestCarryOffices(t *testing.T) {
	p := pbntest.MustPractice(42, 60)
	offices := p.Offices()
	require.GreaterOrEqual(t, len(offices), 2)
	m, err := Default(nil)
	require.NoError(t, err)
	require.NoError(t, m.CarryOffices(offices))
	o := m.Object(OtherOfficesObject)
	require.NotNil(t, o)
	assert.True(t, o.List)
	assert.Equal(t, TargetContactField, o.Target)
	assert.Equal(t, OtherOfficesKey, o.Key)
	require.Len(t, o.Fields, 1)
	f := &o.Fields[0]
	assert.Equal(t, UnknownWarn, f.Unknown)
	require.Len(t, f.Values, len(offices))
	for i, of := range offices {
		assert.Equal(t, Pair{From: string(of.ID), To: OfficeName(of)}, f.Values[i])
	}
	assert.False(t, m.Off(o), "on under the default history policy (appointment logs off)")
	assert.False(t, o.Folded(), "a list is no history log")

	out, err := m.Marshal()
	require.NoError(t, err)
	m2, err := Parse(out, "offices.yaml")
	require.NoError(t, err)
	o2 := m2.Object(OtherOfficesObject)
	require.NotNil(t, o2)
	assert.True(t, o2.List)
	assert.Equal(t, f.Values, o2.Fields[0].Values)

	plan, err := DeriveSchema(m2)
	require.NoError(t, err)
	var sf *SchemaField
	for i := range plan.Fields {
		if plan.Fields[i].FieldKey() == "contact."+OtherOfficesKey {
			sf = &plan.Fields[i]
		}
	}
	require.NotNil(t, sf, "the schema plan has the field")
	assert.Equal(t, TypeMultipleOptions, sf.DataType)
	assert.Len(t, sf.Options, len(offices))

	var review bytes.Buffer
	require.NoError(t, m2.WriteReview(&review, ReviewOptions{}))
	assert.Contains(t, review.String(), "HighLevel links one business per contact: the patient's own office is the contact's business, and the other offices the patient was seen at are in this field.")
	assert.NotContains(t, review.String()[strings.Index(review.String(), "## "+OtherOfficesObject):], "The field holds at most", "no log cap said of a list")

	// A renamed option survives drafting again; no second rule or object.
	f.Values[0].To = "Downtown"
	require.NoError(t, m.CarryOffices(offices))
	assert.Equal(t, "Downtown", m.Object(OtherOfficesObject).Fields[0].Values[0].To)
	n := 0
	for _, x := range m.Objects {
		if x.Name == OtherOfficesObject {
			n++
		}
	}
	assert.Equal(t, 1, n)
	assert.Len(t, m.Object(OtherOfficesObject).Fields, 1)

	// Two offices of one name are told apart by id.
	dup := []pbn.Office{{ID: "1", Name: "Main"}, {ID: "2", Name: "Main"}}
	m3, err := Default(nil)
	require.NoError(t, err)
	require.NoError(t, m3.CarryOffices(dup))
	assert.Equal(t, ValueMap{{From: "1", To: "Main (1)"}, {From: "2", To: "Main (2)"}}, m3.Object(OtherOfficesObject).Fields[0].Values)

	// Maps it cannot apply to.
	require.ErrorIs(t, m3.CarryOffices([]pbn.Office{{Name: "no id"}}), ErrNoOffices)
	bare := &Map{Version: m.Version, Objects: []Object{*m.Object("patients")}}
	require.ErrorIs(t, bare.CarryOffices(offices), ErrNoAppointmentObjects)
	bare.Objects = nil
	require.ErrorIs(t, bare.CarryOffices(offices), ErrNoPatientContacts)
}

// TestListCheck: a list object is a contact_field with one rule whose
// values are the options.
func TestListCheck(t *testing.T) {
	m, err := Default(nil)
	require.NoError(t, err)
	require.NoError(t, m.CarryOffices([]pbn.Office{{ID: "1", Name: "North"}, {ID: "2", Name: "South"}}))
	o := m.Object(OtherOfficesObject)
	o.Fields = append(o.Fields, Field{From: "providerId", To: "provider"})
	out, err := m.Marshal()
	require.NoError(t, err)
	_, err = Parse(out, "two.yaml")
	require.ErrorContains(t, err, "exactly one rule")
	o.Fields = o.Fields[:1]
	o.Fields[0].Values = nil
	out, err = m.Marshal()
	require.NoError(t, err)
	_, err = Parse(out, "none.yaml")
	require.ErrorContains(t, err, "they are the field's options")
	m.Object("patients").List = true
	o.Fields[0].Values = []Pair{{From: "1", To: "North"}}
	out, err = m.Marshal()
	require.NoError(t, err)
	_, err = Parse(out, "contact.yaml")
	require.ErrorContains(t, err, "list applies only to contact_field targets")
}

// TestListValues: a contact's list is the distinct values of its
// completed visits' offices, in the order seen, less its own office; an
// office the table lacks is left out with a warning on the visit.
func TestListValues(t *testing.T) {
	m, err := Default(nil)
	require.NoError(t, err)
	require.NoError(t, m.CarryOffices([]pbn.Office{{ID: "1", Name: "North"}, {ID: "2", Name: "South"}, {ID: "3", Name: "East"}}))
	require.NoError(t, m.Approve("test", time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)))
	a, err := NewApplier(m, ApplierOptions{})
	require.NoError(t, err)
	agg := NewAggregator(m)
	visit := func(id, office string, st pbn.AppointmentStatus) {
		ps, err := a.Apply(OtherOfficesObject, Struct(pbn.Appointment{ID: pbn.Key(id), PatientID: "9", OfficeID: pbn.Key(office), Status: st}))
		require.NoError(t, err)
		for i := range ps {
			if ps[i].Skipped == "" {
				agg.Add(&ps[i])
			}
		}
	}
	visit("1", "1", pbn.AppointmentComplete)
	visit("2", "3", pbn.AppointmentComplete)
	visit("3", "2", pbn.AppointmentBroken) // not seen there
	visit("4", "3", pbn.AppointmentComplete)
	visit("5", "2", pbn.AppointmentComplete)
	visit("6", "8", pbn.AppointmentComplete) // opened after the draft
	contact := &Payload{SourceKey: "9", Links: []Link{{To: LinkBusiness, Key: "1"}}}
	vals, err := agg.TakeContact(contact)
	require.NoError(t, err)
	require.Len(t, vals, 1)
	assert.True(t, vals[0].IsList)
	assert.Equal(t, []string{"East", "South"}, vals[0].List)

	in := Inputs{FieldIDs: map[string]string{"contact." + OtherOfficesKey: "fid"}}
	cf, err := in.ContactField(vals[0])
	require.NoError(t, err)
	b, err := cf.Value.MarshalJSON()
	require.NoError(t, err)
	assert.JSONEq(t, `["East","South"]`, string(b))

	// Seen only at its own office: an empty list (the field is cleared).
	visit("7", "1", pbn.AppointmentComplete)
	vals, err = agg.TakeContact(contact)
	require.NoError(t, err)
	require.Len(t, vals, 1)
	assert.Empty(t, vals[0].List)
	assert.NotNil(t, vals[0].List)
}
