package pbnhl_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// Issue 11.5: 7 of ~151 treatment plans failed with "Can not create
// duplicate opportunity for the contact"; preflight did not check the
// setting. With duplicate contacts off, preflight blocks and says what to
// change; with duplicate opportunities off, it predicts the plans the run
// will hold back (issue 17.2: caught before sending, no call) as a warning
// and in the invalid tally, and does not block on them; with both on,
// nothing is said.
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
	assert.Empty(t, pre.Warnings)
	assert.Zero(t, pre.Validation.Objects()["treatment_plans"].Rules["invalid contactId+pipeline duplicate"])

	require.NoError(t, e.hl.UpdateLocation(hltest.DefaultLocationID, func(l *hltest.Location) {
		l.AllowDuplicateOpportunities = false
		l.AllowDuplicates = false
	}))
	pre, err = m.Preflight(ctx)
	require.NoError(t, err)
	require.False(t, pre.Ready())
	loc := blockersOf(pre, pbnhl.BlockLocation)
	require.Len(t, loc, 1, pre.Blocking)
	dup := loc[0]
	assert.Equal(t, "patients", dup.Object)
	assert.Contains(t, dup.Reason, "does not allow duplicate contacts")
	assert.Contains(t, dup.Fix, "Allow Duplicate Contact")
	held := pre.Validation.Objects()["treatment_plans"].Rules["invalid contactId+pipeline duplicate"]
	require.Positive(t, held)
	require.Len(t, pre.Warnings, 1)
	assert.True(t, strings.HasPrefix(pre.Warnings[0], fmt.Sprintf("%d opportunities (treatment_plans) would duplicate a contact's pipeline", held)), pre.Warnings[0])
	assert.Contains(t, pre.Warnings[0], "Allow Duplicate Opportunity")

	var text strings.Builder
	require.NoError(t, pre.WriteText(&text))
	assert.Contains(t, text.String(), "duplicate opportunities allowed: false")
	assert.Contains(t, text.String(), "would duplicate a contact's pipeline")
	for p := range e.pbn.Practice().Patients() {
		for _, s := range []string{p.Email, p.MobilePhone, p.HomePhone} {
			if len(s) > 5 {
				assert.NotContains(t, text.String(), s, "no value in the report")
			}
		}
	}

	// Only duplicate opportunities off: nothing blocks.
	require.NoError(t, e.hl.UpdateLocation(hltest.DefaultLocationID, func(l *hltest.Location) { l.AllowDuplicates = true }))
	pre, err = m.Preflight(ctx)
	require.NoError(t, err)
	assert.True(t, pre.Ready(), pre.Blocking)
	assert.Empty(t, blockersOf(pre, pbnhl.BlockLocation))
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
