package reconcile

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/pbnhl/pbnhl/rollback"
)

// record is one record the ledger says exists in HighLevel.
type record struct {
	Type        string
	SourceKey   string
	HighLevelID string
	// write is the last create or update journaled for it (not undone);
	// its payload is the body HighLevel should hold.
	write    rollback.Entry
	hasWrite bool
	// writes are its create and the updates after it, oldest first: an
	// update body carries only what HighLevel's update accepts and what
	// changed, so the fields the record holds are the create's as the
	// updates overrode them (mappedFields).
	writes []rollback.Entry
	// writtenAt is the last outcome the journal holds for any call that
	// wrote to the record or linked it (compensations included).
	writtenAt time.Time
}

// link is a link the journal says exists between two live records.
type link struct {
	SourceKey string
	From, To  string // HighLevel ids: contact → business, record → contact
}

// expected is what the ledger says HighLevel holds.
type expected struct {
	records   map[string][]*record // object type → records, sorted by source key
	links     []link               // contact → business
	relations []link               // record ↔ contact
	byHLID    map[string]*record
	keys      map[string]bool // object type NUL source key
	byTypeKey map[string]*record
	// deleted are, per object type, the source keys whose record the
	// journal deleted (a delta applying the source's deletions).
	deleted map[string][]string
	types   []string
}

// readLedger builds the expected state: the id map's live rows (minus the
// records whose latest journaled write is a delete) with their last
// create or update, and the latest link per source key between live
// records. Compensated entries (undone) do not count.
func readLedger(ctx context.Context, l *rollback.Ledger) (*expected, error) {
	var done []rollback.Entry
	undone := map[int64]bool{}
	for e, err := range l.Entries(ctx, rollback.EntryFilter{Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		if err != nil {
			return nil, fmt.Errorf("reconcile: read the journal: %w", err)
		}
		if e.Compensates != 0 {
			undone[e.Compensates] = true
			continue
		}
		done = append(done, e)
	}
	// touched is, per HighLevel id, the last time the journal says we
	// wrote to it or linked it: HighLevel's dateUpdated may move then too.
	touched := map[string]time.Time{}
	for _, e := range done {
		for _, id := range []string{e.HighLevelID, e.TargetID, e.RelatedID} {
			if id != "" && e.OutcomeAt.After(touched[id]) {
				touched[id] = e.OutcomeAt
			}
		}
	}
	lastOp := map[string]rollback.Entry{}
	writes := map[string][]rollback.Entry{} // since the last create
	// lastDel is the latest delete per key and target: the duplicate
	// sweep deletes copies under the key of the record it keeps, so a
	// delete removes the record only when it targets the mapped id.
	lastDel := map[string]rollback.Entry{}
	delKeys := map[string]map[string]bool{} // object type → keys deleted
	latestLink := map[string]rollback.Entry{}
	for _, e := range done {
		if undone[e.ID] || e.SourceKey == "" {
			continue
		}
		k := e.ObjectType + "\x00" + e.SourceKey
		if e.Op == rollback.OpLink {
			latestLink[k] = e
			continue
		}
		switch e.Op {
		case rollback.OpCreate, rollback.OpUpdate:
			lastOp[k] = e
			if e.Op == rollback.OpCreate {
				writes[k] = nil
			}
			writes[k] = append(writes[k], e)
		case rollback.OpDelete:
			lastDel[k+"\x00"+deleted(e)] = e
			if delKeys[e.ObjectType] == nil {
				delKeys[e.ObjectType] = map[string]bool{}
			}
			delKeys[e.ObjectType][e.SourceKey] = true
		}
	}
	x := &expected{records: map[string][]*record{}, byHLID: map[string]*record{}, keys: map[string]bool{}, byTypeKey: map[string]*record{}, deleted: map[string][]string{}}
	for _, typ := range recordTypes(done) {
		for m, err := range l.IDMap(ctx, typ) {
			if err != nil {
				return nil, fmt.Errorf("reconcile: read the id map: %w", err)
			}
			e, seen := lastOp[typ+"\x00"+m.SourceKey]
			if m.HighLevelID == "" {
				continue
			}
			if d, ok := lastDel[typ+"\x00"+m.SourceKey+"\x00"+m.HighLevelID]; ok && (!seen || d.ID > e.ID) {
				continue // a deleted row the id map kept
			}
			r := &record{Type: typ, SourceKey: m.SourceKey, HighLevelID: m.HighLevelID, writtenAt: touched[m.HighLevelID]}
			if seen {
				r.write, r.hasWrite = e, true
				r.writes = writes[typ+"\x00"+m.SourceKey]
			}
			x.records[typ] = append(x.records[typ], r)
			x.byHLID[m.HighLevelID] = r
			x.keys[typ+"\x00"+m.SourceKey] = true
			x.byTypeKey[typ+"\x00"+m.SourceKey] = r
		}
		// Deleted: a key the journal deleted that no live record holds
		// (a delete of a copy leaves the key mapped to the record kept).
		for k := range delKeys[typ] {
			if !x.keys[typ+"\x00"+k] {
				x.deleted[typ] = append(x.deleted[typ], k)
			}
		}
		if len(x.records[typ]) > 0 || len(x.deleted[typ]) > 0 {
			x.types = append(x.types, typ)
			sortRecords(x.records[typ])
			sort.Slice(x.deleted[typ], func(i, j int) bool { return keyLess(x.deleted[typ][i], x.deleted[typ][j]) })
		}
	}
	keys := make([]string, 0, len(latestLink))
	for k := range latestLink {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		e := latestLink[k]
		if x.byHLID[e.TargetID] == nil || x.byHLID[e.RelatedID] == nil {
			continue
		}
		lk := link{SourceKey: e.SourceKey, From: e.TargetID, To: e.RelatedID}
		switch e.ObjectType {
		case rollback.TypeContactBusiness:
			x.links = append(x.links, lk)
		case rollback.TypeRelation:
			x.relations = append(x.relations, lk)
		}
	}
	return x, nil
}

// deleted is the HighLevel id a delete entry removed.
func deleted(e rollback.Entry) string {
	if e.TargetID != "" {
		return e.TargetID
	}
	return e.HighLevelID
}

// byKey is the live record the ledger maps (type, source key) to, or nil.
func (x *expected) byKey(typ, key string) *record { return x.byTypeKey[typ+"\x00"+key] }

// recordTypes are the object types of records (not links, not schema)
// the journal wrote, in a stable order: businesses, contacts, custom
// records, opportunities.
func recordTypes(entries []rollback.Entry) []string {
	seen := map[string]bool{}
	for _, e := range entries {
		if isRecordType(e.ObjectType) {
			seen[e.ObjectType] = true
		}
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		ri, rj := typeRank(out[i]), typeRank(out[j])
		if ri != rj {
			return ri < rj
		}
		return out[i] < out[j]
	})
	return out
}

func isRecordType(t string) bool { return kindOf(t) != nil }

// typeRank orders object types like the load (kinds.go).
func typeRank(t string) int {
	if k := kindOf(t); k != nil {
		return k.rank
	}
	return 2
}

// sortRecords orders by source key: numerically when both are integers
// (the range filters of the bucketed diff compare numbers), else as text.
func sortRecords(rs []*record) {
	sort.Slice(rs, func(i, j int) bool { return keyLess(rs[i].SourceKey, rs[j].SourceKey) })
}

func keyLess(a, b string) bool {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	switch {
	case errA == nil && errB == nil:
		return x < y
	case errA == nil:
		return true
	case errB == nil:
		return false
	}
	return a < b
}
