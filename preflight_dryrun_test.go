package pbnhl_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/rollback"
)

// Issue 11.2: a dry run recorded no problems, and neither it nor the run
// said why records were invalid. A dry run records its invalid records in
// a dry-run ledger run, apart from the real runs; both reports carry the
// reasons by frequency.
func TestDryRunRecordsInvalidApart(t *testing.T) {
	e := newEnv(t, envOptions{patients: 20, seed: 21})
	ctx := context.Background()
	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)

	dry, err := e.migration(func(o *pbnhl.Options) { o.DryRun = true; o.AcceptInvalid = true }).Load(ctx)
	require.NoError(t, err)
	assert.True(t, dry.AcceptInvalid)
	require.NotZero(t, dry.DryRunRecord)
	tallies := dry.Invalid.Objects()
	invalid := 0
	for _, o := range dry.Objects {
		invalid += int(o.Invalid)
	}
	require.Positive(t, invalid, "this practice has invalid records (duplicates held back)")
	require.NotEmpty(t, tallies)
	var reasons strings.Builder
	require.NoError(t, dry.Invalid.WriteReasons(&reasons, 5))
	assert.Contains(t, reasons.String(), "patients:")
	assert.Contains(t, reasons.String(), "duplicate")

	info, err := e.ledger.Run(ctx, dry.DryRunRecord)
	require.NoError(t, err)
	assert.Equal(t, rollback.KindDryRun, info.Kind)
	assert.Equal(t, rollback.StatusSucceeded, info.Status)
	var inDry, inReal int
	for p, err := range e.ledger.Problems(ctx, dry.DryRunRecord) {
		require.NoError(t, err)
		assert.Equal(t, rollback.ProblemInvalid, p.Kind)
		inDry++
	}
	for _, err := range e.ledger.Problems(ctx) {
		require.NoError(t, err)
		inReal++
	}
	assert.Positive(t, inDry, "the dry run's invalid records are in its record")
	assert.Zero(t, inReal, "and not among the real runs' problems")
	for _, k := range dataKinds {
		assert.Zero(t, e.hl.Count(hltest.DefaultLocationID, k), "a dry run wrote %s", k)
	}

	// The real run reports the same reasons.
	rep, err := e.migration(nil).Load(ctx)
	require.NoError(t, err)
	assert.Zero(t, rep.DryRunRecord)
	assert.False(t, rep.AcceptInvalid)
	assert.Equal(t, dry.Invalid.InvalidReasons("patients"), rep.Invalid.InvalidReasons("patients"))
	for p, err := range e.ledger.Problems(ctx) {
		require.NoError(t, err)
		assert.NotEqual(t, dry.DryRunRecord, p.Run)
		inReal++
	}
	assert.Positive(t, inReal)
}
