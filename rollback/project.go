package rollback

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/pbnhl/pbnhl/highlevel"
)

// project returns current reshaped like written: for every key of written
// the current value, written in written's form when the two are equal as
// HighLevel stores them (highlevel.StoredEqual). Digest(project(current,
// written)) equals Digest(written) exactly when none of the written fields
// changed.
//
// The walk is rollback's own: only the keys of written count (HighLevel
// adds id, dateAdded…), keys match without case (typed before-images
// marshal Go field names), and lists of objects with an "id" (custom
// fields) are matched item by item on id, an item's value under
// "field_value", "fieldValue" or "value". Every leaf is judged by
// highlevel.StoredEqual.
func project(current, written any, key string) any {
	switch w := written.(type) {
	case map[string]any:
		cur, _ := current.(map[string]any)
		out := make(map[string]any, len(w))
		for k, wv := range w {
			out[k] = project(lookupKey(cur, k), wv, k)
		}
		return out
	case []any:
		if items, ok := projectByID(current, w); ok {
			return items
		}
	}
	if highlevel.StoredEqual(key, written, current) {
		return written
	}
	return current
}

func lookupKey(m map[string]any, k string) any {
	if m == nil {
		return nil
	}
	if v, ok := m[k]; ok {
		return v
	}
	// Typed before-images marshal Go field names ("Properties").
	for mk, v := range m {
		if strings.EqualFold(mk, k) {
			return v
		}
	}
	return nil
}

var valueKeys = []string{"field_value", "fieldValue", "value"}

// fieldValue returns an id-keyed item's value, whichever key holds it.
func fieldValue(item map[string]any) (any, string) {
	for _, k := range valueKeys {
		if v, ok := item[k]; ok {
			return v, k
		}
	}
	return nil, ""
}

// projectByID handles [{id, value}] lists: each written item is matched by
// id in current and given current's value in the written item's shape.
func projectByID(current any, written []any) ([]any, bool) {
	byID := map[string]map[string]any{}
	if cur, ok := current.([]any); ok {
		for _, c := range cur {
			if m, ok := c.(map[string]any); ok {
				if id, ok := m["id"].(string); ok {
					byID[id] = m
				}
			}
		}
	}
	out := make([]any, 0, len(written))
	for _, w := range written {
		wm, ok := w.(map[string]any)
		if !ok {
			return nil, false
		}
		id, ok := wm["id"].(string)
		if !ok {
			return nil, false
		}
		wv, wk := fieldValue(wm)
		item := make(map[string]any, len(wm))
		for k, v := range wm {
			item[k] = v
		}
		var cv any
		if cm, ok := byID[id]; ok {
			cv, _ = fieldValue(cm)
		}
		if wk != "" {
			item[wk] = project(cv, wv, wk)
		}
		out = append(out, item)
	}
	return out, true
}

// decodeJSON decodes with numbers kept exact.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

// ProjectDigest is the change check a Target built on JSON records needs:
// the digest of current (the record as the destination returns it, JSON)
// projected onto the fields and shape of written. It equals Digest(written)
// exactly when none of the written fields changed (see project for the
// equivalences HighLevel's normalisation requires).
func ProjectDigest(current, written []byte) (string, error) {
	w, err := decodeJSON(written)
	if err != nil {
		return "", fmt.Errorf("rollback: written payload: %w", err)
	}
	c, err := decodeJSON(current)
	if err != nil {
		return "", fmt.Errorf("rollback: current record: %w", err)
	}
	b, err := json.Marshal(project(c, w, ""))
	if err != nil {
		return "", fmt.Errorf("rollback: project: %w", err)
	}
	return Digest(b), nil
}
