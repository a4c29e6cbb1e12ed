package pbnhl

import (
	"context"
	"fmt"
	"sync"

	"github.com/pbnhl/pbnhl/rollback"
)

// mapped is one id-map row held in memory.
type mapped struct {
	id     string
	digest string
}

// idIndex is the id map of the object types a phase touches, loaded from
// the ledger once per type and kept current as records are written, so
// resolving a parent or skipping a migrated record costs no call and no
// query. It holds two short strings per record.
type idIndex struct {
	ledger *rollback.Ledger
	mu     sync.RWMutex
	byKey  map[string]map[string]mapped // type → source key → row
	ids    map[string]map[string]bool   // type → HighLevel ids mapped
}

func newIndex(l *rollback.Ledger) *idIndex {
	return &idIndex{ledger: l, byKey: map[string]map[string]mapped{}, ids: map[string]map[string]bool{}}
}

func (x *idIndex) load(ctx context.Context, typ string) error {
	x.mu.RLock()
	_, ok := x.byKey[typ]
	x.mu.RUnlock()
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
	if _, ok := x.byKey[typ]; !ok {
		x.byKey[typ], x.ids[typ] = keys, ids
	}
	x.mu.Unlock()
	return nil
}

// get returns the row of (typ, key); typ must have been loaded.
func (x *idIndex) get(typ, key string) (mapped, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	r, ok := x.byKey[typ][key]
	return r, ok
}

func (x *idIndex) has(typ, id string) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.ids[typ][id]
}

func (x *idIndex) set(typ, key, id, digest string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.byKey[typ] == nil {
		return // not loaded: the ledger has it, and load reads it
	}
	x.byKey[typ][key] = mapped{id: id, digest: digest}
	x.ids[typ][id] = true
}

func (x *idIndex) forget(typ, key string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if r, ok := x.byKey[typ][key]; ok {
		delete(x.ids[typ], r.id)
		delete(x.byKey[typ], key)
	}
}

// doneLinks returns the links of typ (contact.business, relation) that a
// run made and no Undo reversed: source key → linkPair(target, related).
// Callers compare the pair with the records' current ids, so a link of a
// record deleted and created again does not count.
func doneLinks(ctx context.Context, l *rollback.Ledger, typ string) (map[string]string, error) {
	out := map[string]string{}
	undone := map[int64]bool{}
	for e, err := range l.Entries(ctx, rollback.EntryFilter{Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		if err != nil {
			return nil, fmt.Errorf("pbnhl: read journal: %w", err)
		}
		if e.Compensates != 0 {
			undone[e.Compensates] = true
		}
	}
	for e, err := range l.Entries(ctx, rollback.EntryFilter{ObjectTypes: []string{typ}, Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		if err != nil {
			return nil, fmt.Errorf("pbnhl: read journal: %w", err)
		}
		if e.Op != rollback.OpLink || e.Compensates != 0 {
			continue
		}
		if undone[e.ID] {
			delete(out, e.SourceKey)
			continue
		}
		out[e.SourceKey] = linkPair(e.TargetID, e.RelatedID)
	}
	return out, nil
}

func linkPair(target, related string) string { return target + "\x00" + related }
