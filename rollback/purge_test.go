package rollback

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Planted patient data: none of it may survive a Purge anywhere in the file.
var plantedPHI = []string{"Zebulon", "Quartermain", "zq.patient@phi.example", "Penicillin allergy noted at molar extraction", "+15550142857"}

// phiScenario journals a run that holds the planted values in payloads and
// before-images: a create, an update of a record that existed (its
// before-image holds the old values), a note, and a rejected create.
func phiScenario(t *testing.T, l *Ledger, dst *memTarget) (run RunID, existing, created string) {
	t.Helper()
	ctx := context.Background()
	existing = dst.create("contact", map[string]any{"firstName": "Zebulon", "lastName": "Quartermain", "phone": "+15550142857"})
	g := begin(t, l, dst, KindFull)
	created = g.create("contact", "p1", map[string]any{"firstName": "Zebulon", "email": "zq.patient@phi.example"})
	g.update("contact", "p0", existing, map[string]any{"lastName": "Quartermain-Smith", "phone": "+15550100000"})
	g.create("note", "n1", map[string]any{"body": "Penicillin allergy noted at molar extraction"})
	seq, err := g.run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: "p2", Payload: []byte(`{"lastName":"Quartermain"}`)})
	require.NoError(t, err)
	require.NoError(t, g.run.Outcome(ctx, seq, Rejected(422, "email: invalid")))
	require.NoError(t, g.run.Finish(ctx, StatusSucceeded))
	return g.run.ID(), existing, created
}

// scanTables reads every column of every row of every table of the file
// and returns the planted values found.
func scanTables(t *testing.T, l *Ledger) []string {
	t.Helper()
	db := rawDB(t, l)
	var tables []string
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if l.pg != nil {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	rows, err := db.Query(q)
	require.NoError(t, err)
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		tables = append(tables, n)
	}
	require.NoError(t, rows.Err())
	rows.Close()
	require.Contains(t, tables, "journal")
	var found []string
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		require.NoError(t, err)
		cols, err := rows.Columns()
		require.NoError(t, err)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			for i, v := range vals {
				text := fmt.Sprint(v)
				if b, ok := v.([]byte); ok {
					text = string(b)
				}
				for _, phi := range plantedPHI {
					if bytes.Contains([]byte(text), []byte(phi)) {
						found = append(found, table+"."+cols[i]+": "+phi)
					}
				}
			}
		}
		require.NoError(t, rows.Err())
		rows.Close()
	}
	return found
}

// scanFiles returns the planted values found in the raw bytes of the
// ledger and its -wal and -shm files; on PostgreSQL, in the files of the
// ledger's database in the test cluster's data directory, after a
// CHECKPOINT has written every dirty page out (the server's WAL is its
// own: see the package doc).
func scanFiles(t *testing.T, l *Ledger) []string {
	t.Helper()
	paths := []string{l.path, l.path + "-wal", l.path + "-shm", l.path + "-journal"}
	if l.pg != nil {
		paths = pgDatabaseFiles(t, l.pg.cfg.ConnString())
	}
	var found []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		for _, phi := range plantedPHI {
			if bytes.Contains(b, []byte(phi)) {
				found = append(found, p+": "+phi)
			}
		}
	}
	return found
}

