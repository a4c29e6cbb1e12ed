package hltest

import (
	"cmp"
	"slices"
	"time"
)

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

// find returns the object of t with id, or HighLevel's answer for an id
// the location does not hold: 403 when it is another location's
// (HighLevel scopes by the resource's location), else missing(id), each
// API wording its 400 in its own way.
func find[T object](c *call, l *location, t *table[T], id string, missing func(id string) *apiError) (T, *apiError) {
	if v, ok := t.get(id); ok {
		return v, nil
	}
	var zero T
	if c.st.foreign(l, id) {
		return zero, errLocationAccess
	}
	return zero, missing(id)
}

// notFound is missing for HighLevel's usual "<What> with id <id> not found".
func notFound(what string) func(string) *apiError {
	return func(id string) *apiError { return errBadRequest("%s with id %s not found", what, id) }
}

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

// multiIndex groups objects under a key (a contact id, a record id), so
// per-parent lookups and cascading deletes do not scan whole tables.
type multiIndex[T object] map[string]map[string]T

func (x multiIndex[T]) add(key string, v T) {
	m := x[key]
	if m == nil {
		m = map[string]T{}
		x[key] = m
	}
	m[v.base().id] = v
}

func (x multiIndex[T]) del(key string, v T) {
	if m := x[key]; m != nil {
		delete(m, v.base().id)
		if len(m) == 0 {
			delete(x, key)
		}
	}
}

// list returns the objects under key in creation order.
func (x multiIndex[T]) list(key string) []T {
	m := x[key]
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(a.base().seq, b.base().seq) })
	return out
}

// HighLevel's cursors (searchAfter, startAfter + startAfterId) are
// [creation time in ms, id]: results are ordered by creation millisecond,
// then by id, so a cursor names a position by itself, whether or not its
// record still exists, and records created in the same millisecond as the
// cursor are neither repeated nor skipped.

// stampCmp orders (ms, id) pairs.
func stampCmp(aMs int64, aID string, bMs int64, bID string) int {
	if c := cmp.Compare(aMs, bMs); c != 0 {
		return c
	}
	return cmp.Compare(aID, bID)
}

// sortByStamp puts objects listed in creation order into cursor order.
// Creation order is already millisecond order (newMeta never stamps
// backwards), so only runs created within one millisecond are sorted.
func sortByStamp[T object](xs []T) {
	for i := 0; i < len(xs); {
		ms := xs[i].base().added.UnixMilli()
		j := i + 1
		for j < len(xs) && xs[j].base().added.UnixMilli() == ms {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(xs[i:j], func(a, b T) int { return cmp.Compare(a.base().id, b.base().id) })
		}
		i = j
	}
}

// afterStamp returns the index of the first object (in cursor order)
// strictly after the cursor (ms, id).
func afterStamp[T object](xs []T, ms int64, id string) int {
	i, _ := slices.BinarySearchFunc(xs, struct{}{}, func(x T, _ struct{}) int {
		if stampCmp(x.base().added.UnixMilli(), x.base().id, ms, id) > 0 {
			return 1
		}
		return -1
	})
	return i
}
