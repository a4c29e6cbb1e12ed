package pbnhl_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
)

// newTaskEnv is a practice whose communications also become completed
// tasks of their contact (taskObject), the default map otherwise.
func newTaskEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	e := newEnv(t, o)
	e.m = e.m.WithHistory(mapping.HistoryMessages, mapping.AsBoth)
	e.m.Objects = append(e.m.Objects, taskObject())
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)))
	return e
}

// taskCounts counts HighLevel's tasks per communication (the source key
// in each task's marker line).
func taskCounts(t testing.TB, e *env) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tk := range e.hl.Records(hltest.DefaultLocationID, hltest.KindTask) {
		key := taskKey(fmt.Sprint(tk["body"]))
		require.NotEmpty(t, key, "a task without its marker: %v", tk["title"])
		out[key]++
	}
	return out
}

// sourceTasks are the communications whose patient arrived as a contact:
// each is one task.
func sourceTasks(e *env) map[string]bool {
	migrated := migratedPatients(e)
	out := map[string]bool{}
	for c := range e.pbn.Practice().Communications() {
		if migrated[string(c.PatientID)] {
			out[string(c.ID)] = true
		}
	}
	return out
}

func assertTasksOnce(t *testing.T, e *env) {
	t.Helper()
	src := sourceTasks(e)
	require.NotEmpty(t, src)
	seen := taskCounts(t, e)
	for k := range src {
		assert.Equal(t, 1, seen[k], "communication %s: %d tasks", k, seen[k])
	}
	for k := range seen {
		assert.True(t, src[k], "task for communication %s, which is no migrated patient's", k)
	}
}

// TestTaskSettleAfterLostAnswers (issue 16, done-when #3, tasks): task
// creates whose answers are lost (the task exists, the client saw an
// error) are settled by identity — the marker line, found among the
// contact's tasks — so no communication has two tasks and none is
// missing; every intent is settled; undo removes them all.
func TestTaskSettleAfterLostAnswers(t *testing.T) {
	faults, err := hltest.ParseFaults("POST /contacts/{contactId}/tasks:lost=0.3")
	require.NoError(t, err)
	e := newTaskEnv(t, envOptions{patients: size(12), seed: 47, faults: faults})
	ctx := context.Background()
	_, err = e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	_, err = e.migration(nil).Load(ctx)
	require.NoError(t, err)
	assertTasksOnce(t, e)
	assertSettled(t, e)

	und, err := e.migration(nil).Undo(ctx, pbnhl.UndoOptions{})
	require.NoError(t, err, "%+v", und)
	assert.Zero(t, e.hl.Count(hltest.DefaultLocationID, hltest.KindTask), "undo removes every task, the settled ones too")
}

// TestTaskResumeAfterCancellations: the run is cancelled at random points
// under lost answers on every create and resumed until it finishes: every
// communication has exactly one task.
func TestTaskResumeAfterCancellations(t *testing.T) {
	faults, err := hltest.ParseFaults("POST *:lost=0.03")
	require.NoError(t, err)
	e := newTaskEnv(t, envOptions{patients: size(10), seed: 53, faults: faults})
	ctx := context.Background()
	_, err = e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	assert.Positive(t, runThroughCancellations(t, ctx, e))
	assertTasksOnce(t, e)
	assertSettled(t, e)
}

// BenchmarkTaskCalls reports HighLevel calls per migrated task (the design
// minimum is one create; no lookup on the happy path).
func BenchmarkTaskCalls(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e := newTaskEnv(b, envOptions{patients: 12, seed: 31})
		ctx := context.Background()
		_, err := e.migration(nil).ApplySchema(ctx)
		require.NoError(b, err)
		var calls atomic.Int64
		hook := func(c highlevel.Call) {
			if strings.HasPrefix(c.Operation, "contacts.tasks.") {
				calls.Add(1)
			}
		}
		e.hook.Store(&hook)
		b.StartTimer()
		_, err = e.migration(nil).Load(ctx)
		b.StopTimer()
		require.NoError(b, err)
		n := e.hl.Count(hltest.DefaultLocationID, hltest.KindTask)
		require.Positive(b, n)
		b.ReportMetric(float64(calls.Load())/float64(n), "calls/task")
		b.ReportMetric(float64(n), "tasks")
		b.StartTimer()
	}
}
