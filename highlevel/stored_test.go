package highlevel_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/pbnhl/pbnhl/highlevel"
)

// decode reads a test value: "" is absent (nil); numbers stay exact.
func decode(t testing.TB, s string) any {
	t.Helper()
	if s == "" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("bad test value %s: %v", s, err)
	}
	return v
}

func TestStoredEqual(t *testing.T) {
	tests := []struct {
		name            string
		field           string
		written, stored string // JSON; "" is absent
		equal           bool
	}{
		// Emptied equals absent, and nothing else.
		{"absent vs absent", "city", ``, ``, true},
		{"null vs absent", "city", `null`, ``, true},
		{"empty text vs absent", "city", `""`, ``, true},
		{"empty list vs absent", "tags", `[]`, ``, true},
		{"empty object vs absent", "fee", `{}`, ``, true},
		{"null vs empty text", "city", `null`, `""`, true},
		{"empty text vs empty list", "city", `""`, `[]`, true},
		{"value vs absent", "city", `"Paris"`, ``, false},
		{"value vs empty text", "city", `"Paris"`, `""`, false},
		{"zero vs absent", "fee", `0`, ``, false},
		{"false vs absent", "optIn", `false`, ``, false},
		{"space vs absent", "city", `" "`, ``, false},
		{"list with empty text vs absent", "surfaces", `[""]`, ``, false},

		// Texts.
		{"same text", "city", `"Paris"`, `"Paris"`, true},
		{"other text", "city", `"Paris"`, `"Lyon"`, false},
		{"text case matters", "city", `"Paris"`, `"paris"`, false},

		// E-mail: case and surrounding space.
		{"email case", "email", `"Ann@Example.COM"`, `"ann@example.com"`, true},
		{"email space", "email", `" ann@example.com"`, `"ann@example.com"`, true},
		{"email other", "email", `"ann@example.com"`, `"bob@example.com"`, false},
		{"secondary email case", "additionalEmails", `"A@x.org"`, `"a@x.org"`, true},

		// Phone: E.164 digits.
		{"phone E.164", "phone", `"+1 (555) 010-0000"`, `"+15550100000"`, true},
		{"phone dashes", "phone", `"+15551234567"`, `"+1 555-123-4567"`, true},
		{"phone other", "phone", `"+15551234567"`, `"+15551234568"`, false},
		{"phone without digits", "phone", `"n/a"`, `"--"`, false},
		{"digits only count for phones", "city", `"+1 (555) 010-0000"`, `"+15550100000"`, false},

		// Dates.
		{"date vs midnight", "dateOfBirth", `"2024-03-01"`, `"2024-03-01T00:00:00.000Z"`, true},
		{"date vs midnight no millis", "dateOfBirth", `"2024-03-01"`, `"2024-03-01T00:00:00Z"`, true},
		{"date vs zoneless midnight", "dateOfBirth", `"2024-03-01"`, `"2024-03-01T00:00:00"`, true},
		{"date vs other day", "dateOfBirth", `"2024-03-01"`, `"2024-03-02T00:00:00.000Z"`, false},
		{"date vs not midnight", "dateOfBirth", `"2024-03-01"`, `"2024-03-01T10:00:00.000Z"`, false},
		{"date vs midnight elsewhere", "dateOfBirth", `"2024-03-01"`, `"2024-03-01T00:00:00-05:00"`, false},
		{"date vs other date", "dateOfBirth", `"2024-03-01"`, `"2024-03-02"`, false},
		{"same instant", "startTime", `"2024-03-01T10:00:00Z"`, `"2024-03-01T05:00:00.000-05:00"`, true},
		{"other instant", "startTime", `"2024-03-01T10:00:00Z"`, `"2024-03-01T10:00:01Z"`, false},

		// Numbers by value; a number equals its text.
		{"integer vs float", "fee", `95`, `95.0`, true},
		{"exponent", "fee", `95`, `9.5e1`, true},
		{"number vs text", "customFields.x", `"95"`, `95`, true},
		{"number vs padded text", "fee", `" 95 "`, `95`, true},
		{"number vs decimal text", "monetaryValue", `"150.0"`, `150`, true},
		{"number vs other", "fee", `95`, `96`, false},
		{"big integers exact", "fee", `12345678901234567890`, `12345678901234567891`, false},
		{"number vs words", "fee", `95`, `"ninety-five"`, false},
		{"number vs hex text", "fee", `16`, `"0x10"`, false},
		{"number vs inf text", "fee", `1`, `"inf"`, false},
		{"two texts stay texts", "postalCode", `"02134"`, `"2134"`, false},
		{"bool vs text", "optIn", `true`, `"true"`, true},
		{"bool vs other", "optIn", `true`, `false`, false},
		{"bool vs number", "optIn", `true`, `1`, false},

		// Tags: a case-insensitive set, as a list or comma-separated text.
		{"tags order and case", "tags", `["VIP","family"]`, `["family","vip"]`, true},
		{"tags duplicates", "tags", `["vip","VIP"," vip "]`, `["vip"]`, true},
		{"tags missing one", "tags", `["vip","family"]`, `["vip"]`, false},
		{"tags as text", "tags", `"a, b"`, `["b","a"]`, true},
		{"tags text vs other", "tags", `"a,b"`, `["a"]`, false},
		{"a text is not a list elsewhere", "surfaces", `"a,b"`, `["a","b"]`, false},

		// Other lists.
		{"options as set", "surfaces", `["m","o"]`, `["o","m"]`, true},
		{"numbers as set", "teeth", `[1,2]`, `[2,1.0]`, true},
		{"number list vs texts", "teeth", `[1,2]`, `["1","2"]`, true},
		{"list vs scalar", "surfaces", `["m"]`, `"m"`, false},
		{"list vs other list", "surfaces", `["m"]`, `["o"]`, false},
		{"custom fields by id", "customFields",
			`[{"id":"f1","field_value":"12"},{"id":"f2","field_value":"x"}]`,
			`[{"id":"f2","value":"x"},{"id":"f1","value":12}]`, true},
		{"custom field changed", "customFields", `[{"id":"f1","field_value":"12"}]`, `[{"id":"f1","value":"13"}]`, false},
		{"custom field missing", "customFields", `[{"id":"f1","field_value":"12"}]`, `[{"id":"f2","value":"12"}]`, false},
		{"custom field emptied vs missing", "customFields", `[{"id":"f1","field_value":"12"},{"id":"f2","field_value":""}]`, `[{"id":"f1","value":"12"}]`, true},
		{"items by id without value", "followers", `[{"id":"u1","name":"A"}]`, `[{"id":"u1","name":"A"}]`, true},
		{"items by id, other name", "followers", `[{"id":"u1","name":"A"}]`, `[{"id":"u1","name":"B"}]`, false},
		{"objects without id as set", "fees", `[{"v":1},{"v":2}]`, `[{"v":2.0},{"v":1}]`, true},
		{"objects without id differ", "fees", `[{"v":1},{"v":2}]`, `[{"v":1},{"v":3}]`, false},

		// Objects.
		{"object key order", "fee", `{"value":1,"currency":"USD"}`, `{"currency":"USD","value":1.0}`, true},
		{"object extra empty key", "fee", `{"value":1}`, `{"value":1,"currency":null}`, true},
		{"object extra key", "fee", `{"value":1}`, `{"value":1,"currency":"USD"}`, false},
		{"object vs text", "fee", `{"value":1}`, `"1"`, false},
		{"nested field names apply", "", `{"email":"A@x.org","tags":["b","a"]}`, `{"email":"a@x.org","tags":["A","B"]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, s := decode(t, tt.written), decode(t, tt.stored)
			if got := highlevel.StoredEqual(tt.field, w, s); got != tt.equal {
				t.Errorf("StoredEqual(%q, %s, %s) = %v, want %v", tt.field, tt.written, tt.stored, got, tt.equal)
			}
			if got := highlevel.StoredEqual(tt.field, s, w); got != tt.equal {
				t.Errorf("StoredEqual(%q, %s, %s) = %v, want %v (reversed)", tt.field, tt.stored, tt.written, got, tt.equal)
			}
		})
	}
}

// TestStoredEqualDecoders: the same values compare the same however they
// were decoded (float64 or json.Number) or typed.
func TestStoredEqualDecoders(t *testing.T) {
	var asFloat any
	if err := json.Unmarshal([]byte(`{"fee":95,"tags":["a"]}`), &asFloat); err != nil {
		t.Fatal(err)
	}
	exact := decode(t, `{"fee":95.0,"tags":["A"]}`)
	if !highlevel.StoredEqual("", asFloat, exact) {
		t.Error("float64 and json.Number decodings differ")
	}
	typed := struct {
		Fee  int      `json:"fee"`
		Tags []string `json:"tags"`
	}{95, []string{"a"}}
	if !highlevel.StoredEqual("", typed, exact) {
		t.Error("a typed value differs from its JSON")
	}
	if !highlevel.StoredEqual("fee", 95, json.Number("95")) || !highlevel.StoredEqual("fee", int64(95), 95.0) {
		t.Error("Go integers differ from JSON numbers")
	}
	if !highlevel.StoredEqual("fee", json.RawMessage(`95.0`), 95) {
		t.Error("raw JSON differs from its value")
	}
	if !highlevel.StoredEqual("city", json.RawMessage(` `), nil) {
		t.Error("empty raw JSON is not absent")
	}
}

func TestStoredEmpty(t *testing.T) {
	for _, tc := range []struct {
		v     any
		empty bool
	}{
		{nil, true}, {"", true}, {[]any{}, true}, {map[string]any{}, true},
		{[]string{}, true}, {[]string(nil), true}, {json.RawMessage(`null`), true},
		{" ", false}, {0.0, false}, {json.Number("0"), false}, {false, false},
		{[]any{""}, false}, {map[string]any{"a": nil}, false},
	} {
		if got := highlevel.StoredEmpty(tc.v); got != tc.empty {
			t.Errorf("StoredEmpty(%#v) = %v, want %v", tc.v, got, tc.empty)
		}
	}
}

func FuzzStoredEqual(f *testing.F) {
	for _, s := range [][3]string{
		{"phone", `"+1 (555) 010-0000"`, `"+15550100000"`},
		{"dateOfBirth", `"2024-03-01"`, `"2024-03-01T00:00:00.000Z"`},
		{"tags", `"a,B"`, `["b","a"]`},
		{"email", `"A@x.org"`, `"a@x.org"`},
		{"fee", `1e400`, `"1e400"`},
		{"fee", `1e999999999`, `-1e-999999999`},
		{"customFields", `[{"id":"1","value":2}]`, `[{"id":"1","field_value":"2"}]`},
		{"x", `[{"a":[]},{"a":null}]`, `{"a":{}}`},
		{"x", `null`, `[]`},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, field, a, b string) {
		x, y := decodeOrNil(a), decodeOrNil(b)
		got := highlevel.StoredEqual(field, x, y)
		if got != highlevel.StoredEqual(field, y, x) {
			t.Fatalf("not symmetric: %q %q %q", field, a, b)
		}
		if !highlevel.StoredEqual(field, x, x) {
			t.Fatalf("not reflexive: %q %q", field, a)
		}
		if highlevel.StoredEmpty(x) && highlevel.StoredEmpty(y) && !got {
			t.Fatalf("two empty values differ: %q %q", a, b)
		}
	})
}

func decodeOrNil(s string) any {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return s // not JSON: the text itself
	}
	return v
}

func ExampleStoredEqual() {
	// What a migration sent, and what HighLevel answers when read back.
	sent := map[string]any{
		"email":       "Rosan@Example.com",
		"phone":       "+1 (555) 010-0000",
		"dateOfBirth": "1986-07-18",
		"tags":        []any{"VIP", "family"},
		"city":        "",
	}
	stored := map[string]any{
		"email":       "rosan@example.com",
		"phone":       "+15550100000",
		"dateOfBirth": "1986-07-18T00:00:00.000Z",
		"tags":        []any{"family", "vip"},
	}
	fmt.Println(highlevel.StoredEqual("", sent, stored))
	fmt.Println(highlevel.StoredEqual("phone", "+15550100000", "+15550100001"))
	// Output:
	// true
	// false
}

func TestStoredValue(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
		ok   bool
	}{
		{``, nil, true}, {` `, nil, true}, {`null`, nil, true},
		{`95.0`, json.Number("95.0"), true}, {` "a" `, "a", true},
		{`{`, nil, false}, {`1 2`, nil, false}, {`1]`, nil, false}, {`nope`, nil, false},
	} {
		v, ok := highlevel.StoredValue([]byte(tc.in))
		if ok != tc.ok || v != tc.want {
			t.Errorf("StoredValue(%q) = %#v, %v; want %#v, %v", tc.in, v, ok, tc.want, tc.ok)
		}
	}
	v, ok := highlevel.StoredValue([]byte(`{"tags":["a"]}`))
	if !ok || !highlevel.StoredEqual("", v, map[string]any{"tags": []any{"A"}}) {
		t.Errorf("StoredValue of an object: %#v, %v", v, ok)
	}
}
