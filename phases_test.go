package pbnhl_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/rollback"
)

// TestPreflightEstimateAndDryRun: the preflight's call estimate is what the
// run then spends, per object and in total; a dry run reports the same
// writes and calls and touches nothing.
func TestPreflightEstimateAndDryRun(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(25), seed: 13})
	ctx := context.Background()
	m := e.migration(nil)

	pre, err := m.Preflight(ctx)
	require.NoError(t, err)
	assert.False(t, pre.Ready(), "the schema is not applied yet")
	_, err = m.Load(ctx)
	var notReady *pbnhl.SchemaNotReadyError
	require.ErrorAs(t, err, &notReady, "a run refuses a location without the schema")

	_, err = m.ApplySchema(ctx)
	require.NoError(t, err)
	pre, err = m.Preflight(ctx)
	require.NoError(t, err)
	require.True(t, pre.Ready(), pre.Blocking)
	assert.NotNil(t, pre.Owners)
	assert.Positive(t, pre.Owners.Matched)
	assert.NotEmpty(t, pre.Owners.Unmatched, "half the staff have no user in this location")
	assert.Positive(t, pre.Estimate.Calls)
	assert.Equal(t, 1, pre.Estimate.Days)

	dry, err := e.migration(func(o *pbnhl.Options) { o.DryRun = true }).Load(ctx)
	require.NoError(t, err)
	for _, k := range dataKinds {
		assert.Zero(t, e.hl.Count(hltest.DefaultLocationID, k), "a dry run wrote %s", k)
	}
	runs, err := e.ledger.Runs(ctx)
	require.NoError(t, err)
	for _, r := range runs {
		if r.ID == dry.DryRunRecord {
			assert.Equal(t, rollback.KindDryRun, r.Kind, "a dry run records its findings in a dry-run run only")
			continue
		}
		assert.Equal(t, rollback.KindSchema, r.Kind, "a dry run records no real run")
	}
	assert.NotEmpty(t, dry.Written, "a dry run shows what it would write")

	rep, err := m.Load(ctx)
	require.NoError(t, err)
	for _, est := range pre.Estimate.Objects {
		got, ok := rep.Object(est.Object)
		require.True(t, ok, est.Object)
		assert.Equal(t, est.Records, got.Written, "%s records", est.Object)
		assert.Equal(t, est.Calls, got.Calls, "%s calls", est.Object)
		d, _ := dry.Object(est.Object)
		assert.Equal(t, got.Written, d.Written, "%s dry-run records", est.Object)
		assert.Equal(t, got.Calls, d.Calls, "%s dry-run calls", est.Object)
	}
	links, _ := rep.Object(pbnhl.PhaseLinks)
	assert.Equal(t, pre.Estimate.BusinessLinks, links.Calls)
	assert.Equal(t, pre.Estimate.Calls, rep.Calls)

	// Invalid records are in the ledger with reasons, never sent.
	invalid := 0
	for p, err := range e.ledger.Problems(ctx) {
		require.NoError(t, err)
		if p.Kind == rollback.ProblemInvalid {
			invalid++
			assert.NotEmpty(t, p.Reasons)
		}
	}
	assert.Equal(t, int(rep.Totals().Invalid), invalid)
}

// TestSampleThenRun: a sample writes a stratified slice with every record
// of its patients and returns the bodies; the full run then completes it
// to the same state as a run alone.
func TestSampleThenRun(t *testing.T) {
	o := envOptions{patients: size(30), seed: 7}
	want := baseline(t, o)
	e := newEnv(t, o)
	ctx := context.Background()
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	s, err := m.Sample(ctx, pbnhl.SampleOptions{Patients: size(32) / 4})
	require.NoError(t, err)
	contacts := 0
	for _, w := range s.Written {
		assert.NotEmpty(t, w.HighLevelID)
		assert.NotEmpty(t, w.Body)
		if w.ObjectType == rollback.TypeContact {
			contacts++
		}
	}
	assert.Equal(t, e.hl.Count(hltest.DefaultLocationID, hltest.KindContact), contacts)
	assert.LessOrEqual(t, contacts, size(32)/4)
	assert.GreaterOrEqual(t, contacts, size(32)/4-2, "most sampled patients are valid")
	total := s.Totals().Written
	assert.GreaterOrEqual(t, len(s.Written), int(total), "every record and link written, relations too")
	assert.GreaterOrEqual(t, total, int64(size(32)/4*5))
	for _, k := range []hltest.Kind{"custom_objects.pbn_appointment", "custom_objects.pbn_treatment"} {
		assert.Positive(t, e.hl.Count(hltest.DefaultLocationID, k), "the sample spans %s", k)
	}

	rep, err := m.Load(ctx)
	require.NoError(t, err)
	p, _ := rep.Object("patients")
	assert.Equal(t, int64(contacts), p.Existing, "the run skips what the sample wrote")
	assert.Equal(t, want, e.fingerprint())
}

