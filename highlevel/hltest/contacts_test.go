package hltest

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuth(t *testing.T) {
	other := Location{ID: "otherLocation0000001", Token: "pit-other"}
	s, tc := newTestServer(t, Options{Locations: []Location{{ID: DefaultLocationID, Token: DefaultToken}, other}})
	_ = s
	tests := []struct {
		name    string
		token   string
		version string
		path    string
		status  int
		msg     string
	}{
		{"no token", "", "2021-07-28", "/contacts/?locationId=" + DefaultLocationID, 401, "Unauthorized"},
		{"bad pit", "pit-nope", "2021-07-28", "/contacts/?locationId=" + DefaultLocationID, 401, msgInvalidPIT},
		{"bad jwt", "eyJhbGciOi.x.y", "2021-07-28", "/contacts/?locationId=" + DefaultLocationID, 401, msgInvalidJWT},
		{"no version", DefaultToken, "", "/contacts/?locationId=" + DefaultLocationID, 401, msgVersionMissing},
		{"bad version", DefaultToken, "2020-01-01", "/contacts/?locationId=" + DefaultLocationID, 401, msgVersionInvalid},
		{"other location", DefaultToken, "2021-07-28", "/contacts/?locationId=" + other.ID, 403, msgNoLocationAccess},
		{"ok", DefaultToken, "2021-07-28", "/contacts/?locationId=" + DefaultLocationID, 200, ""},
		{"ok v3", DefaultToken, "v3", "/contacts/?locationId=" + DefaultLocationID, 200, ""},
		{"ok sdk version", DefaultToken, "2023-02-21", "/contacts/?locationId=" + DefaultLocationID, 200, ""},
		{"unknown route", DefaultToken, "2021-07-28", "/nope", 404, "Cannot GET /nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tc.as(tt.token)
			c.version = tt.version
			r := c.do("GET", tt.path, nil)
			body := r.must(t, tt.status)
			if tt.msg != "" {
				assert.Equal(t, []string{tt.msg}, messages(t, body))
				assert.NotEmpty(t, body["traceId"])
			}
			for _, h := range []string{"X-Ratelimit-Limit-Daily", "X-Ratelimit-Daily-Remaining",
				"X-Ratelimit-Interval-Milliseconds", "X-Ratelimit-Max", "X-Ratelimit-Remaining"} {
				assert.NotEmpty(t, r.Header.Get(h), h)
			}
		})
	}
}

