package pbnhl_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// Issue 11.5: 7 of ~151 treatment plans failed with "Can not create
// duplicate opportunity for the contact"; preflight did not check the
// setting. With it off, preflight says so and what to change; with it on,
// nothing blocks; the run then creates every plan.
func TestPreflightLocationDuplicateSettings(t *testing.T) {
	e := newEnv(t, envOptions{patients: 60, seed: 5})
	ctx := context.Background()
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)

	pre, err := m.Preflight(ctx)
	require.NoError(t, err)
	require.True(t, pre.Ready(), pre.Blocking)
	require.NotNil(t, pre.LocationSettings)
	assert.True(t, pre.LocationSettings.AllowDuplicateOpportunity)
	assert.Empty(t, blockersOf(pre, pbnhl.BlockLocation))

	require.NoError(t, e.hl.UpdateLocation(hltest.DefaultLocationID, func(l *hltest.Location) {
		l.AllowDuplicateOpportunities = false
		l.AllowDuplicates = false
	}))
	pre, err = m.Preflight(ctx)
	require.NoError(t, err)
	require.False(t, pre.Ready())
	loc := blockersOf(pre, pbnhl.BlockLocation)
	require.Len(t, loc, 2, pre.Blocking)
	opp, dup := loc[0], loc[1]
	assert.Equal(t, "treatment_plans", opp.Object)
	assert.Contains(t, opp.Reason, "does not allow duplicate opportunities")
	assert.Contains(t, opp.Reason, "several treatment_plans in one pipeline")
	assert.Contains(t, opp.Fix, "Allow Duplicate Opportunity")
	assert.Contains(t, opp.Fix, "one opportunity per pipeline")
	assert.Equal(t, "patients", dup.Object)
	assert.Contains(t, dup.Reason, "does not allow duplicate contacts")
	assert.Contains(t, dup.Fix, "Allow Duplicate Contact")

	var text strings.Builder
	require.NoError(t, pre.WriteText(&text))
	assert.Contains(t, text.String(), "duplicate opportunities allowed: false")
	for p := range e.pbn.Practice().Patients() {
		for _, s := range []string{p.Email, p.MobilePhone, p.HomePhone} {
			if len(s) > 5 {
				assert.NotContains(t, text.String(), s, "no value in the report")
			}
		}
	}

	// Only duplicate opportunities off: only that blocks.
	require.NoError(t, e.hl.UpdateLocation(hltest.DefaultLocationID, func(l *hltest.Location) { l.AllowDuplicates = true }))
	pre, err = m.Preflight(ctx)
	require.NoError(t, err)
	loc = blockersOf(pre, pbnhl.BlockLocation)
	require.Len(t, loc, 1, pre.Blocking)
	assert.Contains(t, loc[0].Reason, "HighLevel would refuse")
}

// A location whose settings cannot be read leaves a warning naming what to
// check by hand; it does not block.
func TestPreflightLocationUnreadable(t *testing.T) {
	e := newEnv(t, envOptions{patients: 20, seed: 5,
		faults: []hltest.FaultRule{{Route: "GET /locations/{locationId}", ServerErrorRate: 1}}})
	ctx := context.Background()
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	pre, err := m.Preflight(ctx)
	require.NoError(t, err)
	assert.True(t, pre.Ready(), pre.Blocking)
	assert.Nil(t, pre.LocationSettings)
	require.Len(t, pre.Warnings, 1)
	assert.Contains(t, pre.Warnings[0], "could not be read (HighLevel answered HTTP 5")
	assert.Contains(t, pre.Warnings[0], "Allow Duplicate Opportunity")
	var text strings.Builder
	require.NoError(t, pre.WriteText(&text))
	assert.Contains(t, text.String(), "Warning: the location's settings could not be read")
}
