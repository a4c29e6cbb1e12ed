package pbnhl_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/rollback"
)

var dataKinds = []hltest.Kind{hltest.KindContact, hltest.KindBusiness, hltest.KindRecord, hltest.KindRelation,
	hltest.KindOpportunity, hltest.KindNote, hltest.KindTask}

// TestUndoLeavesNoTrace: sample, full run and delta (updates included),
// then Undo of the whole migration: no record, link or relation is left;
// with the schema, every custom field and association goes too (HighLevel
// cannot delete custom object schemas and pipelines: reported irreversible).
func TestUndoLeavesNoTrace(t *testing.T) {
	day := pbntest.DefaultAsOf.Add(24 * time.Hour)
	e := newEnv(t, envOptions{patients: size(20), seed: 21, now: func() time.Time { return day }})
	ctx := context.Background()
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	_, err = m.Sample(ctx, pbnhl.SampleOptions{Patients: 5})
	require.NoError(t, err)
	_, err = m.Load(ctx)
	require.NoError(t, err)
	e.pbn.MutateWith(pbntest.MutateOptions{Update: 15, Create: 3, Touch: 3})
	_, err = m.Delta(ctx)
	require.NoError(t, err)
	for _, k := range dataKinds[:4] {
		require.Positive(t, e.hl.Count(hltest.DefaultLocationID, k), k)
	}

	// A dry run previews every compensation and changes nothing.
	preview, err := e.migration(func(o *pbnhl.Options) { o.DryRun = true }).Undo(ctx, pbnhl.UndoOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, preview.Compensations)
	require.Positive(t, e.hl.Count(hltest.DefaultLocationID, hltest.KindContact))

	told := 0 // OnCompensation calls are serialised: no lock needed
	rep, err := m.Undo(ctx, pbnhl.UndoOptions{OnCompensation: func(rollback.Compensation) { told++ }})
	require.NoError(t, err)
	assert.Equal(t, len(rep.Compensations), told, "progress is told of every compensation")
	// Nothing is irreversible: the delta updates changed notes in place
	// (it deletes none), and every update has its before-image.
	for _, c := range rep.Compensations {
		switch c.State {
		case rollback.StateDone, rollback.StateGone, rollback.StateAlreadyDone:
		default:
			t.Errorf("compensation %s of %s %s: %s (%s)", c.Action, c.Ref.ObjectType, c.Ref.SourceKey, c.State, c.Reason)
		}
	}
	for _, k := range dataKinds {
		assert.Zero(t, e.hl.Count(hltest.DefaultLocationID, k), "%s left after undo", k)
	}

	rep, err = m.Undo(ctx, pbnhl.UndoOptions{Schema: true})
	require.NoError(t, err)
	assert.Zero(t, e.hl.Count(hltest.DefaultLocationID, hltest.KindAssociation))
	t.Logf("schema undo: %d done, %d irreversible (custom object schemas and pipelines)", rep.Count(rollback.StateDone), rep.Count(rollback.StateIrreversible))
	assert.Zero(t, e.hl.Count(hltest.DefaultLocationID, hltest.KindCustomField)-countObjectPrimaries(e), "custom fields left after the schema undo")

	// Undo's record is true: the schema undo reversed everything it could,
	// so it succeeded, with what HighLevel cannot delete as manual steps;
	// every run reads undone by its undo; a repeated undo has nothing left
	// to do and records no run.
	require.True(t, rep.Reversed(), "%+v", rep.Compensations)
	require.NotEmpty(t, rep.ManualSteps())
	for _, c := range rep.ManualSteps() {
		assert.Contains(t, []string{rollback.TypeCustomObject, rollback.TypePipeline}, c.Ref.ObjectType)
	}
	undo, err := e.ledger.Run(ctx, rep.Run)
	require.NoError(t, err)
	assert.Equal(t, rollback.StatusSucceeded, undo.Status)
	assert.Zero(t, undo.Counters.Rejected, "manual steps are not rejected calls")
	runs, err := e.ledger.Runs(ctx)
	require.NoError(t, err)
	for _, r := range runs {
		if r.Kind != rollback.KindUndo {
			assert.Equal(t, rollback.StatusUndone, r.Status, "run %d (%s)", r.ID, r.Kind)
			assert.NotZero(t, r.UndoneBy, "run %d (%s)", r.ID, r.Kind)
		}
	}
	again, err := m.Undo(ctx, pbnhl.UndoOptions{Schema: true})
	require.NoError(t, err)
	assert.True(t, again.NothingToUndo)
	assert.Zero(t, again.Run)
	after, err := e.ledger.Runs(ctx)
	require.NoError(t, err)
	assert.Len(t, after, len(runs), "a repeated undo records no run")
}

// countObjectPrimaries counts the custom objects' primary display
// properties, which go only with their object (not deletable by API).
func countObjectPrimaries(e *env) int {
	return e.hl.Count(hltest.DefaultLocationID, hltest.KindObjectSchema)
}
