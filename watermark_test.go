package pbnhl_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// clockless is a source that tells no time (an export folder without a
// manifest or change stamps).
type clockless struct{ pbn.Source }

func (c clockless) Inventory(ctx context.Context) (pbn.Inventory, error) {
	inv, err := c.Source.Inventory(ctx)
	inv.ServerTime = time.Time{}
	return inv, err
}

// TestNoWatermarkWithoutSourceTime: the host's clock is never taken for the
// source's, so a full run from a source that tells no time leaves no
// watermark, and a delta says so instead of silently missing changes.
func TestNoWatermarkWithoutSourceTime(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(8), seed: 3})
	ctx := context.Background()
	m := e.migration(func(o *pbnhl.Options) { o.Source = clockless{o.Source} })
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	_, err = m.Load(ctx)
	require.NoError(t, err)
	_, err = m.Delta(ctx)
	require.ErrorIs(t, err, pbnhl.ErrNoWatermark)
}
