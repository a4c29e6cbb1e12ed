package pbnhl_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"

	"github.com/pbnhl/pbnhl/internal/golden"
)

// TestPreflightText: the preflight report a person reads (blocking issues,
// schema, owners, validation tallies, call estimate), without any value.
func TestPreflightText(t *testing.T) {
	e := newEnv(t, envOptions{patients: 25, seed: 13})
	ctx := context.Background()
	// A fixed clock: the plan by day prints its days' dates.
	at := time.Date(2026, time.January, 5, 9, 0, 0, 0, time.UTC)
	m := e.migration(func(o *pbnhl.Options) { o.Now = func() time.Time { return at } })
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
