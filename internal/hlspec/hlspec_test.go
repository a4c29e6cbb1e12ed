package hlspec_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/internal/hlspec"
)

func newReq(method, url, body string) *http.Request {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, url, nil)
	} else {
		r = httptest.NewRequest(method, url, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Authorization", "Bearer pit-test")
	r.Header.Set("Version", "2021-07-28")
	return r
}

func TestLoadInlinesCommonSchemas(t *testing.T) {
	for _, app := range hlspec.Apps() {
		raw, err := hlspec.Load(app)
		require.NoError(t, err, app)
		assert.NotContains(t, string(raw), "../common/", app)
	}
	_, err := hlspec.Load("nope")
	require.Error(t, err)
}

func TestFindPrefersLiteralSegments(t *testing.T) {
	v := hlspec.MustValidator(t)
	op, ok := v.Find(http.MethodPost, "/contacts/search")
	require.True(t, ok)
	assert.Equal(t, "/contacts/search", op.Path)
	op, ok = v.Find(http.MethodGet, "/contacts/abc123")
	require.True(t, ok)
	assert.Equal(t, "/contacts/{contactId}", op.Path)
	assert.Equal(t, []string{"2021-07-28"}, op.Versions)
	op, ok = v.Find(http.MethodPost, "/contacts/")
	require.True(t, ok)
	assert.Equal(t, "contacts", op.App)
}

func TestValidateRequest(t *testing.T) {
	v := hlspec.MustValidator(t)

	ok := newReq(http.MethodPost, "/contacts/", `{"locationId":"loc1","firstName":"A","email":"a@example.com"}`)
	require.NoError(t, v.ValidateRequest(ok))
	// The body is restored for the handler.
	b, _ := io.ReadAll(ok.Body)
	assert.Contains(t, string(b), "locationId")

	wrongType := newReq(http.MethodPost, "/contacts/", `{"locationId":"loc1","firstName":42}`)
	var verr *hlspec.ValidationError
	require.ErrorAs(t, v.ValidateRequest(wrongType), &verr)
	assert.Equal(t, "request", verr.Kind)

	badVersion := newReq(http.MethodGet, "/contacts/abc", "")
	badVersion.Header.Set("Version", "1999-01-01")
	require.Error(t, v.ValidateRequest(badVersion))

	var uerr *hlspec.UndocumentedError
	require.True(t, errors.As(v.ValidateRequest(newReq(http.MethodPost, "/opportunities/pipelines", `{}`)), &uerr))
}

func TestValidateResponse(t *testing.T) {
	v := hlspec.MustValidator(t)
	req := newReq(http.MethodDelete, "/contacts/abc", "")
	good := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"succeded":true}`)), Request: req}
	require.NoError(t, v.ValidateResponse(req, good))

	bad := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"succeded":"yes"}`)), Request: req}
	require.Error(t, v.ValidateResponse(req, bad))
}

// The library's own router picks DELETE /associations/relations/{relationId}
// for a GET of the same shape; Validator must use the operation it found.
func TestSameShapeTemplatesOfOtherMethods(t *testing.T) {
	v := hlspec.MustValidator(t)
	op, ok := v.Find(http.MethodGet, "/associations/relations/rec123")
	require.True(t, ok)
	assert.Equal(t, "/associations/relations/{recordId}", op.Path)
	r := newReq(http.MethodGet, "/associations/relations/rec123?locationId=loc1&skip=0&limit=100", "")
	require.NoError(t, v.ValidateRequest(r))
}
