package rollback

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// TestHighLevelUndoRestoresNotesAndTasks: a run that updates a note and a
// task in place (and creates a note) is undone exactly: the note and the
// task are back as they were, with their ids, and the created note is gone.
func TestHighLevelUndoRestoresNotesAndTasks(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		for _, force := range []bool{false, true} {
			t.Run(map[bool]string{false: "checked", true: "forced"}[force], func(t *testing.T) {
				ctx := context.Background()
				s, c := newHL(t)
				l := openTest(t, "", Options{})
				ct, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Ana", Email: "ana@example.com"})
				require.NoError(t, err)
				note, err := c.Contacts.CreateNote(ctx, ct.ID, highlevel.NoteInput{Body: "2019-04-02 SMS: see you", Title: "SMS"})
				require.NoError(t, err)
				due := time.Date(2027, 1, 2, 15, 0, 0, 0, time.UTC)
				task, err := c.Contacts.CreateTask(ctx, ct.ID, highlevel.TaskInput{Title: "Recall", Body: "6 months", DueDate: due})
				require.NoError(t, err)
				pre := state(t, s)
				noteBefore, err := c.Contacts.GetNote(ctx, ct.ID, note.ID)
				require.NoError(t, err)
				taskBefore, err := c.Contacts.GetTask(ctx, ct.ID, task.ID)
				require.NoError(t, err)

				run, err := l.BeginRun(ctx, RunOptions{Kind: KindDelta})
				require.NoError(t, err)
				r := hlRunner{t: t, run: run}
				noteIn := highlevel.NoteInput{Body: "2019-04-02 SMS: see you at 3", Title: "SMS (edited)", Pinned: highlevel.Ptr(true)}
				r.do(Intent{Op: OpUpdate, ObjectType: TypeNote, SourceKey: "msg-1", TargetID: note.ID, RelatedID: ct.ID,
					Before: beforeImage(t, noteBefore, nil)}, noteIn,
					func() (string, error) {
						n, err := c.Contacts.UpdateNote(ctx, ct.ID, note.ID, noteIn)
						return n.ID, err
					})
				taskIn := highlevel.TaskInput{Title: "Recall call", DueDate: due.Add(72 * time.Hour), Completed: true}
				r.do(Intent{Op: OpUpdate, ObjectType: TypeTask, SourceKey: "recall-1", TargetID: task.ID, RelatedID: ct.ID,
					Before: beforeImage(t, taskBefore, nil)},
					map[string]any{"title": taskIn.Title, "body": "", "dueDate": taskIn.DueDate, "completed": true, "assignedTo": ""},
					func() (string, error) {
						x, err := c.Contacts.UpdateTask(ctx, ct.ID, task.ID, taskIn)
						return x.ID, err
					})
				added := highlevel.NoteInput{Body: "2019-05-01 call: confirmed"}
				r.do(Intent{Op: OpCreate, ObjectType: TypeNote, SourceKey: "msg-2", TargetID: ct.ID}, added,
					func() (string, error) {
						n, err := c.Contacts.CreateNote(ctx, ct.ID, added)
						return n.ID, err
					})
				require.NoError(t, run.Finish(ctx, StatusSucceeded))
				require.NotEqual(t, pre, state(t, s))
				assert.Equal(t, 2, s.Count(hltest.DefaultLocationID, hltest.KindNote))

				rep, err := Undo(ctx, l, NewHighLevelTarget(c), UndoOptions{Runs: []RunID{run.ID()}, Force: force})
				require.NoError(t, err)
				for _, cp := range rep.Compensations {
					assert.Equal(t, StateDone, cp.State, "%s %s: %s", cp.Action, cp.Ref.ObjectType, cp.Reason)
					assert.Equal(t, !force, cp.Checked)
				}
				assert.Len(t, rep.Compensations, 3)
				assert.Equal(t, pre, state(t, s), "the destination is exactly as before the run")

				// Idempotent: a second Undo calls nothing.
				rep, err = Undo(ctx, l, NewHighLevelTarget(c), UndoOptions{Runs: []RunID{run.ID()}})
				require.NoError(t, err)
				assert.Equal(t, 3, rep.Count(StateAlreadyDone))
			})
		}
	})
}

// TestHighLevelRestoreNoteAndTaskLimits: a restore that would have to
// clear a field HighLevel's update cannot clear is refused before any call;
// a task update that wrote only some fields keeps the others as they are.
func TestHighLevelRestoreNoteAndTaskLimits(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		_, c := newHL(t)
		h := NewHighLevelTarget(c)
		ct, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Bo", Email: "bo@example.com"})
		require.NoError(t, err)
		note, err := c.Contacts.CreateNote(ctx, ct.ID, highlevel.NoteInput{Body: "plain"})
		require.NoError(t, err)
		before := beforeImage(t, note, nil)
		_, err = c.Contacts.UpdateNote(ctx, ct.ID, note.ID, highlevel.NoteInput{Body: "titled", Title: "New"})
		require.NoError(t, err)
		ref := Ref{ObjectType: TypeNote, ID: note.ID, TargetID: note.ID, RelatedID: ct.ID}
		err = h.Restore(ctx, ref, before, []byte(`{"body":"titled","title":"New"}`))
		require.ErrorIs(t, err, ErrIrreversible)
		got, err := c.Contacts.GetNote(ctx, ct.ID, note.ID)
		require.NoError(t, err)
		assert.Equal(t, "titled", got.Body, "refused before any call")
		require.NoError(t, h.Restore(ctx, ref, before, []byte(`{"body":"titled"}`)))
		got, err = c.Contacts.GetNote(ctx, ct.ID, note.ID)
		require.NoError(t, err)
		assert.Equal(t, "plain", got.Body)

		due := time.Date(2027, 3, 4, 9, 0, 0, 0, time.UTC)
		task, err := c.Contacts.CreateTask(ctx, ct.ID, highlevel.TaskInput{Title: "Call", Body: "b", DueDate: due})
		require.NoError(t, err)
		before = beforeImage(t, task, nil)
		_, err = c.Contacts.UpdateTask(ctx, ct.ID, task.ID, highlevel.TaskInput{Title: "Call back", Body: "b", DueDate: due, Completed: true})
		require.NoError(t, err)
		// Someone else edits the body; the run wrote only title and completed.
		_, err = c.Contacts.UpdateTask(ctx, ct.ID, task.ID, highlevel.TaskInput{Title: "Call back", Body: "edited", DueDate: due, Completed: true})
		require.NoError(t, err)
		written, _ := json.Marshal(map[string]any{"title": "Call back", "completed": true})
		require.NoError(t, h.Restore(ctx, Ref{ObjectType: TypeTask, ID: task.ID, TargetID: task.ID, RelatedID: ct.ID}, before, written))
		gt, err := c.Contacts.GetTask(ctx, ct.ID, task.ID)
		require.NoError(t, err)
		assert.Equal(t, "Call", gt.Title)
		assert.False(t, gt.Completed)
		assert.Equal(t, "edited", gt.Body, "a field the run did not write keeps its current value")
		assert.Equal(t, due, gt.DueDate.Time)

		_, err = h.Digest(ctx, Ref{ObjectType: TypeNote, ID: "no-such-note", TargetID: ct.ID}, []byte(`{"body":"x"}`))
		assert.ErrorIs(t, err, ErrNotFound)
	})
}
