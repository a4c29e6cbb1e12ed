package pbnhl_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/rollback"
)

var createOps = []string{"contacts.create", "businesses.create", "objects.records.create", "opportunities.create",
	"contacts.notes.create", "contacts.tasks.create"}

// A lost ledger is recovered by Adopt: a new ledger is refused, adopts the
// location without writing to it, and a run with it then creates nothing
// that exists (0 new contacts, no duplicate anywhere); Undo with it removes
// the migration, because the location's custom value proves it is its.
func TestAdoptRecoversLostLedger(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{patients: 15})
	migrate(t, e, nil)
	midA := migrationIDOf(t, e.ledger)
	want := e.fingerprint()
	contacts := len(e.hl.Contacts(hltest.DefaultLocationID))
	require.NotZero(t, contacts)

	b := openNamedLedger(t, "recovered.ledger")
	mb := e.migration(func(o *pbnhl.Options) { o.Ledger = b })
	_, err := mb.Load(ctx)
	require.ErrorIs(t, err, pbnhl.ErrLedgerMismatch)
	assert.Contains(t, err.Error(), midA)

	e.resetCounts()
	rep, err := mb.Adopt(ctx)
	require.NoError(t, err)
	for _, op := range createOps {
		assert.Zero(t, e.opCount(op), "Adopt writes nothing: %s", op)
	}
	assert.Zero(t, e.opCount("contacts.update")+e.opCount("objects.records.update")+e.opCount("opportunities.update"))
	assert.Equal(t, midA, rep.MigrationID)
	assert.True(t, rep.Owned)
	assert.Equal(t, contacts, rep.Found[rollback.TypeContact])
	assert.NotZero(t, rep.Found[rollback.TypeBusiness])
	assert.NotZero(t, rep.Found[rollback.TypeOpportunity])
	assert.NotZero(t, rep.Found[rollback.TypeNote])
	assert.Empty(t, rep.Duplicates)
	// Every record the lost ledger mapped is mapped again, to the same id.
	for _, typ := range []string{rollback.TypeContact, rollback.TypeBusiness, rollback.TypeOpportunity, rollback.TypeNote, rollback.TypeTask} {
		n := 0
		for mp, err := range e.ledger.IDMap(ctx, typ) {
			require.NoError(t, err)
			got, ok, err := b.Lookup(ctx, typ, mp.SourceKey)
			require.NoError(t, err)
			require.True(t, ok, "%s %s", typ, mp.SourceKey)
			assert.Equal(t, mp.HighLevelID, got.HighLevelID)
			n++
		}
		assert.Equal(t, n, rep.Found[typ], typ)
	}
	runs, err := b.Runs(ctx)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, rollback.KindAdopt, runs[0].Kind)
	assert.Equal(t, rollback.StatusSucceeded, runs[0].Status)

	// The adopted ledger passes the check, and a run creates no duplicate.
	e.resetCounts()
	mb = e.migration(func(o *pbnhl.Options) { o.Ledger = b })
	_, err = mb.Load(ctx)
	require.NoError(t, err)
	for _, op := range createOps {
		assert.Zero(t, e.opCount(op), "nothing created again: %s", op)
	}
	assert.Equal(t, contacts, len(e.hl.Contacts(hltest.DefaultLocationID)))
	assert.Empty(t, e.identityDuplicates())
	assert.Equal(t, want, e.fingerprint(), "the location is as the lost ledger left it")
	// A second Adopt finds everything known.
	rep2, err := mb.Adopt(ctx)
	require.NoError(t, err)
	assert.Empty(t, rep2.Found)
	assert.Equal(t, contacts, rep2.Known[rollback.TypeContact])

	// Undo with the recovered ledger deletes what the migration the
	// location names made, as the lost ledger would have.
	urep, err := mb.Undo(ctx, pbnhl.UndoOptions{})
	require.NoError(t, err, "%+v", urep)
	assert.Empty(t, e.hl.Contacts(hltest.DefaultLocationID), "the custom value proved the contacts are the migration's")
}

