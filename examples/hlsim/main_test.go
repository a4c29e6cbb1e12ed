package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/internal/syncbuf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunServesAndDumps(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users.json")
	require.NoError(t, os.WriteFile(users, []byte(`[{"id":"user0000000000000001","name":"Dr A","email":"a@clinic.com"}]`), 0o600))
	dump := filepath.Join(dir, "state.json")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdoutR, stdoutW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-token", "pit-rehearsal", "-location", "rehearsalLocation001",
			"-users", users, "-rate-max", "3", "-rate-window", "1h", "-daily", "50", "-seed", "7", "-dump", dump}, stdoutW, io.Discard)
		stdoutW.Close()
	}()
	base, err := bufio.NewReader(stdoutR).ReadString('\n')
	require.NoError(t, err)
	base = strings.TrimSpace(base)
	require.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), base)
	go io.Copy(io.Discard, stdoutR)

	call := func(method, path, body string) *http.Response {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer pit-rehearsal")
		req.Header.Set("Version", "2021-07-28")
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}
	res := call("POST", "/contacts/", `{"locationId":"rehearsalLocation001","firstName":"Rehearsal","assignedTo":"user0000000000000001"}`)
	assert.Equal(t, 201, res.StatusCode)
	assert.Equal(t, "3", res.Header.Get("X-Ratelimit-Max"))
	assert.Equal(t, "50", res.Header.Get("X-Ratelimit-Limit-Daily"))
	call("GET", "/contacts/?locationId=rehearsalLocation001", "")
	call("GET", "/contacts/?locationId=rehearsalLocation001", "")
	assert.Equal(t, 429, call("GET", "/contacts/?locationId=rehearsalLocation001", "").StatusCode)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after cancellation")
	}
	raw, err := os.ReadFile(dump)
	require.NoError(t, err)
	var state struct {
		Locations []struct {
			ID      string                      `json:"id"`
			Objects map[string][]map[string]any `json:"objects"`
		} `json:"locations"`
	}
	require.NoError(t, json.Unmarshal(raw, &state))
	require.Len(t, state.Locations, 1)
	assert.Equal(t, "rehearsalLocation001", state.Locations[0].ID)
	require.Len(t, state.Locations[0].Objects["contact"], 1)
	assert.Equal(t, "Rehearsal", state.Locations[0].Objects["contact"][0]["firstName"])
}

func TestFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-faults", "*:5xx=0.5", "-allow-duplicates"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, hltest.DefaultToken, cfg.token)
	assert.Equal(t, "127.0.0.1:8790", cfg.addr)
	opts, err := cfg.options()
	require.NoError(t, err)
	assert.True(t, opts.Locations[0].AllowDuplicates)
	assert.False(t, opts.Locations[0].AllowDuplicateOpportunities)
	assert.Equal(t, []string{"email", "phone"}, opts.Locations[0].DuplicateOrder)
	require.Len(t, opts.Faults, 1)

	cfg, err = parseFlags([]string{"-allow-duplicate-contact", "-duplicate-match", "Phone", "-allow-duplicate-opportunity"}, io.Discard)
	require.NoError(t, err)
	opts, err = cfg.options()
	require.NoError(t, err)
	assert.True(t, opts.Locations[0].AllowDuplicates)
	assert.True(t, opts.Locations[0].AllowDuplicateOpportunities)
	assert.Equal(t, []string{"phone"}, opts.Locations[0].DuplicateOrder)
	_, err = parseFlags([]string{"-duplicate-match", "email,name"}, io.Discard)
	assert.Error(t, err)

	cfg, err = parseFlags([]string{"-faults", "POST *:applylate=0.05;PUT *:applylate=1,applylatedelay=2s", "-apply-late-delay", "300ms"}, io.Discard)
	require.NoError(t, err)
	opts, err = cfg.options()
	require.NoError(t, err)
	require.Len(t, opts.Faults, 2)
	assert.Equal(t, 300*time.Millisecond, opts.Faults[0].ApplyLateDelay, "the flag fills rules without a delay")
	assert.Equal(t, 2*time.Second, opts.Faults[1].ApplyLateDelay, "a rule's own delay wins")
	_, err = parseFlags([]string{"-apply-late-delay", "0s"}, io.Discard)
	assert.Error(t, err)

	for _, bad := range [][]string{{"-faults", "nonsense"}, {"-users", "/does/not/exist.json"}} {
		cfg, err := parseFlags(bad, io.Discard)
		require.NoError(t, err)
		_, err = cfg.options()
		assert.Error(t, err, bad)
	}
	_, err = parseFlags([]string{"-token", ""}, io.Discard)
	assert.Error(t, err)
	_, err = parseFlags([]string{"extra"}, io.Discard)
	assert.Error(t, err)
}