func TestPurgeLeavesNoPHIInTheFile(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{}) // in clear, so that the raw bytes tell
		dst := newMemTarget()
		run, _, _ := phiScenario(t, l, dst)
		require.NotEmpty(t, scanTables(t, l), "the scan must see the planted values before the purge")
		require.NotEmpty(t, scanFiles(t, l))
		before := collect(t, l.Entries(ctx, EntryFilter{}))
		mapBefore := collect(t, l.IDMap(ctx, TypeContact))

		rep, err := l.Purge(ctx, PurgeOptions{Runs: []RunID{run}})
		require.NoError(t, err)
		assert.Equal(t, []RunID{run}, rep.Runs)
		assert.Equal(t, int64(4), rep.Payloads, "the create, the update, the note and the rejected create")
		assert.Equal(t, int64(1), rep.BeforeImages)
		assert.Equal(t, int64(1), rep.Unrestorable, "the update of the record that existed")
		assert.Positive(t, rep.SizeBefore)
		assert.Positive(t, rep.SizeAfter)

		assert.Empty(t, scanTables(t, l), "no table or column holds a planted value")
		assert.Empty(t, scanFiles(t, l), "nor do the file's bytes after VACUUM (free pages, WAL)")

		// Ids, digests, outcomes, the id map and the runs stay.
		after := collect(t, l.Entries(ctx, EntryFilter{}))
		require.Len(t, after, len(before))
		for i, e := range after {
			assert.Equal(t, before[i].PayloadDigest, e.PayloadDigest)
			assert.Equal(t, before[i].Outcome, e.Outcome)
			assert.Equal(t, before[i].HighLevelID, e.HighLevelID)
			assert.Equal(t, before[i].SourceKey, e.SourceKey)
			assert.False(t, e.HasPayload())
			assert.False(t, e.HasBefore())
		}
		assert.Equal(t, mapBefore, collect(t, l.IDMap(ctx, TypeContact)))
		ri, err := l.Run(ctx, run)
		require.NoError(t, err)
		assert.Equal(t, StatusSucceeded, ri.Status)
		var audit bytes.Buffer
		require.NoError(t, l.WriteAuditJSONL(ctx, &audit, ExportOptions{IncludePHI: true}))
		assert.Contains(t, audit.String(), `"payload_digest":"sha256:`)
		info, err := l.Info(ctx)
		require.NoError(t, err)
		assert.Zero(t, info.PlaintextEntries)

		// Idempotent: nothing more to drop.
		again, err := l.Purge(ctx, PurgeOptions{Runs: []RunID{run}})
		require.NoError(t, err)
		assert.Zero(t, again.Payloads+again.BeforeImages+again.Unrestorable)

		require.NoError(t, l.Close())
		assert.Empty(t, scanFiles(t, l), "closed file")
	})
}

func TestPurgeEncryptedLedger(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{Key: testKey(4)})
		run, _, _ := phiScenario(t, l, newMemTarget())
		// With a key nothing is in clear even before a purge.
		assert.Empty(t, scanTables(t, l), "every value is sealed")
		assert.Empty(t, scanFiles(t, l))
		es := collect(t, l.Entries(ctx, EntryFilter{}))
		p, err := l.Payload(ctx, es[0])
		require.NoError(t, err)
		require.Contains(t, string(p), "Zebulon", "the scan would see it in clear")
		rep, err := l.Purge(ctx, PurgeOptions{Runs: []RunID{run}})
		require.NoError(t, err)
		assert.Equal(t, int64(4), rep.Payloads)
		for _, e := range collect(t, l.Entries(ctx, EntryFilter{})) {
			assert.False(t, e.HasPayload() || e.HasBefore())
		}
		assert.Empty(t, scanTables(t, l))
	})
}

func TestUndoOfAPurgedRunSaysWhatItCannotDo(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		dst := newMemTarget()
		run, existing, created := phiScenario(t, l, dst)
		rep, err := l.Purge(ctx, PurgeOptions{Runs: []RunID{run}})
		require.NoError(t, err)

		preview, err := Undo(ctx, l, dst, UndoOptions{Runs: []RunID{run}, DryRun: true})
		require.NoError(t, err)
		assert.Equal(t, int(rep.Unrestorable), preview.Count(StateIrreversible), "%+v", preview.Compensations)
		// The update cannot be restored; the creates cannot be change-checked.
		assert.Equal(t, 3, preview.Purged())
		for _, c := range preview.Compensations {
			switch c.Ref.ID {
			case existing:
				assert.Equal(t, ActionRestore, c.Action)
				assert.Equal(t, StateIrreversible, c.State)
				assert.Contains(t, c.Reason, "purged")
				assert.Contains(t, c.Reason, "can no longer restore")
			case created:
				assert.Equal(t, StateRefused, c.State)
				assert.Contains(t, c.Reason, "Force")
			}
			for _, phi := range plantedPHI {
				assert.NotContains(t, c.Reason, phi)
			}
		}

		// Forced, the creates are deleted; the update stays unrestorable.
		forced, err := Undo(ctx, l, dst, UndoOptions{Runs: []RunID{run}, Force: true})
		require.NoError(t, err)
		assert.Equal(t, 2, forced.Count(StateDone), "%+v", forced.Compensations)
		assert.Equal(t, 1, forced.Count(StateIrreversible))
		assert.Equal(t, 1, forced.Purged())
		assert.Equal(t, "Quartermain-Smith", dst.get("contact", existing)["lastName"], "not restored: its before-image is gone")
		assert.Nil(t, dst.get("contact", created))
	})
}

