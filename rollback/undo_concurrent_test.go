package rollback

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// undoConcurrencies are the settings every key Undo test runs under: the
// sequential default and what the migration runner passes.
var undoConcurrencies = []int{1, 8}

func forConcurrency(t *testing.T, test func(t *testing.T, conc int)) {
	t.Helper()
	for _, conc := range undoConcurrencies {
		t.Run(fmt.Sprint("concurrency=", conc), func(t *testing.T) { test(t, conc) })
	}
}

// fkTarget is a memTarget with a database's foreign keys: it refuses to
// delete a record something still refers to (a note's contactId, a
// relation's end, a contact's businessId) and a schema element a record
// still carries. It records the order of the calls that succeeded and
// makes the first call wait for a second one, so that a concurrent Undo
// provably overlaps calls.
type fkTarget struct {
	*memTarget
	// expectOverlap makes the first call wait (up to 10 s) for a second
	// one to start, so that a concurrent Undo provably overlaps calls.
	expectOverlap bool

	mu          sync.Mutex
	order       []string // "tier:object type" of each successful call
	entered     int
	inflight    int
	maxIn       int
	overlap     chan struct{} // closed when two calls are in flight
	overlapOnce sync.Once
}

func newFKTarget() *fkTarget {
	return &fkTarget{memTarget: newMemTarget(), overlap: make(chan struct{})}
}

var errReferenced = errors.New("still referenced")

func (f *fkTarget) enter() {
	f.mu.Lock()
	f.entered++
	first := f.entered == 1
	f.inflight++
	f.maxIn = max(f.maxIn, f.inflight)
	if f.inflight >= 2 {
		f.overlapOnce.Do(func() { close(f.overlap) })
	}
	f.mu.Unlock()
	if first && f.expectOverlap {
		select {
		case <-f.overlap:
		case <-time.After(10 * time.Second): // then maxIn stays 1 and the test fails
		}
	}
}

func (f *fkTarget) leave(rank string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inflight--
	if err == nil {
		f.order = append(f.order, rank)
	}
}

// referenced reports whether anything still points at id.
func (f *fkTarget) referenced(id string) bool {
	f.memTarget.mu.Lock()
	defer f.memTarget.mu.Unlock()
	for _, r := range f.relations {
		if r[0] == id || r[1] == id {
			return true
		}
	}
	for _, recs := range f.records {
		for _, rec := range recs {
			if rec["contactId"] == id || rec["businessId"] == id {
				return true
			}
			if _, ok := rec[id]; ok { // a schema field still in use
				return true
			}
		}
	}
	return false
}

func (f *fkTarget) Delete(ctx context.Context, ref Ref) error {
	f.enter()
	var err error
	if f.referenced(ref.ID) {
		err = fmt.Errorf("delete %s %s: %w", ref.ObjectType, ref.ID, errReferenced)
	} else {
		err = f.memTarget.Delete(ctx, ref)
	}
	f.leave(rankOf(ref.ObjectType, ActionDelete), err)
	return err
}

func (f *fkTarget) DeleteSchema(ctx context.Context, ref Ref) error {
	f.enter()
	var err error
	if f.referenced(ref.ID) {
		err = fmt.Errorf("delete schema %s: %w", ref.ID, errReferenced)
	} else {
		err = f.memTarget.DeleteSchema(ctx, ref)
	}
	f.leave(rankOf(ref.ObjectType, ActionDeleteSchema), err)
	return err
}

func (f *fkTarget) Unlink(ctx context.Context, ref Ref) error {
	f.enter()
	err := f.memTarget.Unlink(ctx, ref)
	f.leave(rankOf(ref.ObjectType, ActionUnlink), err)
	return err
}

func (f *fkTarget) Restore(ctx context.Context, ref Ref, before, written []byte) error {
	f.enter()
	err := f.memTarget.Restore(ctx, ref, before, written)
	f.leave(rankOf(ref.ObjectType, ActionRestore), err)
	return err
}

