package transform

import (
	"bytes"
	"encoding/json"
	"strings"
)

// FlattenOptions controls how several values become one field value.
type FlattenOptions struct {
	// KeepBlank keeps blank values; by default they are skipped.
	KeepBlank bool
	// Dedupe drops repeated values (after trimming), keeping the first.
	Dedupe bool
}

// Join trims the values, skips blanks (and repeats, with Dedupe) and joins
// the rest with sep: ["555-1234", "", "555-9876"] → "555-1234; 555-9876".
func Join(values []string, sep string, opts FlattenOptions) string {
	switch len(values) {
	case 0:
		return ""
	case 1:
		return strings.TrimSpace(values[0])
	}
	var b strings.Builder
	n := 0
	for i, v := range values {
		v = strings.TrimSpace(v)
		if skipValue(values[:i], v, opts) {
			continue
		}
		if n > 0 {
			b.WriteString(sep)
		}
		b.WriteString(v)
		n++
	}
	return b.String()
}

// First returns the first value that is not blank, trimmed, or "".
func First(values []string) string {
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// JSONArray encodes the trimmed values as a JSON array of strings (blanks
// skipped unless KeepBlank): ["a","b"]. No values give "[]". Suitable for
// CHECKBOX / MULTIPLE_OPTIONS fields kept as text, or LARGE_TEXT.
func JSONArray(values []string, opts FlattenOptions) string {
	out := make([]string, 0, len(values))
	for i, v := range values {
		v = strings.TrimSpace(v)
		if skipValue(values[:i], v, opts) {
			continue
		}
		out = append(out, v)
	}
	b, _ := marshalNoEscape(out) // []string always encodes
	return string(b)
}

// Values returns the trimmed values with blanks (and, with Dedupe, repeats)
// removed: the []string HighLevel takes for CHECKBOX and MULTIPLE_OPTIONS.
func Values(values []string, opts FlattenOptions) []string {
	out := make([]string, 0, len(values))
	for i, v := range values {
		v = strings.TrimSpace(v)
		if skipValue(values[:i], v, opts) {
			continue
		}
		out = append(out, v)
	}
	return out
}

// Split breaks a multi-value cell ("Spanish; English", "a|b") on any of the
// separator characters in seps, trimming parts and dropping blanks.
func Split(s, seps string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) })
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func skipValue(before []string, v string, opts FlattenOptions) bool {
	if v == "" && !opts.KeepBlank {
		return true
	}
	if opts.Dedupe {
		for _, p := range before {
			if strings.TrimSpace(p) == v {
				return true
			}
		}
	}
	return false
}

// marshalNoEscape encodes v as compact JSON without HTML escaping, so that
// "<", ">" and "&" in notes stay readable and byte counts stay predictable.
func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	out := b.Bytes()
	return out[:len(out)-1], nil // Encode appends a newline
}
