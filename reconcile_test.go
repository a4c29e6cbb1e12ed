package pbnhl_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/rollback"
)

// lastRun is the ledger's latest run.
func lastRun(t *testing.T, e *env) rollback.RunInfo {
	t.Helper()
	runs, err := e.ledger.Runs(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, runs)
	return runs[len(runs)-1]
}

// A clean migration reconciles with every source record accounted for, in
// sample and full mode, and each check is a reconcile run in the ledger
// with the calls it spent.
func TestMigrationReconcile(t *testing.T) {
	e := newEnv(t, envOptions{patients: 30})
	migrate(t, e, nil)
	ctx := context.Background()
	m := e.migration(nil)
	for _, full := range []bool{false, true} {
		rep, err := m.Reconcile(ctx, pbnhl.ReconcileOptions{Full: full, Practice: "Test Dental"})
		require.NoError(t, err)
		// The generated practice has invalid records (never sent): the
		// ledger accounts for them, nothing differs.
		assert.True(t, rep.LedgerMatches(), "full=%v: %s", full, rep.Verdict)
		assert.Zero(t, rep.Differences, rep.Verdict)
		assert.True(t, rep.Complete())
		assert.True(t, rep.SourceCompared)
		assert.Equal(t, "Test Dental", rep.Practice)
		assert.Equal(t, hltest.DefaultLocationID, rep.LocationID)
		if full {
			require.NotNil(t, rep.Buckets, "the contact field was resolved: the bucketed diff ran")
			assert.Positive(t, rep.Buckets.Records)
		} else {
			assert.Nil(t, rep.Buckets)
		}
		for _, c := range rep.Counts {
			assert.True(t, c.OK(), "%s: %s", c.ObjectType, c.Status())
			assert.GreaterOrEqual(t, c.Source, 0, c.ObjectType)
		}
		ri := lastRun(t, e)
		assert.Equal(t, rollback.KindReconcile, ri.Kind)
		assert.Equal(t, rollback.StatusSucceeded, ri.Status)
		calls, ok, err := e.ledger.RunCalls(ctx, ri.ID)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, rep.Calls, calls)
		for _, rc := range rep.Runs {
			assert.NotEqual(t, string(rollback.KindReconcile), rc.Kind, "a reconcile run is not a run checked")
		}
	}
	// A dry run records nothing.
	before := len(mustRuns(t, e))
	_, err := e.migration(func(o *pbnhl.Options) { o.DryRun = true }).Reconcile(ctx, pbnhl.ReconcileOptions{})
	require.NoError(t, err)
	assert.Len(t, mustRuns(t, e), before)
}

func mustRuns(t *testing.T, e *env) []rollback.RunInfo {
	t.Helper()
	runs, err := e.ledger.Runs(context.Background())
	require.NoError(t, err)
	return runs
}

// TestReconcileEstimateIsWhatRuns: the reads Migration.ReconcileEstimate
// announces (pbn2hl reconcile prints them first) are those Reconcile with
// the same options spends on a location that agrees, within 10% + 2, for
// a sample, a full and a deep check (the estimate priced -deep as a
// sampled check: 138 reads announced, 478 spent, at 300 patients).
func TestReconcileEstimateIsWhatRuns(t *testing.T) {
	e := newEnv(t, envOptions{patients: 30})
	migrate(t, e, nil)
	ctx := context.Background()
	m := e.migration(nil)
	for _, o := range []pbnhl.ReconcileOptions{{}, {Full: true}, {Full: true, Deep: true}} {
		est, err := m.ReconcileEstimate(ctx, o)
		require.NoError(t, err)
		rep, err := m.Reconcile(ctx, o)
		require.NoError(t, err)
		require.Zero(t, rep.Differences, rep.Verdict)
		assert.InDelta(t, rep.Calls, est, float64(rep.Calls)/10+2, "full=%v deep=%v: estimated %d, spent %d", o.Full, o.Deep, est, rep.Calls)
	}
}