// rankOf is the tier a call must belong to, as "N:type".
func rankOf(objectType string, a Action) string {
	t := tierChildren
	switch {
	case a == ActionDeleteSchema:
		t = tierSchema
	case a == ActionUnlink || objectType == "relation":
		t = tierLinks
	case objectType == "contact":
		t = tierContacts
	case objectType == "business":
		t = tierBusinesses
	}
	return fmt.Sprintf("%d:%s", t, objectType)
}

// practice journals what a migration of n patients does, interleaved as a
// concurrent runner journals it (each patient's contact, note, task,
// opportunity, appointment and relations one after the other), plus
// updates of pre-existing contacts and a business. It returns the state
// before the runs and the runs.
func practice(t *testing.T, l *Ledger, dst *memTarget, n int) (string, []RunID) {
	ctx := context.Background()
	var pre []string
	for i := range 5 {
		pre = append(pre, dst.create("contact", map[string]any{"firstName": fmt.Sprint("Pre", i)}))
	}
	preBiz := dst.create("business", map[string]any{"name": "Existing Co"})
	before := dst.snapshot()

	s := begin(t, l, dst, KindSchema)
	s.schema("pbn_patient_id")
	require.NoError(t, s.run.Finish(ctx, StatusSucceeded))

	g := begin(t, l, dst, KindFull)
	var offices []string
	for i := range 3 {
		offices = append(offices, g.create("business", fmt.Sprint("office-", i), map[string]any{"name": fmt.Sprint("Office ", i)}))
	}
	for i := range n {
		key := fmt.Sprint("p", i)
		c := g.create("contact", key, map[string]any{"firstName": "Patient", "pbn_patient_id": key, "businessId": offices[i%len(offices)]})
		g.create("note", key+"-n", map[string]any{"body": "history", "contactId": c})
		g.create("task", key+"-t", map[string]any{"title": "recall", "contactId": c})
		g.create("opportunity", key+"-o", map[string]any{"name": "Crown", "contactId": c})
		appt := g.create("custom_objects.appointment", key+"-a", map[string]any{"start": "2026-01-01T09:00:00Z"})
		g.link(appt, c)
		g.link(c, offices[i%len(offices)])
		if i < len(pre) {
			g.update("contact", fmt.Sprint("pre-", i), pre[i], map[string]any{"lastName": "Migrated"})
			g.update("contact", fmt.Sprint("pre-", i), pre[i], map[string]any{"phone": "+15555550100"})
		}
	}
	g.update("business", "office-pre", preBiz, map[string]any{"name": "Renamed Co"})
	require.NoError(t, g.run.Finish(ctx, StatusSucceeded))
	return before, []RunID{s.run.ID(), g.run.ID()}
}

// TestUndoConcurrentKeepsTierOrder undoes a practice at concurrency 8
// against a destination with foreign keys: a parent deleted before its
// child (a contact before its note, a business before its contacts, the
// schema field before the contacts carrying it) fails the call, and the
// recorded call order must never go back to an earlier tier.
func TestUndoConcurrentKeepsTierOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		dst := newFKTarget()
		dst.expectOverlap = true
		pre, runs := practice(t, l, dst.memTarget, 30)

		report, err := Undo(ctx, l, dst, UndoOptions{Runs: runs, Concurrency: 8})
		require.NoError(t, err)
		for _, c := range report.Compensations {
			require.Contains(t, []CompensationState{StateDone}, c.State, "%+v", c)
		}
		assert.Equal(t, pre, dst.snapshot())
		assert.Greater(t, dst.maxIn, 1, "calls overlapped")

		require.Len(t, dst.order, len(report.Compensations))
		for i := 1; i < len(dst.order); i++ {
			require.LessOrEqual(t, dst.order[i-1][:1], dst.order[i][:1], "call %d (%s) after %s", i, dst.order[i], dst.order[i-1])
		}
		assert.True(t, strings.HasPrefix(dst.order[len(dst.order)-1], fmt.Sprint(tierSchema)), "schema last")
	})
}

