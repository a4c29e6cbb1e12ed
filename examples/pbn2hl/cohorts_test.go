package main

import (
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
)

// TestProposeTagsCohorts (issue 16.5): propose drafts the practice's
// cohort membership as contact tags — the patients' tags rule with one
// value per cohort, in the map and its review, said on stderr — and a run
// of that map tags each member's contact with its cohorts' tags. It
// drafts providers and hygienists as people too (Map.NameStaff).
func TestProposeTagsCohorts(t *testing.T) {
	r := newRig(t, 12, 0)
	mapPath, ledger := r.path("map.yaml"), r.path("migration.ledger")
	led := r.led(ledger)
	code, _, errOut := r.run(append([]string{"propose", "-from", "default", "-out", mapPath, "-review", r.path("review.md")}, r.srcArgs()...)...)
	require.Equal(t, exitOK, code, errOut)
	cohorts := r.pbn.Practice().Cohorts()
	require.NotEmpty(t, cohorts)
	assert.Contains(t, errOut, "cohorts → contact tags")

	m, err := mapping.Load(mapPath)
	require.NoError(t, err)
	f := m.Object("patients").Field("tags")
	require.NotNil(t, f, "the draft carries the cohorts")
	assert.Equal(t, mapping.CohortsField, f.From)
	require.Len(t, f.Values, len(cohorts))
	review, err := os.ReadFile(r.path("review.md"))
	require.NoError(t, err)
	for i, c := range cohorts {
		assert.Equal(t, mapping.Pair{From: string(c.ID), To: mapping.CohortTag(c)}, f.Values[i])
		assert.Contains(t, string(review), "`"+mapping.CohortTag(c)+"`", "the review lists cohort %s's tag", c.ID)
	}

	// Providers as people: the staff named beside each provider id.
	assert.Contains(t, errOut, "staff named on 3 provider/hygienist fields")
	staff := r.pbn.Practice().Staff()
	for _, obj := range []string{"appointments", "procedures"} {
		pf := m.Object(obj).Field("provider")
		require.NotNil(t, pf, "%s name their provider", obj)
		require.Len(t, pf.Values, len(staff))
		assert.Equal(t, mapping.Pair{From: string(staff[0].ID), To: mapping.StaffName(staff[0])}, pf.Values[0])
	}
	assert.NotNil(t, m.Object("appointments").Field("hygienist"))

	r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	r.mustRun(append(append([]string{"schema", "-apply", "-new-ledger", "-map", mapPath}, led...), append(r.srcArgs(), r.hlArgs()...)...)...)
	r.mustRun(append(append([]string{"run", "-map", mapPath}, led...), append(r.srcArgs(), r.hlArgs()...)...)...)

	tags := map[string]string{}
	for _, c := range cohorts {
		tags[string(c.ID)] = mapping.CohortTag(c)
	}
	all := slices.Collect(maps.Values(tags))
	var tagged int
	for _, ct := range r.hl.Contacts(hltest.DefaultLocationID) {
		for _, tg := range ct.Tags {
			assert.True(t, slices.Contains(all, tg), "contact %s: tag %q is a cohort's", ct.ID, tg)
			tagged++
		}
	}
	assert.Positive(t, tagged, "members' contacts carry their cohorts' tags")
}