// Records deleted in the source after the load (a delta kept them, the
// default policy) are counted as kept, with their keys, not as differences.
func TestMigrationReconcileCountsKept(t *testing.T) {
	day := pbntest.DefaultAsOf.Add(24 * time.Hour)
	e := newEnv(t, envOptions{patients: 20, seed: 9, now: func() time.Time { return day }})
	migrate(t, e, nil)
	ctx := context.Background()
	changes := e.pbn.MutateWith(pbntest.MutateOptions{Delete: 12})
	var want []string
	for _, id := range changes.Deleted[pbn.EntityAppointments] {
		if _, ok, err := e.ledger.Lookup(ctx, "custom_objects.pbn_appointment", string(id)); err == nil && ok {
			want = append(want, string(id))
		}
	}
	require.NotEmpty(t, want, "the mutation must delete migrated appointments")
	rep, err := e.migration(nil).Reconcile(ctx, pbnhl.ReconcileOptions{})
	require.NoError(t, err)
	found := false
	for _, c := range rep.Counts {
		if c.ObjectType == "custom_objects.pbn_appointment" {
			assert.Subset(t, c.KeptKeys, want)
			assert.True(t, c.OK(), c.Status())
			found = true
		}
	}
	assert.True(t, found)
}

// A ledger whose runs were recorded in another location is refused before
// anything is read.
func TestMigrationReconcileRefusesAnotherLocation(t *testing.T) {
	e := newEnv(t, envOptions{patients: 5})
	ctx := context.Background()
	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	run, err := e.ledger.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindFull, Location: "otherLocation0000001"})
	require.NoError(t, err)
	require.NoError(t, run.Finish(ctx, rollback.StatusSucceeded))
	_, err = e.migration(nil).Reconcile(ctx, pbnhl.ReconcileOptions{})
	require.ErrorIs(t, err, pbnhl.ErrLedgerMismatch)
	assert.Contains(t, err.Error(), "otherLocation0000001")
	assert.Equal(t, rollback.KindFull, lastRun(t, e).Kind, "no reconcile run was recorded")
}

// Intents an interrupted run left pending are refused: settle them first.
func TestMigrationReconcileRefusesPendingIntents(t *testing.T) {
	e := newEnv(t, envOptions{patients: 5})
	migrate(t, e, nil)
	ctx := context.Background()
	run, err := e.ledger.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindDelta, Location: hltest.DefaultLocationID})
	require.NoError(t, err)
	_, err = run.Intent(ctx, rollback.Intent{Op: rollback.OpCreate, ObjectType: rollback.TypeContact, SourceKey: "999999", Payload: []byte(`{}`)})
	require.NoError(t, err)
	_, err = e.migration(nil).Reconcile(ctx, pbnhl.ReconcileOptions{})
	require.ErrorIs(t, err, pbnhl.ErrPendingIntents)
	assert.Contains(t, err.Error(), "settle them first")
	var pe *pbnhl.PendingIntentsError
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, 1, pe.Pending)
}

// HighLevel failing a step beyond the client's retries (here every
// business-contact count answers 503, and the relations listing 429)
// leaves a partial report that names the steps it could not check, and
// the reconcile run is recorded as failed.
func TestMigrationReconcileServerErrorsGivePartialReport(t *testing.T) {
	e := newEnv(t, envOptions{patients: 10})
	migrate(t, e, nil)
	ctx := context.Background()
	e.hl.SetFaults(hltest.FaultRule{Route: "GET /associations/relations/{recordId}", TooManyRequestsRate: 1},
		hltest.FaultRule{Route: "GET /businesses/", ServerErrorRate: 1})
	rep, err := e.migration(nil).Reconcile(ctx, pbnhl.ReconcileOptions{Full: true})
	require.NoError(t, err)
	require.False(t, rep.Complete())
	assert.False(t, rep.OK())
	var steps []string
	for _, u := range rep.Unchecked {
		steps = append(steps, u.Step)
		assert.NotEmpty(t, u.Reason)
	}
	assert.Contains(t, steps, "counts")
	assert.Contains(t, steps, "relations")
	assert.Contains(t, rep.Verdict, "PARTIAL")
	var b strings.Builder
	require.NoError(t, rep.WriteText(&b))
	assert.Contains(t, b.String(), "Not checked (the report is partial)")
	assert.Equal(t, rollback.StatusFailed, lastRun(t, e).Status)
	// Once HighLevel answers again, the check is whole.
	e.hl.SetFaults()
	rep, err = e.migration(nil).Reconcile(ctx, pbnhl.ReconcileOptions{Full: true})
	require.NoError(t, err)
	assert.True(t, rep.Complete())
	assert.Zero(t, rep.Differences, rep.Verdict)
}