// TestProgressEvents: every object reports progress, ending with a final
// event whose counts add up.
func TestProgressEvents(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(15), seed: 4})
	var mu sync.Mutex
	final := map[string]pbnhl.Progress{}
	events := 0
	m := e.migration(func(o *pbnhl.Options) {
		o.ProgressInterval = time.Millisecond
		o.Progress = func(p pbnhl.Progress) {
			mu.Lock()
			defer mu.Unlock()
			events++
			if p.Finished {
				final[p.Object] = p
			}
		}
	})
	ctx := context.Background()
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	rep, err := m.Load(ctx)
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	for _, p := range rep.Objects {
		f, ok := final[p.Object]
		require.True(t, ok, "no final event for %s", p.Object)
		assert.Equal(t, p.Written, f.Written)
		assert.Equal(t, f.Done, f.Written+f.Existing+f.Skipped+f.Invalid+f.Rejected+f.Folded)
	}
	pat := final["patients"]
	assert.Equal(t, pat.Total, pat.Done, "every patient accounted for")
	assert.Greater(t, events, len(final))
}

// TestDailyLimit: with StopOnDailyLimit the run stops cleanly with a resume
// hint and nothing unsettled; after the reset it resumes to the full state.
// With PauseOnDailyLimit it waits for the reset and completes.
func TestDailyLimit(t *testing.T) {
	o := envOptions{patients: size(12), seed: 8}
	want := baseline(t, o)

	var offset atomic.Int64 // HighLevel's clock runs ahead by whole days
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	nextDay := func() { offset.Add(int64(24 * time.Hour)) }
	o.hlClock, o.daily = clock, 400

	t.Run("stop", func(t *testing.T) {
		e := newEnv(t, o)
		ctx := context.Background()
		m := e.migration(func(o *pbnhl.Options) {
			o.DailyLimit = pbnhl.StopOnDailyLimit
			o.DailyLimitWait = 20 * time.Millisecond
		})
		_, err := m.ApplySchema(ctx)
		require.NoError(t, err)
		_, err = m.Load(ctx)
		var dl *pbnhl.DailyLimitError
		require.ErrorAs(t, err, &dl)
		assertNoPending(t, e)
		nextDay()
		time.Sleep(30 * time.Millisecond) // the client's daily probe interval (20ms) must pass; not synchronisation
		_, err = m.Load(ctx)
		for errors.As(err, &dl) { // several days' worth of calls
			nextDay()
			time.Sleep(30 * time.Millisecond)
			_, err = m.Load(ctx)
		}
		require.NoError(t, err)
		assert.Equal(t, want, e.fingerprint())
		assertSettled(t, e)
	})
	t.Run("pause", func(t *testing.T) {
		e := newEnv(t, o)
		ctx := context.Background()
		_, err := e.migration(nil).ApplySchema(ctx)
		require.NoError(t, err)
		// The quota resets while the run is paused: every refused call
		// moves HighLevel's clock to the next day.
		var daily atomic.Int64
		hook := func(c highlevel.Call) {
			if c.StatusCode == 429 {
				daily.Add(1)
				nextDay()
			}
		}
		e.hook.Store(&hook)
		var pauses atomic.Int64
		_, err = e.migration(func(o *pbnhl.Options) {
			o.DailyLimitWait = 20 * time.Millisecond
			o.OnDailyLimitPause = func(at time.Time) {
				pauses.Add(1)
				assert.True(t, at.After(time.Now().Add(-time.Second)), "the resume time is not in the past")
			}
		}).Load(ctx)
		e.hook.Store(nil)
		require.NoError(t, err)
		assert.Positive(t, daily.Load(), "the daily limit was hit")
		assert.Positive(t, pauses.Load(), "the host was told of each pause")
		assert.Equal(t, want, e.fingerprint())
	})
}
