package pbnhl

import (
	"context"
	"os"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

// TestOlderKindsReadThroughRollback: the targets whose undo rollback
// holds (contacts, businesses, opportunities, notes, tasks, custom object
// records) read and delete through rollback's built-in kind — one read
// and one delete per kind — and the newer targets keep theirs in their
// own file (rollback holds no kind for them). Read back through the
// simulator: a contact and its note are read as HighLevel's records, a
// note needs its contact, and a removed note reads as not found.
func TestOlderKindsReadThroughRollback(t *testing.T) {
	ctx := context.Background()
	s := hltest.NewServer(hltest.Options{})
	t.Cleanup(s.Close)
	c, err := highlevel.NewClient(highlevel.Options{BaseURL: s.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), Retry: highlevel.RetryPolicy{MaxAttempts: 1, BaseDelay: time.Millisecond}})
	require.NoError(t, err)

	for _, tg := range targets {
		typ := (&mapping.Object{Target: tg.kind(), Key: rollback.RecordTypePrefix + "x"}).RecordType()
		if typ == "" {
			continue // writes no record type of its own
		}
		require.True(t, tg.owns(typ), "%s owns %s", tg.kind(), typ)
		_, embeds := reflect.TypeOf(tg).FieldByName("rollbackKind")
		_, undoes := tg.(undoer)
		if rollback.BuiltIn(c, typ) != nil {
			assert.True(t, embeds, "%s: rollback holds its undo, so its read and remove are rollback's", tg.kind())
			assert.False(t, undoes, "%s: one undo, rollback's", tg.kind())
		} else {
			assert.False(t, embeds, "%s: rollback holds no kind for it", tg.kind())
			assert.True(t, undoes, "%s: its target file holds its undo", tg.kind())
		}
	}

	ct, err := c.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Ada", LastName: "Test"})
	require.NoError(t, err)
	note, err := c.Contacts.CreateNote(ctx, ct.ID, highlevel.NoteInput{Body: "first visit"})
	require.NoError(t, err)

	v, err := targetOfType(rollback.TypeContact).read(ctx, c, rollback.TypeContact, ct.ID, "")
	require.NoError(t, err)
	got, ok := v.(*highlevel.Contact)
	require.True(t, ok, "a contact reads as HighLevel's contact: %T", v)
	assert.Equal(t, ct.ID, got.ID)

	nt := targetOfType(rollback.TypeNote)
	_, err = nt.read(ctx, c, rollback.TypeNote, note.ID, "")
	require.ErrorContains(t, err, "cannot read a note without its contact")
	require.ErrorContains(t, nt.remove(ctx, c, rollback.TypeNote, note.ID, ""), "cannot delete a note without its contact")
	v, err = nt.read(ctx, c, rollback.TypeNote, note.ID, ct.ID)
	require.NoError(t, err)
	n, ok := v.(*highlevel.Note)
	require.True(t, ok, "a note reads as HighLevel's note: %T", v)
	assert.Equal(t, note.ID, n.ID)

	require.NoError(t, nt.remove(ctx, c, rollback.TypeNote, note.ID, ct.ID))
	_, err = nt.read(ctx, c, rollback.TypeNote, note.ID, ct.ID)
	require.ErrorIs(t, err, highlevel.ErrNotFound)

	_, err = noTarget{}.read(ctx, c, "made_up", "x", "")
	require.Error(t, err)
}

// TestLinkKinds: each link type the migration journals (a relation, a
// contact's business) has one link kind, found by its type and by the
// reconcile finding repair makes it again for; lookup.go and repair.go
// name no record or link type — they ask the target and link registries.
func TestLinkKinds(t *testing.T) {
	for _, typ := range []string{rollback.TypeRelation, rollback.TypeContactBusiness} {
		k := linkOf(typ)
		require.NotNil(t, k, typ)
		assert.Equal(t, typ, k.typ)
		assert.NotEmpty(t, k.orphan, "%s: the reconcile finding it repairs", typ)
		assert.NotNil(t, k.settle)
		assert.NotNil(t, k.remake)
	}
	assert.Nil(t, linkOf(rollback.TypeContact), "a record is not a link")

	// A journaled business link whose contact reconcile found unlinked is
	// made again for the contact reconcile names; one without a journaled
	// link says so.
	links := map[string]rollback.Entry{"p1": {SourceKey: "p1", TargetID: "old", RelatedID: "b1"}}
	found, key, none := businessLink.orphaned(links, reconcile.Orphan{SourceKey: "p1", HighLevelID: "c1"}, nil)
	require.Len(t, found, 1)
	assert.Equal(t, "c1", found[0].e.TargetID)
	assert.Equal(t, "p1", key)
	found, _, none = businessLink.orphaned(links, reconcile.Orphan{SourceKey: "p2", HighLevelID: "c2"}, nil)
	assert.Empty(t, found)
	assert.Contains(t, none, "no business link")
	w, ok := businessLink.remake(&Migration{}, links["p1"], nil, func(id string) string { return map[string]string{"old": "new"}[id] + id })
	require.True(t, ok)
	assert.Equal(t, "newold", w.target, "the contact's id after the repair")
	assert.JSONEq(t, `{"businessId":"b1"}`, string(w.payload))

	// A relation is made again from its journaled body, its records'
	// ids moved; without a body (purged) it is not.
	_, ok = relationLink.remake(&Migration{}, rollback.Entry{SourceKey: "r"}, nil, func(id string) string { return id })
	assert.False(t, ok, "no body")
	w, ok = relationLink.remake(&Migration{}, rollback.Entry{SourceKey: "r"}, []byte(`{"associationId":"a","firstRecordId":"x","secondRecordId":"y"}`),
		func(id string) string { return id + "2" })
	require.True(t, ok)
	assert.Equal(t, "x2", w.target)
	assert.Equal(t, "y2", w.related)
	assert.JSONEq(t, `{"associationId":"a","firstRecordId":"x2","secondRecordId":"y2"}`, string(w.payload))

	named := regexp.MustCompile(`\brollback\.(Type[A-Za-z]+|RecordTypePrefix)\b`)
	for _, f := range []string{"repair.go", "lookup.go"} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.Empty(t, named.FindAllString(string(b), -1), "%s names a record or link type: give the target or link kind a hook", f)
	}
}
