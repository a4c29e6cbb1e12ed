package rollback

import (
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// simRecord is a source record of the resume simulation: valid and
// accepted, invalid (our validation refuses it), or refused by the
// destination (422).
type simRecord struct {
	key      string
	modified time.Time
	invalid  bool
	refused  bool
}

// simRunner journals the records the way the migration runner does, and
// can die after a given number of intents: before the call (nothing
// applied) or after it (applied, outcome never journaled).
type simRunner struct {
	path    string
	records []simRecord
	dest    map[string]string // source key → destination id: what was applied
	next    int
}

func (s *simRunner) open(t *testing.T) *Ledger {
	return openTest(t, s.path, Options{Now: time.Now})
}

// attempt is one process: settle what an earlier one left pending (look
// the record up), take the run up (or begin it), journal every record not
// yet mapped, finish. killAt > 0 kills the process at that intent; applied
// says whether that call reached the destination. It reports whether the
// attempt finished.
func (s *simRunner) attempt(t *testing.T, run RunID, killAt int, applied bool) (RunID, bool) {
	ctx := context.Background()
	l := s.open(t)
	defer l.Close() // a killed process finishes nothing; its handle goes away
	for e, err := range l.Pending(ctx, true) {
		require.NoError(t, err)
		o := Rejected(0, "not applied: not found by lookup after an interruption")
		if id, ok := s.dest[e.SourceKey]; ok {
			o = Done(id)
		}
		require.NoError(t, l.Outcome(ctx, e.Run, e.Seq, o))
	}
	var (
		r   *Run
		err error
	)
	if run == 0 {
		r, err = l.BeginRun(ctx, RunOptions{Kind: KindFull})
	} else {
		r, err = l.ResumeRun(ctx, run)
	}
	require.NoError(t, err)
	intents := 0
	var last time.Time
	for _, rec := range s.records {
		last = rec.modified
		if rec.invalid {
			require.NoError(t, r.Invalid(ctx, Invalid{Entity: "patient", SourceKey: rec.key, SourceModified: rec.modified,
				Reasons: []string{"last_name: required"}}))
			continue
		}
		if _, ok, err := l.Lookup(ctx, TypeContact, rec.key); err != nil || ok {
			require.NoError(t, err)
			continue // done by an earlier attempt
		}
		seq, err := r.Intent(ctx, Intent{Op: OpCreate, ObjectType: TypeContact, Entity: "patient", SourceKey: rec.key,
			SourceModified: rec.modified, Payload: []byte(`{"firstName":"X"}`)})
		require.NoError(t, err)
		intents++
		if intents == killAt {
			if applied && !rec.refused {
				s.apply(rec.key)
			}
			return r.ID(), false
		}
		if rec.refused {
			require.NoError(t, r.Outcome(ctx, seq, Rejected(422, "email: invalid format")))
			continue
		}
		require.NoError(t, r.Outcome(ctx, seq, Done(s.apply(rec.key))))
	}
	_, err = r.Advance(ctx, "patient", last.Add(time.Second))
	require.NoError(t, err)
	require.NoError(t, r.Finish(ctx, StatusSucceeded))
	return r.ID(), true
}

func (s *simRunner) apply(key string) string {
	s.next++
	id := fmt.Sprintf("hl%04d", s.next)
	s.dest[key] = id
	return id
}

// outcomeOf is what must agree between an interrupted and an uninterrupted
// run: the run's counters (records, not attempts), its problems CSV
// without the time column, the destination and the watermark.
type outcomeOf struct {
	Done, Rejected, Invalid, Unknown, Pending int64
	Status                                    RunStatus
	Problems                                  []string
	Applied                                   int
	Watermark                                 time.Time
}

func (s *simRunner) outcome(t *testing.T, run RunID) outcomeOf {
	ctx := context.Background()
	l := s.open(t)
	defer l.Close()
	ri, err := l.Run(ctx, run)
	require.NoError(t, err)
	c := ri.Counters
	assert.Equal(t, c.Intents, c.Done+c.Rejected+c.Retried+c.Unknown+c.Pending+c.Superseded, "every entry counted once: %+v", c)
	var buf strings.Builder
	require.NoError(t, l.WriteProblemsCSV(ctx, &buf))
	rows, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	require.NoError(t, err)
	var problems []string
	for _, row := range rows[1:] {
		problems = append(problems, strings.Join(row[:len(row)-1], ",")) // without "at"
	}
	wm, _, err := l.Watermark(ctx, "patient")
	require.NoError(t, err)
	return outcomeOf{Done: c.Done, Rejected: c.Rejected, Invalid: c.Invalid, Unknown: c.Unknown, Pending: c.Pending,
		Status: ri.Status, Problems: problems, Applied: len(s.dest), Watermark: wm}
}

func simRecords(rng *rand.Rand, n int) []simRecord {
	out := make([]simRecord, n)
	for i := range out {
		out[i] = simRecord{key: fmt.Sprintf("p%03d", i), modified: testBase.Add(time.Duration(i) * time.Minute)}
		switch rng.IntN(10) {
		case 0:
			out[i].invalid = true
		case 1:
			out[i].refused = true
		}
	}
	return out
}

// TestResumedRunCountsLikeUninterrupted: a run killed 30 times at random
// intents (half of the calls applied before the kill, half not) and
// resumed until it finishes ends with the counters, problems CSV,
// destination and watermark of the same run done in one go: a record found
// after an interruption is done, never also rejected; a "not applied"
// record later created is not rejected; a record refused or invalid in
// every attempt is one row, counted once.
func TestResumedRunCountsLikeUninterrupted(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		seeds := []uint64{1, 2, 3}
		if testing.Short() {
			seeds = seeds[:1]
		}
		for _, seed := range seeds {
			t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 99))
				records := simRecords(rng, 120)

				clean := &simRunner{path: filepath.Join(t.TempDir(), "clean.db"), records: records, dest: map[string]string{}}
				cleanRun, finished := clean.attempt(t, 0, 0, false)
				require.True(t, finished)
				want := clean.outcome(t, cleanRun)
				require.NotZero(t, want.Rejected)
				require.NotZero(t, want.Invalid)

				s := &simRunner{path: filepath.Join(t.TempDir(), "killed.db"), records: records, dest: map[string]string{}}
				var run RunID
				kills := 0
				for kills < 30 {
					var done bool
					run, done = s.attempt(t, run, 1+rng.IntN(6), rng.IntN(2) == 0)
					require.False(t, done, "the kill must land before the end")
					kills++
				}
				for attempts := 0; ; attempts++ {
					require.Less(t, attempts, 3)
					var done bool
					if run, done = s.attempt(t, run, 0, false); done {
						break
					}
				}
				got := s.outcome(t, run)
				assert.Equal(t, want, got)
				assert.Len(t, slices.Compact(slices.Sorted(slices.Values(got.Problems))), len(got.Problems), "no record twice")
			})
		}
	})
}

