package rollback

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// TestUndoRecordIsTrue: a schema run (a custom field, a pipeline, a custom
// object schema) and a full run are undone. Everything reversible goes, so
// the undo succeeds: the pipeline and the object schema, which HighLevel's
// API cannot delete, are manual steps (no intent journaled, nothing
// rejected), and both runs read undone by the undo run. A second Undo has
// nothing left to undo and records no run.
func TestUndoRecordIsTrue(t *testing.T) { forConcurrency(t, undoRecordIsTrue) }

func undoRecordIsTrue(t *testing.T, conc int) {
	ctx := context.Background()
	_, c, _ := newHLCalls(t)
	l := openTest(t, "", Options{})

	sr, err := l.BeginRun(ctx, RunOptions{Kind: KindSchema, Location: hltest.DefaultLocationID})
	require.NoError(t, err)
	schema := hlRunner{t, sr}
	fieldIn := highlevel.CustomFieldCreate{Name: "PbN Patient Id", DataType: highlevel.DataType("TEXT"), FieldKey: "contact.pbn_patient_id"}
	schema.do(Intent{Op: OpSchema, ObjectType: TypeCustomField, SourceKey: "pbn_patient_id"}, fieldIn, func() (string, error) {
		cf, err := c.CustomFields.Create(ctx, fieldIn)
		if err != nil {
			return "", err
		}
		return cf.ID, nil
	})
	pipeIn := highlevel.PipelineInput{Name: "Treatment plans", Stages: []string{"Proposed", "Accepted"}}
	pipeline := schema.do(Intent{Op: OpSchema, ObjectType: TypePipeline, SourceKey: "treatment"}, pipeIn, func() (string, error) {
		p, err := c.Pipelines.Create(ctx, pipeIn)
		if err != nil {
			return "", err
		}
		return p.ID, nil
	})
	objIn := highlevel.ObjectSchemaCreate{Key: "custom_objects.appointment",
		Labels:                 highlevel.ObjectLabels{Singular: "Appointment", Plural: "Appointments"},
		PrimaryDisplayProperty: highlevel.DisplayProperty{Key: "title", Name: "Title", DataType: highlevel.DataType("TEXT")}}
	object := schema.do(Intent{Op: OpSchema, ObjectType: TypeCustomObject, SourceKey: "appointment"}, objIn, func() (string, error) {
		o, err := c.Objects.CreateSchema(ctx, objIn)
		if err != nil {
			return "", err
		}
		return o.ID, nil
	})
	require.NoError(t, sr.Finish(ctx, StatusSucceeded))
	fr, err := l.BeginRun(ctx, RunOptions{Kind: KindFull, Location: hltest.DefaultLocationID})
	require.NoError(t, err)
	in := highlevel.ContactInput{FirstName: "Ann", Email: "ann@example.com"}
	hlRunner{t, fr}.do(Intent{Op: OpCreate, ObjectType: TypeContact, SourceKey: "p1"}, in, func() (string, error) {
		ct, err := c.Contacts.Create(ctx, in)
		if err != nil {
			return "", err
		}
		return ct.ID, nil
	})
	require.NoError(t, fr.Finish(ctx, StatusSucceeded))
	runs := []RunID{sr.ID(), fr.ID()}

	report, err := Undo(ctx, l, NewHighLevelTarget(c), UndoOptions{Runs: runs, Concurrency: conc})
	require.NoError(t, err)
	require.True(t, report.Reversed(), "%+v", report.Compensations)
	assert.False(t, report.NothingToUndo)
	manual := map[string]bool{}
	for _, m := range report.ManualSteps() {
		manual[m.Ref.ID] = true
		assert.Contains(t, m.Reason, "cannot delete")
	}
	assert.Equal(t, map[string]bool{pipeline: true, object: true}, manual)
	undo, err := l.Run(ctx, report.Run)
	require.NoError(t, err)
	assert.Equal(t, StatusSucceeded, undo.Status)
	assert.Equal(t, int64(0), undo.Counters.Rejected, "manual steps are not rejected calls")
	assert.Equal(t, int64(2), undo.Counters.Done, "the custom field and the contact")
	for _, id := range runs {
		ri, err := l.Run(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, StatusUndone, ri.Status)
		assert.Equal(t, report.Run, ri.UndoneBy)
	}

	before, err := l.Runs(ctx)
	require.NoError(t, err)
	again, err := Undo(ctx, l, NewHighLevelTarget(c), UndoOptions{Runs: runs, Concurrency: conc})
	require.NoError(t, err)
	assert.True(t, again.NothingToUndo)
	assert.True(t, again.Reversed())
	assert.Equal(t, RunID(0), again.Run, "a repeated undo records no run")
	assert.Len(t, again.ManualSteps(), 2, "the manual steps still stand")
	after, err := l.Runs(ctx)
	require.NoError(t, err)
	assert.Equal(t, before, after)
}

// TestUndoIncompleteLeavesRunsUnmarked: an undo that could not reverse
// everything (a record changed since our write) fails and marks nothing;
// the forced undo that finishes it marks the run undone by itself.
func TestUndoIncompleteLeavesRunsUnmarked(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		f := hlScenario(t, l)
		_, err := f.c.Contacts.Update(ctx, f.created, highlevel.ContactUpdate{LastName: highlevel.Ptr("Lee-Smith")})
		require.NoError(t, err)
		report, err := Undo(ctx, l, NewHighLevelTarget(f.c), UndoOptions{Runs: f.runs})
		require.NoError(t, err)
		require.False(t, report.Reversed())
		ri, err := l.Run(ctx, report.Run)
		require.NoError(t, err)
		assert.Equal(t, StatusFailed, ri.Status)
		for _, id := range f.runs {
			ri, err := l.Run(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, StatusSucceeded, ri.Status)
			assert.Zero(t, ri.UndoneBy)
		}
		forced, err := Undo(ctx, l, NewHighLevelTarget(f.c), UndoOptions{Runs: f.runs, Force: true})
		require.NoError(t, err)
		require.True(t, forced.Reversed())
		for _, id := range f.runs {
			ri, err := l.Run(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, StatusUndone, ri.Status)
			assert.Equal(t, forced.Run, ri.UndoneBy)
		}
	})
}
