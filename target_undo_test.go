package pbnhl_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/rollback"
)

// TestUndoKinds checks the undo of the types whose kinds the targets
// supply: rollback's target alone refuses an event (no built-in kind),
// UndoTarget deletes one through the event target (an event already gone
// is not an error for Undo: ErrNotFound), refuses a message it cannot
// delete and finds a file gone. The round trip of a create
// and an update through UndoTarget is TestEventTarget's and
// TestEventDelta's undo, and
// the message and media targets' undo tests'.
func TestUndoKinds(t *testing.T) {
	ctx := context.Background()
	s := hltest.NewServer(hltest.Options{})
	t.Cleanup(s.Close)
	c, err := highlevel.NewClient(highlevel.Options{BaseURL: s.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), Retry: highlevel.RetryPolicy{MaxAttempts: 1, BaseDelay: time.Millisecond}})
	require.NoError(t, err)

	var types []string
	for _, k := range pbnhl.UndoKinds(c) {
		types = append(types, k.Types()...)
	}
	require.ElementsMatch(t, []string{rollback.TypeEvent, rollback.TypeConversation, rollback.TypeMessage, rollback.TypeMedia}, types)

	gone := rollback.Ref{ObjectType: rollback.TypeEvent, ID: "nope0000000000000000"}
	require.ErrorIs(t, rollback.NewHighLevelTarget(c).Delete(ctx, gone), rollback.ErrIrreversible)
	require.ErrorIs(t, pbnhl.UndoTarget(c).Delete(ctx, gone), rollback.ErrNotFound)
	ok, err := pbnhl.UndoTarget(c).Exists(ctx, gone)
	require.NoError(t, err)
	require.False(t, ok)
	// A message in a conversation the contact had before (no RelatedID)
	// cannot be deleted: irreversible, without a call.
	msg := rollback.Ref{ObjectType: rollback.TypeMessage, ID: "m1", TargetID: "conv1"}
	require.ErrorIs(t, pbnhl.UndoTarget(c).Delete(ctx, msg), rollback.ErrIrreversible)
	_, err = pbnhl.UndoTarget(c).Digest(ctx, rollback.Ref{ObjectType: rollback.TypeMedia, ID: "nope"}, []byte(`{"upload":"x [pbnhl-1-doc2]"}`))
	require.ErrorIs(t, err, rollback.ErrNotFound, "a file gone from the library")
}
