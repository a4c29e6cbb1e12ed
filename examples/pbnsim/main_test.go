package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	req, err := http.NewRequest(http.MethodGet, url+"/v1/patients?limit=10", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer T")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var page struct {
		Data       []pbn.Patient `json:"data"`
		NextCursor string        `json:"nextCursor"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
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
