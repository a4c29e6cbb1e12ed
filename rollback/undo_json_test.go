package rollback

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/internal/golden"
)

// TestUndoSummaryJSON: an undo's summary as JSON — counts by action and
// state (keys sorted), the refused, failed and unresolved compensations
// and the manual steps, in the report's order; Runs sorted; the same
// bytes every time.
func TestUndoSummaryJSON(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		rep := &UndoReport{Run: 9, Compensations: []Compensation{
			{Action: ActionDelete, Ref: Ref{ObjectType: "contact", ID: "c1", SourceKey: "patient:1"}, Run: 3, Entry: 10, State: StateDone},
			{Action: ActionRestore, Ref: Ref{ObjectType: "contact", ID: "c2", SourceKey: "patient:2"}, Run: 3, Entry: 11, State: StateRefused,
				Reason: "changed in HighLevel after our write"},
			{Action: ActionUnlink, Ref: Ref{ObjectType: "relation", ID: "r1"}, Run: 4, Entry: 12, State: StateFailed, Reason: "HTTP 500"},
			{Action: ActionDelete, Ref: Ref{ObjectType: "opportunity", ID: "o1"}, Run: 4, Entry: 13, State: StateGone},
			{Action: ActionDeleteSchema, Ref: Ref{ObjectType: "custom_object", ID: "co1"}, Run: 2, Entry: 2, State: StateIrreversible,
				Reason: "HighLevel's API cannot delete a custom object schema"},
			{Action: ActionDelete, Ref: Ref{ObjectType: "note", ID: "n1"}, Run: 4, Entry: 14, State: StateUnresolved, Reason: "lookup failed"},
			{Action: ActionRestore, Ref: Ref{ObjectType: "contact", ID: "c3"}, Run: 4, Entry: 15, State: StateRefused, Reason: purgedReason + "cannot check"},
		}}
		s := rep.Summary()
		s.Runs = []RunID{4, 2, 3}
		var a, b bytes.Buffer
		require.NoError(t, s.WriteJSON(&a))
		require.NoError(t, s.WriteJSON(&b))
		assert.Equal(t, a.String(), b.String())
		var got UndoSummary
		require.NoError(t, json.Unmarshal(a.Bytes(), &got))
		assert.Equal(t, []RunID{2, 3, 4}, got.Runs)
		assert.Len(t, got.Problems, 4)
		assert.Len(t, got.ManualSteps, 1)
		assert.Equal(t, 1, got.Purged)
		assert.False(t, got.Reversed)
		golden.Assert(t, "testdata/undo_summary.golden.json", a.Bytes())

		// A report without compensations writes empty lists, not null.
		var e bytes.Buffer
		require.NoError(t, (&UndoReport{NothingToUndo: true}).WriteJSON(&e))
		assert.Contains(t, e.String(), `"problems": []`)
		assert.Contains(t, e.String(), `"runs": []`)
		assert.Contains(t, e.String(), `"byState": {}`)
	})
}
