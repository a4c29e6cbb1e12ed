package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/internal/syncbuf"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

func TestExport(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-patients", "40", "-seed", "3", "-export", dir, "-bom", "-crlf", "-pms-dates"}, &out, nil))
	assert.Contains(t, out.String(), "wrote ")
	for _, e := range pbn.Entities() {
		b, err := os.ReadFile(filepath.Join(dir, e.FileName()))
		require.NoError(t, err, e)
		assert.True(t, bytes.HasPrefix(b, []byte("\ufeff")), "%s has a BOM", e)
	}
	b, err := os.ReadFile(filepath.Join(dir, pbn.EntityProcedures.FileName()))
	require.NoError(t, err)
	assert.Contains(t, string(b), ",0001-01-01,", "undated procedures written the PMS way")
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-token", "T", "-patients", "25", "-seed", "1"}, &out, ready)
	}()
	var url string
	select {
	case url = <-ready:
	case err := <-done:
		t.Fatalf("run ended early: %v", err)
	}
	var page struct {
		Data       []pbn.Patient `json:"data"`
		NextCursor string        `json:"nextCursor"`
	}
	getJSON(t, url+"/v1/patients?limit=10", &page)
	assert.Len(t, page.Data, 10)
	assert.NotEmpty(t, page.NextCursor)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not shut down")
	}
}

func TestBadFlags(t *testing.T) {
	var out bytes.Buffer
	for _, args := range [][]string{
		{"-patients", "0", "-export", t.TempDir()},
		{"-nope"},
		{"extra"},
		{"-fail-rate", "3", "-addr", "127.0.0.1:0"},
	} {
		assert.Error(t, run(context.Background(), args, &out, nil), "%v", args)
	}
}

// getJSON GETs url with the tests' token and decodes a 200 answer into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer T")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

func serverTime(t *testing.T, url string) time.Time {
	t.Helper()
	var inv struct {
		ServerTime time.Time `json:"serverTime"`
	}
	getJSON(t, url+"/v1/inventory", &inv)
	require.False(t, inv.ServerTime.IsZero())
	return inv.ServerTime
}

// A restarted pbnsim (same seed, same port) never answers a serverTime
// older than its predecessor's last one — even just after a mutation moved
// the predecessor's clock a second ahead — so a client's watermark is never
// in the restarted source's future.
func TestRestartNeverRunsTheClockBackwards(t *testing.T) {
	addr := "127.0.0.1:0"
	var last time.Time
	for i := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan string, 1)
		done := make(chan error, 1)
		out := &syncbuf.Buffer{}
		go func() {
			done <- run(ctx, []string{"-addr", addr, "-token", "T", "-patients", "20", "-seed", "9", "-mutate", "2", "-mutate-every", "1s"}, out, ready)
		}()
		var url string
		select {
		case url = <-ready:
		case err := <-done:
			t.Fatalf("run ended early: %v", err)
		}
		addr = strings.TrimPrefix(url, "http://") // the second run takes the first one's port
		first := serverTime(t, url)
		assert.False(t, first.Before(last), "run %d: serverTime %s is older than %s, handed out before the restart", i, first, last)
		if i == 0 {
			require.Eventually(t, func() bool { return strings.Contains(out.String(), "pbnsim mutated") }, 5*time.Second, 5*time.Millisecond)
		}
		last = serverTime(t, url)
		cancel()
		require.NoError(t, <-done)
	}
}

func TestMutateEveryAtLeastASecond(t *testing.T) {
	_, err := parseFlags([]string{"-mutate", "3", "-mutate-every", "500ms"}, io.Discard)
	assert.Error(t, err)
	_, err = parseFlags([]string{"-mutate", "3", "-mutate-every", "1s"}, io.Discard)
	assert.NoError(t, err)
}
