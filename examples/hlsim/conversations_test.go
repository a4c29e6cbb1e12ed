package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// TestCalendarsAndConversationsFlags: -conversation-providers declares the
// provider ids a message may name, and /_hltest/notifications lists the
// appointment automations a rehearsal would have run.
func TestCalendarsAndConversationsFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-conversation-providers", " prov1 ,prov2,", "-token", "T", "-location", "hlsimLocation0000001"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"prov1", "prov2"}, cfg.conversationProviders)
	opts, err := cfg.options()
	require.NoError(t, err)
	assert.Equal(t, []string{"prov1", "prov2"}, opts.Locations[0].ConversationProviders)

	sim := hltest.NewUnstartedServer(opts)
	srv := httptest.NewServer(withInspection(sim, "admin"))
	defer srv.Close()
	do := func(method, path, token string, body any) (int, map[string]any) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			raw, err := json.Marshal(body)
			require.NoError(t, err)
			rd = bytes.NewReader(raw)
		}
		req, err := http.NewRequest(method, srv.URL+path, rd)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Version", "2021-04-15")
		req.Header.Set("Content-Type", "application/json")
		res, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		return res.StatusCode, out
	}
	loc := "hlsimLocation0000001"
	_, c := do("POST", "/contacts/", "T", map[string]any{"locationId": loc, "firstName": "A", "email": "a@x.com"})
	contactID := c["contact"].(map[string]any)["id"]
	_, cal := do("POST", "/calendars/", "T", map[string]any{"locationId": loc, "name": "Hygiene"})
	calID := cal["calendar"].(map[string]any)["id"]
	status, _ := do("POST", "/calendars/events/appointments", "T", map[string]any{"calendarId": calID, "locationId": loc,
		"contactId": contactID, "startTime": time.Now().Add(24 * time.Hour).Format(time.RFC3339)})
	require.Equal(t, 200, status)

	status, n := do("GET", "/_hltest/notifications?locationId="+loc, "admin", nil)
	require.Equal(t, 200, status)
	require.Len(t, n["notifications"], 1)
	assert.Equal(t, "created", n["notifications"].([]any)[0].(map[string]any)["trigger"])
	_, none := do("GET", "/_hltest/notifications?locationId=unknown", "admin", nil)
	assert.Equal(t, []any{}, none["notifications"])
	status, _ = do("GET", "/_hltest/notifications?locationId="+loc, "T-wrong", nil)
	assert.Equal(t, http.StatusUnauthorized, status)

	_, cv := do("POST", "/conversations/", "T", map[string]any{"locationId": loc, "contactId": contactID})
	cvID := cv["conversation"].(map[string]any)["id"]
	msg := map[string]any{"type": "SMS", "conversationId": cvID, "contactId": contactID, "message": "hi", "conversationProviderId": "prov2"}
	status, _ = do("POST", "/conversations/messages/inbound", "T", msg)
	assert.Equal(t, 200, status)
	msg["conversationProviderId"] = "prov3"
	status, refused := do("POST", "/conversations/messages/inbound", "T", msg)
	assert.Equal(t, 400, status)
	assert.Equal(t, "Invalid conversationProviderId", refused["message"])
}
