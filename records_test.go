package pbnhl_test

import (
	"context"
	"encoding/csv"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/rollback"
)

// runRecord is what a full run's record must say whatever happened to the
// process: its counters (records, not attempts) and its problems export
// without the time column.
type runRecord struct {
	Done, Rejected, Invalid, Unknown, Pending int64
	Problems                                  []string
}

func fullRunRecord(t *testing.T, e *env) runRecord {
	t.Helper()
	ctx := context.Background()
	runs, err := e.ledger.Runs(ctx)
	require.NoError(t, err)
	var full []rollback.RunInfo
	for _, r := range runs {
		if r.Kind == rollback.KindFull {
			full = append(full, r)
		}
	}
	require.Len(t, full, 1, "one full run, resumed")
	c := full[0].Counters
	var buf strings.Builder
	require.NoError(t, e.ledger.WriteProblemsCSV(ctx, &buf, full[0].ID))
	rows, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	require.NoError(t, err)
	var problems []string
	for _, row := range rows[1:] {
		problems = append(problems, strings.Join(row[:len(row)-1], ","))
	}
	return runRecord{Done: c.Done, Rejected: c.Rejected, Invalid: c.Invalid, Unknown: c.Unknown, Pending: c.Pending, Problems: problems}
}

// requireEmail makes the contact's e-mail required in the env's map, so
// that the patients without one are invalid at every attempt.
func requireEmail(t *testing.T, e *env) {
	t.Helper()
	for i := range e.m.Objects {
		for j := range e.m.Objects[i].Fields {
			if f := &e.m.Objects[i].Fields[j]; e.m.Objects[i].Source == "patients" && f.To == "email" {
				f.Required = true
				require.NoError(t, e.m.Approve("test", time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)))
				return
			}
		}
	}
	t.Fatal("no patient e-mail field in the map")
}

// TestInterruptedRunRecordsLikeUninterrupted: the full run cancelled at
// random points again and again (calls in flight, answers lost) and
// resumed until it finishes records the same counts and problems as the
// same migration done in one go: the attempts a cancellation cut ("not
// applied") and that a later attempt of the run made are no rejections,
// and a record invalid at every attempt is one row, counted once.
func TestInterruptedRunRecordsLikeUninterrupted(t *testing.T) {
	o := envOptions{patients: size(30), seed: 11}
	clean := newEnv(t, o)
	requireEmail(t, clean)
	// A quarter of the patients are invalid on purpose: go on knowingly.
	accept := func(o *pbnhl.Options) { o.AcceptInvalid = true }
	migrate(t, clean, accept)
	want := fullRunRecord(t, clean)
	t.Logf("uninterrupted: done %d, rejected %d, invalid %d", want.Done, want.Rejected, want.Invalid)

	faults, err := hltest.ParseFaults("POST *:lost=0.02")
	require.NoError(t, err)
	o.faults = faults
	e := newEnv(t, o)
	requireEmail(t, e)
	ctx := context.Background()
	_, err = e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(4, 11))
	interruptions := 0
	for attempt := 0; ; attempt++ {
		require.Less(t, attempt, 2000, "the run never completed")
		cctx, cancel := context.WithCancel(ctx)
		var once sync.Once
		stopAt := e.calls.Load() + 1 + rng.Int64N(60)
		hook := func(highlevel.Call) {
			if e.calls.Load() >= stopAt {
				once.Do(cancel)
			}
		}
		e.hook.Store(&hook)
		_, err := e.migration(accept).Load(cctx)
		e.hook.Store(nil)
		cancel()
		if err == nil {
			break
		}
		require.True(t, errors.Is(err, context.Canceled), "unexpected error: %v", err)
		interruptions++
	}
	t.Logf("completed after %d interruptions", interruptions)
	require.Positive(t, interruptions)
	require.Positive(t, want.Invalid, "patients without an e-mail are invalid")
	got := fullRunRecord(t, e)
	assert.Equal(t, want.Rejected, got.Rejected)
	assert.Equal(t, want.Invalid, got.Invalid)
	assert.Zero(t, got.Unknown+got.Pending)
	assert.Equal(t, want.Problems, got.Problems)
}
