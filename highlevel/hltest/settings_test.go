package hltest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The location settings a migration depends on (apps/locations.json
// SettingsSchema: allowDuplicateContact, allowDuplicateOpportunity) are
// served by GET /locations/{locationId} in HighLevel's shape (tc validates
// every response against the spec) and enforced as HighLevel does.
func TestLocationSettingsServedAndEnforced(t *testing.T) {
	s, tc := newTestServer(t, Options{Locations: []Location{{ID: loc, Token: DefaultToken, Name: "Smile Dental",
		AllowDuplicates: true, DuplicateOrder: []string{"phone"}, AllowDuplicateOpportunities: true}}})
	settings := func() map[string]any {
		l := obj(t, tc.do("GET", "/locations/"+loc, nil).must(t, 200)["location"])
		assert.Equal(t, loc, l["id"])
		return obj(t, l["settings"])
	}
	st := settings()
	assert.Equal(t, true, st["allowDuplicateContact"])
	assert.Equal(t, true, st["allowDuplicateOpportunity"])

	p := createPipeline(t, tc, "Treatment plans")
	ct := obj(t, tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "firstName": "Pat", "email": "pat@x.com", "phone": "+14155550100"}).must(t, 201)["contact"])
	plan := func(name string) map[string]any {
		return map[string]any{"locationId": loc, "pipelineId": p["id"], "name": name, "status": "open", "contactId": ct["id"]}
	}
	tc.do("POST", "/opportunities/", plan("Crown #3")).must(t, 201)
	tc.do("POST", "/opportunities/", plan("Implant #19")).must(t, 201)
	// Duplicate contacts allowed: a second contact with the same email and
	// phone is created.
	tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "firstName": "Twin", "email": "pat@x.com", "phone": "+14155550100"}).must(t, 201)

	require.NoError(t, s.UpdateLocation(loc, func(l *Location) {
		l.AllowDuplicates, l.AllowDuplicateOpportunities = false, false
	}))
	st = settings()
	assert.Equal(t, false, st["allowDuplicateContact"])
	assert.Equal(t, false, st["allowDuplicateOpportunity"])

	// One opportunity per contact and pipeline: HighLevel's message.
	dup := tc.do("POST", "/opportunities/", plan("Bridge")).must(t, 400)
	assert.Contains(t, dup["message"], "Can not create duplicate opportunity for the contact")
	assert.Equal(t, 2, s.Count(loc, KindOpportunity))
	// Another pipeline is fine.
	other := createPipeline(t, tc, "Recall")
	tc.do("POST", "/opportunities/", map[string]any{"locationId": loc, "pipelineId": other["id"], "name": "Recall",
		"status": "open", "contactId": ct["id"]}).must(t, 201)

	// The matching field: only phone is matched, so the same email is no
	// duplicate and the same phone is, named in meta.matchingField.
	tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "firstName": "Sib", "email": "pat@x.com"}).must(t, 201)
	refused := tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "firstName": "Sib", "phone": "+14155550100"}).must(t, 400)
	assert.Equal(t, "phone", obj(t, refused["meta"])["matchingField"])
}
