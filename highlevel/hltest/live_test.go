package hltest

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Places where the simulator was stricter than live HighLevel (issue 13).
// The strictness that is real stays: unknown body properties are a 422,
// and so is a query parameter a route does not take.

// GET /objects/{schemaKey}/records/{id}?locationId=… answers 200 live; the
// spec (apps/objects.json) declares no query parameter for it, and clients
// in the wild read records this way, so locationId is accepted and ignored.
func TestRecordGetAcceptsLocationID(t *testing.T) {
	_, tc := newTestServer(t, Options{})
	createSchema(t, tc, "custom_objects.appointment")
	r := obj(t, tc.do("POST", "/objects/custom_objects.appointment/records", map[string]any{"locationId": loc,
		"properties": map[string]any{"name": "Exam"}}).must(t, 201)["record"])
	id := r["id"].(string)
	got := obj(t, tc.do("GET", "/objects/custom_objects.appointment/records/"+id+"?locationId="+loc, nil).must(t, 200)["record"])
	assert.Equal(t, id, got["id"])
	tc.do("GET", "/objects/custom_objects.appointment/records/"+id, nil).must(t, 200)
	// Other query parameters are still refused, as HighLevel's query DTOs do.
	tc.do("GET", "/objects/custom_objects.appointment/records/"+id+"?color=red", nil).must(t, 422)
}

// POST /objects/{schemaKey}/records/search: the spec's SearchRecordsBody
// requires page, query and searchAfter together; live calls with
// {locationId, page, pageLimit} succeed, live notes say search needs page
// OR searchAfter, and the searchAfter cursor live is [timestamp, "<record
// id>"] (the spec's RecordResponseDTO example: [1738683828372,
// "67a235b49b289431bcf657f8"]).
func TestRecordSearchPageOrSearchAfter(t *testing.T) {
	_, tc := newTestServer(t, Options{})
	createSchema(t, tc, "custom_objects.appointment")
	for _, name := range []string{"Exam", "Cleaning", "Crown"} {
		tc.do("POST", "/objects/custom_objects.appointment/records", map[string]any{"locationId": loc,
			"properties": map[string]any{"name": name}}).must(t, 201)
	}
	const path = "/objects/custom_objects.appointment/records/search"
	first := tc.do("POST", path, map[string]any{"locationId": loc, "page": 1, "pageLimit": 2}).must(t, 200)
	assert.EqualValues(t, 3, first["total"])
	recs := first["records"].([]any)
	require.Len(t, recs, 2)
	cursor := obj(t, recs[1])["searchAfter"].([]any)
	require.Len(t, cursor, 2)
	assert.IsType(t, float64(0), cursor[0], "timestamp in ms")
	assert.Equal(t, obj(t, recs[1])["id"], cursor[1], "the record's id")

	// searchAfter without page.
	next := tc.do("POST", path, map[string]any{"locationId": loc, "pageLimit": 2, "searchAfter": cursor}).must(t, 200)
	require.Len(t, next["records"], 1)
	seen := map[any]bool{obj(t, recs[0])["id"]: true, obj(t, recs[1])["id"]: true}
	assert.False(t, seen[obj(t, next["records"].([]any)[0])["id"]])

	// query optional, and still filters when given.
	q := tc.do("POST", path, map[string]any{"locationId": loc, "page": 1, "pageLimit": 10, "query": "crown"}).must(t, 200)
	assert.EqualValues(t, 1, q["total"])

	// Neither page nor searchAfter: refused. Unknown properties: refused.
	tc.do("POST", path, map[string]any{"locationId": loc, "pageLimit": 10}).must(t, 422)
	tc.do("POST", path, map[string]any{"locationId": loc, "page": 1, "pageLimit": 10, "color": "red"}).must(t, 422)
	// A malformed cursor is refused.
	tc.do("POST", path, map[string]any{"locationId": loc, "pageLimit": 2, "searchAfter": []any{1, 2}}).must(t, 422)
}

// Records routes on an unknown schema key answer 404 "Custom Object (<key>)
// not found" live (search and PUT observed), not 400.
func TestRecordRoutesUnknownSchema404(t *testing.T) {
	_, tc := newTestServer(t, Options{})
	const key = "custom_objects.nothing"
	search := tc.do("POST", "/objects/"+key+"/records/search", map[string]any{"locationId": loc, "page": 1, "pageLimit": 10}).must(t, 404)
	assert.Equal(t, "Custom Object ("+key+") not found", search["message"])
	put := tc.do("PUT", "/objects/"+key+"/records/aaaaaaaaaaaaaaaaaaaa?locationId="+loc, map[string]any{"properties": map[string]any{}}).must(t, 404)
	assert.Equal(t, "Custom Object ("+key+") not found", put["message"])
	tc.do("POST", "/objects/"+key+"/records", map[string]any{"locationId": loc, "properties": map[string]any{"name": "x"}}).must(t, 404)
	// Another location's id is still a 403, checked before the key.
	tc.do("POST", "/objects/"+key+"/records/search", map[string]any{"locationId": "otherLocation0000001", "page": 1, "pageLimit": 10}).must(t, 403)
}

// POST /medias/upload-file?altType=location&altId=<location> is accepted
// live (clients post exactly this); the owner must be the token's location.
func TestMediaUploadAltQuery(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	upload := func(query string) int {
		t.Helper()
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		w, err := mw.CreateFormFile("file", "consent.pdf")
		require.NoError(t, err)
		_, _ = w.Write([]byte("%PDF-1.7"))
		require.NoError(t, mw.Close())
		req, _ := http.NewRequest("POST", s.URL+"/medias/upload-file"+query, &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+DefaultToken)
		req.Header.Set("Version", "2021-07-28")
		res, err := s.Client().Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	assert.Equal(t, 200, upload("?altType=location&altId="+loc))
	assert.Equal(t, 200, upload(""))
	assert.Equal(t, 403, upload("?altType=location&altId=otherLocation0000001"))
	assert.Equal(t, 422, upload("?altType=agency&altId="+loc))
	assert.Equal(t, 422, upload("?color=red"))
	assert.Equal(t, 2, s.Count(loc, KindMedia))
}
