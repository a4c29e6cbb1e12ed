package pbnhl

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/pbnhl/pbnhl/rollback"
)

// mapped is one id-map row held in memory.
type mapped struct {
	id     string
	digest string
}

// indexCacheSize bounds the id-map rows held in memory (about 200 bytes
// each, 2 MB in all): large enough that a record written is still cached
// while the same phase may ask for it again (a media file's note, a
// resumed batch) and that a parent's children, read in the source's order,
// mostly find it cached; small enough to stay flat at any practice size. A
// miss is one indexed read of the ledger.
const indexCacheSize = 10_000

// idIndex is the id map of the object types a phase touches. Lazy types
// (every type a run writes through the journal, parents — offices, staff,
// patients, appointments — and records no lookup refers to alike; see
// lazyTypes) hold no per-record row: get reads the ledger's id map
// (Ledger.Lookup) through one bounded LRU cache that also keeps the rows
// this phase wrote, and has asks the ledger by HighLevel id
// (Ledger.Mapped). So the memory a run holds for its id map is the cache's,
// whatever the practice's size; the cache's hits and misses are counted
// (stats; logged when a phase finishes). The other types (every type of a
// dry run, whose ids are invented; the conversations found by search) are
// held in memory, loaded from the ledger once per type and kept current as
// records are written.
type idIndex struct {
	ledger *rollback.Ledger
	// lazy reports the types answered from the ledger; nil: none.
	lazy func(typ string) bool

	mu     sync.Mutex
	byKey  map[string]map[string]mapped // in-memory type → source key → row
	ids    map[string]map[string]bool   // in-memory type → HighLevel ids mapped
	loaded map[string]bool              // ledger types loaded
	gone   map[string]map[string]bool   // ledger type → keys forgotten (the ledger may still hold them)
	cache  *lru

	hits, misses atomic.Int64
}

func newIndex(l *rollback.Ledger) *idIndex {
	return &idIndex{ledger: l, byKey: map[string]map[string]mapped{}, ids: map[string]map[string]bool{},
		loaded: map[string]bool{}, gone: map[string]map[string]bool{}, cache: newLRU(indexCacheSize)}
}

// withLazy makes the types lazy answers true for read from the ledger.
// Only types whose rows set writes through the ledger may be lazy (not a
// dry run's invented ids, not conversation.seen).
func (x *idIndex) withLazy(lazy func(typ string) bool) *idIndex {
	x.lazy = lazy
	return x
}

func (x *idIndex) isLazy(typ string) bool { return x.lazy != nil && x.lazy(typ) }

// stats returns the cache's hits and misses (reads of the ledger) so far.
func (x *idIndex) stats() (hits, misses int64) { return x.hits.Load(), x.misses.Load() }

