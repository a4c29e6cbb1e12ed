package hltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// kind is the JSON type a DTO property must have.
type kind uint8

const (
	kString kind = iota
	kBool
	kNumber
	kStrings // array of strings
	kObject  // JSON object, checked against nested when set
	kArray   // array; object items checked against nested when set
	kAny     // any JSON value (HighLevel declares these as "object")
)

// field is one whitelisted property of a write DTO.
type field struct {
	name     string
	kind     kind
	required bool
	// allowEmpty accepts "" for a required string (present, maybe empty).
	allowEmpty bool
	nullable   bool
	enum       []string
	nested     *dto
}

// dto is a strict whitelist, the way HighLevel's NestJS validation pipe
// (whitelist + forbidNonWhitelisted) treats request bodies: unknown
// properties are an error, not ignored.
type dto struct {
	fields []field
	index  map[string]int
}

func newDTO(fields ...field) *dto {
	d := &dto{fields: fields, index: make(map[string]int, len(fields))}
	for i, f := range fields {
		d.index[f.name] = i
	}
	return d
}

// with returns a copy of d with more fields (or fields replaced by name).
func (d *dto) with(fields ...field) *dto {
	all := slices.Clone(d.fields)
	for _, f := range fields {
		if i, ok := d.index[f.name]; ok {
			all[i] = f
		} else {
			all = append(all, f)
		}
	}
	return newDTO(all...)
}

// without returns a copy of d without the named fields.
func (d *dto) without(names ...string) *dto {
	var all []field
	for _, f := range d.fields {
		if !slices.Contains(names, f.name) {
			all = append(all, f)
		}
	}
	return newDTO(all...)
}

// decodeJSON parses a request body into a JSON object. Numbers stay
// json.Number so integers and decimals round-trip exactly.
func decodeJSON(raw []byte) (map[string]any, *apiError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errBadRequest("Unexpected token in JSON at position %d", jsonErrorOffset(err, dec))
	}
	if dec.More() {
		return nil, errBadRequest("Unexpected token in JSON at position %d", dec.InputOffset())
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errBadRequest("Request body must be a JSON object")
	}
	return m, nil
}

func jsonErrorOffset(err error, dec *json.Decoder) int64 {
	if se, ok := err.(*json.SyntaxError); ok {
		return se.Offset
	}
	return dec.InputOffset()
}

// decode parses raw and checks it against the whitelist.
func (d *dto) decode(raw []byte) (map[string]any, *apiError) {
	m, err := decodeJSON(raw)
	if err != nil {
		return nil, err
	}
	if msgs := d.check("", m); len(msgs) > 0 {
		return nil, errUnprocessable(msgs...)
	}
	return m, nil
}

// check returns class-validator style messages for every violation.
func (d *dto) check(prefix string, m map[string]any) []string {
	var msgs []string
	unknown := make([]string, 0)
	for k := range m {
		if _, ok := d.index[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		msgs = append(msgs, prefix+"property "+k+" should not exist")
	}
	for _, f := range d.fields {
		v, present := m[f.name]
		name := prefix + f.name
		if !present || v == nil {
			if f.required && !(present && f.nullable) {
				msgs = append(msgs, missingMessages(name, f)...)
			}
			continue
		}
		msgs = append(msgs, checkValue(name, f, v)...)
	}
	return msgs
}

func missingMessages(name string, f field) []string {
	msgs := []string{name + " should not be empty"}
	switch f.kind {
	case kString:
		msgs = append(msgs, name+" must be a string")
	case kBool:
		msgs = append(msgs, name+" must be a boolean value")
	case kNumber:
		msgs = append(msgs, name+" must be a number conforming to the specified constraints")
	case kStrings, kArray:
		msgs = append(msgs, name+" must be an array")
	}
	if len(f.enum) > 0 {
		msgs = append(msgs, enumMessage(name, f.enum))
	}
	return msgs
}

func enumMessage(name string, enum []string) string {
	return name + " must be one of the following values: " + strings.Join(enum, ", ")
}

func checkValue(name string, f field, v any) []string {
	switch f.kind {
	case kString:
		s, ok := v.(string)
		if !ok {
			return []string{name + " must be a string"}
		}
		if f.required && !f.allowEmpty && s == "" {
			return []string{name + " should not be empty"}
		}
		if len(f.enum) > 0 && !slices.Contains(f.enum, s) {
			return []string{enumMessage(name, f.enum)}
		}
	case kBool:
		if _, ok := v.(bool); !ok {
			return []string{name + " must be a boolean value"}
		}
	case kNumber:
		if _, ok := v.(json.Number); !ok {
			return []string{name + " must be a number conforming to the specified constraints"}
		}
	case kStrings:
		arr, ok := v.([]any)
		if !ok {
			return []string{name + " must be an array"}
		}
		for _, e := range arr {
			if _, ok := e.(string); !ok {
				return []string{"each value in " + name + " must be a string"}
			}
		}
	case kObject:
		obj, ok := v.(map[string]any)
		if !ok {
			return []string{name + " must be an object"}
		}
		if f.nested != nil {
			return f.nested.check(name+".", obj)
		}
	case kArray:
		arr, ok := v.([]any)
		if !ok {
			return []string{name + " must be an array"}
		}
		if f.nested != nil {
			var msgs []string
			for i, e := range arr {
				obj, ok := e.(map[string]any)
				if !ok {
					msgs = append(msgs, fmt.Sprintf("%s.%d must be an object", name, i))
					continue
				}
				msgs = append(msgs, f.nested.check(fmt.Sprintf("%s.%d.", name, i), obj)...)
			}
			return msgs
		}
	}
	return nil
}

// Accessors over a checked body. They assume check already passed.

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func has(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

func boolean(m map[string]any, k string) bool {
	b, _ := m[k].(bool)
	return b
}

func strs(m map[string]any, k string) []string {
	arr, _ := m[k].([]any)
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func number(m map[string]any, k string) (float64, bool) {
	n, ok := m[k].(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

func integer(m map[string]any, k string, def int) int {
	f, ok := number(m, k)
	if !ok {
		return def
	}
	return int(f)
}
