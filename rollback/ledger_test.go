package rollback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testBase = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// tickClock returns a clock that advances one millisecond per reading, so
// exports are deterministic.
func tickClock() func() time.Time {
	var n atomic.Int64
	return func() time.Time { return testBase.Add(time.Duration(n.Add(1)) * time.Millisecond) }
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openTest(t testing.TB, path string, opts Options) *Ledger {
	t.Helper()
	if path == "" {
		path = newLocation(t)
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	if opts.Now == nil {
		opts.Now = tickClock()
	}
	if opts.Key == nil && opts.KeyProvider == nil && !opts.ReadOnly {
		opts.Plaintext = true // tests choose clear storage unless they give a key
	}
	l, err := Open(context.Background(), path, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// rawDB is a second handle on the ledger's file, for tampering in tests
// (the ledger's own write handle belongs to its writer goroutine).
func rawDB(t testing.TB, l *Ledger) *sql.DB {
	t.Helper()
	if l.pg != nil {
		db := l.pg.db(false)
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	db, err := sql.Open("sqlite", dsn(l.path, Options{BusyTimeout: 5 * time.Second}, false))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func collect[T any](t testing.TB, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

func TestOpenCreatesCurrentSchema(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		require.Len(t, migrations, SchemaVersion)
		l := openTest(t, "", Options{})
		info, err := l.Info(context.Background())
		require.NoError(t, err)
		assert.Equal(t, SchemaVersion, info.SchemaVersion)
		assert.Equal(t, 0, info.MigratedFrom)
		assert.Equal(t, "none", info.Encryption)
		assert.False(t, l.Encrypted())
	})
}

func TestOpenValidatesOptions(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		for name, tc := range map[string]struct {
			path string
			opts Options
		}{
			"empty path":    {"", Options{}},
			"short key":     {newLocation(t), Options{Key: []byte("short")}},
			"key and store": {newLocation(t), Options{Key: testKey(1), KeyProvider: StaticKey(testKey(2))}},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := Open(ctx, tc.path, tc.opts)
				var ia *InvalidArgumentError
				require.ErrorAs(t, err, &ia)
			})
		}
	})
}

// TestMigrateFromVersion1 writes a ledger the way schema version 1 did and
// opens it with the current library: data survives, new columns get defaults.
func TestMigrateFromVersion1(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		path := newLocation(t)
		old, err := Open(ctx, path, Options{schemaVersion: 1, Plaintext: true, Logger: quietLogger()})
		require.NoError(t, err)
		_, err = old.write.ExecContext(ctx, `INSERT INTO runs(id, kind, location, started_at, status) VALUES(1, 'full', 'loc1', 1, 'running')`)
		require.NoError(t, err)
		_, err = old.write.ExecContext(ctx, `INSERT INTO journal(run, seq, op, object_type, source_key, payload_digest, payload, intent_at, outcome, hl_id, outcome_at)
		VALUES(1, 1, 'create', 'contact', 'p1', 'sha256:x', '{"firstName":"A"}', 2, 'done', 'c1', 3),
		      (1, 2, 'create', 'contact', 'p2', '', NULL, 4, NULL, '', NULL)`)
		require.NoError(t, err)
		_, err = old.write.ExecContext(ctx, `INSERT INTO idmap(object_type, source_key, hl_id, digest, run, updated_at) VALUES('contact', 'p1', 'c1', 'sha256:x', 1, 3)`)
		require.NoError(t, err)
		var v int
		if old.pg != nil {
			v, err = pgSchemaVersion(ctx, old.read)
			require.NoError(t, err)
		} else {
			require.NoError(t, old.read.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v))
		}
		require.Equal(t, 1, v)
		require.NoError(t, old.Close())

		l := openTest(t, path, Options{})
		info, err := l.Info(ctx)
		require.NoError(t, err)
		assert.Equal(t, SchemaVersion, info.SchemaVersion)
		assert.Equal(t, 1, info.MigratedFrom)

		m, ok, err := l.Lookup(ctx, "contact", "p1")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "c1", m.HighLevelID)

		pending := collect(t, l.Pending(ctx, false))
		require.Len(t, pending, 1)
		assert.Equal(t, "p2", pending[0].SourceKey)
		assert.Equal(t, "", pending[0].Entity, "pre-v2 rows have no entity")

		// The old run can be resumed and journaled into with the new columns.
		run, err := l.ResumeRun(ctx, 1)
		require.NoError(t, err)
		seq, err := run.Intent(ctx, Intent{Op: OpLink, ObjectType: "relation", TargetID: "c1", RelatedID: "r1"})
		require.NoError(t, err)
		assert.Equal(t, Seq(3), seq)
		require.NoError(t, run.Outcome(ctx, seq, Done("rel1")))
	})
}

