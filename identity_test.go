package pbnhl_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/rollback"
)

// openNamedLedger opens a new, empty ledger named name in a temporary directory.
func openNamedLedger(t *testing.T, name string) *rollback.Ledger {
	t.Helper()
	l, err := rollback.Open(context.Background(), filepath.Join(t.TempDir(), name), rollback.Options{Plaintext: true, Durability: rollback.DurabilityNormal})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func migrationIDOf(t *testing.T, l *rollback.Ledger) string {
	t.Helper()
	info, err := l.Info(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, info.MigrationID)
	return info.MigrationID
}

func locationIdentity(t *testing.T, e *env) *highlevel.CustomValue {
	t.Helper()
	cv, err := e.client.CustomValues.Find(context.Background(), pbnhl.CustomValueName)
	require.NoError(t, err)
	return cv
}

// A typo'd (new, empty) ledger against a loaded location is refused before
// any write, naming the migration and ledger that own the location.
func TestWrongLedgerRefused(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{patients: 12})
	migrate(t, e, nil)
	midA := migrationIDOf(t, e.ledger)
	cv := locationIdentity(t, e)
	require.NotNil(t, cv, "the first write claims the location")
	assert.Equal(t, midA+" migration.ledger", cv.Value, "migration id and the ledger's file name, never its directory")
	contacts := len(e.hl.Contacts(hltest.DefaultLocationID))

	b := openNamedLedger(t, "typo.ledger")
	mb := e.migration(func(o *pbnhl.Options) { o.Ledger = b })
	check := func(err error) {
		t.Helper()
		require.Error(t, err)
		assert.True(t, errors.Is(err, pbnhl.ErrLedgerMismatch), "%v", err)
		var lm *pbnhl.LedgerMismatchError
		require.True(t, errors.As(err, &lm))
		assert.Equal(t, midA, lm.OwnerMigrationID)
		assert.Equal(t, "migration.ledger", lm.OwnerLedger)
		assert.Contains(t, err.Error(), midA)
		assert.Contains(t, err.Error(), "Adopt")
	}
	e.resetCounts()
	_, err := mb.Load(ctx)
	check(err)
	assert.Zero(t, e.opCount("contacts.create"))
	_, err = mb.Sample(ctx, pbnhl.SampleOptions{Patients: 3})
	check(err)
	_, err = mb.ApplySchema(ctx)
	check(err)
	_, err = mb.Delta(ctx)
	require.Error(t, err) // no watermark in the new ledger comes first
	// A dry run is refused too (it would plan a second load), and writes nothing.
	dry := e.migration(func(o *pbnhl.Options) { o.Ledger = b; o.DryRun = true })
	_, err = dry.Load(ctx)
	check(err)
	assert.Equal(t, contacts, len(e.hl.Contacts(hltest.DefaultLocationID)), "nothing written")
	runs, err := b.Runs(ctx)
	require.NoError(t, err)
	assert.Empty(t, runs, "a refused phase records no run")

	// Preflight reads what the phases would refuse.
	pre, err := mb.Preflight(ctx)
	require.NoError(t, err)
	assert.False(t, pre.Ready())
	var blocked bool
	for _, bl := range pre.Blockers {
		if bl.Kind == pbnhl.BlockLedger {
			blocked = true
			assert.Contains(t, bl.Reason, midA)
			assert.Contains(t, bl.Fix, "Adopt")
		}
	}
	assert.True(t, blocked, "%v", pre.Blockers)
	pre, err = e.migration(nil).Preflight(ctx)
	require.NoError(t, err)
	for _, bl := range pre.Blockers {
		assert.NotEqual(t, pbnhl.BlockLedger, bl.Kind, "the owning ledger is not blocked")
	}

	// The owning ledger goes on: one call (the custom values) per phase.
	e.resetCounts()
	rep, err := e.migration(nil).Load(ctx)
	require.NoError(t, err)
	assert.Zero(t, rep.Totals().Written)
	assert.Zero(t, e.opCount("contacts.search"), "a location naming this migration needs no search")
}

// A location loaded before the custom value existed (or whose custom value
// was deleted) holds contacts with external ids: a ledger that knows none
// of them is refused by the one search; the ledger that does claims the
// location again.
func TestUnknownMigratedRecordsRefused(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{patients: 10, exactCounts: true})
	migrate(t, e, nil)
	cv := locationIdentity(t, e)
	require.NotNil(t, cv)
	require.NoError(t, e.client.CustomValues.Delete(ctx, cv.ID))

	b := openNamedLedger(t, "fresh.ledger")
	e.resetCounts()
	_, err := e.migration(func(o *pbnhl.Options) { o.Ledger = b }).Load(ctx)
	require.ErrorIs(t, err, pbnhl.ErrLedgerMismatch)
	var lm *pbnhl.LedgerMismatchError
	require.ErrorAs(t, err, &lm)
	assert.True(t, lm.Unknown)
	assert.Empty(t, lm.OwnerMigrationID)
	assert.Contains(t, err.Error(), "does not know")
	assert.Equal(t, int64(1), e.opCount("contacts.search"), "one search on the external-id field")
	assert.Zero(t, e.opCount("contacts.create"))
	_, err = e.migration(func(o *pbnhl.Options) { o.Ledger = b }).ApplySchema(ctx)
	require.ErrorIs(t, err, pbnhl.ErrLedgerMismatch)
	assert.Nil(t, locationIdentity(t, e), "a refused ledger claims nothing")

	// The ledger that loaded it knows the contact found: it passes and
	// claims the location again.
	_, err = e.migration(nil).Load(ctx)
	require.NoError(t, err)
	cv = locationIdentity(t, e)
	require.NotNil(t, cv)
	assert.True(t, strings.HasPrefix(cv.Value, migrationIDOf(t, e.ledger)+" "))
}

// A dry run checks but never writes the custom value; the first real
// write of a new migration does.
func TestDryRunDoesNotClaim(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{patients: 5})
	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	cv := locationIdentity(t, e)
	require.NotNil(t, cv, "schema apply is the first write")
	require.NoError(t, e.client.CustomValues.Delete(ctx, cv.ID))
	_, err = e.migration(func(o *pbnhl.Options) { o.DryRun = true }).Load(ctx)
	require.NoError(t, err)
	assert.Nil(t, locationIdentity(t, e), "a dry run does not write the custom value")
	_, err = e.migration(nil).Sample(ctx, pbnhl.SampleOptions{Patients: 2})
	require.NoError(t, err)
	assert.NotNil(t, locationIdentity(t, e))
}

// A ledger belongs to one location: its runs name it.
func TestLedgerOfAnotherLocationRefused(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{patients: 3})
	r, err := e.ledger.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindSample, Location: "otherLocation0000001", Actor: "test"})
	require.NoError(t, err)
	require.NoError(t, r.Finish(ctx, rollback.StatusSucceeded))
	_, err = e.migration(nil).ApplySchema(ctx)
	var lm *pbnhl.LedgerMismatchError
	require.ErrorAs(t, err, &lm)
	assert.Equal(t, "otherLocation0000001", lm.OtherLocation)
	assert.Nil(t, locationIdentity(t, e))
}