func (x *idIndex) load(ctx context.Context, typ string) error {
	if x.isLazy(typ) {
		x.mu.Lock()
		defer x.mu.Unlock()
		if !x.loaded[typ] {
			x.loaded[typ], x.gone[typ] = true, map[string]bool{}
		}
		return nil
	}
	x.mu.Lock()
	_, ok := x.byKey[typ]
	x.mu.Unlock()
	if ok {
		return nil
	}
	keys, ids := map[string]mapped{}, map[string]bool{}
	for mp, err := range x.ledger.IDMap(ctx, typ) {
		if err != nil {
			return fmt.Errorf("pbnhl: read id map of %s: %w", typ, err)
		}
		if mp.HighLevelID == "" {
			continue
		}
		keys[mp.SourceKey] = mapped{id: mp.HighLevelID, digest: mp.Digest}
		ids[mp.HighLevelID] = true
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, ok := x.byKey[typ]; !ok {
		x.byKey[typ], x.ids[typ] = keys, ids
	}
	return nil
}

// get returns the row of (typ, key); typ must have been loaded. For a lazy
// type a cache miss reads the ledger; a ledger that cannot be read answers
// "not mapped", and the journal write that follows fails the same way.
func (x *idIndex) get(typ, key string) (mapped, bool) {
	if !x.isLazy(typ) {
		x.mu.Lock()
		defer x.mu.Unlock()
		r, ok := x.byKey[typ][key]
		return r, ok
	}
	x.mu.Lock()
	if !x.loaded[typ] || x.gone[typ][key] {
		x.mu.Unlock()
		return mapped{}, false
	}
	if r, ok := x.cache.get(typ, key); ok {
		x.mu.Unlock()
		x.hits.Add(1)
		return r, true
	}
	x.mu.Unlock()
	x.misses.Add(1)
	mp, ok, err := x.ledger.Lookup(context.Background(), typ, key)
	if err != nil || !ok || mp.HighLevelID == "" {
		return mapped{}, false
	}
	r := mapped{id: mp.HighLevelID, digest: mp.Digest}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.gone[typ][key] {
		return mapped{}, false // forgotten while the ledger was read
	}
	if c, ok := x.cache.get(typ, key); ok {
		return c, true // written while the ledger was read: newer
	}
	x.cache.put(typ, key, r)
	return r, true
}

// has reports whether id is a record of typ the id map holds: one of ours.
// For a lazy type it is one indexed read of the ledger; a ledger that
// cannot be read answers "not ours", as get does.
func (x *idIndex) has(typ, id string) bool {
	if x.isLazy(typ) {
		ok, err := x.ledger.Mapped(context.Background(), typ, id)
		return err == nil && ok
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.ids[typ][id]
}

func (x *idIndex) set(typ, key, id, digest string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.isLazy(typ) {
		if !x.loaded[typ] {
			return // not loaded: the ledger has it, and get reads it
		}
		delete(x.gone[typ], key)
		x.cache.put(typ, key, mapped{id: id, digest: digest})
		return
	}
	if x.byKey[typ] == nil {
		return // not loaded: the ledger has it, and load reads it
	}
	x.byKey[typ][key] = mapped{id: id, digest: digest}
	x.ids[typ][id] = true
}

func (x *idIndex) forget(typ, key string) {
	if x.isLazy(typ) {
		x.mu.Lock()
		defer x.mu.Unlock()
		if !x.loaded[typ] {
			return
		}
		x.cache.remove(typ, key)
		x.gone[typ][key] = true
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if r, ok := x.byKey[typ][key]; ok {
		delete(x.ids[typ], r.id)
		delete(x.byKey[typ], key)
	}
}

// lru is a bounded least-recently-used cache of id-map rows; the caller
// holds idIndex.mu.
type lru struct {
	max   int
	order *list.List // front: most recent; values are *lruItem
	items map[lruKey]*list.Element
}

type lruKey struct{ typ, key string }

type lruItem struct {
	k lruKey
	r mapped
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), items: map[lruKey]*list.Element{}}
}

func (c *lru) get(typ, key string) (mapped, bool) {
	e, ok := c.items[lruKey{typ, key}]
	if !ok {
		return mapped{}, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruItem).r, true
}

func (c *lru) put(typ, key string, r mapped) {
	k := lruKey{typ, key}
	if e, ok := c.items[k]; ok {
		e.Value.(*lruItem).r = r
		c.order.MoveToFront(e)
		return
	}
	c.items[k] = c.order.PushFront(&lruItem{k: k, r: r})
	for c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*lruItem).k)
	}
}

func (c *lru) remove(typ, key string) {
	k := lruKey{typ, key}
	if e, ok := c.items[k]; ok {
		c.order.Remove(e)
		delete(c.items, k)
	}
}

// linksDone answers whether a link of typ (a record's relation, a
// contact's business) is made from the ledger (Ledger.LinkDone): one
// indexed read per link asked about, no set of the links made held for
// the run. The journal is written before
// a link's call returns, so a link made earlier in the same phase is seen.
type linksDone struct {
	ledger *rollback.Ledger
	typ    string
}

// done reports whether the link of key joins exactly target and related (a
// link of a record deleted and created again does not count). A ledger
// that cannot be read (a cancelled phase among others) is an error, never
// "not made": the link would be journaled again, and a cancelled attempt
// of a link already made would count as its refusal.
func (d linksDone) done(ctx context.Context, key, target, related string) (bool, error) {
	t, r, ok, err := d.ledger.LinkDone(ctx, d.typ, key)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, fmt.Errorf("pbnhl: read the journal's %s links: %w", d.typ, err)
	}
	return ok && t == target && r == related, nil
}