func TestOpenRejectsNewerSchema(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		sqliteOnly(t, "sets PRAGMA user_version on the file (PostgreSQL: TestPostgresSchemaTooNew)")
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "new.db")
		db, err := sql.Open("sqlite", path)
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, `PRAGMA user_version = 99`)
		require.NoError(t, err)
		require.NoError(t, db.Close())
		_, err = Open(ctx, path, Options{Plaintext: true, Logger: quietLogger()})
		require.ErrorIs(t, err, ErrSchemaTooNew)
	})
}

// TestCrashLeavesPending simulates a crash between intent and outcome: the
// process ends (ledger closed without outcomes) and a new process finds the
// intents in Pending, resolves them, and they are gone from Pending.
func TestCrashLeavesPending(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		path := newLocation(t)
		l := openTest(t, path, Options{})
		run, err := l.BeginRun(ctx, RunOptions{Kind: KindFull, Location: "loc"})
		require.NoError(t, err)
		s1, err := run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: "p1", Payload: []byte(`{"a":1}`)})
		require.NoError(t, err)
		require.NoError(t, run.Outcome(ctx, s1, Done("c1")))
		s2, err := run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: "p2", Payload: []byte(`{"a":2}`)})
		require.NoError(t, err)
		s3, err := run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: "p3"})
		require.NoError(t, err)
		require.NoError(t, run.Outcome(ctx, s3, Unknown("timeout")))
		// Crash: the process dies here; its file is all that is left.
		require.NoError(t, l.Close())

		l2 := openTest(t, path, Options{})
		pending := collect(t, l2.Pending(ctx, false))
		require.Len(t, pending, 1)
		assert.Equal(t, s2, pending[0].Seq)
		assert.Equal(t, "p2", pending[0].SourceKey)
		assert.Equal(t, OutcomePending, pending[0].Outcome)
		withUnknown := collect(t, l2.Pending(ctx, true))
		require.Len(t, withUnknown, 2)

		ri, err := l2.Run(ctx, run.ID())
		require.NoError(t, err)
		assert.Equal(t, StatusRunning, ri.Status)
		assert.Equal(t, Counters{Intents: 3, Done: 1, Unknown: 1, Pending: 1}, ri.Counters)

		// Resolution: p2 was found at the destination, p3 was not applied.
		require.NoError(t, l2.Outcome(ctx, run.ID(), s2, Done("c2")))
		require.NoError(t, l2.Outcome(ctx, run.ID(), s3, Rejected(0, "not applied: resolved by lookup")))
		assert.Empty(t, collect(t, l2.Pending(ctx, true)))

		err = l2.Outcome(ctx, run.ID(), s2, Done("c2"))
		require.ErrorIs(t, err, ErrOutcomeFinal)
		err = l2.Outcome(ctx, run.ID(), 99, Done("x"))
		require.ErrorIs(t, err, ErrNoIntent)

		m, ok, err := l2.Lookup(ctx, "contact", "p2")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "c2", m.HighLevelID)
		assert.Equal(t, Digest([]byte(`{"a":2}`)), m.Digest)

		resumed, err := l2.ResumeRun(ctx, run.ID())
		require.NoError(t, err)
		s4, err := resumed.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: "p4"})
		require.NoError(t, err)
		assert.Equal(t, Seq(4), s4)
		require.NoError(t, resumed.Finish(ctx, StatusSucceeded))
		_, err = resumed.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact"})
		require.ErrorIs(t, err, ErrRunFinished)
	})
}

