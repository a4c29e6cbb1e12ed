package reconcile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// readBack is a record as HighLevel returns it, flattened for comparison:
// top-level fields by name, custom fields by id.
type readBack struct {
	fields map[string]json.RawMessage
	custom map[string]json.RawMessage
}

// fieldResult is the comparison of one field of one record.
type fieldResult struct {
	Field  string
	Sent   bool // the mapped body sets it (non-empty)
	Stored bool // HighLevel holds a non-empty value
	Differ bool
}

// compareBody compares every field of a mapped body (the JSON the ledger
// journaled) with what HighLevel returns. Record bodies compare their
// properties; contact and opportunity bodies their custom fields by id.
// A field the body empties equals an absent one.
func compareBody(body []byte, got readBack) ([]fieldResult, error) {
	var sent map[string]json.RawMessage
	if err := json.Unmarshal(body, &sent); err != nil {
		return nil, fmt.Errorf("decode the mapped body: %w", err)
	}
	if props, ok := sent["properties"]; ok {
		var p map[string]json.RawMessage
		if err := json.Unmarshal(props, &p); err != nil {
			return nil, fmt.Errorf("decode the mapped properties: %w", err)
		}
		sent = p
	}
	var out []fieldResult
	for _, k := range sortedKeys(sent) {
		v := sent[k]
		switch k {
		case "locationId", "owner", "followers":
			continue
		case "customFields":
			var cfs []map[string]json.RawMessage
			if err := json.Unmarshal(v, &cfs); err != nil {
				return nil, fmt.Errorf("decode the mapped custom fields: %w", err)
			}
			for _, cf := range cfs {
				var id string
				if err := json.Unmarshal(cf["id"], &id); err != nil || id == "" {
					continue // by key only: cannot be matched to a value by id
				}
				want := cf["field_value"]
				if want == nil {
					want = cf["value"]
				}
				out = append(out, compareValue("customFields."+id, want, got.custom[id]))
			}
			continue
		}
		out = append(out, compareValue(k, v, got.fields[k]))
	}
	return out, nil
}

func compareValue(field string, want, have json.RawMessage) fieldResult {
	r := fieldResult{Field: field, Sent: !emptyJSON(want), Stored: !emptyJSON(have)}
	switch {
	case !r.Sent && !r.Stored:
	case r.Sent != r.Stored:
		r.Differ = true
	default:
		r.Differ = !equalAs(field, want, have)
	}
	return r
}

// equalAs compares two non-empty values with HighLevel's normalisations.
func equalAs(field string, a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	switch field {
	case "email":
		return strings.EqualFold(strings.TrimSpace(str(x)), strings.TrimSpace(str(y)))
	case "phone":
		return digits(str(x)) == digits(str(y)) && digits(str(x)) != ""
	case "tags":
		return sameSet(x, y)
	}
	return sameValue(x, y)
}

func sameValue(x, y any) bool {
	switch xv := x.(type) {
	case string:
		switch yv := y.(type) {
		case string:
			return xv == yv || sameDate(xv, yv)
		case float64:
			return numText(xv) == yv
		}
	case float64:
		if ys, ok := y.(string); ok {
			return numText(ys) == xv
		}
	case []any:
		if _, ok := y.([]any); ok {
			return sameSet(x, y)
		}
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

func numText(s string) float64 {
	var f float64
	if _, err := fmt.Sscan(s, &f); err != nil {
		return -1e308
	}
	return f
}

// sameSet compares two lists as sets of case-folded scalars (tags,
// multi-option custom fields).
func sameSet(x, y any) bool {
	set := func(v any) map[string]bool {
		m := map[string]bool{}
		switch l := v.(type) {
		case []any:
			for _, e := range l {
				b, _ := json.Marshal(e)
				m[strings.ToLower(strings.Trim(string(b), `"`))] = true
			}
		case string:
			for _, e := range strings.Split(l, ",") {
				if e = strings.TrimSpace(e); e != "" {
					m[strings.ToLower(e)] = true
				}
			}
		}
		return m
	}
	a, b := set(x), set(y)
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func str(v any) string {
	s, _ := v.(string)
	return s
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

// emptyJSON: absent, null, "", [] and {} are all "no value".
func emptyJSON(v json.RawMessage) bool {
	s := string(bytes.TrimSpace(v))
	return s == "" || s == "null" || s == `""` || s == "[]" || s == "{}"
}

func sameDate(a, b string) bool {
	da, oka := midnight(a)
	db, okb := midnight(b)
	return oka && okb && da.Equal(db)
}

// midnight reads a date, or a timestamp at midnight UTC (HighLevel returns
// a dateOfBirth sent as 1986-07-18 as 1986-07-18T00:00:00.000Z).
func midnight(s string) (time.Time, bool) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !t.Equal(t.Truncate(24*time.Hour)) {
		return time.Time{}, false
	}
	return t, true
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
