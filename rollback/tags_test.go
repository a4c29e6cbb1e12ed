package rollback

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
)

// tagCall makes and journals one tag call on contact id the way pbnhl's
// delta does: the body sent as payload, and as before-image the tags of
// its list the contact had.
func tagCall(t *testing.T, c *highlevel.Client, run *Run, key, id, typ string, tags ...string) {
	t.Helper()
	ctx := context.Background()
	ct, err := c.Contacts.Get(ctx, id)
	require.NoError(t, err)
	had := []string{}
	for _, tag := range tags {
		for _, x := range ct.Tags {
			if x == tag {
				had = append(had, tag)
			}
		}
	}
	before, err := json.Marshal(map[string][]string{"had": had})
	require.NoError(t, err)
	body, err := json.Marshal(map[string][]string{"tags": tags})
	require.NoError(t, err)
	seq, err := run.Intent(ctx, Intent{Op: OpLink, ObjectType: typ, SourceKey: key, TargetID: id, Payload: body, Before: before})
	require.NoError(t, err)
	if typ == TypeContactTagsAdded {
		_, err = c.Contacts.AddTags(ctx, id, tags...)
	} else {
		_, err = c.Contacts.RemoveTags(ctx, id, tags...)
	}
	require.NoError(t, err)
	require.NoError(t, run.Outcome(ctx, seq, Done(id)))
}

// TestUndoTagCalls: two deltas' tag calls on a contact — the first adds
// "cohort a" (there already) and "cohort c", removes "cohort b" (there)
// and "cohort d" (not there); the second adds "cohort b" back — are
// undone, at every concurrency, to the tags the contact had: "cohort c"
// removed, "cohort b" there, "cohort a" kept, and a tag staff gave since
// untouched; TagsApplied tells an applied call from one not made.
func TestUndoTagCalls(t *testing.T) {
	forConcurrency(t, func(t *testing.T, conc int) {
		ctx := context.Background()
		l := openTest(t, "", Options{Key: testKey(9)})
		_, c := newHL(t)
		ct, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Pat", Tags: []string{"keep", "cohort a", "cohort b"}})
		require.NoError(t, err)

		var runs []RunID
		r1, err := l.BeginRun(ctx, RunOptions{Kind: KindDelta})
		require.NoError(t, err)
		tagCall(t, c, r1, "p1", ct.ID, TypeContactTagsAdded, "cohort a", "cohort c")
		tagCall(t, c, r1, "p1", ct.ID, TypeContactTagsRemoved, "cohort b", "cohort d")
		require.NoError(t, r1.Finish(ctx, StatusSucceeded))
		r2, err := l.BeginRun(ctx, RunOptions{Kind: KindDelta})
		require.NoError(t, err)
		tagCall(t, c, r2, "p1", ct.ID, TypeContactTagsAdded, "cohort b")
		require.NoError(t, r2.Finish(ctx, StatusSucceeded))
		runs = append(runs, r1.ID(), r2.ID())
		_, err = c.Contacts.AddTags(ctx, ct.ID, "staff")
		require.NoError(t, err)

		body := func(tags ...string) []byte {
			b, _ := json.Marshal(map[string][]string{"tags": tags})
			return b
		}
		_, ok, err := TagsApplied(ctx, c, TypeContactTagsAdded, ct.ID, body("cohort a", "cohort b", "cohort c"))
		require.NoError(t, err)
		assert.True(t, ok, "every tag added is there")
		_, ok, err = TagsApplied(ctx, c, TypeContactTagsAdded, ct.ID, body("cohort d"))
		require.NoError(t, err)
		assert.False(t, ok, "a tag not added")
		_, ok, err = TagsApplied(ctx, c, TypeContactTagsRemoved, ct.ID, body("cohort d"))
		require.NoError(t, err)
		assert.True(t, ok, "a tag removed is not there")
		_, ok, err = TagsApplied(ctx, c, TypeContactTagsRemoved, ct.ID, body("cohort b"))
		require.NoError(t, err)
		assert.False(t, ok, "a tag not removed")
		_, ok, err = TagsApplied(ctx, c, TypeContactTagsAdded, "nobody", body("x"))
		require.NoError(t, err)
		assert.False(t, ok, "a contact that is gone")

		report, err := Undo(ctx, l, NewHighLevelTarget(c), UndoOptions{Runs: runs, Concurrency: conc})
		require.NoError(t, err)
		require.True(t, report.Complete(), "%+v", report.Compensations)
		assert.Len(t, report.Compensations, 3, "one restore per tag call")
		got, err := c.Contacts.Get(ctx, ct.ID)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"keep", "cohort a", "cohort b", "staff"}, got.Tags)

		again, err := Undo(ctx, l, NewHighLevelTarget(c), UndoOptions{Runs: runs, Concurrency: conc})
		require.NoError(t, err)
		for _, comp := range again.Compensations {
			assert.Equal(t, StateAlreadyDone, comp.State, "%+v", comp)
		}
	})
}

// An undo restricted to contacts restores their tags too: a contact's tag
// calls are part of it.
func TestUndoOfContactsBringsTheirTags(t *testing.T) {
	ctx := context.Background()
	l := openTest(t, "", Options{Key: testKey(9)})
	_, c := newHL(t)
	ct, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Pat", Tags: []string{"keep", "cohort b"}})
	require.NoError(t, err)
	r, err := l.BeginRun(ctx, RunOptions{Kind: KindDelta})
	require.NoError(t, err)
	tagCall(t, c, r, "p1", ct.ID, TypeContactTagsAdded, "cohort a")
	tagCall(t, c, r, "p1", ct.ID, TypeContactTagsRemoved, "cohort b")
	require.NoError(t, r.Finish(ctx, StatusSucceeded))

	report, err := Undo(ctx, l, NewHighLevelTarget(c), UndoOptions{Runs: []RunID{r.ID()}, ObjectTypes: []string{TypeContact}})
	require.NoError(t, err)
	require.True(t, report.Complete(), "%+v", report.Compensations)
	assert.Len(t, report.Compensations, 2, "both tag calls restored")
	got, err := c.Contacts.Get(ctx, ct.ID)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"keep", "cohort b"}, got.Tags)
}