func TestIntentValidation(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		run, err := l.BeginRun(ctx, RunOptions{Kind: KindFull})
		require.NoError(t, err)
		for name, in := range map[string]Intent{
			"unknown op":        {Op: "upsert", ObjectType: "contact"},
			"no object type":    {Op: OpCreate},
			"update without id": {Op: OpUpdate, ObjectType: "contact", Before: []byte(`{}`)},
			"update no before":  {Op: OpUpdate, ObjectType: "contact", TargetID: "c1"},
			"delete without id": {Op: OpDelete, ObjectType: "contact"},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := run.Intent(ctx, in)
				var ia *InvalidArgumentError
				require.ErrorAs(t, err, &ia)
			})
		}
		_, err = l.BeginRun(ctx, RunOptions{Kind: "bogus"})
		require.Error(t, err)
		require.Error(t, l.Outcome(ctx, run.ID(), 1, Outcome{Status: "maybe"}))
		require.Error(t, run.Finish(ctx, StatusRunning))
	})
}

func TestIDMapTracksLastWrite(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		r1, err := l.BeginRun(ctx, RunOptions{Kind: KindFull})
		require.NoError(t, err)
		s, err := r1.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: "p1", Payload: []byte(`{"firstName":"A"}`)})
		require.NoError(t, err)
		require.NoError(t, r1.Outcome(ctx, s, Done("c1")))
		// A rejected write does not touch the id map.
		s, err = r1.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: "p2", Payload: []byte(`{}`)})
		require.NoError(t, err)
		require.NoError(t, r1.Outcome(ctx, s, Rejected(422, "email: invalid format")))

		r2, err := l.BeginRun(ctx, RunOptions{Kind: KindDelta})
		require.NoError(t, err)
		s, err = r2.Intent(ctx, Intent{Op: OpUpdate, ObjectType: "contact", SourceKey: "p1", TargetID: "c1",
			Payload: []byte(`{"firstName":"B"}`), Before: []byte(`{"firstName":"A"}`)})
		require.NoError(t, err)
		require.NoError(t, r2.Outcome(ctx, s, Done("")))

		m, ok, err := l.Lookup(ctx, "contact", "p1")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "c1", m.HighLevelID)
		assert.Equal(t, r2.ID(), m.Run)
		assert.Equal(t, Digest([]byte(`{ "firstName" : "B" }`)), m.Digest)
		_, ok, err = l.Lookup(ctx, "contact", "p2")
		require.NoError(t, err)
		assert.False(t, ok)
		all := collect(t, l.IDMap(ctx, ""))
		require.Len(t, all, 1)
		assert.Len(t, collect(t, l.IDMap(ctx, "business")), 0)
	})
}

func TestWatermarkStopsAtFailure(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		run, err := l.BeginRun(ctx, RunOptions{Kind: KindDelta})
		require.NoError(t, err)
		at := func(h int) time.Time { return testBase.Add(time.Duration(h) * time.Hour) }
		journal := func(key string, h int, o *Outcome) {
			s, err := run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", Entity: "patient", SourceKey: key, SourceModified: at(h)})
			require.NoError(t, err)
			if o != nil {
				require.NoError(t, run.Outcome(ctx, s, *o))
			}
		}
		done := Done("x")
		journal("a", 1, &done)
		journal("b", 2, &done)
		wm, err := run.Advance(ctx, "patient", at(2))
		require.NoError(t, err)
		assert.Equal(t, at(2), wm)

		rejected := Rejected(422, "phone: invalid")
		journal("c", 3, &rejected)
		journal("d", 4, &done)
		wm, err = run.Advance(ctx, "patient", at(4))
		require.NoError(t, err)
		assert.Equal(t, at(3), wm, "never past the rejected record")

		require.NoError(t, run.Invalid(ctx, Invalid{Entity: "appointment", SourceKey: "ap1", SourceModified: at(5), Reasons: []string{"start: missing"}}))
		wm, err = run.Advance(ctx, "appointment", at(9))
		require.NoError(t, err)
		assert.Equal(t, at(5), wm, "never past an invalid record")

		journal("e", 6, nil) // in flight: no outcome yet
		wm, err = run.Advance(ctx, "patient", at(7))
		require.NoError(t, err)
		assert.Equal(t, at(3), wm)

		got, ok, err := l.Watermark(ctx, "patient")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, at(3), got)
		_, ok, err = l.Watermark(ctx, "insurance")
		require.NoError(t, err)
		assert.False(t, ok)
		_, err = run.Advance(ctx, "", at(1))
		require.Error(t, err)
	})
}

