package highlevel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// StoredEqual reports whether HighLevel, having been sent written for the
// field named field, may answer stored for it: whether the two are the
// same value once HighLevel's normalisation of what it stores is allowed
// for. written and stored are decoded JSON (any, as encoding/json decodes
// it, with or without UseNumber); other Go values are compared as their
// JSON. The relation is symmetric and reflexive.
//
// The equivalences, each of which HighLevel applies (see hltest's doc for
// the simulator's side of each):
//
//   - emptied equals absent: nil, "", [] and {} are all the same "no
//     value" ([StoredEmpty]); a value never equals no value;
//   - numbers by value: 95, 95.0, 9.5e1 and the text "95" are equal (a
//     NUMERICAL custom field sent "95" is stored as 95); two texts are
//     compared as texts, so a postal code "02134" never equals "2134";
//   - a boolean equals its text ("true");
//   - a date equals a timestamp at midnight UTC of that date (a
//     dateOfBirth sent as 1986-07-18 comes back 1986-07-18T00:00:00.000Z),
//     and two timestamps are equal when they name the same instant (a
//     timestamp without a zone is UTC);
//   - a field whose name contains "email" compares without case and
//     surrounding space;
//   - a field whose name contains "phone" compares by its digits, so
//     "+1 (555) 010-0000" equals the E.164 "+15550100000";
//   - a "tags" field is a case-insensitive set, whether sent as a list or
//     as comma-separated text;
//   - lists of scalars (multi-option values) are case-insensitive sets;
//     lists of objects that all carry an "id" (custom fields) match item
//     by item on id, an item's value read from "field_value", "fieldValue"
//     or "value"; other lists match when every item of each has an equal
//     item in the other;
//   - objects match key by key (key order never matters), a key missing
//     on one side equal to an empty value on the other.
func StoredEqual(field string, written, stored any) bool {
	return storedEqual(field, plain(written), plain(stored))
}

