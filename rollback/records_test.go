package rollback

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// TestInflightUntilRoundTrip: the in-flight horizon journaled with an
// intent comes back on the pending entry (how a resume decides whether a
// lookup may settle it yet), survives a reopen, and is zero when not given.
func TestInflightUntilRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		path := newLocation(t)
		l := openTest(t, path, Options{})
		run, err := l.BeginRun(ctx, RunOptions{Kind: KindFull})
		require.NoError(t, err)
		horizon := time.Date(2026, 12, 4, 13, 31, 2, 123456789, time.UTC)
		seq, err := run.Intent(ctx, Intent{Op: OpCreate, ObjectType: TypeContact, SourceKey: "p1", Payload: []byte(`{}`), InflightUntil: horizon})
		require.NoError(t, err)
		_, err = run.Intent(ctx, Intent{Op: OpCreate, ObjectType: TypeContact, SourceKey: "p2", Payload: []byte(`{}`)})
		require.NoError(t, err)
		require.NoError(t, l.Close())

		l = openTest(t, path, Options{})
		pending := collect(t, l.Pending(ctx, true))
		require.Len(t, pending, 2)
		assert.Equal(t, seq, pending[0].Seq)
		assert.True(t, horizon.Equal(pending[0].InflightUntil), "got %v", pending[0].InflightUntil)
		assert.True(t, pending[1].InflightUntil.IsZero())

		// It stays on the entry once settled (the audit trail shows when the
		// lookup was allowed).
		require.NoError(t, l.Outcome(ctx, run.ID(), seq, Done("c1")))
		done := collect(t, l.Entries(ctx, EntryFilter{Outcomes: []OutcomeStatus{OutcomeDone}}))
		require.Len(t, done, 1)
		assert.True(t, horizon.Equal(done[0].InflightUntil))
	})
}

// newHLCalls is newHL with a record of every call the client made.
func newHLCalls(t *testing.T, faults ...hltest.FaultRule) (*hltest.Server, *highlevel.Client, *callLog) {
	t.Helper()
	s := hltest.NewServer(hltest.Options{RateLimit: hltest.RateLimit{Max: 1_000_000, Window: time.Second, Daily: 1_000_000_000}, Seed: 7})
	t.Cleanup(s.Close)
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Name: hltest.DefaultLocationID, Requests: 100_000, Window: time.Second, Margin: -1})
	require.NoError(t, err)
	log := &callLog{}
	c, err := highlevel.NewClient(highlevel.Options{
		BaseURL: s.URL, LocationID: hltest.DefaultLocationID, Auth: highlevel.StaticToken(hltest.DefaultToken),
		Limiter: lim, Retry: highlevel.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond},
		OnCall: log.add,
	})
	require.NoError(t, err)
	if len(faults) > 0 {
		s.SetFaults(faults...)
	}
	return s, c, log
}

type callLog struct {
	mu    sync.Mutex
	calls []highlevel.Call
}

func (c *callLog) add(call highlevel.Call) {
	c.mu.Lock()
	c.calls = append(c.calls, call)
	c.mu.Unlock()
}

// count returns how many calls had this method and a path ending in suffix.
func (c *callLog) count(method, suffix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, call := range c.calls {
		if call.Method == method && strings.HasSuffix(call.Path, suffix) {
			n++
		}
	}
	return n
}

func (c *callLog) reset() {
	c.mu.Lock()
	c.calls = nil
	c.mu.Unlock()
}

// TestUndoNeverDeletesAdopted: a run adopts two contacts that existed
// before it (a create settled by finding them), updates one of them, and
// creates a third. Undo deletes only the one it created, restores the
// updated adopted contact to its pre-run state, leaves the other alone and
// says so — and never sends a DELETE for an adopted contact.
func TestUndoNeverDeletesAdopted(t *testing.T) { forConcurrency(t, undoNeverDeletesAdopted) }

