package pbnhl_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/rollback"
)

// TestResumeAfterCancellations cancels the full run at random points (after
// a random number of HighLevel calls, with other calls in flight) again and
// again, resuming each time, under lost-response faults: the final state is
// the one of an uninterrupted run, with no duplicate and nothing left
// pending in the journal.
func TestResumeAfterCancellations(t *testing.T) {
	o := envOptions{patients: size(30), seed: 11}
	if os.Getenv("PBNHL_SOAK") != "" {
		// Opt-in soak: a bigger practice, cancelled many more times.
		o.patients = 300
	}
	want := baseline(t, o)

	faults, err := hltest.ParseFaults("POST *:lost=0.02,5xx=0.01")
	require.NoError(t, err)
	o.faults = faults
	e := newEnv(t, o)
	ctx := context.Background()
	_, err = e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)

	rng := rand.New(rand.NewPCG(42, 7))
	interruptions := 0
	for attempt := 0; ; attempt++ {
		require.Less(t, attempt, 2000, "the run never completed")
		cctx, cancel := context.WithCancel(ctx)
		var once sync.Once
		stopAt := e.calls.Load() + 1 + rng.Int64N(120)
		hook := func(highlevel.Call) {
			if e.calls.Load() >= stopAt {
				once.Do(cancel)
			}
		}
		e.hook.Store(&hook)
		_, err := e.migration(nil).Load(cctx)
		e.hook.Store(nil)
		cancel()
		if err == nil {
			break
		}
		require.True(t, errors.Is(err, context.Canceled), "unexpected error: %v", err)
		interruptions++
	}
	t.Logf("completed after %d interruptions", interruptions)
	assert.GreaterOrEqual(t, interruptions, size(40)/4, "the run must have been interrupted many times")

	assert.Empty(t, e.identityDuplicates())
	checkLinks(t, e)
	assert.Equal(t, want, e.fingerprint(), "same final state as an uninterrupted run")
	assertSettled(t, e)
}

// assertSettled checks that no intent is left without a final outcome and
// that the interrupted load stayed one run in the ledger.
func assertSettled(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	for p, err := range e.ledger.Pending(ctx, true) {
		require.NoError(t, err)
		t.Errorf("unsettled intent: run %s seq %d %s %s %s", p.Run, p.Seq, p.Op, p.ObjectType, p.SourceKey)
	}
	runs, err := e.ledger.Runs(ctx)
	require.NoError(t, err)
	full := 0
	for _, r := range runs {
		if r.Kind == rollback.KindFull {
			full++
			assert.Equal(t, rollback.StatusSucceeded, r.Status)
		}
	}
	assert.Equal(t, 1, full, "one full run, resumed")
}