// StoredEmpty reports whether v is "no value" as HighLevel stores it:
// nil, "", an empty list or an empty object (decoded JSON; other Go values
// are judged by their JSON). HighLevel drops an emptied field, so a read
// back shows it absent.
func StoredEmpty(v any) bool {
	switch x := plain(v).(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func storedEqual(field string, a, b any) bool {
	a, b = plain(a), plain(b)
	ea, eb := StoredEmpty(a), StoredEmpty(b)
	if ea || eb {
		return ea && eb
	}
	if isTagsField(field) {
		if sa, ok := tagSet(a); ok {
			if sb, ok := tagSet(b); ok {
				return maps.Equal(sa, sb)
			}
		}
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && sameObject(x, y)
	case []any:
		y, ok := b.([]any)
		return ok && sameList(field, x, y)
	}
	switch b.(type) {
	case map[string]any, []any:
		return false
	}
	return sameScalar(field, a, b)
}

func sameObject(x, y map[string]any) bool {
	for k, v := range x {
		if !storedEqual(k, v, y[k]) {
			return false
		}
	}
	for k, v := range y {
		if _, seen := x[k]; !seen && !StoredEmpty(v) {
			return false
		}
	}
	return true
}

func sameList(field string, x, y []any) bool {
	if sx, ok := scalarSet(x); ok {
		if sy, ok := scalarSet(y); ok {
			return maps.Equal(sx, sy)
		}
	}
	if ix, ok := byID(x); ok {
		if iy, ok := byID(y); ok {
			for id, v := range ix {
				if !storedEqual(field+"."+id, v, iy[id]) {
					return false
				}
			}
			for id, v := range iy {
				if _, seen := ix[id]; !seen && !StoredEmpty(v) {
					return false
				}
			}
			return true
		}
	}
	return covers(field, x, y) && covers(field, y, x)
}

// covers reports whether every item of x has an equal item in y.
func covers(field string, x, y []any) bool {
	for _, e := range x {
		found := false
		for _, f := range y {
			if storedEqual(field, e, f) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// scalarSet is a list of scalars as a set of trimmed, case-folded texts.
func scalarSet(xs []any) (map[string]bool, bool) {
	set := make(map[string]bool, len(xs))
	for _, x := range xs {
		s, ok := scalarText(plain(x))
		if !ok {
			return nil, false
		}
		set[strings.ToLower(strings.TrimSpace(s))] = true
	}
	return set, true
}

var valueKeys = []string{"field_value", "fieldValue", "value"}

// byID reads a list of objects that all carry a non-empty string "id" as
// id → value: the item's field value when it has one (custom fields are
// sent as field_value and read back as value), else the whole item.
func byID(xs []any) (map[string]any, bool) {
	out := make(map[string]any, len(xs))
	for _, x := range xs {
		m, ok := plain(x).(map[string]any)
		if !ok {
			return nil, false
		}
		id, ok := m["id"].(string)
		if !ok || id == "" {
			return nil, false
		}
		var v any = m
		for _, k := range valueKeys {
			if fv, ok := m[k]; ok {
				v = fv
				break
			}
		}
		out[id] = v
	}
	return out, true
}

func isTagsField(field string) bool {
	f := strings.ToLower(field)
	return f == "tags" || strings.HasSuffix(f, ".tags")
}

// tagSet reads tags sent as a list of texts or as comma-separated text.
func tagSet(v any) (map[string]bool, bool) {
	switch x := v.(type) {
	case string:
		set := map[string]bool{}
		for _, t := range strings.Split(x, ",") {
			if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
				set[t] = true
			}
		}
		return set, true
	case []any:
		return scalarSet(x)
	}
	return nil, false
}

func sameScalar(field string, a, b any) bool {
	ta, oka := scalarText(a)
	tb, okb := scalarText(b)
	if !oka || !okb {
		return false
	}
	if ta == tb {
		return true
	}
	if _, isText := a.(string); !isText || !isString(b) {
		// At least one side is a number or a boolean: numbers by value.
		na, ok1 := number(a)
		nb, ok2 := number(b)
		return ok1 && ok2 && na == nb
	}
	if sameTime(ta, tb) {
		return true
	}
	f := strings.ToLower(field)
	switch {
	case strings.Contains(f, "email"):
		return strings.EqualFold(strings.TrimSpace(ta), strings.TrimSpace(tb))
	case strings.Contains(f, "phone"):
		da := digits(ta)
		return da != "" && da == digits(tb)
	}
	return false
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

// scalarText renders a string, number or boolean as text; a number in
// one form per value (95.0 and 9.5e1 → "95"; plain decimals as encoding/json
// writes a float64, an exponent only for very large or small ones).
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case json.Number, float64:
		d, ok := number(x)
		if !ok {
			return fmt.Sprint(x), true
		}
		return d.text(), true
	}
	return "", false
}

// decimal is a number exactly, as sign × digits × 10^exp with no leading
// or trailing zero in digits (zero is digits ""), so two numbers are
// equal exactly when their decimals are. No arithmetic: a JSON number
// like 1e999999999 costs its length, not its magnitude.
type decimal struct {
	neg    bool
	digits string
	exp    string // base-10 exponent, canonical integer text
}

func (d decimal) text() string {
	if d.digits == "" {
		return "0"
	}
	sign := ""
	if d.neg {
		sign = "-"
	}
	e, err := strconv.Atoi(d.exp)
	n := len(d.digits)
	switch {
	case err != nil || e > 21 || e < -(n+20):
		return sign + d.digits + "e" + d.exp
	case e >= 0:
		return sign + d.digits + strings.Repeat("0", e)
	case -e < n:
		return sign + d.digits[:n+e] + "." + d.digits[n+e:]
	}
	return sign + "0." + strings.Repeat("0", -e-n) + d.digits
}

// number reads a JSON number, or a text holding a decimal number.
func number(v any) (decimal, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		s = strings.TrimSpace(x)
	default:
		return decimal{}, false
	}
	var d decimal
	if s != "" && (s[0] == '-' || s[0] == '+') {
		d.neg, s = s[0] == '-', s[1:]
	}
	mant, exp, hasExp := strings.Cut(s, "e")
	if !hasExp {
		mant, exp, hasExp = strings.Cut(s, "E")
	}
	ip, fp, _ := strings.Cut(mant, ".")
	if ip+fp == "" || !allDigits(ip) || !allDigits(fp) {
		return decimal{}, false
	}
	e := new(big.Int)
	if hasExp {
		t := strings.TrimPrefix(exp, "+")
		if t == "" || t == "-" || !allDigits(strings.TrimPrefix(t, "-")) {
			return decimal{}, false
		}
		e.SetString(t, 10)
	}
	digits := strings.TrimLeft(ip+fp, "0")
	trimmed := strings.TrimRight(digits, "0")
	e.Add(e, big.NewInt(int64(len(digits)-len(trimmed)-len(fp))))
	if trimmed == "" {
		return decimal{}, true // zero, whatever its sign
	}
	d.digits, d.exp = trimmed, e.String()
	return d, true
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// sameTime: a date equals a timestamp at midnight UTC of that date; two
// timestamps are equal when they name the same instant.
func sameTime(a, b string) bool {
	ta, da, oka := parseTime(a)
	tb, db, okb := parseTime(b)
	if !oka || !okb {
		return false
	}
	if da || db {
		// A date is only ever equal to midnight UTC of itself.
		return ta.Equal(tb) && ta.Equal(ta.Truncate(24*time.Hour))
	}
	return ta.Equal(tb)
}

// parseTime reads a date (dateOnly) or a timestamp; one without a zone is
// UTC.
func parseTime(s string) (t time.Time, dateOnly bool, ok bool) {
	if len(s) < len(time.DateOnly) || s[4] != '-' {
		return time.Time{}, false, false // not a date: skip the parsers
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true, true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, false, true
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t, false, true
	}
	return time.Time{}, false, false
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

// plain returns v as encoding/json decodes values into any: JSON types
// pass through, other Go values go through their JSON (numbers kept
// exact). A value that cannot be encoded is compared as its text.
func plain(v any) any {
	switch x := v.(type) {
	case nil, string, bool, float64, json.Number, map[string]any, []any:
		return v
	case int:
		return json.Number(strconv.Itoa(x))
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case json.RawMessage:
		return decodeExact(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return decodeExact(b)
}

// decodeExact is StoredValue for values given as raw JSON: input that is
// not JSON is compared as its text.
func decodeExact(b []byte) any {
	v, ok := StoredValue(b)
	if !ok {
		return string(b)
	}
	return v
}

// StoredValue decodes one JSON value (a body sent, a field read back) the
// way [StoredEqual] reads values: numbers kept exact, no bytes (or only
// space) as absent (nil). ok is false when b is not exactly one JSON value.
func StoredValue(b []byte) (v any, ok bool) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, true
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil || !atEOF(dec) {
		return nil, false
	}
	return v, true
}

// atEOF reports whether nothing but space follows the decoded value.
func atEOF(dec *json.Decoder) bool {
	_, err := dec.Token()
	return err == io.EOF
}