func undoNeverDeletesAdopted(t *testing.T, conc int) {
	ctx := context.Background()
	s, c, calls := newHLCalls(t)
	l := openTest(t, "", Options{})
	kept, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Kept", Email: "kept@example.com"})
	require.NoError(t, err)
	edited, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Edited", Email: "edited@example.com", Tags: []string{"vip"}})
	require.NoError(t, err)
	pre := state(t, s)

	run, err := l.BeginRun(ctx, RunOptions{Kind: KindFull, Location: hltest.DefaultLocationID})
	require.NoError(t, err)
	for key, id := range map[string]string{"p1": kept.ID, "p2": edited.ID} {
		seq, err := run.Intent(ctx, Intent{Op: OpCreate, ObjectType: TypeContact, SourceKey: key, Payload: []byte(`{"firstName":"X"}`)})
		require.NoError(t, err)
		require.NoError(t, run.Outcome(ctx, seq, Adopted(id)))
	}
	got, err := c.Contacts.Get(ctx, edited.ID)
	before := beforeImage(t, got, err)
	upd := highlevel.ContactUpdate{LastName: highlevel.Ptr("Migrated"), Tags: []string{"vip", "pbn"}}
	hlRunner{t, run}.do(Intent{Op: OpUpdate, ObjectType: TypeContact, SourceKey: "p2", TargetID: edited.ID, Before: before}, upd, func() (string, error) {
		_, err := c.Contacts.Update(ctx, edited.ID, upd)
		return edited.ID, err
	})
	in := highlevel.ContactInput{FirstName: "New", Email: "new@example.com"}
	created := hlRunner{t, run}.do(Intent{Op: OpCreate, ObjectType: TypeContact, SourceKey: "p3"}, in, func() (string, error) {
		ct, err := c.Contacts.Create(ctx, in)
		if err != nil {
			return "", err
		}
		return ct.ID, nil
	})
	require.NoError(t, run.Finish(ctx, StatusSucceeded))

	for key, want := range map[string]Origin{"p1": OriginAdopted, "p2": OriginAdopted, "p3": OriginCreated} {
		m, ok, err := l.Lookup(ctx, TypeContact, key)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, want, m.Origin, key)
	}

	calls.reset()
	report, err := Undo(ctx, l, NewHighLevelTarget(c), UndoOptions{Runs: []RunID{run.ID()}, Concurrency: conc})
	require.NoError(t, err)
	require.True(t, report.Complete(), "%+v", report.Compensations)
	assert.Equal(t, 0, calls.count("DELETE", "/contacts/"+kept.ID), "adopted contact never deleted")
	assert.Equal(t, 0, calls.count("DELETE", "/contacts/"+edited.ID), "adopted contact never deleted")
	assert.Equal(t, 1, calls.count("DELETE", "/contacts/"+created), "the created contact is deleted")
	states := map[string]CompensationState{}
	for _, comp := range report.Compensations {
		states[comp.Ref.ID] = comp.State
	}
	assert.Equal(t, StateLeftInPlace, states[kept.ID])
	assert.Equal(t, StateDone, states[edited.ID])
	assert.Equal(t, StateDone, states[created])
	assert.Equal(t, 1, report.Count(StateLeftInPlace))
	assert.Equal(t, pre, state(t, s), "the location is as it was before the run")

	// Forced, too: Force overrides change checks, never origins.
	calls.reset()
	again, err := Undo(ctx, l, NewHighLevelTarget(c), UndoOptions{Runs: []RunID{run.ID()}, Concurrency: conc, Force: true})
	require.NoError(t, err)
	assert.Equal(t, 0, calls.count("DELETE", ""), "%+v", again.Compensations)
}

// TestAdoptedOutcomeValidation: only a done outcome adopts.
func TestAdoptedOutcomeValidation(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		require.NoError(t, validOutcome(Adopted("x")))
		var ia *InvalidArgumentError
		require.ErrorAs(t, validOutcome(Outcome{Status: OutcomeRejected, Origin: OriginAdopted}), &ia)
		require.ErrorAs(t, validOutcome(Outcome{Status: OutcomeDone, Origin: "borrowed"}), &ia)
	})
}

// TestDryRunKeepsItsProblemsApart: a dry run records its invalid records
// in a run of its own kind; real problem listings leave it out unless it
// is named, and it can journal no call and move no watermark.
func TestDryRunKeepsItsProblemsApart(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		dry, err := l.BeginRun(ctx, RunOptions{Kind: RunKindDryRun, Location: "loc"})
		require.NoError(t, err)
		require.NoError(t, dry.Invalid(ctx, Invalid{Entity: "patient", SourceKey: "p1", Reasons: []string{"last_name: required"}}))
		_, err = dry.Intent(ctx, Intent{Op: OpCreate, ObjectType: TypeContact, SourceKey: "p2"})
		var ia *InvalidArgumentError
		require.ErrorAs(t, err, &ia, "a dry run journals no call")
		_, err = dry.Advance(ctx, "patient", testBase)
		require.ErrorAs(t, err, &ia, "a dry run moves no watermark")
		require.NoError(t, dry.Finish(ctx, StatusSucceeded))

		full, err := l.BeginRun(ctx, RunOptions{Kind: KindFull, Location: "loc"})
		require.NoError(t, err)
		require.NoError(t, full.Invalid(ctx, Invalid{Entity: "patient", SourceKey: "p3", Reasons: []string{"email: format"}}))
		require.NoError(t, full.Finish(ctx, StatusSucceeded))

		keys := func(runs ...RunID) []string {
			var out []string
			for p, err := range l.Problems(ctx, runs...) {
				require.NoError(t, err)
				out = append(out, p.Run.String()+":"+p.SourceKey)
			}
			return out
		}
		assert.Equal(t, []string{full.ID().String() + ":p3"}, keys(), "real totals leave the dry run out")
		assert.Equal(t, []string{dry.ID().String() + ":p1"}, keys(dry.ID()), "named, its problems are there")
		var csv strings.Builder
		require.NoError(t, l.WriteProblemsCSV(ctx, &csv))
		assert.NotContains(t, csv.String(), "p1")

		ri, err := l.Run(ctx, dry.ID())
		require.NoError(t, err)
		assert.Equal(t, KindDryRun, ri.Kind)
		assert.Equal(t, int64(1), ri.Counters.Invalid)
		assert.Equal(t, int64(0), ri.Counters.Intents)
	})
}
