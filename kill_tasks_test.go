package pbnhl_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// TestTasksSurviveKill: the full load of a map that writes the
// communication history as completed tasks of their contact (taskObject),
// its process killed with SIGKILL while the tasks are being created
// (killMidKind, kill_history_test.go), then resumed: every communication
// of a migrated patient is one task exactly — by the marker it carries
// and by the journal's id map, which names that very task — under its
// patient's contact, with the source's time as its due date to the
// second (read back through the API), every intent settled — by the
// lookup, not by the duplicate sweep deleting a second task; undo removes
// every task.
func TestTasksSurviveKill(t *testing.T) {
	if os.Getenv(childHL) != "" {
		runHistoryChild(t)
		return
	}
	e := newTaskEnv(t, envOptions{patients: size(16), seed: 59})
	ctx := context.Background()
	loc := hltest.DefaultLocationID
	all := 0 // every communication: a bound on what is written
	for range e.pbn.Practice().Communications() {
		all++
	}
	require.GreaterOrEqual(t, all, 12, "enough tasks to kill mid-way")
	killed := killMidKind(t, e, "TestTasksSurviveKill", "contacts.tasks.create", hltest.KindTask, all/4)
	pending := 0
	for _, err := range e.ledger.Pending(ctx, true) {
		require.NoError(t, err)
		pending++
	}

	rep, err := e.migration(nil).Load(ctx)
	require.NoError(t, err)
	// The resume settles what the kill left unknown by the task's marker
	// among its contact's tasks: found, not created again. The duplicate
	// sweep (a second line, by the same marker) has nothing to delete.
	assert.GreaterOrEqual(t, rep.Resolved, pending, "every intent the kill left is settled by lookup")
	assert.Zero(t, rep.Swept, "no task created twice: the settle found the ones the kill left unknown")
	src := sourceTasks(e)
	require.Less(t, killed, len(src), "the child must be killed before the last task")
	t.Logf("%d tasks of %d communications", len(src), all)
	comms := map[string]pbn.Communication{}
	for c := range e.pbn.Practice().Communications() {
		comms[string(c.ID)] = c
	}

	// Each once, by its marker, and the journal's id map names it.
	byID := map[string]string{} // task id → source key
	seen := map[string]int{}
	for _, tk := range e.hl.Records(loc, hltest.KindTask) {
		key := taskKey(fmt.Sprint(tk["body"]))
		require.NotEmpty(t, key, "a task without its marker: %v", tk["title"])
		seen[key]++
		byID[fmt.Sprint(tk["id"])] = key
	}
	for key := range src {
		assert.Equal(t, 1, seen[key], "communication %s: tasks in HighLevel", key)
	}
	assert.Len(t, seen, len(src), "no task for anything else")
	mapped := 0
	for mp, err := range e.ledger.IDMap(ctx, rollback.TypeTask) {
		require.NoError(t, err)
		require.True(t, src[mp.SourceKey], "the id map holds an unknown communication %s", mp.SourceKey)
		assert.Equal(t, mp.SourceKey, byID[mp.HighLevelID], "communication %s: the journal's task is the one in HighLevel", mp.SourceKey)
		mapped++
	}
	assert.Equal(t, len(src), mapped, "the journal maps every task")

	// The due dates, read back through the API, contact by contact: each
	// task under its own patient's contact.
	contactOf := map[string]string{} // contact id → patient id
	for mp, err := range e.ledger.IDMap(ctx, rollback.TypeContact) {
		require.NoError(t, err)
		contactOf[mp.HighLevelID] = mp.SourceKey
	}
	dated := 0
	for _, c := range e.hl.Contacts(loc) {
		tasks, err := e.client.Contacts.ListTasks(ctx, c.ID)
		require.NoError(t, err)
		for _, tk := range tasks {
			key := taskKey(tk.Body)
			sc, ok := comms[key]
			require.True(t, ok, "task for an unknown communication %q", key)
			assert.Equal(t, sc.At.Unix(), tk.DueDate.Unix(), "communication %s due date", key)
			assert.True(t, tk.Completed, "communication %s is history: completed", key)
			assert.Equal(t, string(sc.PatientID), contactOf[c.ID], "communication %s: under its patient's contact", key)
			dated++
		}
	}
	assert.Equal(t, len(src), dated)
	assertSettled(t, e)

	und, err := e.migration(nil).Undo(ctx, pbnhl.UndoOptions{})
	require.NoError(t, err, "%+v", und)
	for _, c := range und.Compensations {
		assert.NotEqual(t, rollback.StateFailed, c.State, "%s %s: %s", c.Ref.ObjectType, c.Ref.ID, c.Reason)
	}
	assert.Zero(t, e.hl.Count(loc, hltest.KindTask), "undo removes every task")
}
