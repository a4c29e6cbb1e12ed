package practicebynumbers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Decoding of one JSON record of the REST contract.
//
// The contract says custom values are strings, but real sources send JSON
// numbers and booleans too. The fast path decodes the record as the Go type
// says; only when that fails is the record's "custom" member rewritten to
// strings (numbers keep their exact JSON text, booleans become "true" or
// "false", null means the key is absent) and the record decoded again. An
// object or array as a custom value, or any other member that does not
// decode, makes the record a *RowError: the caller reports it and goes on
// with the next record.

// decodeRecord decodes raw into rec, tolerating non-string custom values.
// The error is a *RowError without File and Line (the caller sets them).
func decodeRecord[R any](raw []byte, rec *R) *RowError {
	err := json.Unmarshal(raw, rec)
	if err == nil {
		return nil
	}
	var zero R
	*rec = zero
	fixed, fieldErrs, ok := rewriteCustom(raw)
	if ok && len(fieldErrs) == 0 {
		err = json.Unmarshal(fixed, rec)
		if err == nil {
			return nil
		}
		*rec = zero
	}
	re := &RowError{ID: recordID(raw), Fields: fieldErrs}
	if len(fieldErrs) == 0 {
		re.Fields = []FieldError{memberError(err)}
	}
	return re
}

// memberError turns a decoding error into a FieldError naming the member,
// never quoting its value.
func memberError(err error) FieldError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Type == keyType {
		return FieldError{Header: te.Field, Err: valueErr("id", te.Value)}
	}
	if errors.As(err, &te) {
		kind, _, _ := strings.Cut(te.Value, " ") // "number 123" would quote the value
		return FieldError{Header: te.Field, Err: valueErr(jsonKind(te), "a JSON "+kind+" is not allowed here")}
	}
	var ve *ValueError
	if errors.As(err, &ve) {
		return FieldError{Err: ve}
	}
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return FieldError{Err: valueErr("timestamp", "not RFC 3339")}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return FieldError{Err: valueErr("JSON", "syntax error at offset "+strconv.FormatInt(se.Offset, 10))}
	}
	return FieldError{Err: valueErr("JSON", "record does not decode")}
}

func jsonKind(te *json.UnmarshalTypeError) string {
	if te.Type == nil {
		return "member"
	}
	return te.Type.String()
}

// recordID reads the record's "id" (a number or a string) when it is a
// valid key, else NoKey.
func recordID(raw []byte) Key {
	var v struct {
		ID json.RawMessage `json:"id"`
	}
	_ = json.Unmarshal(raw, &v) // best effort: the record is already known bad
	var id Key
	if len(v.ID) == 0 || id.UnmarshalJSON(v.ID) != nil {
		return NoKey
	}
	return id
}

// rewriteCustom returns raw with every top-level "custom" member's values
// made strings. ok is false when raw is not an object or has no custom
// member to rewrite; fieldErrs lists the custom values that cannot be
// strings (objects, arrays), one per key, in key order.
func rewriteCustom(raw []byte) (fixed []byte, fieldErrs []FieldError, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, false
	}
	type span struct{ start, end int64 }
	var spans []span
	var repl [][]byte
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, false
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, false
		}
		if !strings.EqualFold(key, "custom") {
			continue
		}
		end := dec.InputOffset()
		out, errs := customStrings(v)
		fieldErrs = append(fieldErrs, errs...)
		spans = append(spans, span{end - int64(len(v)), end})
		repl = append(repl, out)
	}
	if len(spans) == 0 {
		return nil, nil, false
	}
	var b bytes.Buffer
	b.Grow(len(raw) + 64)
	prev := int64(0)
	for i, s := range spans {
		b.Write(raw[prev:s.start])
		b.Write(repl[i])
		prev = s.end
	}
	b.Write(raw[prev:])
	return b.Bytes(), fieldErrs, true
}

// customStrings rewrites a custom member's value as an object of strings.
func customStrings(v json.RawMessage) ([]byte, []FieldError) {
	v = bytes.TrimSpace(v)
	if string(v) == "null" {
		return v, nil
	}
	var members map[string]json.RawMessage
	if len(v) == 0 || v[0] != '{' || json.Unmarshal(v, &members) != nil {
		return v, []FieldError{{Header: "custom", Err: valueErr("custom values", "not a JSON object")}}
	}
	out := make(map[string]string, len(members))
	var errs []FieldError
	for _, k := range slices.Sorted(maps.Keys(members)) {
		m := bytes.TrimSpace(members[k])
		if len(m) == 0 {
			continue
		}
		switch c := m[0]; {
		case c == '"':
			var s string
			if json.Unmarshal(m, &s) != nil {
				errs = append(errs, FieldError{Header: "custom." + k, Err: valueErr("custom value", "malformed string")})
				continue
			}
			out[k] = s
		case c == 't' || c == 'f':
			out[k] = string(m) // true, false
		case c == 'n':
			// null: not set, as an empty CSV cell
		case c == '-' || c >= '0' && c <= '9':
			out[k] = string(m) // the exact JSON number text
		default:
			errs = append(errs, FieldError{Header: "custom." + k,
				Err: valueErr("custom value", "a JSON object or array; expected a string, number, boolean or null")})
		}
	}
	if len(errs) > 0 {
		return v, errs
	}
	b, err := json.Marshal(out)
	if err != nil {
		return v, []FieldError{{Header: "custom", Err: fmt.Errorf("re-encoding custom values: %w", err)}}
	}
	return b, nil
}
