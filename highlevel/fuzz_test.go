package highlevel

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzErrorBody: any error body decodes without panicking, and e-mail
// addresses in it never reach the error text.
func FuzzErrorBody(f *testing.F) {
	for _, s := range []string{
		`{"statusCode":422,"message":["a","b"],"error":"Unprocessable Entity","traceId":"t"}`,
		`{"statusCode":400,"message":"Contact with id x not found"}`,
		`{"statusCode":400,"message":"dup","meta":{"contactId":"c","matchingField":"email"}}`,
		`{"error":"invalid_grant","error_description":"bad token for jane@example.com"}`,
		`{"message":12}`, `[]`, `null`, ``, `<html>`,
	} {
		f.Add(400, s)
	}
	f.Fuzz(func(t *testing.T, status int, body string) {
		err := newAPIError("op", "GET", "/x", status, nil, []byte(body))
		msg := err.Error()
		if strings.Contains(body, "jane@example.com") && strings.Contains(msg, "jane@example.com") {
			t.Fatalf("e-mail leaked: %s", msg)
		}
		_ = (err.(interface{ Is(error) bool })).Is(ErrNotFound)
	})
}

// FuzzTimestamp: any JSON value either decodes or errors, never panics.
func FuzzTimestamp(f *testing.F) {
	for _, s := range []string{`"2021-07-02T05:18:26.704Z"`, `1631087949919`, `""`, `null`, `"2021-07-16 11:00:00"`, `"1990-09-25"`, `1e400`, `"x"`, `{}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var ts Timestamp
		if err := json.Unmarshal([]byte(s), &ts); err == nil {
			if _, err := json.Marshal(ts); err != nil {
				t.Fatalf("decoded %q but cannot encode: %v", s, err)
			}
		}
	})
}

// FuzzValueFor: converting text to any data type either fails with
// ErrFieldType or yields valid JSON.
func FuzzValueFor(f *testing.F) {
	for _, s := range []string{"12.5", "abc", "2024-02-29", "", "NaN", "1e309", "-0"} {
		f.Add(s)
	}
	types := []DataType{DataTypeText, DataTypeNumerical, DataTypeMonetary, DataTypeCheckbox, DataTypeDate, DataTypeFileUpload, "BOGUS"}
	f.Fuzz(func(t *testing.T, s string) {
		for _, dt := range types {
			for _, in := range []any{s, json.RawMessage(s), []string{s}, json.Number(s)} {
				v, err := ValueFor(dt, in)
				if err != nil {
					continue
				}
				b, err := json.Marshal(CustomFieldInput{ID: "f", Value: v})
				if err != nil || !json.Valid(b) {
					t.Fatalf("%s %T: invalid JSON %s (%v)", dt, in, b, err)
				}
			}
		}
	})
}

// FuzzCustomFieldValue: accessors never panic on any value.
func FuzzCustomFieldValue(f *testing.F) {
	for _, s := range []string{`"x"`, `12.5`, `["a","b"]`, `{"a":1}`, `null`, `"12"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := CustomFieldValue{ID: "f", Value: json.RawMessage(s)}
		_, _ = v.Text()
		_, _ = v.Number()
		_, _ = v.Strings()
	})
}