// Someone deleting a contact while the check runs: the report names
// exactly that contact (missing), and nothing fails.
func TestMigrationReconcileLocationChangedDuringCheck(t *testing.T) {
	e := newEnv(t, envOptions{patients: 20})
	migrate(t, e, nil)
	ctx := context.Background()
	var key, id string
	for mp, err := range e.ledger.IDMap(ctx, rollback.TypeContact) {
		require.NoError(t, err)
		key, id = mp.SourceKey, mp.HighLevelID
		break
	}
	// Another user of the location, with a client of its own.
	other, err := highlevel.NewClient(highlevel.Options{BaseURL: e.hl.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), HTTPClient: e.hl.Client()})
	require.NoError(t, err)
	var once sync.Once
	hook := func(c highlevel.Call) {
		// After the counts (the first contact count), before the buckets.
		if c.Operation == "contacts.search" {
			once.Do(func() { require.NoError(t, other.Contacts.Delete(context.WithoutCancel(ctx), id)) })
		}
	}
	e.hook.Store(&hook)
	defer e.hook.Store(nil)
	rep, err := e.migration(nil).Reconcile(ctx, pbnhl.ReconcileOptions{Full: true, Sample: -1})
	require.NoError(t, err)
	require.True(t, rep.Complete())
	require.NotNil(t, rep.Buckets)
	var missing []string
	for _, d := range rep.Buckets.Differences {
		if d.Kind == "missing" {
			missing = append(missing, d.SourceKey)
		}
	}
	assert.Equal(t, []string{key}, missing)
	assert.False(t, rep.OK())
}

// HighLevel answering 429 and 5xx now and then during the check: each
// call is retried within its budget (the env's client allows 6 attempts),
// so the report is whole and finds nothing — a transient fault must not
// turn into an "unchecked" step or a false difference. The hook proves
// the faults really hit the check's reads.
func TestMigrationReconcileTransientFaultsAreRetried(t *testing.T) {
	e := newEnv(t, envOptions{patients: 12})
	migrate(t, e, nil)
	ctx := context.Background()
	var faulted, retried sync.Map
	hook := func(c highlevel.Call) {
		if c.StatusCode == 429 || c.StatusCode >= 500 {
			faulted.Store(c.Operation, true)
		}
		if c.Attempt > 1 {
			retried.Store(c.Operation, true)
		}
	}
	e.hook.Store(&hook)
	defer e.hook.Store(nil)
	// A failure per call is 0.2^6 ≈ 6e-5 with six attempts: the few
	// hundred reads of this check all get through.
	e.hl.SetFaults(hltest.FaultRule{Route: "GET *", TooManyRequestsRate: 0.1, ServerErrorRate: 0.1},
		hltest.FaultRule{Route: "POST *", ServerErrorRate: 0.2})
	defer e.hl.SetFaults()
	rep, err := e.migration(nil).Reconcile(ctx, pbnhl.ReconcileOptions{Full: true})
	require.NoError(t, err)
	e.hl.SetFaults()
	n := 0
	faulted.Range(func(any, any) bool { n++; return true })
	require.NotZero(t, n, "no fault reached the check")
	r := 0
	retried.Range(func(any, any) bool { r++; return true })
	require.NotZero(t, r, "no call was retried")
	assert.True(t, rep.Complete(), "unchecked: %+v", rep.Unchecked)
	assert.Empty(t, rep.Unchecked)
	assert.Zero(t, rep.Differences, rep.Verdict)
	assert.True(t, rep.OK(), rep.Verdict)
	assert.Equal(t, rollback.StatusSucceeded, lastRun(t, e).Status)
}
