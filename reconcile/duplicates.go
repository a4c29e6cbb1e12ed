package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/rollback"
)

// Duplicate is an external id (a source key) that HighLevel holds on more
// than one object of a type: a write applied twice (an answer lost, a
// create retried) or a copy made by hand. HighLevelIDs starts with the id
// the ledger maps the key to, when HighLevel holds it; the others follow
// in id order.
type Duplicate struct {
	ObjectType   string   `json:"objectType"`
	SourceKey    string   `json:"sourceKey"`
	HighLevelIDs []string `json:"highLevelIds"`
}

// dupIndex collects, per object type and external id, the HighLevel ids
// read that carry it.
type dupIndex map[string]map[string][]string

func (d dupIndex) add(typ, key, id string) {
	if key == "" || id == "" {
		return
	}
	if d[typ] == nil {
		d[typ] = map[string][]string{}
	}
	for _, have := range d[typ][key] {
		if have == id {
			return
		}
	}
	d[typ][key] = append(d[typ][key], id)
}

// duplicates lists every key held more than once, types in the ledger's
// order, keys in source-key order.
func (r *run) duplicates() []Duplicate {
	var out []Duplicate
	types := sortedKeys(r.dups)
	sort.SliceStable(types, func(i, j int) bool { return typeRank(types[i]) < typeRank(types[j]) })
	for _, typ := range types {
		keys := sortedKeys(r.dups[typ])
		sort.SliceStable(keys, func(i, j int) bool { return keyLess(keys[i], keys[j]) })
		for _, k := range keys {
			ids := r.dups[typ][k]
			if len(ids) < 2 {
				continue
			}
			ledger := ""
			if rec := r.x.byKey(typ, k); rec != nil {
				ledger = rec.HighLevelID
			}
			sorted := append([]string(nil), ids...)
			sort.Slice(sorted, func(i, j int) bool {
				if (sorted[i] == ledger) != (sorted[j] == ledger) {
					return sorted[i] == ledger
				}
				return sorted[i] < sorted[j]
			})
			out = append(out, Duplicate{ObjectType: typ, SourceKey: k, HighLevelIDs: sorted})
		}
	}
	return out
}

// duplicatesChecked are the object types whose every object was grouped
// by external id: contacts and custom records in a full run (with their
// identity field known), opportunities whenever the ledger has some.
func (r *run) duplicatesChecked() []string {
	var out []string
	for _, typ := range r.x.types {
		if k := kindOf(typ); k != nil && k.duplicatesChecked(r, typ) {
			out = append(out, typ)
		}
	}
	return out
}

// keyText is an external id as a property or custom field holds it: text,
// or a number written as text.
func keyText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return ""
}

// identityFields settles, per custom object and for opportunities, which
// property or custom field holds the external id: Options when given,
// otherwise the one field whose value is the record's own source key in
// every mapped body the ledger journaled (the map writes it on each
// create). A type whose field cannot be told is listed in
// Report.DuplicatesUnchecked.
func (r *run) identityFields(ctx context.Context) error {
	r.extFields = map[string]string{}
	for _, typ := range r.x.types {
		k := kindOf(typ)
		if k == nil {
			continue
		}
		given, grouped := k.identity(r.opts, typ)
		if !grouped {
			continue
		}
		if given != "" {
			r.extFields[typ] = given
			continue
		}
		f, err := r.deriveIdentity(ctx, typ)
		if err != nil {
			return err
		}
		if f == "" {
			r.rep.DuplicatesUnchecked = append(r.rep.DuplicatesUnchecked, typ)
			continue
		}
		r.extFields[typ] = f
	}
	return nil
}

// identitySample bounds the mapped bodies read to tell an identity field:
// a field equal to the source key in that many records is no coincidence.
const identitySample = 25

func (r *run) deriveIdentity(ctx context.Context, typ string) (string, error) {
	var cand map[string]bool
	n := 0
	for _, rec := range r.x.records[typ] {
		if !rec.hasWrite || rec.write.Op != rollback.OpCreate {
			continue
		}
		body, err := r.l.Payload(ctx, rec.write)
		if err != nil {
			return "", err
		}
		got := bodyKeys(body, rec.SourceKey)
		if cand == nil {
			cand = got
		} else {
			for k := range cand {
				if !got[k] {
					delete(cand, k)
				}
			}
		}
		if n++; n == identitySample || len(cand) == 0 {
			break
		}
	}
	var ids []string
	for k := range cand {
		ids = append(ids, k)
	}
	if len(ids) > 1 {
		// Keys of the same record (a record keyed 1 with a count of 1):
		// the map names identity fields "..._id".
		var named []string
		for _, k := range ids {
			if strings.HasSuffix(k, "_id") {
				named = append(named, k)
			}
		}
		ids = named
	}
	if len(ids) != 1 {
		return "", nil
	}
	return ids[0], nil
}

// bodyKeys are the properties (records) or custom field ids (opportunities,
// contacts) of a mapped body whose value is key.
func bodyKeys(body []byte, key string) map[string]bool {
	out := map[string]bool{}
	var b struct {
		Properties   map[string]json.RawMessage   `json:"properties"`
		CustomFields []map[string]json.RawMessage `json:"customFields"`
	}
	if json.Unmarshal(body, &b) != nil {
		return out
	}
	for k, v := range b.Properties {
		if keyText(v) == key {
			out[k] = true
		}
	}
	for _, cf := range b.CustomFields {
		var id string
		if json.Unmarshal(cf["id"], &id) != nil || id == "" {
			continue
		}
		v := cf["field_value"]
		if v == nil {
			v = cf["value"]
		}
		if keyText(v) == key {
			out[id] = true
		}
	}
	return out
}

// opportunityDuplicates groups the listed opportunities by external id: an
// opportunity the ledger maps counts under its source key; any other is
// read for its external id field (from the listing, or by id when the
// search omits custom fields — one call per opportunity the ledger does not
// know, none on a clean location).
func (r *run) opportunityDuplicates(ctx context.Context) error {
	field := r.extFields[rollback.TypeOpportunity]
	if field == "" || len(r.x.records[rollback.TypeOpportunity]) == 0 {
		return nil
	}
	if r.oppSample != nil {
		// The count agreed (a full check that is not Deep): a copy
		// would have raised it and been listed. Nothing to group.
		return nil
	}
	if err := r.listOpportunities(ctx); err != nil {
		return err
	}
	for _, id := range sortedKeys(r.opps) {
		o := r.opps[id]
		if rec := r.x.byHLID[id]; rec != nil && rec.Type == rollback.TypeOpportunity {
			r.dups.add(rollback.TypeOpportunity, rec.SourceKey, id)
			continue
		}
		v, ok := o.CustomField(field)
		if !ok && len(o.CustomFields) == 0 {
			r.calls++
			full, err := r.c.Opportunities.Get(ctx, id)
			if errors.Is(err, highlevel.ErrNotFound) {
				continue // deleted since the listing
			}
			if err != nil {
				return err
			}
			v, ok = full.CustomField(field)
		}
		if ok {
			r.dups.add(rollback.TypeOpportunity, keyText(v.Value), id)
		}
	}
	return nil
}
