package pbnhl_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/internal/golden"
)

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
	golden.Assert(t, "testdata/preflight.golden", append(append(before.Bytes(), "---\n"...), after.Bytes()...))
}
