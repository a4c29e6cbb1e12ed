package pbnhl_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/rollback"
)

// Issue 19.8: one meaning for SearchLag. 0 is the default (a host that
// never set it is safe), NoSearchLag is none, a duration is itself. It is
// seen where it matters: the horizon journaled with every intent, the
// request's deadline plus the lag.
func TestSearchLagMeaning(t *testing.T) {
	const timeout = time.Second
	for _, tc := range []struct {
		name string
		lag  time.Duration
		want time.Duration
	}{
		{"zero is the default", 0, pbnhl.DefaultSearchLag},
		{"NoSearchLag is none", pbnhl.NoSearchLag, 0},
		{"any negative is none", -time.Hour, 0},
		{"a duration is itself", 1500 * time.Millisecond, 1500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{patients: 6, seed: 31})
			m := e.migration(func(o *pbnhl.Options) { o.SearchLag, o.RequestTimeout = tc.lag, timeout })
			ctx := context.Background()
			_, err := m.ApplySchema(ctx)
			require.NoError(t, err)
			_, err = m.Load(ctx)
			require.NoError(t, err)
			n := 0
			for en, err := range e.ledger.Entries(ctx, rollback.EntryFilter{ObjectTypes: []string{rollback.TypeContact}}) {
				require.NoError(t, err)
				if en.InflightUntil.IsZero() {
					continue
				}
				n++
				// IntentAt is journaled just after the horizon is taken.
				got := en.InflightUntil.Sub(en.IntentAt)
				assert.InDelta(t, float64(timeout+tc.want), float64(got), float64(200*time.Millisecond), "horizon %v", got)
			}
			assert.Positive(t, n, "contacts journaled with their horizon")
		})
	}
	assert.Equal(t, 5*time.Second, pbnhl.DefaultSearchLag)
}
