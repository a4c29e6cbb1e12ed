package rollback

import (
	"context"
	"encoding/json"
	"strings"
)

// Before-images hold what HighLevel had before a write: whole records as
// read (names, contact details, notes), far more than Undo needs. The
// journal keeps only their projection onto what Undo uses:
//
//   - an update's before-image keeps the fields its payload writes (a
//     custom-field list only the ids written, a properties object only the
//     properties written), the record's "id", and a note's "body" (a note
//     restore must send it);
//   - a delete's before-image keeps the "id" (Undo cannot reverse a
//     delete; the id names a note or task a delete acted on).
//
// A field absent from the trimmed image was absent (or empty) before the
// write, as in a whole image: Undo clears it. Other before-images (a link
// journaled with the link it replaced) are small already and kept whole.

// trimBefore returns the part of before an Undo of the journaled call
// needs. A before-image or payload that is not a JSON object is kept whole
// (nothing tells which part matters).
func trimBefore(op Op, objectType string, before, payload []byte) []byte {
	if before == nil || (op != OpUpdate && op != OpDelete) {
		return before
	}
	b, ok := decodeObject(before)
	if !ok {
		return before
	}
	var w map[string]any
	if op == OpUpdate && payload != nil {
		if w, ok = decodeObject(payload); !ok {
			return before
		}
	}
	keep := map[string]bool{"id": true}
	if op == OpUpdate && objectType == TypeNote {
		keep["body"] = true
	}
	out := make(map[string]any, len(w)+len(keep))
	for k, v := range b {
		if keep[strings.ToLower(k)] {
			out[k] = v
			continue
		}
		wk, written := foldedKey(w, k)
		if !written {
			continue
		}
		out[k] = projectBefore(v, w[wk])
	}
	trimmed, err := json.Marshal(out)
	if err != nil {
		return before
	}
	return trimmed
}

// projectBefore keeps of a before value what the written value touches:
// the items of an id-keyed list (custom fields) whose ids were written, the
// keys of an object (properties) that were written; any other value whole.
func projectBefore(before, written any) any {
	switch w := written.(type) {
	case map[string]any:
		b, ok := before.(map[string]any)
		if !ok {
			return before
		}
		out := make(map[string]any, len(w))
		for k, v := range b {
			if wk, ok := foldedKey(w, k); ok {
				out[k] = projectBefore(v, w[wk])
			}
		}
		return out
	case []any:
		ids, ok := itemIDs(w)
		if !ok {
			return before
		}
		b, ok := before.([]any)
		if !ok {
			return before
		}
		out := make([]any, 0, len(ids))
		for _, item := range b {
			if m, ok := item.(map[string]any); ok {
				if id, ok := m["id"].(string); ok && ids[id] {
					out = append(out, item)
				}
			}
		}
		return out
	}
	return before
}

// itemIDs returns the ids of a list of {"id": ...} objects; false when the
// list is anything else (tags, plain values).
func itemIDs(list []any) (map[string]bool, bool) {
	if len(list) == 0 {
		return nil, false
	}
	ids := make(map[string]bool, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, false
		}
		id, ok := m["id"].(string)
		if !ok {
			return nil, false
		}
		ids[id] = true
	}
	return ids, true
}

// foldedKey finds k in m, exactly or case-insensitively (before-images
// marshalled from Go types without JSON tags say "Properties").
func foldedKey(m map[string]any, k string) (string, bool) {
	if m == nil {
		return "", false
	}
	if _, ok := m[k]; ok {
		return k, true
	}
	for mk := range m {
		if strings.EqualFold(mk, k) {
			return mk, true
		}
	}
	return "", false
}

func decodeObject(b []byte) (map[string]any, bool) {
	v, err := decodeJSON(b)
	if err != nil {
		return nil, false
	}
	m, ok := v.(map[string]any)
	return m, ok && m != nil
}