func TestPurgeRefuses(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		_, err := l.Purge(ctx, PurgeOptions{})
		var ia *InvalidArgumentError
		require.ErrorAs(t, err, &ia)
		_, err = l.Purge(ctx, PurgeOptions{Runs: []RunID{42}})
		require.ErrorIs(t, err, ErrNoRun)

		run, err := l.BeginRun(ctx, RunOptions{Kind: KindFull})
		require.NoError(t, err)
		seq, err := run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: "p1", Payload: []byte(`{"firstName":"Zebulon"}`)})
		require.NoError(t, err)
		_, err = l.Purge(ctx, PurgeOptions{Runs: []RunID{run.ID()}})
		require.ErrorIs(t, err, ErrPurgeUnsettled, "a running run")
		require.NoError(t, run.Outcome(ctx, seq, Unknown("timeout")))
		require.NoError(t, run.Finish(ctx, StatusFailed))
		_, err = l.Purge(ctx, PurgeOptions{Runs: []RunID{run.ID()}})
		require.ErrorIs(t, err, ErrPurgeUnsettled, "an unknown outcome needs its payload to be settled")
		assert.NotEmpty(t, scanTables(t, l), "nothing was dropped")

		require.NoError(t, l.Outcome(ctx, run.ID(), seq, Done("c1")))
		_, err = l.Purge(ctx, PurgeOptions{Runs: []RunID{run.ID()}})
		require.NoError(t, err)
		assert.Empty(t, scanTables(t, l))
		require.NoError(t, l.Close())

		ro := openTest(t, l.path, Options{ReadOnly: true})
		_, err = ro.Purge(ctx, PurgeOptions{Runs: []RunID{run.ID()}})
		require.ErrorIs(t, err, ErrReadOnly)
	})
}

// TestPurgeTakesTheUndoOfItsRuns: an Undo's restore journals the
// before-image as its payload; purging the undone run drops that too.
func TestPurgeTakesTheUndoOfItsRuns(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		dst := newMemTarget()
		run, _, _ := phiScenario(t, l, dst)
		undo, err := Undo(ctx, l, dst, UndoOptions{Runs: []RunID{run}})
		require.NoError(t, err)
		require.True(t, undo.Complete(), "%+v", undo.Compensations)
		_, ok, err := l.PurgedAt(ctx, run)
		require.NoError(t, err)
		assert.False(t, ok)

		rep, err := l.Purge(ctx, PurgeOptions{Runs: []RunID{run}})
		require.NoError(t, err)
		assert.Equal(t, int64(5), rep.Payloads, "four of the run, the restore's")
		assert.Equal(t, int64(2), rep.BeforeImages, "the update's, the restore's")
		assert.Zero(t, rep.Unrestorable, "the update was already restored")
		assert.Empty(t, scanTables(t, l))
		assert.Empty(t, scanFiles(t, l))
		at, ok, err := l.PurgedAt(ctx, run)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.False(t, at.IsZero())
		_, ok, err = l.PurgedAt(ctx, undo.Run)
		require.NoError(t, err)
		assert.False(t, ok, "only the run named is recorded as purged")
	})
}

// TestUndoPreviewOnAReadOnlyLedger: a read-only command (undo -dry-run)
// can plan an Undo on a ReadOnly handle; the real Undo is refused.
func TestUndoPreviewOnAReadOnlyLedger(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		dst := newMemTarget()
		run, _, _ := phiScenario(t, l, dst)
		require.NoError(t, l.Close())
		ro := openTest(t, l.path, Options{ReadOnly: true})
		preview, err := Undo(ctx, ro, dst, UndoOptions{Runs: []RunID{run}, DryRun: true})
		require.NoError(t, err)
		assert.Len(t, preview.Compensations, 3, "%+v", preview.Compensations)
		assert.Zero(t, dst.calls)
		_, err = Undo(ctx, ro, dst, UndoOptions{Runs: []RunID{run}})
		require.ErrorIs(t, err, ErrReadOnly)
		assert.Zero(t, dst.calls)
	})
}
