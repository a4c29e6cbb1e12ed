package pbnhl

import "testing"

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
