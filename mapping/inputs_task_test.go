package mapping

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInputsTask: a task payload becomes its TaskInput (a plain due date is
// midnight UTC, "Yes" completes it), an unreadable due date is refused
// without quoting it, and a payload of another target is refused.
func TestInputsTask(t *testing.T) {
	var in Inputs
	p := &Payload{Object: "tasks", SourceKey: "7", Target: TargetTask, AssignedTo: "u1", Fields: []Value{
		{Key: "title", Text: "Call back"}, {Key: "body", Text: "about the crown"},
		{Key: "dueDate", Text: "2026-03-04"}, {Key: "completed", Text: "Yes"}}}
	got, err := in.Task(p)
	require.NoError(t, err)
	assert.Equal(t, "Call back", got.Title)
	assert.Equal(t, "about the crown", got.Body)
	assert.Equal(t, time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), got.DueDate)
	assert.True(t, got.Completed)
	assert.Equal(t, "u1", got.AssignedTo)

	p.Fields[2].Text = "2026-03-04T10:30:00-05:00"
	p.Fields[3].Text = "false"
	got, err = in.Task(p)
	require.NoError(t, err)
	assert.True(t, got.DueDate.Equal(time.Date(2026, 3, 4, 15, 30, 0, 0, time.UTC)))
	assert.False(t, got.Completed)

	p.Fields[2].Text = "next tuesday"
	_, err = in.Task(p)
	require.EqualError(t, err, "dueDate is not a date")

	_, err = in.Task(&Payload{Object: "notes", Target: TargetNote})
	require.Error(t, err)
}