// composeBefore sets the before-image a restore of several updates of one
// record puts back. Each written field takes its value from the
// before-image of the first update in scope that wrote it (a custom field
// by id, a property by name): the value it had before the runs touched it.
// With whole before-images the first one held every field; trimmed ones
// hold only what their own update wrote, so a field a later update wrote
// first comes from that update's image. Fields no update wrote (a note's
// body) come from the first image.
func (l *Ledger) composeBefore(ctx context.Context, st *step) error {
	var updates []Entry
	for _, m := range st.members {
		if m.Op == OpUpdate {
			updates = append(updates, m)
		}
	}
	if len(updates) < 2 || st.comp.State != StatePlanned {
		return nil
	}
	irreversible := func(reason string) error {
		st.comp.State, st.comp.Reason = StateIrreversible, reason
		return nil
	}
	out, ok := decodeObject(st.before)
	if !ok {
		return irreversible("stored before-image is not a JSON object")
	}
	claimed := map[string]*claim{}
	for i, m := range updates {
		m, err := l.withBlobs(ctx, m)
		if err != nil {
			return err
		}
		if !m.HasBefore() {
			return irreversible(l.missingBeforeReason(ctx, m))
		}
		rawB, err := l.Before(ctx, m)
		if err != nil {
			return err
		}
		rawW, err := l.Payload(ctx, m)
		if err != nil {
			return err
		}
		b, okB := decodeObject(rawB)
		w, okW := decodeObject(rawW)
		if !okB || !okW {
			return irreversible("stored payload or before-image is not a JSON object")
		}
		for wk, wv := range w {
			c := claimed[strings.ToLower(wk)]
			if c == nil {
				c = &claim{}
				claimed[strings.ToLower(wk)] = c
			}
			if i == 0 {
				c.markAll(wv)
				continue
			}
			c.take(out, b, wk, wv)
		}
	}
	composed, err := json.Marshal(out)
	if err != nil {
		return irreversible("before-images cannot be combined")
	}
	st.before = composed
	return nil
}

// claim records which parts of a written field an earlier update already
// wrote: the whole field, or items by id (exact), or properties by name
// (lower-cased, as before-images may spell them differently).
type claim struct {
	whole bool
	parts map[string]bool
}

func (c *claim) markAll(written any) {
	switch w := written.(type) {
	case map[string]any:
		c.mark(writtenKeys(w))
	case []any:
		if ids, ok := itemIDs(w); ok {
			c.mark(ids)
			return
		}
		c.whole = true
	default:
		c.whole = true
	}
}

func (c *claim) mark(parts map[string]bool) {
	if c.parts == nil {
		c.parts = map[string]bool{}
	}
	for p := range parts {
		c.parts[p] = true
	}
}

func writtenKeys(m map[string]any) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[strings.ToLower(k)] = true
	}
	return out
}

// take copies into out, from before (the image of a later update), the
// parts of field wk that no earlier update wrote, or removes them from out
// when before lacks them (they were empty: Undo clears them).
func (c *claim) take(out, before map[string]any, wk string, written any) {
	if c.whole {
		return
	}
	ok0 := func(m map[string]any, k string) (any, string, bool) {
		fk, ok := foldedKey(m, k)
		if !ok {
			return nil, k, false
		}
		return m[fk], fk, true
	}
	bv, _, hasB := ok0(before, wk)
	ov, ok, hasO := ok0(out, wk)
	switch w := written.(type) {
	case map[string]any:
		bm, _ := bv.(map[string]any)
		om, _ := ov.(map[string]any)
		if om == nil {
			om = map[string]any{}
		}
		for k := range w {
			if c.parts[strings.ToLower(k)] {
				continue
			}
			if _, fk, has := ok0(om, k); has {
				delete(om, fk)
			}
			if v, fk, has := ok0(bm, k); has {
				om[fk] = v
			}
		}
		out[ok] = om
		c.mark(writtenKeys(w))
		return
	case []any:
		if ids, isList := itemIDs(w); isList {
			var fresh []string
			for id := range ids {
				if !c.parts[id] {
					fresh = append(fresh, id)
				}
			}
			ol, _ := ov.([]any)
			bl, _ := bv.([]any)
			kept := make([]any, 0, len(ol)+len(fresh))
			drop := map[string]bool{}
			for _, id := range fresh {
				drop[id] = true
			}
			for _, item := range ol {
				if m, ok := item.(map[string]any); ok {
					if id, _ := m["id"].(string); drop[id] {
						continue
					}
				}
				kept = append(kept, item)
			}
			for _, item := range bl {
				if m, ok := item.(map[string]any); ok {
					if id, _ := m["id"].(string); drop[id] {
						kept = append(kept, item)
					}
				}
			}
			out[ok] = kept
			for _, id := range fresh {
				c.mark(map[string]bool{id: true})
			}
			return
		}
	}
	if len(c.parts) > 0 {
		return // written as a list or object before: keep the first image's
	}
	if hasO {
		delete(out, ok)
	}
	if hasB {
		out[ok] = bv
	}
	c.whole = true
}
