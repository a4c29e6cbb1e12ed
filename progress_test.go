package pbnhl_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/rollback"
)

// Issue 19.8: Totals returned Total:334 Done:481 with an empty phase —
// objects whose total is not known up front added their Done but not a
// Total.
func TestReportTotals(t *testing.T) {
	rep := &pbnhl.Report{Phase: pbnhl.PhaseRun, Duration: 2 * time.Second, Objects: []pbnhl.Progress{
		{Phase: pbnhl.PhaseRun, Object: "patients", Total: 10, Done: 10, Written: 9, Invalid: 1, Calls: 12, Finished: true},
		{Phase: pbnhl.PhaseRun, Object: "procedures", Total: 0, Done: 30, Written: 28, Skipped: 2, Calls: 28, Finished: true}, // expanded: no total up front
		{Phase: pbnhl.PhaseRun, Object: "communications", Total: 0, Done: 4, Folded: 4, Finished: true},
		{Phase: pbnhl.PhaseRun, Object: "appointments", Total: 8, Done: 5, Written: 5, Calls: 5, Finished: true}, // stopped early
		{Phase: pbnhl.PhaseRun, Object: pbnhl.PhaseLinks, Total: 3, Done: 3, Existing: 3, Finished: true},
		{Phase: pbnhl.PhaseRun, Object: "documents", Total: 0, Done: 0, Bytes: 4096, Finished: true}, // uploads
	}}
	got := rep.Totals()
	assert.Equal(t, pbnhl.Progress{Phase: pbnhl.PhaseRun, Total: 10 + 30 + 4 + 8 + 3, Done: 52, Written: 42, Existing: 3, Skipped: 2,
		Folded: 4, Invalid: 1, Calls: 45, Bytes: 4096, Rate: 26, Elapsed: 2 * time.Second, Finished: true}, got)
	assert.Equal(t, pbnhl.Progress{Finished: true}, (&pbnhl.Report{}).Totals())
}

// On a real run (expanded procedures, folded communications, business
// links) Totals names the phase and never has more done than total.
func TestReportTotalsOfARun(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(16), seed: 29})
	rep := migrate(t, e, nil)
	tot := rep.Totals()
	assert.Equal(t, pbnhl.PhaseRun, tot.Phase)
	assert.True(t, tot.Finished)
	assert.Positive(t, tot.Done)
	assert.Equal(t, tot.Done, tot.Total, "a completed run handled all it expected")
	var done, unknown int64
	for _, p := range rep.Objects {
		done += p.Done
		if p.Total == 0 && p.Done > 0 {
			unknown++
		}
	}
	assert.Equal(t, done, tot.Done)
	assert.Positive(t, unknown, "the run has objects without a total up front (the case that broke Totals)")

}

// Issue 19.2: undo printed "N compensations decided" with no total. With
// Options.Progress set, Undo emits progress whose Total is its dry-run
// plan's size, known before the first compensation, and whose last event
// is finished with every compensation counted.
func TestUndoProgressKnowsItsTotal(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(8), seed: 31})
	migrate(t, e, nil)
	ctx := context.Background()
	var events []pbnhl.Progress // Progress calls are serialised
	m := e.migration(func(o *pbnhl.Options) {
		o.Progress = func(p pbnhl.Progress) { events = append(events, p) }
		o.ProgressInterval = time.Nanosecond
	})
	rep, err := m.Undo(ctx, pbnhl.UndoOptions{})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(events), 3)
	first, last := events[0], events[len(events)-1]
	assert.Equal(t, pbnhl.PhaseUndo, first.Phase)
	assert.Equal(t, pbnhl.UndoProgressObject, first.Object)
	assert.Zero(t, first.Done)
	assert.Equal(t, int64(len(rep.Compensations)), first.Total, "the total is known before the first compensation")
	assert.True(t, last.Finished)
	assert.Equal(t, first.Total, last.Done)
	assert.Equal(t, int64(rep.Count(rollback.StateDone)), last.Written)
	assert.Positive(t, last.Calls, "HighLevel calls are counted from the client's limiter")
	for _, p := range events[1 : len(events)-1] {
		assert.False(t, p.Finished)
		assert.LessOrEqual(t, p.Done, p.Total)
	}
	// The plan made no call and recorded no run: only the undo run is new.
	runs, err := e.ledger.Runs(ctx)
	require.NoError(t, err)
	undos := 0
	for _, r := range runs {
		if r.Kind == rollback.KindUndo {
			undos++
		}
	}
	assert.Equal(t, 1, undos)
}

// TestRunAnnouncesEveryObject: before a run writes its first record, its
// progress names every object it will write with the inventory's count, so
// a view's overall percentage counts to the end of the run from its start
// (it read "100%" once the contacts were done, with the custom objects and
// opportunities still to come).
func TestRunAnnouncesEveryObject(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(8), seed: 31})
	ctx := context.Background()
	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	var events []pbnhl.Progress // Progress calls are serialised
	rep, err := e.migration(func(o *pbnhl.Options) {
		o.Progress = func(p pbnhl.Progress) { events = append(events, p) }
		o.ProgressInterval = time.Nanosecond
	}).Load(ctx)
	require.NoError(t, err)
	announced := map[string]int64{}
	for _, p := range events {
		if p.Done > 0 {
			break
		}
		announced[p.Object] = p.Total
	}
	for _, name := range []string{"patients", "appointments", "insurance_carriers", "insurance", "treatment_plans"} {
		o, ok := rep.Object(name)
		require.True(t, ok, name)
		assert.Positive(t, announced[name], "%s is announced with its count before the first record", name)
		assert.Equal(t, o.Total, announced[name], "%s: the announced count is the one its progress keeps", name)
	}
}
