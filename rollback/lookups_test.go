package rollback

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMappedByHighLevelID(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		g := begin(t, l, newMemTarget(), KindFull)
		id := g.create("contact", "p1", map[string]any{"firstName": "Ann"})

		ok, err := l.Mapped(ctx, "contact", id)
		require.NoError(t, err)
		assert.True(t, ok, "the id map names the contact created")
		ok, err = l.Mapped(ctx, "business", id)
		require.NoError(t, err)
		assert.False(t, ok, "another object type")
		ok, err = l.Mapped(ctx, "contact", "someone-elses")
		require.NoError(t, err)
		assert.False(t, ok, "an id the migration never wrote")

		require.NoError(t, l.Close())
		_, err = l.Mapped(ctx, "contact", id)
		require.ErrorIs(t, err, ErrClosed)
	})
}

func TestLinkDone(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		dst := newMemTarget()
		g := begin(t, l, dst, KindFull)
		link := func(key, a, b string) {
			seq, err := g.run.Intent(ctx, Intent{Op: OpLink, ObjectType: TypeRelation, SourceKey: key, TargetID: a, RelatedID: b})
			require.NoError(t, err)
			require.NoError(t, g.run.Outcome(ctx, seq, Done(dst.link(a, b))))
		}
		_, _, ok, err := l.LinkDone(ctx, TypeRelation, "rec-1")
		require.NoError(t, err)
		assert.False(t, ok, "no link made yet")

		link("rec-1", "r1", "c1")
		link("rec-1", "r1b", "c1") // the record made again: the last link counts
		seq, err := g.run.Intent(ctx, Intent{Op: OpLink, ObjectType: TypeRelation, SourceKey: "rec-2", TargetID: "r2", RelatedID: "c2"})
		require.NoError(t, err)
		require.NoError(t, g.run.Outcome(ctx, seq, Rejected(400, "refused")))

		target, related, ok, err := l.LinkDone(ctx, TypeRelation, "rec-1")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, [2]string{"r1b", "c1"}, [2]string{target, related})
		_, _, ok, err = l.LinkDone(ctx, TypeRelation, "rec-2")
		require.NoError(t, err)
		assert.False(t, ok, "a refused link was not made")
		_, _, ok, err = l.LinkDone(ctx, TypeContactBusiness, "rec-1")
		require.NoError(t, err)
		assert.False(t, ok, "another link type")
		require.NoError(t, g.run.Finish(ctx, StatusSucceeded))

		_, err = Undo(ctx, l, dst, UndoOptions{Runs: []RunID{g.run.ID()}, Actor: "test"})
		require.NoError(t, err)
		_, _, ok, err = l.LinkDone(ctx, TypeRelation, "rec-1")
		require.NoError(t, err)
		assert.False(t, ok, "undone: no longer made")
	})
}

func TestRecordWrites(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		dst := newMemTarget()
		g := begin(t, l, dst, KindFull)
		id := g.create("contact", "p1", map[string]any{"firstName": "Ann"})
		g.update("contact", "p1", id, map[string]any{"firstName": "Anne"})
		g.create("contact", "p2", map[string]any{"firstName": "Bob"})
		seq, err := g.run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: "p1", Payload: []byte(`{}`)})
		require.NoError(t, err)
		require.NoError(t, g.run.Outcome(ctx, seq, Rejected(422, "refused")))
		g.link(id, "biz") // a link is no write of the record
		require.NoError(t, g.run.Finish(ctx, StatusSucceeded))

		var got []Op
		for w, err := range l.RecordWrites(ctx, "contact", "p1") {
			require.NoError(t, err)
			assert.Equal(t, g.run.ID(), w.Run)
			got = append(got, w.Op)
		}
		assert.Equal(t, []Op{OpCreate, OpUpdate}, got, "done writes of p1 only, in order")

		_, err = Undo(ctx, l, dst, UndoOptions{Runs: []RunID{g.run.ID()}, Actor: "test"})
		require.NoError(t, err)
		got = got[:0]
		for w, err := range l.RecordWrites(ctx, "contact", "p1") {
			require.NoError(t, err)
			got = append(got, w.Op)
		}
		assert.Equal(t, []Op{OpCreate, OpUpdate}, got, "an undo's compensations are not the record's writes")
	})
}