// TestUndoSequentialOrderIsJournalOrder: at concurrency 1 the calls are
// made in the report's order, which is reverse journal order.
func TestUndoSequentialOrderIsJournalOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		dst := newFKTarget()
		pre, runs := practice(t, l, dst.memTarget, 4)
		report, err := Undo(ctx, l, dst, UndoOptions{Runs: runs})
		require.NoError(t, err)
		require.True(t, report.Complete(), "%+v", report.Compensations)
		assert.Equal(t, pre, dst.snapshot())
		assert.Equal(t, 1, dst.maxIn)
		var want []string
		for i, c := range report.Compensations {
			want = append(want, rankOf(c.Ref.ObjectType, c.Action))
			if i > 0 {
				assert.Greater(t, report.Compensations[i-1].Entry, c.Entry)
			}
		}
		assert.Equal(t, want, dst.order)
	})
}

// TestUndoDryRunSameAtAnyConcurrency: the preview is the same list, in the
// same order, whatever the concurrency, and matches what is executed.
func TestUndoDryRunSameAtAnyConcurrency(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		dst := newFKTarget()
		_, runs := practice(t, l, dst.memTarget, 10)
		// Someone edits a contact: both previews must refuse it alike.
		m, ok, err := l.Lookup(ctx, "contact", "p3")
		require.NoError(t, err)
		require.True(t, ok)
		dst.update("contact", m.HighLevelID, map[string]any{"firstName": "Edited"})

		seq, err := Undo(ctx, l, dst, UndoOptions{Runs: runs, DryRun: true})
		require.NoError(t, err)
		par, err := Undo(ctx, l, dst, UndoOptions{Runs: runs, DryRun: true, Concurrency: 8})
		require.NoError(t, err)
		assert.Equal(t, seq, par)
		assert.Equal(t, 1, seq.Count(StateRefused))
		assert.Zero(t, dst.calls)

		done, err := Undo(ctx, l, dst, UndoOptions{Runs: runs, Concurrency: 8})
		require.NoError(t, err)
		require.Len(t, done.Compensations, len(seq.Compensations))
		for i, c := range seq.Compensations {
			assert.Equal(t, c.Entry, done.Compensations[i].Entry)
			assert.Equal(t, c.Action, done.Compensations[i].Action)
		}
		assert.Equal(t, 1, done.Count(StateRefused))
	})
}

// lossyTarget applies calls after the first `ok` ones but then loses their
// responses: it waits for the undo to be cancelled and returns the
// cancellation, like a process killed with calls in flight. The cancel
// fires once `inflight` such calls are waiting.
type lossyTarget struct {
	*memTarget
	mu       sync.Mutex
	ok       int
	lost     int
	inflight int
	cancel   context.CancelFunc
}

func (x *lossyTarget) after(ctx context.Context, err error) error {
	x.mu.Lock()
	if x.ok > 0 || err != nil {
		x.ok--
		x.mu.Unlock()
		return err
	}
	x.lost++
	if x.lost == x.inflight {
		x.cancel()
	}
	x.mu.Unlock()
	<-ctx.Done()
	return ctx.Err()
}

func (x *lossyTarget) Delete(ctx context.Context, ref Ref) error {
	return x.after(ctx, x.memTarget.Delete(ctx, ref))
}

func (x *lossyTarget) Unlink(ctx context.Context, ref Ref) error {
	return x.after(ctx, x.memTarget.Unlink(ctx, ref))
}

func (x *lossyTarget) Restore(ctx context.Context, ref Ref, before, written []byte) error {
	return x.after(ctx, x.memTarget.Restore(ctx, ref, before, written))
}

func (x *lossyTarget) DeleteSchema(ctx context.Context, ref Ref) error {
	return x.after(ctx, x.memTarget.DeleteSchema(ctx, ref))
}

