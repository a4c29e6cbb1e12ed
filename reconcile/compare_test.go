package reconcile

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompareNormalisations(t *testing.T) {
	tests := []struct {
		name       string
		field      string
		sent, have string
		differ     bool
	}{
		{"email case", "email", `"Ann@Example.COM"`, `"ann@example.com"`, false},
		{"email other", "email", `"ann@example.com"`, `"bob@example.com"`, true},
		{"phone E.164", "phone", `"+15551234567"`, `"+1 555-123-4567"`, false},
		{"phone other", "phone", `"+15551234567"`, `"+15551234568"`, true},
		{"date vs midnight", "dateOfBirth", `"1986-07-18"`, `"1986-07-18T00:00:00.000Z"`, false},
		{"date other day", "dateOfBirth", `"1986-07-18"`, `"1986-07-19T00:00:00.000Z"`, true},
		{"not midnight", "dateOfBirth", `"1986-07-18"`, `"1986-07-18T10:00:00.000Z"`, true},
		{"tags as set", "tags", `["VIP","family"]`, `["family","vip"]`, false},
		{"tags missing one", "tags", `["vip","family"]`, `["vip"]`, true},
		{"number as text", "customFields.x", `"95"`, `95`, false},
		{"number 95.0", "fee", `95`, `95.0`, false},
		{"emptied equals absent", "city", `""`, ``, false},
		{"null equals absent", "city", `null`, ``, false},
		{"absent in HighLevel", "city", `"Paris"`, ``, true},
		{"set in HighLevel only", "city", `""`, `"Paris"`, true},
		{"objects by meaning", "fee", `{"value":1,"currency":"USD"}`, `{"currency":"USD","value":1}`, false},
		{"options as set", "surfaces", `["m","o"]`, `["o","m"]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var have json.RawMessage
			if tt.have != "" {
				have = json.RawMessage(tt.have)
			}
			r := compareValue(tt.field, json.RawMessage(tt.sent), have)
			assert.Equal(t, tt.differ, r.Differ)
		})
	}
}

func TestCompareBody(t *testing.T) {
	body := []byte(`{"locationId":"loc","firstName":"Ann","email":"ANN@x.org","customFields":[{"id":"f1","field_value":"7"},{"key":"contact.k","field_value":"z"}],"tags":["a"]}`)
	got := readBack{
		fields: map[string]json.RawMessage{"firstName": json.RawMessage(`"Ann"`), "email": json.RawMessage(`"ann@x.org"`), "tags": json.RawMessage(`["b"]`)},
		custom: map[string]json.RawMessage{"f1": json.RawMessage(`"7"`)},
	}
	res, err := compareBody(body, got)
	require.NoError(t, err)
	var differ []string
	for _, f := range res {
		if f.Differ {
			differ = append(differ, f.Field)
		}
	}
	assert.Equal(t, []string{"tags"}, differ)
	assert.Len(t, res, 4, "locationId skipped, a custom field without id cannot be matched")

	props := []byte(`{"properties":{"title":"Cleaning","fee":{"value":95,"currency":"default"}}}`)
	res, err = compareBody(props, readBack{fields: map[string]json.RawMessage{"title": json.RawMessage(`"Cleaning"`), "fee": json.RawMessage(`{"currency":"default","value":95.0}`)}})
	require.NoError(t, err)
	for _, f := range res {
		assert.False(t, f.Differ, f.Field)
	}

	// A record's owner and followers (the provider's and hygienist's
	// users) are compared apart from its properties: an owner HighLevel
	// lost differs, a cleared one ([]) equals none stored, a list the body
	// does not name is not compared.
	users := func(owner, followers string) readBack {
		return readBack{fields: map[string]json.RawMessage{"title": json.RawMessage(`"Cleaning"`)},
			users: map[string]json.RawMessage{"owner": json.RawMessage(owner), "followers": json.RawMessage(followers)}}
	}
	owned := []byte(`{"properties":{"title":"Cleaning"},"owner":["u1"],"followers":["u2"]}`)
	res, err = compareBody(owned, users(`["u1"]`, `["u2"]`))
	require.NoError(t, err)
	require.Len(t, res, 3)
	for _, f := range res {
		assert.False(t, f.Differ, f.Field)
	}
	res, err = compareBody(owned, users(`[]`, `["u2"]`))
	require.NoError(t, err)
	assert.Equal(t, fieldResult{Field: "owner", Sent: true, Differ: true, Want: json.RawMessage(`["u1"]`), Have: json.RawMessage(`[]`)}, res[0])
	res, err = compareBody([]byte(`{"properties":{"title":"Cleaning"},"owner":[]}`), users(`null`, `["u9"]`))
	require.NoError(t, err)
	require.Len(t, res, 2, "followers not named: not compared")
	assert.False(t, res[0].Differ, "a cleared owner equals none")
	assert.Equal(t, "owner", res[0].Field)
}

func TestCompareBodyBadInput(t *testing.T) {
	for _, b := range []string{``, `[`, `[]`, `{"properties":3}`, `{"customFields":{}}`} {
		_, err := compareBody([]byte(b), readBack{})
		assert.Error(t, err, b)
	}
}

func FuzzCompareBody(f *testing.F) {
	f.Add([]byte(`{"email":"a@b.c","customFields":[{"id":"x","field_value":["a"]}]}`), []byte(`"A@B.C"`))
	f.Add([]byte(`{"properties":{"d":"2020-01-01"}}`), []byte(`"2020-01-01T00:00:00Z"`))
	f.Add([]byte(`{"tags":"a,b"}`), []byte(`["b","a"]`))
	f.Fuzz(func(t *testing.T, body, value []byte) {
		got := readBack{fields: map[string]json.RawMessage{}, custom: map[string]json.RawMessage{"x": value}}
		for _, k := range []string{"email", "phone", "tags", "d", "dateOfBirth"} {
			got.fields[k] = value
		}
		res, err := compareBody(body, got)
		if err != nil {
			return
		}
		for _, r := range res {
			if !r.Sent && !r.Stored && r.Differ {
				t.Fatalf("%s: two empty values differ", r.Field)
			}
		}
	})
}
