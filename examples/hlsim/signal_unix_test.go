//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startHlsim runs hlsim in-process and returns its base URL and a stop
// function that waits for run to return.
func startHlsim(t *testing.T, args ...string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdoutR, stdoutW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), stdoutW, io.Discard)
		stdoutW.Close()
	}()
	base, err := bufio.NewReader(stdoutR).ReadString('\n')
	require.NoError(t, err)
	go io.Copy(io.Discard, stdoutR)
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("run did not stop after cancellation")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	return strings.TrimSpace(base), stop
}

func get(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, body
}

// A harness reads the state while hlsim keeps serving: over the inspection
// route (loopback, admin token) or with SIGUSR1 into the -dump file, which
// is 0600 even when a 0644 file was there before.
func TestInspectionRouteAndSignalDump(t *testing.T) {
	dir := t.TempDir()
	dump := filepath.Join(dir, "state.json")
	require.NoError(t, os.WriteFile(dump, []byte("old"), 0o644))
	base, stop := startHlsim(t, "-token", "pit-rehearsal", "-location", "rehearsalLocation001", "-admin-token", "admin-secret",
		"-dump", dump, "-faults", "POST /contacts/:applylate=1", "-apply-late-delay", "150ms")

	req, _ := http.NewRequest("POST", base+"/contacts/", strings.NewReader(`{"locationId":"rehearsalLocation001","firstName":"Held","email":"held@example.com"}`))
	req.Header.Set("Authorization", "Bearer pit-rehearsal")
	req.Header.Set("Version", "2021-07-28")
	req.Header.Set("Content-Type", "application/json")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := http.DefaultClient.Do(req.WithContext(ctx))
	require.Error(t, err, "the held write must not be answered")

	for _, tok := range []string{"", "pit-rehearsal", "admin-secre"} {
		status, _ := get(t, base+"/_hltest/dump", tok)
		assert.Equal(t, http.StatusUnauthorized, status, "token %q", tok)
	}
	status, body := get(t, base+"/_hltest/held", "admin-secret")
	require.Equal(t, 200, status)
	assert.JSONEq(t, `{"held":1}`, string(body))

	contacts := func(raw []byte) []map[string]any {
		var state struct {
			Locations []struct {
				Objects map[string][]map[string]any `json:"objects"`
			} `json:"locations"`
		}
		require.NoError(t, json.Unmarshal(raw, &state), "%s", raw)
		require.Len(t, state.Locations, 1)
		return state.Locations[0].Objects["contact"]
	}
	status, body = get(t, base+"/_hltest/dump?wait=1", "admin-secret")
	require.Equal(t, 200, status)
	require.Len(t, contacts(body), 1, "wait=1 returns after the held write landed")
	status, body = get(t, base+"/_hltest/duplicates?locationId=rehearsalLocation001", "admin-secret")
	require.Equal(t, 200, status)
	assert.JSONEq(t, `{"duplicates":[]}`, string(body))

	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGUSR1))
	require.Eventually(t, func() bool {
		raw, err := os.ReadFile(dump)
		return err == nil && len(raw) > 3
	}, 5*time.Second, 10*time.Millisecond)
	fi, err := os.Stat(dump)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	raw, err := os.ReadFile(dump)
	require.NoError(t, err)
	assert.Len(t, contacts(raw), 1)

	// The server kept serving.
	status, _ = get(t, base+"/_hltest/held", "admin-secret")
	assert.Equal(t, 200, status)
	require.NoError(t, stop())
	fi, err = os.Stat(dump)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")
}

// The location-setting flags reach GET /locations/{locationId} in
// HighLevel's shape (location.settings) and are enforced.
func TestLocationSettingFlags(t *testing.T) {
	base, _ := startHlsim(t, "-token", "pit-rehearsal", "-location", "rehearsalLocation001",
		"-allow-duplicate-contact", "-duplicate-match", "phone", "-allow-duplicate-opportunity")
	call := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer pit-rehearsal")
		req.Header.Set("Version", "2021-07-28")
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		return res.StatusCode, out
	}
	status, body := call("GET", "/locations/rehearsalLocation001", "")
	require.Equal(t, 200, status, "%v", body)
	settings := body["location"].(map[string]any)["settings"].(map[string]any)
	assert.Equal(t, true, settings["allowDuplicateContact"])
	assert.Equal(t, true, settings["allowDuplicateOpportunity"])
	for range 2 {
		status, body = call("POST", "/contacts/", `{"locationId":"rehearsalLocation001","firstName":"Twin","phone":"+14155550100"}`)
		assert.Equal(t, 201, status, "%v", body)
	}
}
