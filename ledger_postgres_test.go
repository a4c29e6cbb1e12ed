package pbnhl_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/rollback"
	"github.com/pbnhl/pbnhl/rollback/pgtest"
)

// TestLedgerOnPostgres: a migration whose ledger is on PostgreSQL
// (postgres:// location, issue 20.1) — schema, then the full run in a
// child process killed with SIGKILL mid-run, resumed here once the
// server has freed the dead writer's lock: the final state is the one of
// an uninterrupted run (SQLite ledger), with no duplicate; then Undo of the
// whole migration, schema included, leaves the location as it started
// (what HighLevel cannot delete through its API reported as manual steps).
// The PostgreSQL server is pgtest's: PBNHL_POSTGRES_URL or a throwaway
// local cluster; the test skips only when neither exists.
func TestLedgerOnPostgres(t *testing.T) {
	if os.Getenv(childHL) != "" {
		runChild(t)
		return
	}
	srv, err := pgtest.Start(pgtest.Options{})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	loc := srv.Database(t) // skips without a server

	o := envOptions{patients: size(30), seed: 5}
	want := baseline(t, o) // the same migration on a SQLite ledger, uninterrupted

	o.ledgerPath = loc
	e := newEnv(t, o)
	ctx := context.Background()
	start := e.fingerprint()
	info, err := e.ledger.Info(ctx)
	require.NoError(t, err)
	require.Equal(t, rollback.RedactDSN(loc), info.Path)
	_, err = e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	require.NoError(t, e.ledger.Close())

	cmd := exec.Command(os.Args[0], "-test.run=^TestLedgerOnPostgres$", "-test.count=1")
	cmd.Env = append(os.Environ(), childHL+"="+e.hl.URL, childPBN+"="+e.pbn.URL, childToken+"="+e.pbn.Token(), childLedger+"="+loc)
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(2 * time.Minute)
	for e.hl.Count(hltest.DefaultLocationID, hltest.KindRecord) < size(40) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatal("the child made no progress")
		}
		time.Sleep(time.Millisecond)
	}
	// While the child runs, the ledger has its one writer.
	_, err = rollback.Open(ctx, loc, rollback.Options{Plaintext: true})
	require.ErrorIs(t, err, rollback.ErrLedgerLocked)
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	records := e.hl.Count(hltest.DefaultLocationID, hltest.KindRecord)
	t.Logf("child killed with %d contacts and %d records written", e.hl.Count(hltest.DefaultLocationID, hltest.KindContact), records)
	require.Less(t, records, countRecords(want), "the child must be killed before it finished")

	// The server frees the killed writer's lock once it sees its session end.
	for wait := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		l, err := rollback.Open(ctx, loc, rollback.Options{Plaintext: true, Durability: rollback.DurabilityNormal})
		if err == nil {
			e.ledger = l
			t.Cleanup(func() { _ = l.Close() })
			break
		}
		require.True(t, errors.Is(err, rollback.ErrLedgerLocked) && time.Now().Before(wait), "reopen: %v", err)
	}
	runs, err := e.ledger.Runs(ctx)
	require.NoError(t, err)
	require.Len(t, runs, 2, "the schema run and the killed run")
	_, err = e.migration(nil).Load(ctx)
	require.NoError(t, err)
	assert.Empty(t, e.identityDuplicates())
	checkLinks(t, e)
	assert.Equal(t, want, e.fingerprint(), "same final state as an uninterrupted run")
	assertSettled(t, e)

	// Undo the whole migration, schema included.
	m := e.migration(nil)
	rep, err := m.Undo(ctx, pbnhl.UndoOptions{})
	require.NoError(t, err)
	require.True(t, rep.Reversed(), "%+v", rep.Compensations)
	for _, k := range dataKinds {
		assert.Zero(t, e.hl.Count(hltest.DefaultLocationID, k), "%s left after undo", k)
	}
	rep, err = m.Undo(ctx, pbnhl.UndoOptions{Schema: true})
	require.NoError(t, err)
	require.True(t, rep.Reversed(), "%+v", rep.Compensations)
	for _, c := range rep.ManualSteps() {
		assert.Contains(t, []string{rollback.TypeCustomObject, rollback.TypePipeline}, c.Ref.ObjectType)
	}
	assert.Zero(t, e.hl.Count(hltest.DefaultLocationID, hltest.KindAssociation))
	assert.Zero(t, e.hl.Count(hltest.DefaultLocationID, hltest.KindCustomField)-countObjectPrimaries(e), "custom fields left after the schema undo")
	assert.Equal(t, start, e.fingerprint(), "the location is back where it started")
	runs, err = e.ledger.Runs(ctx)
	require.NoError(t, err)
	for _, r := range runs {
		if r.Kind != rollback.KindUndo {
			assert.Equal(t, rollback.StatusUndone, r.Status, "run %d (%s)", r.ID, r.Kind)
		}
	}
}
