package highlevel

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refusingServer answers every API call 401 and the token endpoint with
// invalid_grant (a revoked install), counting calls.
func refusingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/oauth/token" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"Invalid grant: refresh token is invalid"}`))
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"statusCode":401,"message":"Invalid JWT","error":"Unauthorized"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// TestRefusedStaticTokenSaysWhatToDo: a wrong Private Integration Token
// ends with ErrUnauthorized, one call, and a message naming the location
// and what to check — not "token source cannot refresh", not the token.
func TestRefusedStaticTokenSaysWhatToDo(t *testing.T) {
	srv, calls := refusingServer(t)
	var logs bytes.Buffer
	c, err := NewClient(Options{BaseURL: srv.URL, LocationID: "loc-42", Auth: StaticToken("pit-wrong-secret"),
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	_, err = c.Contacts.Get(context.Background(), "c1")
	require.ErrorIs(t, err, ErrUnauthorized)
	var ue *UnauthorizedError
	require.ErrorAs(t, err, &ue)
	assert.Nil(t, ue.RefreshErr)
	var ae *APIError
	require.ErrorAs(t, err, &ae, "the 401 answer stays reachable")
	assert.Equal(t, http.StatusUnauthorized, ae.StatusCode)
	msg := err.Error()
	assert.Contains(t, msg, "HighLevel refused the access token (401): check the token and that it belongs to location loc-42")
	assert.NotContains(t, msg, "cannot refresh")
	assert.NotContains(t, msg, "pit-wrong-secret")
	assert.NotContains(t, logs.String(), "pit-wrong-secret")
	assert.EqualValues(t, 1, calls.Load(), "a fixed token is not retried")
}

// TestRefusedOAuthTokenSaysWhatToDo: an OAuth token refused and not
// refreshable (invalid_grant) is ErrUnauthorized too, saying why the refresh
// failed, without any token.
func TestRefusedOAuthTokenSaysWhatToDo(t *testing.T) {
	srv, _ := refusingServer(t)
	store := NewMemoryTokenStore(Token{AccessToken: "access-secret", RefreshToken: "refresh-secret",
		ExpiresAt: time.Now().Add(time.Hour), LocationID: "loc-42"})
	a, err := NewOAuth(OAuthOptions{ClientID: "app-id", ClientSecret: "app-secret", Store: store, BaseURL: srv.URL})
	require.NoError(t, err)
	c, err := NewClient(Options{BaseURL: srv.URL, LocationID: "loc-42", Auth: a})
	require.NoError(t, err)
	_, err = c.Contacts.Get(context.Background(), "c1")
	require.ErrorIs(t, err, ErrUnauthorized)
	var ue *UnauthorizedError
	require.ErrorAs(t, err, &ue)
	require.Error(t, ue.RefreshErr)
	msg := err.Error()
	assert.Contains(t, msg, "belongs to location loc-42")
	assert.Contains(t, msg, "refreshing it failed")
	assert.Contains(t, msg, "invalid_grant")
	for _, secret := range []string{"access-secret", "refresh-secret", "app-secret"} {
		assert.NotContains(t, msg, secret)
	}
	assert.False(t, strings.Contains(msg, "token source cannot refresh"))
}
