package rollback

import (
	"context"
	"errors"
	"testing"
)

// TestRecordKinds checks the undo registry: every record type the
// migration journals has one kind that can delete it and either read it,
// check it exists or digest it; a type no kind serves is refused as
// irreversible without a call (the target has no client: a call would
// panic).
func TestRecordKinds(t *testing.T) {
	seen := map[*recordKind]bool{}
	for _, typ := range []string{TypeContact, TypeBusiness, TypeOpportunity, TypeNote, TypeTask,
		RecordTypePrefix + "appointment"} {
		k := kindOf(typ)
		if k == nil {
			t.Errorf("no kind serves %s", typ)
			continue
		}
		seen[k] = true
		if k.remove == nil {
			t.Errorf("kind of %s cannot delete", typ)
		}
		if k.read == nil && k.exists == nil && k.digest == nil {
			t.Errorf("kind of %s has no change check", typ)
		}
	}
	if len(seen) != len(recordKinds) {
		t.Errorf("%d kinds serve the journaled types, the registry holds %d", len(seen), len(recordKinds))
	}
	for _, typ := range []string{TypeCustomField, TypeRelation, "custom_object", "no_such_type", TypeEvent, TypeConversation, TypeMessage, TypeMedia} {
		if kindOf(typ) != nil {
			t.Errorf("%s is served by a record kind", typ)
		}
	}
	h := &HighLevelTarget{}
	ctx := context.Background()
	if err := h.Delete(ctx, Ref{ObjectType: "no_such_type", ID: "x"}); !errors.Is(err, ErrIrreversible) {
		t.Errorf("delete of an unknown type: %v", err)
	}
	if err := h.Restore(ctx, Ref{ObjectType: TypeMedia, ID: "x"}, []byte(`{}`), []byte(`{}`)); !errors.Is(err, ErrIrreversible) {
		t.Errorf("restore of a file without its writer's kind: %v", err)
	}
	if _, err := h.Digest(ctx, Ref{ObjectType: "no_such_type", ID: "x"}, []byte(`{}`)); !errors.Is(err, ErrIrreversible) {
		t.Errorf("digest of an unknown type: %v", err)
	}
}
