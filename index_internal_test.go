package pbnhl

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/pbnhl/pbnhl/rollback"
)

// TestIndexLRUBounded: the lazy types' cache keeps at most its size, drops
// the least recently used row first, and a read refreshes a row.
func TestIndexLRUBounded(t *testing.T) {
	c := newLRU(3)
	for _, k := range []string{"a", "b", "c"} {
		c.put("note", k, mapped{id: "id-" + k})
	}
	if _, ok := c.get("note", "a"); !ok { // a is now the most recent
		t.Fatal("a missing before the cache is full")
	}
	c.put("note", "d", mapped{id: "id-d"}) // evicts b, the least recent
	if _, ok := c.get("note", "b"); ok {
		t.Fatal("b kept past the bound")
	}
	for _, k := range []string{"a", "c", "d"} {
		if r, ok := c.get("note", k); !ok || r.id != "id-"+k {
			t.Fatalf("%s: got %v %v", k, r, ok)
		}
	}
	if c.order.Len() != 3 || len(c.items) != 3 {
		t.Fatalf("size %d/%d, want 3", c.order.Len(), len(c.items))
	}
	c.put("task", "a", mapped{id: "task-a"}) // another type: its own row
	if r, _ := c.get("note", "a"); r.id == "task-a" {
		t.Fatal("types share rows")
	}
	c.remove("note", "d")
	if _, ok := c.get("note", "d"); ok {
		t.Fatal("removed row still there")
	}
}

// TestIndexParentsThroughCache: in a run every journaled type, parents
// (contacts) included, is read from the ledger through the bounded cache:
// no row per record is held, a miss is a ledger read (counted), a row
// written is cached, has asks the ledger by HighLevel id, and a forgotten
// key stays forgotten though the ledger still holds it. A dry run's types
// and the conversations found by search stay in memory.
func TestIndexParentsThroughCache(t *testing.T) {
	ctx := context.Background()
	l, err := rollback.Open(ctx, filepath.Join(t.TempDir(), "l.db"), rollback.Options{Plaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	run, err := l.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindFull, Location: "loc", Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		key := fmt.Sprintf("p%d", i)
		seq, err := run.Intent(ctx, rollback.Intent{Op: rollback.OpCreate, ObjectType: rollback.TypeContact, SourceKey: key, Payload: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		if err := run.Outcome(ctx, seq, rollback.Done("hl-"+key)); err != nil {
			t.Fatal(err)
		}
	}

	x := newIndex(l).withLazy(lazyTypes(nil))
	x.cache = newLRU(2)
	if _, ok := x.get(rollback.TypeContact, "p0"); ok {
		t.Fatal("a type not loaded answered")
	}
	if err := x.load(ctx, rollback.TypeContact); err != nil {
		t.Fatal(err)
	}
	if len(x.byKey) != 0 || len(x.ids) != 0 {
		t.Fatalf("load held rows in memory: %d types", len(x.byKey))
	}
	for i := range 5 {
		key := fmt.Sprintf("p%d", i)
		if r, ok := x.get(rollback.TypeContact, key); !ok || r.id != "hl-"+key {
			t.Fatalf("%s: got %v %v", key, r, ok)
		}
	}
	if _, ok := x.get(rollback.TypeContact, "p4"); !ok { // cached: a hit
		t.Fatal("p4 missing")
	}
	if hits, misses := x.stats(); hits != 1 || misses != 5 {
		t.Fatalf("hits %d misses %d, want 1 and 5", hits, misses)
	}
	if x.cache.order.Len() != 2 {
		t.Fatalf("cache holds %d rows, bound 2", x.cache.order.Len())
	}
	x.set(rollback.TypeContact, "p9", "hl-p9", "d") // written this phase: cached
	if r, ok := x.get(rollback.TypeContact, "p9"); !ok || r.id != "hl-p9" || r.digest != "d" {
		t.Fatalf("p9: got %v %v", r, ok)
	}
	if !x.has(rollback.TypeContact, "hl-p3") || x.has(rollback.TypeContact, "hl-other") || x.has(rollback.TypeBusiness, "hl-p3") {
		t.Fatal("has does not follow the ledger's id map")
	}
	x.forget(rollback.TypeContact, "p1")
	if _, ok := x.get(rollback.TypeContact, "p1"); ok {
		t.Fatal("a forgotten key answered from the ledger")
	}
	x.set(rollback.TypeContact, "p1", "hl-p1b", "")
	if r, ok := x.get(rollback.TypeContact, "p1"); !ok || r.id != "hl-p1b" {
		t.Fatalf("p1 written again: got %v %v", r, ok)
	}

	// Conversations found by search are in no journal: held in memory.
	if err := x.load(ctx, conversationSeen); err != nil {
		t.Fatal(err)
	}
	x.set(conversationSeen, "hl-p0", "conv-1", "")
	if r, ok := x.get(conversationSeen, "hl-p0"); !ok || r.id != "conv-1" || !x.has(conversationSeen, "conv-1") {
		t.Fatalf("conversation seen: got %v %v", r, ok)
	}
	// A dry run holds every type in memory, loaded once from the ledger.
	d := newIndex(l)
	if err := d.load(ctx, rollback.TypeContact); err != nil {
		t.Fatal(err)
	}
	if len(d.byKey[rollback.TypeContact]) != 5 {
		t.Fatalf("dry run index holds %d contacts, want 5", len(d.byKey[rollback.TypeContact]))
	}
}

// TestRelationDoneFromLedger: whether a relation is made is read from the
// ledger, exactly for the pair of records it joins.
func TestRelationDoneFromLedger(t *testing.T) {
	ctx := context.Background()
	l, err := rollback.Open(ctx, filepath.Join(t.TempDir(), "l.db"), rollback.Options{Plaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	run, err := l.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindFull, Location: "loc", Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	d := linksDone{ledger: l, typ: rollback.TypeRelation}
	done := func(key, target, related string) bool {
		t.Helper()
		ok, err := d.done(ctx, key, target, related)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if done("k", "r1", "c1") {
		t.Fatal("done before it was made")
	}
	seq, err := run.Intent(ctx, rollback.Intent{Op: rollback.OpLink, ObjectType: rollback.TypeRelation, SourceKey: "k", TargetID: "r1", RelatedID: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Outcome(ctx, seq, rollback.Done("rel-1")); err != nil {
		t.Fatal(err)
	}
	if !done("k", "r1", "c1") {
		t.Fatal("made, not seen")
	}
	if done("k", "r1", "c2") || done("k", "r2", "c1") {
		t.Fatal("a link of other records counted")
	}
	// A cancelled phase cannot read the journal: an error, not "not made"
	// (the link would be attempted again and its cut attempt count as a
	// refusal).
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.done(cctx, "k", "r1", "c1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled read: %v", err)
	}
}