func TestInspectionLoopbackOnly(t *testing.T) {
	assert.True(t, loopbackPeer("127.0.0.1:5000"))
	assert.True(t, loopbackPeer("[::1]:5000"))
	assert.False(t, loopbackPeer("10.1.2.3:5000"))
	assert.False(t, loopbackPeer("[2001:db8::1]:5000"))
	assert.False(t, loopbackPeer("garbage"))

	sim := hltest.NewUnstartedServer(hltest.Options{})
	h := withInspection(sim, "admin")
	req := httptest.NewRequest("GET", "/_hltest/dump", nil)
	req.RemoteAddr = "192.0.2.7:40000"
	req.Header.Set("Authorization", "Bearer admin")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusForbidden, rec.Code)
	req.RemoteAddr = "127.0.0.1:40000"
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
}

// hlsim says so on stderr when it listens beyond loopback with the
// published default token (and never prints the token itself).
func TestRunWarnsBeyondLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stdoutR, stdoutW := io.Pipe()
	stderr := &syncbuf.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "0.0.0.0:0"}, stdoutW, stderr)
		stdoutW.Close()
	}()
	_, err := bufio.NewReader(stdoutR).ReadString('\n')
	require.NoError(t, err)
	go io.Copy(io.Discard, stdoutR)
	cancel()
	require.NoError(t, <-done)
	out := stderr.String()
	assert.Contains(t, out, "reachable from other machines")
	assert.Contains(t, out, "default token")
	assert.NotContains(t, out, hltest.DefaultToken)
}

func TestTokensFlag(t *testing.T) {
	cfg, err := parseFlags([]string{"-location", "mainLocation00000001", "-token", "pit-main",
		"-tokens", "pit-b, pit-s1=app-s ,pit-s2=app-s@secondLocation000001,pit-ag=agency-app@agency"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []hltest.Token{
		{Value: "pit-b", LocationID: "mainLocation00000001"},
		{Value: "pit-s1", LocationID: "mainLocation00000001", App: "app-s"},
		{Value: "pit-s2", LocationID: "secondLocation000001", App: "app-s"},
		{Value: "pit-ag", App: "agency-app"},
	}, cfg.tokens)
	opts, err := cfg.options()
	require.NoError(t, err)
	require.Len(t, opts.Locations, 2, "a token for another location adds it")
	assert.Equal(t, "secondLocation000001", opts.Locations[1].ID)
	assert.Empty(t, opts.Locations[1].Token)

	for _, bad := range []string{"pit-b,", "=app", "pit-b=", "pit-b@", "pit-b,pit-b", "pit-main=x", "pit-x=a@"} {
		_, err := parseFlags([]string{"-token", "pit-main", "-tokens", bad}, io.Discard)
		require.Error(t, err, bad)
		assert.NotContains(t, err.Error(), "pit-", "errors name the entry, not the token")
	}
}

// With -tokens, hlsim counts each app's requests per location: the main
// token's exhausted burst leaves another app's untouched, and one app's
// token in a second location has a budget of its own there.
func TestTokensFlagLimitsPerApp(t *testing.T) {
	cfg, err := parseFlags([]string{"-token", "pit-main", "-location", "mainLocation00000001", "-rate-max", "2",
		"-tokens", "pit-b,pit-s1=app-s,pit-s2=app-s@secondLocation000001"}, io.Discard)
	require.NoError(t, err)
	opts, err := cfg.options()
	require.NoError(t, err)
	sim := hltest.NewServer(opts)
	defer sim.Close()
	get := func(token, location string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", sim.URL+"/contacts/?locationId="+location, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Version", "2021-07-28")
		res, err := sim.Client().Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	const main, second = "mainLocation00000001", "secondLocation000001"
	assert.Equal(t, []int{200, 200, 429}, []int{get("pit-main", main), get("pit-main", main), get("pit-main", main)})
	assert.Equal(t, []int{200, 200, 429}, []int{get("pit-b", main), get("pit-b", main), get("pit-b", main)})
	assert.Equal(t, []int{200, 200, 429}, []int{get("pit-s1", main), get("pit-s1", main), get("pit-s1", main)})
	assert.Equal(t, 200, get("pit-s2", second), "app-s has a budget of its own in the second location")
	assert.Equal(t, 403, get("pit-s2", main), "a location's token is for that location only")
}