func TestConcurrentWriters(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{Key: testKey(3)})
		const writers, each = 16, 100
		runs := make([]*Run, 4)
		for i := range runs {
			var err error
			runs[i], err = l.BeginRun(ctx, RunOptions{Kind: KindFull})
			require.NoError(t, err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				run := runs[w%len(runs)]
				for i := range each {
					key := string(rune('a'+w)) + "-" + time.Duration(i).String()
					s, err := run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: key, Payload: []byte(`{"k":"` + key + `"}`)})
					if err != nil {
						errs <- err
						return
					}
					if i%10 == 0 {
						continue // leave some pending
					}
					if err := run.Outcome(ctx, s, Done("hl-"+key)); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		var total Counters
		for _, r := range runs {
			ri, err := l.Run(ctx, r.ID())
			require.NoError(t, err)
			total.Intents += ri.Counters.Intents
			total.Done += ri.Counters.Done
			total.Pending += ri.Counters.Pending
		}
		assert.Equal(t, int64(writers*each), total.Intents)
		assert.Equal(t, int64(writers*each*9/10), total.Done)
		assert.Equal(t, int64(writers*each/10), total.Pending)
		assert.Len(t, collect(t, l.IDMap(ctx, "contact")), writers*each*9/10)
		for e, err := range l.Entries(ctx, EntryFilter{Runs: []RunID{runs[0].ID()}}) {
			require.NoError(t, err)
			p, err := l.Payload(ctx, e)
			require.NoError(t, err)
			assert.Contains(t, string(p), e.SourceKey)
		}
	})
}

func TestClosedLedger(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		run, err := l.BeginRun(ctx, RunOptions{Kind: KindFull})
		require.NoError(t, err)
		require.NoError(t, l.Close())
		require.NoError(t, l.Close())
		_, err = run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact"})
		require.ErrorIs(t, err, ErrClosed)
		_, err = l.BeginRun(ctx, RunOptions{Kind: KindFull})
		require.ErrorIs(t, err, ErrClosed)
		_, _, err = l.Lookup(ctx, "contact", "x")
		require.ErrorIs(t, err, ErrClosed)
		for _, err := range l.Pending(ctx, false) {
			require.ErrorIs(t, err, ErrClosed)
		}
	})
}

func TestCanceledContext(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		l := openTest(t, "", Options{})
		run, err := l.BeginRun(context.Background(), RunOptions{Kind: KindFull})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err = run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact"})
		require.True(t, errors.Is(err, context.Canceled))
	})
}

func TestFileIsSQLiteWAL(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		sqliteOnly(t, "WAL mode and its -wal file")
		path := filepath.Join(t.TempDir(), "wal.db")
		l := openTest(t, path, Options{})
		_, err := l.BeginRun(context.Background(), RunOptions{Kind: KindSchema})
		require.NoError(t, err)
		_, err = os.Stat(path + "-wal")
		require.NoError(t, err, "journal_mode=WAL creates the -wal file")
		var mode string
		require.NoError(t, l.read.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
		assert.Equal(t, "wal", mode)
		var fk int
		require.NoError(t, l.read.QueryRow(`PRAGMA foreign_keys`).Scan(&fk))
		assert.Equal(t, 1, fk)
	})
}

