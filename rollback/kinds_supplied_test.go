package rollback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/pbnhl/pbnhl/highlevel"
)

// widgetKind is a caller's kind kept in memory: the records it holds by
// id, what it was asked to do.
type widgetKind struct {
	types    []string
	records  map[string]map[string]any
	deleted  []string
	restored map[string]string
}

func (k *widgetKind) Types() []string { return k.types }

func (k *widgetKind) Delete(_ context.Context, ref Ref) error {
	if _, ok := k.records[ref.ID]; !ok {
		return fmt.Errorf("widget %s: %w", ref.ID, highlevel.ErrNotFound)
	}
	delete(k.records, ref.ID)
	k.deleted = append(k.deleted, ref.ID)
	return nil
}

func (k *widgetKind) Read(_ context.Context, ref Ref) (any, error) {
	r, ok := k.records[ref.ID]
	if !ok {
		return nil, nil
	}
	return r, nil
}

func (k *widgetKind) Restore(_ context.Context, ref Ref, before, _ []byte) error {
	k.restored[ref.ID] = string(before)
	return nil
}

// TestSuppliedKinds checks a caller's kind (WithKinds) is what the
// target deletes, reads, checks and restores with — for a type rollback
// does not know and ahead of a built-in kind of the same type — and that
// a not-found of its own is read as gone. The target has no client: a
// call to HighLevel would panic.
func TestSuppliedKinds(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		w := &widgetKind{types: []string{"widget", TypeContact},
			records:  map[string]map[string]any{"w1": {"name": "a", "size": 1}, "m1": {"name": "f"}},
			restored: map[string]string{}}
		h := (&HighLevelTarget{}).WithKinds(w)

		written := []byte(`{"name":"a"}`)
		got, err := h.Digest(ctx, Ref{ObjectType: "widget", ID: "w1"}, written)
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := ProjectDigest(mustJSON(t, w.records["w1"]), written); got != want {
			t.Errorf("digest %s, want the read projected onto the written fields %s", got, want)
		}
		if ok, err := h.Exists(ctx, Ref{ObjectType: "widget", ID: "w1"}); !ok || err != nil {
			t.Errorf("exists: %v %v", ok, err)
		}
		if err := h.Restore(ctx, Ref{ObjectType: "widget", ID: "w1"}, []byte(`{"name":"z"}`), written); err != nil {
			t.Fatal(err)
		}
		if w.restored["w1"] != `{"name":"z"}` {
			t.Errorf("restore was given %q", w.restored["w1"])
		}
		for _, id := range []string{"w1", "m1"} {
			typ := map[string]string{"w1": "widget", "m1": TypeContact}[id]
			if err := h.Delete(ctx, Ref{ObjectType: typ, ID: id}); err != nil {
				t.Fatalf("delete %s: %v", typ, err)
			}
		}
		if len(w.deleted) != 2 {
			t.Errorf("deleted %v, want both through the supplied kind", w.deleted)
		}
		if err := h.Delete(ctx, Ref{ObjectType: "widget", ID: "w1"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("delete of a gone widget: %v, want ErrNotFound", err)
		}
		if ok, err := h.Exists(ctx, Ref{ObjectType: "widget", ID: "w1"}); ok || err != nil {
			t.Errorf("exists after delete: %v %v", ok, err)
		}
		if _, err := h.Digest(ctx, Ref{ObjectType: "widget", ID: "w1"}, written); !errors.Is(err, ErrNotFound) {
			t.Errorf("digest of a gone widget: %v, want ErrNotFound", err)
		}
		// A target without the kind refuses the type, without a call.
		if err := (&HighLevelTarget{}).Delete(ctx, Ref{ObjectType: "widget", ID: "w1"}); !errors.Is(err, ErrIrreversible) {
			t.Errorf("delete without the kind: %v", err)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