func TestContactLifecycle(t *testing.T) {
	s, tc := newTestServer(t, Options{})
	loc := DefaultLocationID
	body := tc.do("POST", "/contacts/", map[string]any{
		"locationId": loc, "firstName": "Ada", "lastName": "Lovelace", "email": "Ada@Example.com",
		"phone": "(415) 555-0100", "tags": []string{"Patient", "patient", " VIP "}, "dateOfBirth": "12/10/1990",
		"country": "US",
	}).must(t, http.StatusCreated)
	c := obj(t, body["contact"])
	id := c["id"].(string)
	assert.True(t, isID(id), id)
	assert.Equal(t, "+14155550100", c["phone"])
	assert.Equal(t, "ada@example.com", c["emailLowerCase"])
	assert.Equal(t, []any{"patient", "vip"}, c["tags"])
	assert.Equal(t, "1990-12-10T00:00:00.000Z", c["dateOfBirth"])
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`, c["dateAdded"])

	got := tc.do("GET", "/contacts/"+id, nil).must(t, 200)
	assert.Equal(t, id, obj(t, got["contact"])["id"])

	upd := tc.do("PUT", "/contacts/"+id, map[string]any{"city": "London"}).must(t, 200)
	assert.Equal(t, true, upd["succeded"])
	assert.Equal(t, "London", obj(t, upd["contact"])["city"])

	rej := tc.do("PUT", "/contacts/"+id, map[string]any{"locationId": loc, "city": "Paris"}).must(t, 422)
	assert.Equal(t, []string{"property locationId should not exist"}, messages(t, rej))
	assert.Equal(t, "Unprocessable Entity", rej["error"])

	del := tc.do("DELETE", "/contacts/"+id, nil).must(t, 200)
	assert.Equal(t, true, del["succeded"])
	assert.Equal(t, 0, s.Count(loc, KindContact))
	tc.do("GET", "/contacts/"+id, nil).must(t, 400)
}

func TestStrictDTO(t *testing.T) {
	_, tc := newTestServer(t, Options{})
	tests := []struct {
		name string
		body any
		want []string
	}{
		{"unknown property", map[string]any{"locationId": DefaultLocationID, "dateAdded": "2020-01-01", "businessId": "x"},
			[]string{"property businessId should not exist", "property dateAdded should not exist"}},
		{"missing locationId", map[string]any{"firstName": "A"},
			[]string{"locationId should not be empty", "locationId must be a string"}},
		{"wrong type", map[string]any{"locationId": DefaultLocationID, "firstName": 3, "dnd": "yes", "tags": "a"},
			[]string{"firstName must be a string", "dnd must be a boolean value", "tags must be an array"}},
		{"nested", map[string]any{"locationId": DefaultLocationID, "dndSettings": map[string]any{"SMS": map[string]any{"status": "off"}, "Fax": map[string]any{}}},
			[]string{"dndSettings.property Fax should not exist", "dndSettings.SMS.status must be one of the following values: active, inactive, permanent"}},
		{"bad email", map[string]any{"locationId": DefaultLocationID, "email": "not-an-email"}, []string{"email must be an email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tc.do("POST", "/contacts/", tt.body).must(t, 422)
			assert.ElementsMatch(t, tt.want, messages(t, body))
		})
	}
	bad := tc.do("POST", "/contacts/", `{"locationId":`).must(t, 400)
	assert.Contains(t, messages(t, bad)[0], "Unexpected token")
}

func TestDuplicateContacts(t *testing.T) {
	_, tc := newTestServer(t, Options{})
	first := obj(t, tc.do("POST", "/contacts/", map[string]any{"locationId": DefaultLocationID, "firstName": "A",
		"email": "a@x.com"}).must(t, 201)["contact"])
	second := obj(t, tc.do("POST", "/contacts/", map[string]any{"locationId": DefaultLocationID, "firstName": "B",
		"phone": "+14155550101"}).must(t, 201)["contact"])

	dup := tc.do("POST", "/contacts/", map[string]any{"locationId": DefaultLocationID, "email": "A@x.com"}).must(t, 400)
	assert.Equal(t, msgDuplicateContact, dup["message"])
	meta := obj(t, dup["meta"])
	assert.Equal(t, first["id"], meta["contactId"])
	assert.Equal(t, "email", meta["matchingField"])

	dup = tc.do("POST", "/contacts/", map[string]any{"locationId": DefaultLocationID, "phone": "415-555-0101"}).must(t, 400)
	assert.Equal(t, "phone", obj(t, dup["meta"])["matchingField"])
	assert.Equal(t, second["id"], obj(t, dup["meta"])["contactId"])

	// Upsert: email matches the first contact, phone the second. Email
	// comes first in the order, so the first contact is updated and the
	// phone, which belongs to the second, is silently dropped.
	up := tc.do("POST", "/contacts/upsert", map[string]any{"locationId": DefaultLocationID, "email": "a@x.com",
		"phone": "+14155550101", "city": "Oslo"}).must(t, 200)
	assert.Equal(t, false, up["new"])
	assert.NotEmpty(t, up["traceId"])
	uc := obj(t, up["contact"])
	assert.Equal(t, first["id"], uc["id"])
	assert.Equal(t, "Oslo", uc["city"])
	assert.Nil(t, uc["phone"])

	created := tc.do("POST", "/contacts/upsert", map[string]any{"locationId": DefaultLocationID, "email": "new@x.com"}).must(t, 200)
	assert.Equal(t, true, created["new"])

	dupe := tc.do("GET", "/contacts/search/duplicate?locationId="+DefaultLocationID+"&email=A%40X.com", nil).must(t, 200)
	assert.Equal(t, first["id"], obj(t, dupe["contact"])["id"])
	none := tc.do("GET", "/contacts/search/duplicate?locationId="+DefaultLocationID+"&email=zz%40x.com", nil).must(t, 200)
	assert.Nil(t, none["contact"])
}

func TestDuplicatesAllowed(t *testing.T) {
	s, tc := newTestServer(t, Options{Locations: []Location{{ID: DefaultLocationID, Token: DefaultToken, AllowDuplicates: true,
		DuplicateOrder: []string{"phone", "email"}}}})
	for range 2 {
		tc.do("POST", "/contacts/", map[string]any{"locationId": DefaultLocationID, "email": "a@x.com"}).must(t, 201)
	}
	groups := s.Duplicates(DefaultLocationID)
	require.Len(t, groups, 1)
	assert.Equal(t, "email", groups[0].Field)
	assert.Len(t, groups[0].ContactIDs, 2)
	forced := tc.do("POST", "/contacts/upsert", map[string]any{"locationId": DefaultLocationID, "email": "a@x.com",
		"createNewIfDuplicateAllowed": true}).must(t, 200)
	assert.Equal(t, true, forced["new"])
	assert.Equal(t, 3, s.Count(DefaultLocationID, KindContact))
}

func TestUpdateLocation(t *testing.T) {
	s, tc := newTestServer(t, Options{})
	tc.do("POST", "/contacts/", map[string]any{"locationId": DefaultLocationID, "phone": "+14155550100"}).must(t, 201)
	require.NoError(t, s.UpdateLocation(DefaultLocationID, func(l *Location) { l.DuplicateOrder = []string{"email"} }))
	tc.do("POST", "/contacts/", map[string]any{"locationId": DefaultLocationID, "phone": "+14155550100"}).must(t, 201)
	require.NoError(t, s.UpdateLocation(DefaultLocationID, func(l *Location) { l.AllowDuplicates = true; l.ID = "ignored" }))
	l := obj(t, tc.do("GET", "/locations/"+DefaultLocationID, nil).must(t, 200)["location"])
	assert.Equal(t, true, obj(t, l["settings"])["allowDuplicateContact"])
	assert.Error(t, s.UpdateLocation(DefaultLocationID, func(l *Location) { l.DuplicateOrder = []string{"name"} }))
	assert.Error(t, s.UpdateLocation("nowhere0000000000001", func(*Location) {}))
}
