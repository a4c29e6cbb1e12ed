package reconcile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/pbnhl/pbnhl/highlevel"
)

// readBack is a record as HighLevel returns it, flattened for comparison:
// top-level fields by name, custom fields by id.
type readBack struct {
	fields map[string]json.RawMessage
	custom map[string]json.RawMessage
	// users are a custom object record's owner and followers (lists of
	// user ids), apart from its properties.
	users map[string]json.RawMessage
}

// recordBack is a custom object record read back: its properties, owner
// and followers.
func recordBack(rec *highlevel.Record) readBack {
	rb := readBack{fields: rec.Properties, users: make(map[string]json.RawMessage, len(recordUsers))}
	for k, ids := range map[string][]string{"owner": rec.Owner, "followers": rec.Followers} {
		b, _ := json.Marshal(ids) // a list of strings always encodes
		rb.users[k] = b
	}
	return rb
}

// recordUsers are the user lists of a custom object record body, beside
// its properties.
var recordUsers = []string{"owner", "followers"}

// fieldResult is the comparison of one field of one record.
type fieldResult struct {
	Field  string
	Sent   bool // the mapped body sets it (non-empty)
	Stored bool // HighLevel holds a non-empty value
	Differ bool
	// Want and Have are the raw values (PHI): only the sample's
	// side-by-side values page shows them (sample_values.go).
	Want, Have json.RawMessage
}

// compareBody compares every field of a mapped body (the JSON the ledger
// journaled) with what HighLevel returns. Record bodies compare their
// properties, and the owner and followers the body names (the provider's
// user: an empty list sent equals none stored); contact and opportunity
// bodies their custom fields by id. A field the body empties equals an
// absent one.
func compareBody(body []byte, got readBack) ([]fieldResult, error) {
	var sent map[string]json.RawMessage
	if err := json.Unmarshal(body, &sent); err != nil {
		return nil, fmt.Errorf("decode the mapped body: %w", err)
	}
	var out []fieldResult
	if props, ok := sent["properties"]; ok {
		var p map[string]json.RawMessage
		if err := json.Unmarshal(props, &p); err != nil {
			return nil, fmt.Errorf("decode the mapped properties: %w", err)
		}
		for _, k := range recordUsers {
			if v, ok := sent[k]; ok {
				out = append(out, compareValue(k, v, got.users[k]))
			}
		}
		sent = p
	}
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

// compareValue compares one field with HighLevel's stored-value
// equivalence (highlevel.StoredEqual: emptied equals absent, e-mail
// without case, phone by digits, a date equals midnight UTC, tags and
// options as sets, numbers by value). A value that is not JSON is only
// equal to the same bytes.
func compareValue(field string, want, have json.RawMessage) fieldResult {
	w, wok := highlevel.StoredValue(want)
	h, hok := highlevel.StoredValue(have)
	r := fieldResult{Field: field, Sent: !wok || !highlevel.StoredEmpty(w), Stored: !hok || !highlevel.StoredEmpty(h), Want: want, Have: have}
	switch {
	case !r.Sent && !r.Stored:
	case r.Sent != r.Stored:
		r.Differ = true
	case !wok || !hok:
		r.Differ = !bytes.Equal(bytes.TrimSpace(want), bytes.TrimSpace(have))
	default:
		r.Differ = !highlevel.StoredEqual(field, w, h)
	}
	return r
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