// Without the location's custom value, nothing proves whose the records
// are: Adopt records them as adopted, a run creates nothing again, and
// Undo leaves them in place.
func TestAdoptWithoutCustomValueNeverDeletes(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{patients: 8})
	migrate(t, e, nil)
	cv := locationIdentity(t, e)
	require.NotNil(t, cv)
	require.NoError(t, e.client.CustomValues.Delete(ctx, cv.ID))
	contacts := len(e.hl.Contacts(hltest.DefaultLocationID))

	b := openNamedLedger(t, "b.ledger")
	mb := e.migration(func(o *pbnhl.Options) { o.Ledger = b })
	rep, err := mb.Adopt(ctx)
	require.NoError(t, err)
	assert.False(t, rep.Owned)
	assert.Empty(t, rep.MigrationID)
	assert.Equal(t, contacts, rep.Found[rollback.TypeContact])
	mp, ok, err := b.Lookup(ctx, rollback.TypeContact, firstKey(t, e))
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, rollback.OriginAdopted, mp.Origin)

	e.resetCounts()
	_, err = mb.Load(ctx)
	require.NoError(t, err)
	assert.Zero(t, e.opCount("contacts.create"))
	assert.NotNil(t, locationIdentity(t, e), "the adopting ledger claims the location on its first write")
	assert.Empty(t, e.identityDuplicates())

	_, err = mb.Undo(ctx, pbnhl.UndoOptions{})
	require.NoError(t, err)
	assert.Len(t, e.hl.Contacts(hltest.DefaultLocationID), contacts, "adopted contacts are left in place")
}

// An Adopt interrupted before it settled what it found blocks the phases
// until Adopt runs again.
func TestInterruptedAdoptBlocksPhases(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{patients: 5})
	migrate(t, e, nil)
	b := openNamedLedger(t, "b.ledger")
	r, err := b.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindAdopt, Location: hltest.DefaultLocationID, Actor: "test"})
	require.NoError(t, err)
	_, err = r.Intent(ctx, rollback.Intent{Op: rollback.OpCreate, ObjectType: rollback.TypeContact, SourceKey: firstKey(t, e)})
	require.NoError(t, err)
	mb := e.migration(func(o *pbnhl.Options) { o.Ledger = b })
	_, err = mb.Load(ctx)
	require.ErrorIs(t, err, pbnhl.ErrAdoptInterrupted)
	rep, err := mb.Adopt(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Settled)
	e.resetCounts()
	_, err = mb.Load(ctx)
	require.NoError(t, err)
	assert.Zero(t, e.opCount("contacts.create"))
	assert.Empty(t, e.identityDuplicates())
}

// firstKey is the source key of one contact the env's ledger mapped.
func firstKey(t *testing.T, e *env) string {
	t.Helper()
	for mp, err := range e.ledger.IDMap(context.Background(), rollback.TypeContact) {
		require.NoError(t, err)
		return mp.SourceKey
	}
	t.Fatal("no contact mapped")
	return ""
}

// A ledger that adopted a location writes under the migration the
// location names (identity lines included), so a ledger lost after that
// is recovered as completely: A samples, B adopts and loads the rest, C
// adopts after B is lost and creates nothing again.
func TestAdoptChainKeepsOneMigration(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{patients: 12, notes: true})
	a := e.migration(nil)
	_, err := a.ApplySchema(ctx)
	require.NoError(t, err)
	_, err = a.Sample(ctx, pbnhl.SampleOptions{Patients: 3})
	require.NoError(t, err)
	midA := migrationIDOf(t, e.ledger)

	b := openNamedLedger(t, "b.ledger")
	mb := e.migration(func(o *pbnhl.Options) { o.Ledger = b })
	_, err = mb.Adopt(ctx)
	require.NoError(t, err)
	e.resetCounts()
	_, err = mb.Load(ctx)
	require.NoError(t, err)
	require.NotZero(t, e.opCount("contacts.notes.create"), "B loads what the sample left")
	cv := locationIdentity(t, e)
	require.NotNil(t, cv)
	assert.Equal(t, midA+" migration.ledger", cv.Value, "the location still names one migration")
	notes := e.hl.Count(hltest.DefaultLocationID, hltest.KindNote)

	c := openNamedLedger(t, "c.ledger")
	mc := e.migration(func(o *pbnhl.Options) { o.Ledger = c })
	rep, err := mc.Adopt(ctx)
	require.NoError(t, err)
	assert.Equal(t, notes, rep.Found[rollback.TypeNote], "B's notes carry the migration's identity line")
	e.resetCounts()
	_, err = mc.Load(ctx)
	require.NoError(t, err)
	for _, op := range createOps {
		assert.Zero(t, e.opCount(op), "nothing created again: %s", op)
	}
	assert.Equal(t, notes, e.hl.Count(hltest.DefaultLocationID, hltest.KindNote))
	assert.Empty(t, e.identityDuplicates())
}
