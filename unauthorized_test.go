package pbnhl_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/rollback"
)

// refuseRecordCreates answers 401 to custom object record creates, as
// HighLevel does once a token is revoked mid-run.
type refuseRecordCreates struct{ next http.RoundTripper }

func (r refuseRecordCreates) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/records") {
		return &http.Response{StatusCode: http.StatusUnauthorized, Status: "401 Unauthorized", Request: req,
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   io.NopCloser(strings.NewReader(`{"statusCode":401,"message":"Invalid JWT"}`))}, nil
	}
	return r.next.RoundTrip(req)
}

// TestRefusedTokenStopsThePhase: a token HighLevel refuses is the same for
// every record, so the phase stops with ErrUnauthorized instead of filing
// each record as rejected (a problems file full of records that are fine).
func TestRefusedTokenStopsThePhase(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(12), seed: 3})
	ctx := context.Background()
	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)

	hc := e.hl.Client()
	hc.Transport = refuseRecordCreates{next: hc.Transport}
	c, err := highlevel.NewClient(highlevel.Options{BaseURL: e.hl.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), Limiter: e.limit, HTTPClient: hc})
	require.NoError(t, err)
	good := e.client
	e.client = c
	_, err = e.migration(nil).Load(ctx)
	require.ErrorIs(t, err, highlevel.ErrUnauthorized)
	assert.NotContains(t, err.Error(), hltest.DefaultToken)
	assert.Zero(t, e.hl.Count(hltest.DefaultLocationID, hltest.KindRecord))

	// With the token fixed, the same command finishes the load and no
	// record is left reported as rejected.
	e.client = good
	_, err = e.migration(nil).Load(ctx)
	require.NoError(t, err)

	for p, err := range e.ledger.Problems(ctx) {
		require.NoError(t, err)
		assert.NotEqual(t, rollback.ProblemRejected, p.Kind, "a refused token is not the record's problem: %s %s %v", p.ObjectType, p.SourceKey, p.Reasons)
	}
}
