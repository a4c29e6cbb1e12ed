package hltest

import "time"

// meta is what every stored object has.
type meta struct {
	id      string
	seq     uint64 // creation order within the location
	deleted bool
	added   time.Time
	updated time.Time
	// visibleAt is when the object becomes visible to search (search lag).
	visibleAt time.Time
}

func (m *meta) base() *meta { return m }

type object interface{ base() *meta }

// table keeps objects by id and in creation order. Deletes leave a
// tombstone in the order slice, compacted once tombstones dominate, so
// deleting n objects costs O(n) overall.
type table[T object] struct {
	byID  map[string]T
	order []T
	dead  int
}

func newTable[T object]() *table[T] { return &table[T]{byID: map[string]T{}} }

func (t *table[T]) get(id string) (T, bool) {
	v, ok := t.byID[id]
	return v, ok
}

func (t *table[T]) put(v T) {
	t.byID[v.base().id] = v
	t.order = append(t.order, v)
}

func (t *table[T]) remove(id string) (T, bool) {
	v, ok := t.byID[id]
	if !ok {
		return v, false
	}
	delete(t.byID, id)
	v.base().deleted = true
	t.dead++
	if t.dead > 64 && t.dead > len(t.order)/2 {
		live := t.order[:0]
		for _, o := range t.order {
			if !o.base().deleted {
				live = append(live, o)
			}
		}
		clear(t.order[len(live):])
		t.order, t.dead = live, 0
	}
	return v, true
}

func (t *table[T]) len() int { return len(t.byID) }

// each calls fn for live objects in creation order until fn returns false.
func (t *table[T]) each(fn func(T) bool) {
	for _, o := range t.order {
		if o.base().deleted {
			continue
		}
		if !fn(o) {
			return
		}
	}
}
