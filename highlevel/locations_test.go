package highlevel

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// locationJSON is GetLocationByIdSuccessfulResponseDto with the spec's
// examples (apps/locations.json).
const locationJSON = `{"location":{"id":"loc-test-1","companyId":"5DP4iH6HLkQsiKESj6rh","name":"dentist",
 "domain":"test.msgsndr.com","address":"ganthi nagar","city":"motihari","state":"Loca","country":"IN","postalCode":"567654",
 "website":"https://gohighlevel.com/","timezone":"America/Chicago","firstName":"Dr. Rane","lastName":"deo",
 "email":"rane@due.com","phone":"+919039160788","business":{"name":"Smile"},"social":{},
 "settings":{"allowDuplicateContact":false,"allowDuplicateOpportunity":true,"allowFacebookNameMerge":false,"disableContactTimezone":false},
 "reseller":{}}}`

func TestLocationsGet(t *testing.T) {
	runOpCases(t, []opCase{
		{
			name: "get", pattern: "GET /locations/loc-test-1", status: 200, response: locationJSON,
			call: func(ctx context.Context, c *Client) (any, error) { return c.Locations.Get(ctx, "") },
			check: func(t *testing.T, got any) {
				assert.Equal(t, &Location{ID: "loc-test-1", CompanyID: "5DP4iH6HLkQsiKESj6rh", Name: "dentist", Timezone: "America/Chicago",
					Settings: LocationSettings{AllowDuplicateOpportunity: true}}, got)
			},
		},
		{
			name: "get other", pattern: "GET /locations/loc-2", status: 200,
			response: `{"location":{"id":"loc-2","settings":{"allowDuplicateContact":true}}}`,
			call:     func(ctx context.Context, c *Client) (any, error) { return c.Locations.Get(ctx, "loc-2") },
			check: func(t *testing.T, got any) {
				assert.True(t, got.(*Location).Settings.AllowDuplicateContact)
			},
		},
	})

	ts := newTestServer(t)
	ts.handle("GET /locations/loc-test-1", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{}`) })
	_, err := ts.client.Locations.Get(context.Background(), "")
	var de *DecodeError
	require.ErrorAs(t, err, &de, "an answer without a location is not a location with default settings")

	ts = newTestServer(t)
	ts.handle("GET /locations/loc-test-1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 422, `{"statusCode":422,"message":["locationId must be a string"]}`)
	})
	_, err = ts.client.Locations.Get(context.Background(), "")
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 422, ae.StatusCode)
}
