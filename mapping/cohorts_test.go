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

func TestCohortTag(t *testing.T) {
	assert.Equal(t, "pbn: overdue hygiene", CohortTag(pbn.Cohort{ID: "1", Name: "  Overdue\t\tHygiene "}))
	assert.Equal(t, "pbn: implants ortho", CohortTag(pbn.Cohort{ID: "2", Name: "Implants, Ortho"}), "no comma inside a tag")
	assert.Equal(t, "pbn: cohort a-7", CohortTag(pbn.Cohort{ID: "A-7"}), "a cohort without a name is tagged by its id")
}

// TestTagCohorts (issue 16.5): cohort membership is carried through the
// map: a rule from cohortIds to the contact's tags, one value per cohort,
// shown in the review; applied to a pbntest patient it gives the tag of
// each of its cohorts; a cohort the table does not list is left out with a
// warning (the contact still migrates, no raw id becomes a tag); a tag a
// person renamed in the map survives drafting again.
func TestTagCohorts(t *testing.T) {
	p := pbntest.MustPractice(42, 60)
	cohorts := p.Cohorts()
	require.NotEmpty(t, cohorts)
	m, err := Default(nil)
	require.NoError(t, err)
	require.NoError(t, m.TagCohorts(cohorts))
	f := m.Object("patients").Field("tags")
	require.NotNil(t, f)
	assert.Equal(t, CohortsField, f.From)
	assert.Equal(t, UnknownWarn, f.Unknown)
	require.Len(t, f.Values, len(cohorts))
	for i, c := range cohorts {
		assert.Equal(t, Pair{From: string(c.ID), To: CohortTag(c)}, f.Values[i])
	}

	// The table is the map's: saved, read back, reviewed.
	out, err := m.Marshal()
	require.NoError(t, err)
	m2, err := Parse(out, "tagged.yaml")
	require.NoError(t, err)
	assert.Equal(t, f.Values, m2.Object("patients").Field("tags").Values)
	assert.Equal(t, UnknownWarn, m2.Object("patients").Field("tags").Unknown)
	var review bytes.Buffer
	require.NoError(t, m.WriteReview(&review, ReviewOptions{}))
	assert.Contains(t, review.String(), "Values of `tags` (unknown values: left out, with a warning on the record)")
	for _, c := range cohorts {
		assert.Contains(t, review.String(), "- `"+string(c.ID)+"` → `"+CohortTag(c)+"`")
	}

	// A renamed tag survives drafting again; the table follows the cohorts.
	f.Values[0].To = "vip"
	require.NoError(t, m.TagCohorts(cohorts))
	f = m.Object("patients").Field("tags")
	assert.Equal(t, "vip", f.Values[0].To)
	assert.Len(t, f.Values, len(cohorts))
	n := 0
	for _, g := range m.Object("patients").Fields {
		if g.To == "tags" {
			n++
		}
	}
	assert.Equal(t, 1, n, "drafting again adds no second rule")
	f.Values[0].To = CohortTag(cohorts[0])

	require.NoError(t, m.Approve("test", time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)))
	a, err := NewApplier(m, ApplierOptions{})
	require.NoError(t, err)
	tagged := 0
	for pt := range p.Patients() {
		if len(pt.CohortIDs) == 0 || pt.Status == pbn.PatientStatusDeleted {
			continue
		}
		tagged++
		ps, err := a.Apply("patients", Struct(pt))
		require.NoError(t, err)
		require.Len(t, ps, 1)
		v, ok := ps[0].Field("tags")
		require.True(t, ok, "patient %s has cohorts", pt.ID)
		var want []string
		for _, id := range pt.CohortIDs {
			for _, c := range cohorts {
				if c.ID == id {
					want = append(want, CohortTag(c))
				}
			}
		}
		assert.Equal(t, want, v.List, "patient %s", pt.ID)
		in, err := (Inputs{}).Contact(&Payload{Target: TargetContact, Fields: []Value{v}})
		require.NoError(t, err)
		assert.Equal(t, want, in.Tags, "the contact is written with the tags")
	}
	require.Positive(t, tagged, "pbntest patients belong to cohorts")

	// A cohort made in PbN after the draft: left out, with a warning.
	var pt pbn.Patient
	for x := range p.Patients() {
		if len(x.CohortIDs) > 0 && x.Status != pbn.PatientStatusDeleted {
			pt = x
			break
		}
	}
	pt.CohortIDs = append([]pbn.Key{"999"}, pt.CohortIDs...)
	ps, err := a.Apply("patients", Struct(pt))
	require.NoError(t, err)
	assert.True(t, ps[0].Valid(), "an unlisted cohort does not hold the contact back")
	v, _ := ps[0].Field("tags")
	assert.Len(t, v.List, len(pt.CohortIDs)-1)
	assert.NotContains(t, v.List, "999")
	var warned bool
	for _, pr := range ps[0].Problems {
		if pr.Field == "tags" && pr.Rule == RuleUnknownValue {
			warned = true
			assert.Equal(t, Warning, pr.Severity)
			assert.NotContains(t, pr.Reason, "999")
		}
	}
	assert.True(t, warned, "the unlisted cohort is said")

	// Without a contact object for patients there is nothing to tag.
	empty := &Map{}
	assert.ErrorIs(t, empty.TagCohorts(cohorts), ErrNoPatientContacts)
	assert.NoError(t, empty.TagCohorts(nil), "no cohorts, no change")
}

// TestSplitListNumbers: a source id list is written with numeric keys as
// numbers ([3,"A-7"]); each item is read as text.
func TestSplitListNumbers(t *testing.T) {
	assert.Equal(t, []string{"3", "A-7", "0042"}, splitList(`[3,"A-7","0042"," "]`))
	assert.Equal(t, []string{"a", "b"}, splitList(`["a","b"]`))
	assert.Equal(t, []string{`[1,{"x":2}]`}, splitList(`[1,{"x":2}]`), "not a list of values: kept whole")
	assert.Equal(t, []string{"a,b"}, splitList("a,b"))
	assert.Nil(t, splitList("  "))
}
