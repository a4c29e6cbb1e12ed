package rollback

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProjectDigest(t *testing.T) {
	for _, tc := range []struct {
		name             string
		current, written string
		unchanged        bool
	}{
		{"same fields", `{"firstName":"Ann","lastName":"Lee","id":"c1","dateAdded":"x"}`, `{"firstName":"Ann","lastName":"Lee"}`, true},
		{"changed field", `{"firstName":"Annie","lastName":"Lee"}`, `{"firstName":"Ann","lastName":"Lee"}`, false},
		{"cleared field", `{"lastName":"Lee"}`, `{"firstName":"Ann","lastName":"Lee"}`, false},
		{"empty is missing", `{"lastName":"Lee"}`, `{"firstName":"","lastName":"Lee"}`, true},
		{"email case", `{"email":"ann@example.com"}`, `{"email":"Ann@Example.com"}`, true},
		{"email changed", `{"email":"ann2@example.com"}`, `{"email":"ann@example.com"}`, false},
		{"phone format", `{"phone":"+1 555-555-0100"}`, `{"phone":"+15555550100"}`, true},
		{"dob as timestamp", `{"dateOfBirth":"1980-02-03T00:00:00.000Z"}`, `{"dateOfBirth":"1980-02-03"}`, true},
		{"dob changed", `{"dateOfBirth":"1980-02-04T00:00:00.000Z"}`, `{"dateOfBirth":"1980-02-03"}`, false},
		{"tags as set", `{"tags":["b","a"]}`, `{"tags":["a","B"]}`, true},
		{"tag added", `{"tags":["a","b","c"]}`, `{"tags":["a","b"]}`, false},
		{"custom fields by id", `{"customFields":[{"id":"f2","value":"x"},{"id":"f1","value":12}]}`,
			`{"customFields":[{"id":"f1","field_value":"12"},{"id":"f2","field_value":"x"}]}`, true},
		{"custom field changed", `{"customFields":[{"id":"f1","value":"13"}]}`, `{"customFields":[{"id":"f1","field_value":"12"}]}`, false},
		{"custom field removed", `{"customFields":[]}`, `{"customFields":[{"id":"f1","field_value":"12"}]}`, false},
		{"record properties", `{"properties":{"start":"2026-01-01","fee":{"currency":"default","value":12.5}},"id":"r"}`,
			`{"properties":{"fee":{"currency":"default","value":12.50}}}`, true},
		{"record property changed", `{"properties":{"fee":{"currency":"default","value":13}}}`,
			`{"properties":{"fee":{"currency":"default","value":12.5}}}`, false},
		{"go field names", `{"Properties":{"a":"1"}}`, `{"properties":{"a":"1"}}`, true},
		{"number vs string", `{"monetaryValue":150}`, `{"monetaryValue":"150.0"}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ProjectDigest([]byte(tc.current), []byte(tc.written))
			require.NoError(t, err)
			assert.Equal(t, tc.unchanged, got == Digest([]byte(tc.written)))
		})
	}
	_, err := ProjectDigest([]byte(`{}`), []byte(`{`))
	require.Error(t, err)
	_, err = ProjectDigest([]byte(`nope`), []byte(`{}`))
	require.Error(t, err)
}

func FuzzProjectDigest(f *testing.F) {
	f.Add([]byte(`{"a":"x","customFields":[{"id":"1","value":2}]}`), []byte(`{"a":"X","customFields":[{"id":"1","field_value":"2"}]}`))
	f.Add([]byte(`{"tags":["a"]}`), []byte(`{"tags":[1,{"x":null}]}`))
	f.Add([]byte(`[]`), []byte(`{"phone":"+1"}`))
	f.Fuzz(func(t *testing.T, current, written []byte) {
		d, err := ProjectDigest(current, written)
		if err != nil {
			return
		}
		require.Len(t, d, 71)
		// A record always matches what was written into it.
		self, err := ProjectDigest(written, written)
		require.NoError(t, err)
		require.Equal(t, Digest(written), self, "written=%q", written)
	})
}
