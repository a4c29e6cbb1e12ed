package pbnhl_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create %s", path)
	require.Equal(t, string(want), string(got))
}

// TestPreflightText: the preflight report a person reads (blocking issues,
// schema, owners, validation tallies, call estimate), without any value.
func TestPreflightText(t *testing.T) {
	e := newEnv(t, envOptions{patients: 25, seed: 13})
	ctx := context.Background()
	m := e.migration(nil)
	pre, err := m.Preflight(ctx)
	require.NoError(t, err)
	var before bytes.Buffer
	require.NoError(t, pre.WriteText(&before))
	_, err = m.ApplySchema(ctx)
	require.NoError(t, err)
	pre, err = m.Preflight(ctx)
	require.NoError(t, err)
	var after bytes.Buffer
	require.NoError(t, pre.WriteText(&after))
	golden(t, "preflight.golden", append(append(before.Bytes(), "---\n"...), after.Bytes()...))
}
