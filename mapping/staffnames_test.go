package mapping

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

func TestStaffName(t *testing.T) {
	assert.Equal(t, "Ana Reyes", StaffName(pbn.Staff{ID: "1", FirstName: " Ana ", LastName: "Reyes", Abbr: "DOC1"}))
	assert.Equal(t, "HYG2", StaffName(pbn.Staff{ID: "2", Abbr: "HYG2"}))
	assert.Equal(t, "staff 7", StaffName(pbn.Staff{ID: "7"}))
}

// TestNameStaff (issue 16.5): beside each provider/hygienist id rule of a
// custom object the draft gets a rule naming the person from the staff
// table, shown in the review; applied to a pbntest appointment or
// procedure it writes the staff member's name; an id the table does not
// list is left out with a warning (the id rule still has it); a name a
// person corrected survives drafting again.
func TestNameStaff(t *testing.T) {
	p := pbntest.MustPractice(42, 40)
	staff := p.Staff()
	m, err := Default(nil)
	require.NoError(t, err)
	// appointments: provider and hygienist; procedures: provider.
	assert.Equal(t, 3, m.NameStaff(staff))
	byID := map[string]string{}
	for _, s := range staff {
		byID[string(s.ID)] = StaffName(s)
	}
	for _, c := range []struct{ object, to, from string }{
		{"appointments", "provider", "providerId"}, {"appointments", "hygienist", "hygienistId"}, {"procedures", "provider", "providerId"},
	} {
		o := m.Object(c.object)
		f := o.Field(c.to)
		require.NotNil(t, f, "%s.%s", c.object, c.to)
		assert.Equal(t, c.from, f.From)
		assert.Equal(t, TypeText, f.Type)
		assert.Equal(t, UnknownWarn, f.Unknown)
		assert.Len(t, f.Values, len(staff))
		assert.NotNil(t, o.Field(c.to+"_id"), "the id rule stays")
	}
	assert.Nil(t, m.Object("treatment_notes").Field("provider"), "an object without a provider id gets no name")
	var review bytes.Buffer
	require.NoError(t, m.WriteReview(&review, ReviewOptions{}))
	assert.Contains(t, review.String(), "Values of `provider` (unknown values: left out, with a warning on the record)")
	assert.Contains(t, review.String(), "- `"+string(staff[0].ID)+"` → `"+StaffName(staff[0])+"`")

	// A corrected name survives a redraft; no second rule.
	m.Object("appointments").Field("provider").Values[0].To = "Dr. Ana Reyes, DDS"
	assert.Equal(t, 3, m.NameStaff(staff))
	assert.Equal(t, "Dr. Ana Reyes, DDS", m.Object("appointments").Field("provider").Values[0].To)
	n := 0
	for _, f := range m.Object("appointments").Fields {
		if f.To == "provider" {
			n++
		}
	}
	assert.Equal(t, 1, n)
	m.Object("appointments").Field("provider").Values[0].To = StaffName(staff[0])

	out, err := m.Marshal()
	require.NoError(t, err)
	m2, err := Parse(out, "named.yaml")
	require.NoError(t, err)
	assert.Equal(t, m.Object("procedures").Field("provider").Values, m2.Object("procedures").Field("provider").Values)

	require.NoError(t, m.Approve("test", time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)))
	a, err := NewApplier(m, ApplierOptions{})
	require.NoError(t, err)
	value := func(p Payload, key string) (string, bool) {
		for _, v := range p.Custom {
			if v.Key == key {
				return v.Text, true
			}
		}
		return "", false
	}
	checked := 0
	for ap := range p.Appointments() {
		ps, err := a.Apply("appointments", Struct(ap))
		require.NoError(t, err)
		require.Len(t, ps, 1)
		if ps[0].Skipped != "" {
			continue // filtered (schedule notes)
		}
		got, ok := value(ps[0], "provider")
		if ap.ProviderID == pbn.NoKey {
			assert.False(t, ok)
			continue
		}
		require.True(t, ok, "appointment %s names its provider", ap.ID)
		assert.Equal(t, byID[string(ap.ProviderID)], got)
		if ap.HygienistID != pbn.NoKey {
			h, _ := value(ps[0], "hygienist")
			assert.Equal(t, byID[string(ap.HygienistID)], h)
		}
		checked++
	}
	require.Positive(t, checked)
	for pr := range p.Procedures() {
		if pr.ProviderID == pbn.NoKey || pr.Status == "D" {
			continue
		}
		ps, err := a.Apply("procedures", Struct(pr))
		require.NoError(t, err)
		require.Len(t, ps, 1)
		require.Empty(t, ps[0].Skipped)
		got, _ := value(ps[0], "provider")
		assert.Equal(t, byID[string(pr.ProviderID)], got, "procedure %s", pr.ID)
		break
	}

	// A staff member hired after the draft: no name, a warning, the id kept.
	var ap pbn.Appointment
	for x := range p.Appointments() {
		if x.ProviderID != pbn.NoKey && x.Status != "PtNote" && x.Status != "PtNoteCompleted" {
			ap = x
			break
		}
	}
	ap.ProviderID = "999"
	ps, err := a.Apply("appointments", Struct(ap))
	require.NoError(t, err)
	require.Len(t, ps, 1)
	assert.True(t, ps[0].Valid())
	_, ok := value(ps[0], "provider")
	assert.False(t, ok)
	id, _ := value(ps[0], "provider_id")
	assert.Equal(t, "999", id)
	warned := false
	for _, pr := range ps[0].Problems {
		if pr.Field == "provider" && pr.Severity == Warning {
			warned = true
		}
	}
	assert.True(t, warned)
	assert.Zero(t, (&Map{}).NameStaff(staff))
	assert.Zero(t, m.NameStaff(nil))
}