// TestUndoConcurrentInterruptedWithCallsInFlight cancels a concurrent Undo
// while several calls were applied but their responses lost: their
// compensations are journaled unknown, and the next Undo re-executes
// them (idempotently), closes them as superseded, and ends exactly at the
// pre-run state with nothing pending.
func TestUndoConcurrentInterruptedWithCallsInFlight(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		for _, okCalls := range []int{0, 7, 40} {
			t.Run(fmt.Sprint("ok=", okCalls), func(t *testing.T) {
				ctx := context.Background()
				l := openTest(t, "", Options{})
				mem := newMemTarget()
				pre, runs := practice(t, l, mem, 12)
				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				lossy := &lossyTarget{memTarget: mem, ok: okCalls, inflight: 4, cancel: cancel}

				first, err := Undo(cctx, l, lossy, UndoOptions{Runs: runs, Concurrency: 8})
				require.ErrorIs(t, err, context.Canceled)
				assert.Equal(t, okCalls, first.Count(StateDone))
				assert.GreaterOrEqual(t, first.Count(StateFailed), lossy.inflight)
				ri, err := l.Run(ctx, first.Run)
				require.NoError(t, err)
				assert.Equal(t, StatusCanceled, ri.Status)
				assert.Equal(t, int64(okCalls), ri.Counters.Done)
				assert.GreaterOrEqual(t, ri.Counters.Unknown, int64(lossy.inflight))

				second, err := Undo(ctx, l, mem, UndoOptions{Runs: runs, Concurrency: 8})
				require.NoError(t, err)
				require.True(t, second.Complete(), "%+v", second.Compensations)
				assert.Equal(t, okCalls, second.Count(StateAlreadyDone))
				assert.Equal(t, pre, mem.snapshot())
				assert.Empty(t, collect(t, l.Pending(ctx, true)), "the lost calls' intents are closed")
				ri, err = l.Run(ctx, first.Run)
				require.NoError(t, err)
				assert.Equal(t, ri.Counters.Unknown, int64(0))
				assert.GreaterOrEqual(t, ri.Counters.Superseded, int64(lossy.inflight))

				third, err := Undo(ctx, l, mem, UndoOptions{Runs: runs, Concurrency: 8})
				require.NoError(t, err)
				assert.Equal(t, len(third.Compensations), third.Count(StateAlreadyDone))
			})
		}
	})
}

func TestSchedule(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		dst := newMemTarget()
		_, runs := practice(t, l, dst, 3)
		// A contact moved twice: both link steps hang from it and must stay on
		// one worker in reverse journal order.
		g := begin(t, l, dst, KindDelta)
		c, ok, err := l.Lookup(ctx, "contact", "p0")
		require.NoError(t, err)
		require.True(t, ok)
		for _, b := range []string{"biz-a", "biz-b"} {
			seq, err := g.run.Intent(ctx, Intent{Op: OpLink, ObjectType: TypeContactBusiness, TargetID: c.HighLevelID, RelatedID: b})
			require.NoError(t, err)
			require.NoError(t, g.run.Outcome(ctx, seq, Done("")))
		}
		runs = append(runs, g.run.ID())
		p, err := l.planUndo(ctx, UndoOptions{Runs: runs})
		require.NoError(t, err)

		seq := schedule(p, 1)
		require.Len(t, seq, 1)
		require.Len(t, seq[0], 1)
		require.Len(t, seq[0][0], len(p.steps))

		tiers := schedule(p, 8)
		require.Len(t, tiers, tierCount)
		seen := 0
		for tier, units := range tiers {
			for _, u := range units {
				for k, i := range u {
					seen++
					assert.Equal(t, tier, tierOf(p.steps[i]))
					if k > 0 {
						assert.Less(t, u[k-1], i, "plan order within a unit")
						assert.Equal(t, unitKey(p.steps[u[k-1]]), unitKey(p.steps[i]))
					}
				}
			}
		}
		assert.Equal(t, len(p.steps), seen, "every step scheduled once")
		assert.Len(t, tiers[tierSchema], 1, "schema elements run one at a time")
		var moved []int
		for _, u := range tiers[tierLinks] {
			if p.steps[u[0]].comp.Ref.ObjectType == TypeContactBusiness {
				moved = u
			}
		}
		require.Len(t, moved, 2)
		assert.Equal(t, "biz-b", p.steps[moved[0]].comp.Ref.RelatedID, "the later link is undone first")
		assert.Len(t, tiers[tierContacts], 3+3, "one unit per contact: 3 created, 3 pre-existing updated twice")

		_, err = Undo(ctx, l, dst, UndoOptions{Runs: runs, Concurrency: -1})
		var ia *InvalidArgumentError
		require.ErrorAs(t, err, &ia)
	})
}