// TestInvalidThenDoneInOneRun: a record invalid in a first attempt and
// loaded by a resumed attempt (fixed at the source meanwhile) is done, not
// invalid; one invalid in both attempts is one row.
func TestInvalidThenDoneInOneRun(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		run, err := l.BeginRun(ctx, RunOptions{Kind: KindFull})
		require.NoError(t, err)
		for range 2 {
			for _, k := range []string{"p1", "p2"} {
				require.NoError(t, run.Invalid(ctx, Invalid{Entity: "patient", SourceKey: k, Reasons: []string{"email: format"}}))
			}
		}
		seq, err := run.Intent(ctx, Intent{Op: OpCreate, ObjectType: TypeContact, Entity: "patient", SourceKey: "p1"})
		require.NoError(t, err)
		require.NoError(t, run.Outcome(ctx, seq, Done("c1")))
		ri, err := l.Run(ctx, run.ID())
		require.NoError(t, err)
		assert.Equal(t, int64(1), ri.Counters.Invalid)
		var keys []string
		for p, err := range l.Problems(ctx) {
			require.NoError(t, err)
			keys = append(keys, string(p.Kind)+":"+p.SourceKey)
		}
		assert.Equal(t, []string{"invalid:p2"}, keys)
	})
}

// TestProblemsOneRowPerRecordAcrossRuns: a record invalid or refused in
// two runs is one row (the latest run's); one refused and loaded by a
// later run is no problem, even listing the earlier run alone; rows
// without a source key are never merged.
func TestProblemsOneRowPerRecordAcrossRuns(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		var runs []*Run
		for range 2 {
			r, err := l.BeginRun(ctx, RunOptions{Kind: KindDelta})
			require.NoError(t, err)
			require.NoError(t, r.Invalid(ctx, Invalid{Entity: "patient", SourceKey: "inv", Reasons: []string{"email: format"}}))
			require.NoError(t, r.Invalid(ctx, Invalid{Entity: "patient", Reasons: []string{"row: unreadable"}}))
			seq, err := r.Intent(ctx, Intent{Op: OpCreate, ObjectType: TypeContact, Entity: "patient", SourceKey: "ref"})
			require.NoError(t, err)
			require.NoError(t, r.Outcome(ctx, seq, Rejected(422, "phone: format")))
			runs = append(runs, r)
		}
		seq, err := runs[0].Intent(ctx, Intent{Op: OpCreate, ObjectType: TypeContact, Entity: "patient", SourceKey: "fixed"})
		require.NoError(t, err)
		require.NoError(t, runs[0].Outcome(ctx, seq, Rejected(422, "email: format")))
		seq, err = runs[1].Intent(ctx, Intent{Op: OpCreate, ObjectType: TypeContact, Entity: "patient", SourceKey: "fixed"})
		require.NoError(t, err)
		require.NoError(t, runs[1].Outcome(ctx, seq, Done("c1")))

		rows := func(ids ...RunID) []string {
			var out []string
			for p, err := range l.Problems(ctx, ids...) {
				require.NoError(t, err)
				out = append(out, fmt.Sprintf("%s:%s:%d", p.Kind, p.SourceKey, p.Run))
			}
			return out
		}
		r1, r2 := runs[0].ID(), runs[1].ID()
		assert.ElementsMatch(t, []string{
			fmt.Sprintf("invalid::%d", r1), fmt.Sprintf("invalid::%d", r2), fmt.Sprintf("invalid:inv:%d", r2),
			fmt.Sprintf("rejected:ref:%d", r2),
		}, rows())
		assert.ElementsMatch(t, []string{
			fmt.Sprintf("invalid::%d", r1), fmt.Sprintf("invalid:inv:%d", r1), fmt.Sprintf("rejected:ref:%d", r1),
		}, rows(r1), "the record loaded by run 2 is no problem of run 1 either")
		for i, r := range runs {
			ri, err := l.Run(ctx, r.ID())
			require.NoError(t, err)
			assert.Equal(t, int64(2), ri.Counters.Invalid, "run %d: per run, each counts its own", i)
		}
	})
}
