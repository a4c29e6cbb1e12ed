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
	"testing"
	"time"

	"github.com/pbnhl/pbnhl/internal/syncbuf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRateModeFlag(t *testing.T) {
	cfg, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	assert.True(t, cfg.rate.Sliding, "the stricter mode is the default")
	cfg, err = parseFlags([]string{"-rate-mode", "fixed"}, io.Discard)
	require.NoError(t, err)
	assert.False(t, cfg.rate.Sliding)
	_, err = parseFlags([]string{"-rate-mode", "leaky"}, io.Discard)
	var ue usageError
	assert.ErrorAs(t, err, &ue)
}

// -reqlog writes one JSON line per request, without paths or tokens, and
// the exit line counts every request.
func TestReqlogFlagAndServedLine(t *testing.T) {
	file := filepath.Join(t.TempDir(), "requests.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdoutR, stdoutW := io.Pipe()
	var stderr syncbuf.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-token", "pit-reqlog", "-location", "reqlogLocation000001", "-reqlog", file}, stdoutW, &stderr)
		stdoutW.Close()
	}()
	base, err := bufio.NewReader(stdoutR).ReadString('\n')
	require.NoError(t, err)
	base = strings.TrimSpace(base)
	go io.Copy(io.Discard, stdoutR)
	const n = 7
	for range n {
		req, _ := http.NewRequest("GET", base+"/contacts/?locationId=reqlogLocation000001&query=Jane", nil)
		req.Header.Set("Authorization", "Bearer pit-reqlog")
		req.Header.Set("Version", "2021-07-28")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, 200, res.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("hlsim did not stop")
	}
	assert.Contains(t, stderr.String(), "hlsim: served 7 requests\n")
	assert.Contains(t, stderr.String(), "(sliding)")
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, n)
	for _, l := range lines {
		var rec struct {
			Method, Route string
			Status        int
		}
		require.NoError(t, json.Unmarshal([]byte(l), &rec))
		assert.Equal(t, "GET", rec.Method)
		assert.Equal(t, "/contacts/", rec.Route)
		assert.Equal(t, 200, rec.Status)
	}
	assert.NotContains(t, string(data), "Jane")
	assert.NotContains(t, string(data), "pit-reqlog")
}