// TestTwoHandlesOneFile opens the same file twice (as two processes would)
// and journals through both at once: SQLite's lock and the busy timeout
// serialise the writers, nothing is lost.
func TestTwoHandlesOneFile(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		sqliteOnly(t, "two writable handles on one ledger; PostgreSQL allows one writer (TestPostgresOneWriter)")
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "shared.db")
		a := openTest(t, path, Options{})
		b := openTest(t, path, Options{})
		var wg sync.WaitGroup
		for _, l := range []*Ledger{a, b} {
			run, err := l.BeginRun(ctx, RunOptions{Kind: KindFull})
			require.NoError(t, err)
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 50 {
						seq, err := run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: fmt.Sprint(run.ID(), "-", w, "-", i)})
						assert.NoError(t, err)
						assert.NoError(t, run.Outcome(ctx, seq, Done("x")))
					}
				}()
			}
		}
		wg.Wait()
		runs, err := a.Runs(ctx)
		require.NoError(t, err)
		require.Len(t, runs, 2)
		for _, r := range runs {
			assert.Equal(t, Counters{Intents: 200, Done: 200}, r.Counters)
		}
	})
}

// TestIDMapDropsDeletedRecords: a done delete removes the record's id-map
// row (the id map reflects the last write), whether recorded directly or
// when a pending delete is resolved; rejected or unknown deletes, and
// deletes of another record than the one mapped, leave it. Undo then
// reports the delete as irreversible and the earlier create as gone.
func TestIDMapDropsDeletedRecords(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		dst := newMemTarget()
		full := begin(t, l, dst, KindFull)
		ids := map[string]string{}
		for _, k := range []string{"p1", "p2", "p3", "p4", "p5"} {
			ids[k] = full.create(TypeContact, k, map[string]any{"firstName": k})
		}
		require.NoError(t, full.run.Finish(ctx, StatusSucceeded))

		delta, err := l.BeginRun(ctx, RunOptions{Kind: KindDelta})
		require.NoError(t, err)
		del := func(key, target string, o *Outcome) Seq {
			seq, err := delta.Intent(ctx, Intent{Op: OpDelete, ObjectType: TypeContact, SourceKey: key, TargetID: target,
				Before: []byte(`{"firstName":"` + key + `"}`)})
			require.NoError(t, err)
			if o != nil {
				require.NoError(t, delta.Outcome(ctx, seq, *o))
			}
			return seq
		}
		del("p1", ids["p1"], &Outcome{Status: OutcomeDone, ID: ids["p1"]})
		del("p2", ids["p2"], &Outcome{Status: OutcomeDone}) // the id from the intent's target
		del("p3", ids["p3"], &Outcome{Status: OutcomeRejected, HTTPStatus: 403, Reason: "forbidden"})
		pending := del("p4", ids["p4"], nil)
		del("p5", "some-older-record", &Outcome{Status: OutcomeDone, ID: "some-older-record"})
		noKey, err := delta.Intent(ctx, Intent{Op: OpDelete, ObjectType: TypeContact, TargetID: ids["p3"]})
		require.NoError(t, err)

		mapped := func(key string) bool {
			_, ok, err := l.Lookup(ctx, TypeContact, key)
			require.NoError(t, err)
			return ok
		}
		assert.False(t, mapped("p1"), "a done delete removes the row")
		assert.False(t, mapped("p2"))
		assert.True(t, mapped("p3"), "a rejected delete changed nothing")
		assert.True(t, mapped("p4"), "a pending delete may not have happened")
		assert.True(t, mapped("p5"), "the delete was of another record than the one mapped")

		require.NoError(t, l.Outcome(ctx, delta.ID(), pending, Unknown("timeout")))
		assert.True(t, mapped("p4"), "an unknown delete may not have happened")
		require.NoError(t, l.Outcome(ctx, delta.ID(), pending, Done(ids["p4"])))
		assert.False(t, mapped("p4"), "resolved as done: the row goes")
		require.NoError(t, delta.Outcome(ctx, noKey, Done(ids["p3"])))
		assert.False(t, mapped("p3"), "a delete without source key removes the row by HighLevel id")
		require.NoError(t, delta.Finish(ctx, StatusSucceeded))
		assert.Equal(t, []string{"p5"}, keysOf(collect(t, l.IDMap(ctx, TypeContact))))

		// The delta's deletes cannot be undone; the full run's creates of the
		// deleted records find them gone.
		for _, k := range []string{"p1", "p2", "p3", "p4"} {
			require.NoError(t, dst.Delete(ctx, Ref{ObjectType: TypeContact, ID: ids[k]}))
		}
		rep, err := Undo(ctx, l, dst, UndoOptions{Runs: []RunID{delta.ID()}})
		require.NoError(t, err)
		assert.Equal(t, 5, rep.Count(StateIrreversible), "four deletes and the delete of the unmapped record")
		rep, err = Undo(ctx, l, dst, UndoOptions{Runs: []RunID{full.run.ID()}})
		require.NoError(t, err)
		assert.Equal(t, 4, rep.Count(StateGone))
		assert.Equal(t, 1, rep.Count(StateDone), "p5 deleted")
		assert.Empty(t, collect(t, l.IDMap(ctx, "")))
	})
}

