package rollback

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// project returns current reshaped like written: for every key of written
// the current value, written in written's form when the two are equivalent
// as HighLevel stores them. Digest(project(current, written)) equals
// Digest(written) exactly when none of the written fields changed.
//
// Equivalences (HighLevel normalises what it stores): missing, null and ""
// are the same; e-mails compare case-insensitively; phones by their digits;
// a date equals a timestamp at midnight of that date; a number equals its
// string; lists of strings (tags) compare as sets; lists of objects with an
// "id" (custom fields) match item by item on id, and an item's value may be
// under "field_value", "fieldValue" or "value".
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
		if sameSet(current, w) {
			return w
		}
		return current
	}
	if equivalent(current, written, key) {
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

func sameSet(current any, written []any) bool {
	cur, _ := current.([]any)
	if len(cur) == 0 && len(written) == 0 {
		return true
	}
	norm := func(xs []any) ([]string, bool) {
		out := make([]string, 0, len(xs))
		for _, x := range xs {
			s, ok := x.(string)
			if !ok {
				return nil, false
			}
			out = append(out, strings.ToLower(strings.TrimSpace(s)))
		}
		slices.Sort(out)
		return slices.Compact(out), true
	}
	a, ok1 := norm(cur)
	b, ok2 := norm(written)
	return ok1 && ok2 && slices.Equal(a, b)
}

func equivalent(current, written any, key string) bool {
	if isEmpty(current) && isEmpty(written) {
		return true
	}
	cs, cok := scalarString(current)
	ws, wok := scalarString(written)
	if !cok || !wok {
		return jsonEqual(current, written)
	}
	if cs == ws {
		return true
	}
	if cf, err := strconv.ParseFloat(cs, 64); err == nil {
		if wf, err := strconv.ParseFloat(ws, 64); err == nil && cf == wf {
			return true
		}
	}
	lk := strings.ToLower(key)
	switch {
	case strings.Contains(lk, "email"):
		return strings.EqualFold(strings.TrimSpace(cs), strings.TrimSpace(ws))
	case strings.Contains(lk, "phone"):
		return digits(cs) != "" && digits(cs) == digits(ws)
	}
	// A date written as YYYY-MM-DD comes back as midnight that day.
	if len(ws) == 10 && strings.HasPrefix(cs, ws+"T00:00:00") {
		return true
	}
	return false
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	}
	return false
}

// scalarString renders strings, numbers and booleans comparably.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return canonicalNumber(x), true
	case float64:
		return canonicalNumber(json.Number(fmt.Sprint(x))), true
	case bool:
		return fmt.Sprint(x), true
	}
	return "", false
}

func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(canonicalJSON(ja), canonicalJSON(jb))
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
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
