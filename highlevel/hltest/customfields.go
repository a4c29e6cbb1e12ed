package hltest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DataTypes are the custom field types HighLevel knows (MONETORY sic).
var DataTypes = []string{"TEXT", "LARGE_TEXT", "NUMERICAL", "PHONE", "MONETORY", "CHECKBOX",
	"SINGLE_OPTIONS", "MULTIPLE_OPTIONS", "DATE", "TEXTBOX_LIST", "FILE_UPLOAD", "RADIO", "EMAIL"}

type fieldOption struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	URL   string `json:"url,omitempty"`
}

type customField struct {
	meta
	name        string
	fieldKey    string // contact.x, opportunity.x, custom_objects.o.x, business.x
	dataType    string
	model       string // contact, opportunity (location fields)
	objectKey   string // V2: custom_objects.o, business; location fields: contact/opportunity
	placeholder string
	description string
	position    int
	options     []fieldOption
	parentID    string
	showInForms bool
	v2          bool
}

// optionAllowed reports whether v is one of the field's options (by key or
// label: location fields list labels, V2 fields keys).
func (f *customField) optionAllowed(v string) bool {
	for _, o := range f.options {
		if o.Key == v || o.Label == v {
			return true
		}
	}
	return false
}

func (f *customField) locationJSON(locationID string) map[string]any {
	out := map[string]any{
		"id": f.id, "name": f.name, "fieldKey": f.fieldKey, "dataType": f.dataType,
		"position": f.position, "locationId": locationID, "model": f.model,
		"placeholder": f.placeholder, "dateAdded": iso(f.added),
	}
	if len(f.options) > 0 {
		labels := make([]string, len(f.options))
		for i, o := range f.options {
			labels[i] = o.Label
		}
		out["picklistOptions"] = labels
	}
	if f.parentID != "" {
		out["parentId"] = f.parentID
	}
	return out
}

func (f *customField) v2JSON(locationID string) map[string]any {
	out := map[string]any{
		"id": f.id, "name": f.name, "fieldKey": f.fieldKey, "dataType": f.dataType,
		"locationId": locationID, "objectKey": f.objectKey, "parentId": f.parentID,
		"showInForms": f.showInForms, "dateAdded": iso(f.added), "dateUpdated": iso(f.updated),
		"description": f.description, "placeholder": f.placeholder,
		"allowCustomOption": false,
	}
	if len(f.options) > 0 {
		out["options"] = f.options
	}
	return out
}

// coerceValue checks a value against the field's data type and returns it
// as HighLevel stores it. The message names the field, never the value.
func coerceValue(f *customField, v any, path string) (any, string) {
	bad := func(what string) (any, string) {
		return nil, fmt.Sprintf("%s must be %s for a %s custom field (%s)", path, what, f.dataType, f.fieldKey)
	}
	switch f.dataType {
	case "TEXT", "LARGE_TEXT", "TEXTBOX_LIST":
		switch x := v.(type) {
		case string:
			return x, ""
		case json.Number:
			return x.String(), ""
		}
		return bad("a string")
	case "PHONE":
		s, ok := v.(string)
		if !ok {
			return bad("a string")
		}
		if s == "" {
			return s, ""
		}
		p, ok := normalizePhone(s)
		if !ok {
			return bad("a valid phone number")
		}
		return p, ""
	case "EMAIL":
		s, ok := v.(string)
		if !ok || (s != "" && !validEmail(s)) {
			return bad("an email")
		}
		return s, ""
	case "NUMERICAL", "MONETORY":
		switch x := v.(type) {
		case json.Number:
			f, err := x.Float64()
			if err != nil {
				return bad("a number")
			}
			return f, ""
		case string:
			n, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return bad("a number")
			}
			return n, ""
		case map[string]any: // custom object money: {currency, value}
			if f.dataType == "MONETORY" {
				if n, ok := x["value"].(json.Number); ok {
					if fv, err := n.Float64(); err == nil {
						return map[string]any{"currency": x["currency"], "value": fv}, ""
					}
				}
			}
		}
		return bad("a number")
	case "SINGLE_OPTIONS", "RADIO":
		s, ok := v.(string)
		if !ok {
			return bad("a string")
		}
		if s != "" && !f.optionAllowed(s) {
			return bad("one of the field's options")
		}
		return s, ""
	case "CHECKBOX", "MULTIPLE_OPTIONS":
		var vals []string
		switch x := v.(type) {
		case string:
			vals = []string{x}
		case []any:
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return bad("an array of strings")
				}
				vals = append(vals, s)
			}
		default:
			return bad("an array of strings")
		}
		for _, s := range vals {
			if !f.optionAllowed(s) {
				return bad("a list of the field's options")
			}
		}
		if vals == nil {
			vals = []string{}
		}
		return vals, ""
	case "DATE":
		switch x := v.(type) {
		case string:
			for _, l := range []string{"2006-01-02", time.RFC3339, "2006-01-02T15:04:05.000Z", "01/02/2006", "01-02-2006"} {
				if t, err := time.Parse(l, x); err == nil {
					return t.UTC().Format("2006-01-02"), ""
				}
			}
		case json.Number:
			if ms, err := x.Int64(); err == nil {
				return time.UnixMilli(ms).UTC().Format("2006-01-02"), ""
			}
		}
		return bad("a date (YYYY-MM-DD, ISO 8601 or epoch milliseconds)")
	}
	return v, "" // FILE_UPLOAD and anything HighLevel stores as given
}

// fieldByRef finds a location custom field by id or key for a model. Keys
// may be sent with or without the "contact." prefix.
func (l *location) fieldByRef(model, id, key string) *customField {
	if id != "" {
		if f, ok := l.fields.get(id); ok && !f.v2 && f.model == model {
			return f
		}
		return nil
	}
	if key == "" {
		return nil
	}
	full := key
	if !strings.HasPrefix(key, model+".") {
		full = model + "." + key
	}
	var found *customField
	l.fields.each(func(f *customField) bool {
		if !f.v2 && f.model == model && f.fieldKey == full {
			found = f
			return false
		}
		return true
	})
	return found
}

var cfItemDTO = newDTO(
	field{name: "id", kind: kString},
	field{name: "key", kind: kString},
	field{name: "field_value", kind: kAny},
	field{name: "fieldValue", kind: kAny},
	field{name: "value", kind: kAny},
)

// applyCustomFields validates customFields input items and returns the
// values to set. Unknown field ids are ignored, as HighLevel ignores them;
// null or empty values clear the field.
func (l *location) applyCustomFields(model string, items []any) (map[string]any, []string) {
	set := map[string]any{}
	var msgs []string
	for i, it := range items {
		m, _ := it.(map[string]any)
		path := fmt.Sprintf("customFields.%d", i)
		id, key := str(m, "id"), str(m, "key")
		if id == "" && key == "" {
			msgs = append(msgs, path+".id should not be empty")
			continue
		}
		f := l.fieldByRef(model, id, key)
		if f == nil {
			continue
		}
		v, present := m["field_value"]
		if !present {
			v, present = m["fieldValue"]
		}
		if !present {
			v = m["value"]
		}
		if v == nil || v == "" {
			set[f.id] = nil
			continue
		}
		val, msg := coerceValue(f, v, path+".field_value")
		if msg != "" {
			msgs = append(msgs, msg)
			continue
		}
		set[f.id] = val
	}
	return set, msgs
}

func mergeCustomValues(dst map[string]any, set map[string]any) map[string]any {
	if dst == nil {
		dst = map[string]any{}
	}
	for id, v := range set {
		if v == nil {
			delete(dst, id)
		} else {
			dst[id] = v
		}
	}
	return dst
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