func keysOf(ms []IDMapEntry) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.SourceKey)
	}
	return out
}

func TestOpenNeedsAnExplicitEncryptionChoice(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		sqliteOnly(t, "checks that no file was created (PostgreSQL: the same option check runs before the backend is chosen; TestPostgresMustExist checks nothing is created)")
		ctx := context.Background()
		dir := t.TempDir()
		path := filepath.Join(dir, "l.db")
		_, err := Open(ctx, path, Options{Logger: quietLogger()})
		require.ErrorIs(t, err, ErrNoKey)
		for _, want := range []string{"Options.Key", "Options.KeyProvider", "Options.Plaintext"} {
			assert.Contains(t, err.Error(), want, "the error says how to choose")
		}
		_, statErr := os.Stat(path)
		assert.ErrorIs(t, statErr, os.ErrNotExist, "a refused Open creates nothing")

		_, err = Open(ctx, path, Options{Plaintext: true, Key: testKey(1), Logger: quietLogger()})
		var ia *InvalidArgumentError
		require.ErrorAs(t, err, &ia, "plaintext and a key contradict each other")

		l, err := Open(ctx, path, Options{Plaintext: true, Logger: quietLogger()})
		require.NoError(t, err)
		info, err := l.Info(ctx)
		require.NoError(t, err)
		assert.Equal(t, "none", info.Encryption)
		require.NoError(t, l.Close())

		l, err = Open(ctx, filepath.Join(dir, "k.db"), Options{Key: testKey(1), Logger: quietLogger()})
		require.NoError(t, err)
		info, err = l.Info(ctx)
		require.NoError(t, err)
		assert.Equal(t, "aes-256-gcm", info.Encryption)
		assert.Equal(t, StaticKey(testKey(1)).KeyID(), info.KeyID)
		require.NoError(t, l.Close())
	})
}

func TestMigrationIDMadeOnceAndStable(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		path, otherPath := newLocation(t), newLocation(t)
		id := func(l *Ledger) string {
			t.Helper()
			info, err := l.Info(ctx)
			require.NoError(t, err)
			return info.MigrationID
		}
		l := openTest(t, path, Options{})
		first := id(l)
		assert.Regexp(t, `^[0-9a-f]{32}$`, first, "128 random bits in hex")
		writeSome(t, l)
		require.NoError(t, l.Close())
		for _, opts := range []Options{{}, {ReadOnly: true}, {Key: testKey(3)}, {Key: testKey(3)}} {
			l = openTest(t, path, opts)
			assert.Equal(t, first, id(l), "stable across opens (%+v)", opts.ReadOnly)
			require.NoError(t, l.Close())
		}
		other := openTest(t, otherPath, Options{})
		assert.NotEqual(t, first, id(other), "each ledger has its own")

		// A ledger made before migration ids: none while read-only, one on the
		// first writable open, the same ever after.
		_, err := rawDB(t, other).ExecContext(ctx, `DELETE FROM meta WHERE key = 'migration_id'`)
		require.NoError(t, err)
		require.NoError(t, other.Close())
		ro := openTest(t, otherPath, Options{ReadOnly: true})
		assert.Equal(t, "", id(ro))
		require.NoError(t, ro.Close())
		l = openTest(t, otherPath, Options{})
		made := id(l)
		assert.Regexp(t, `^[0-9a-f]{32}$`, made)
		require.NoError(t, l.Close())
		l = openTest(t, otherPath, Options{})
		assert.Equal(t, made, id(l))
	})
}
