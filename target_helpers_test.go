package pbnhl_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
)

// runThroughCancellations runs e's migration until one run completes,
// cancelling each attempt after 20 to 79 more calls, and returns how many
// runs were cancelled (each must end with context.Canceled).
func runThroughCancellations(t *testing.T, ctx context.Context, e *env) int {
	t.Helper()
	interruptions := 0
	for attempt := 0; ; attempt++ {
		require.Less(t, attempt, 500, "the run never completed")
		cctx, cancel := context.WithCancel(ctx)
		stopAt := e.calls.Load() + 20 + int64(attempt*7%60)
		hook := func(highlevel.Call) {
			if e.calls.Load() >= stopAt {
				cancel()
			}
		}
		e.hook.Store(&hook)
		_, err := e.migration(nil).Run(cctx)
		e.hook.Store(nil)
		cancel()
		if err == nil {
			return interruptions
		}
		require.ErrorIs(t, err, context.Canceled)
		interruptions++
	}
}
