package fleet

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

func testSpec(id string) LocationSpec {
	return LocationSpec{ID: id, Agency: "agency", DeltaEvery: 6 * time.Hour, CutoverWindow: 24 * time.Hour,
		KeepOpen: time.Hour, DailyLimitRecheck: 24 * time.Hour, Heartbeat: time.Minute}
}

func dailyLimit(resumeAt time.Time, calls int64) error {
	return temporal.NewApplicationErrorWithOptions("daily limit", ErrTypeDailyLimit,
		temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{DailyLimitPause{ResumeAt: resumeAt, Calls: calls}}})
}

// The whole path with the SDK's time-skipping test environment: the
// workflow waits for both approvals, sleeps on a durable timer until the
// daily limit's reset (10 hours, skipped), resumes the run, runs the
// deltas of the cutover window on their schedule, reconciles and stays
// open for an undo until KeepOpen.
func TestMigrateLocationPhasesApprovalsAndDailyLimit(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(acts)
	env.OnActivity(acts.Preflight, mock.Anything, mock.Anything).Return(PreflightResult{Ready: true, Days: 2, Calls: 300000, MapDigest: "m1"}, nil)
	env.OnActivity(acts.ApproveMap, mock.Anything, mock.Anything, "ann").Return("m2", nil).Once()
	env.OnActivity(acts.ApplySchema, mock.Anything, mock.Anything).Return(3, nil).Once()
	env.OnActivity(acts.Sample, mock.Anything, mock.Anything).Return(PhaseResult{Calls: 40, Done: 20, Digest: "s1", Agrees: true}, nil).Once()
	env.OnActivity(acts.ApproveSample, mock.Anything, mock.Anything, Approval{Actor: "bob"}).Return(nil).Once()
	var runStarts []time.Time
	resumeAt := time.Time{}
	env.OnActivity(acts.Run, mock.Anything, mock.Anything).Return(func(_ context.Context, _ LocationSpec) (PhaseResult, error) {
		now := env.Now()
		runStarts = append(runStarts, now)
		if len(runStarts) == 1 {
			resumeAt = now.Add(10 * time.Hour)
			return PhaseResult{}, dailyLimit(resumeAt, 200000)
		}
		return PhaseResult{Calls: 100000, Done: 5000}, nil
	})
	var deltas []time.Time
	env.OnActivity(acts.Delta, mock.Anything, mock.Anything).Return(func(_ context.Context, _ LocationSpec) (PhaseResult, error) {
		deltas = append(deltas, env.Now())
		return PhaseResult{Calls: 10}, nil
	})
	env.OnActivity(acts.Reconcile, mock.Anything, mock.Anything).Return(ReconcileResult{OK: true, Complete: true, LedgerMatches: true}, nil).Once()

	query := func() Progress {
		v, err := env.QueryWorkflow(QueryProgress)
		if err != nil {
			t.Fatal(err)
		}
		var p Progress
		if err := v.Get(&p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Nothing moves until a person approves: an hour later it still waits.
	env.RegisterDelayedCallback(func() {
		if p := query(); p.Phase != PhaseAwaitMap {
			t.Errorf("after an hour without approval: phase %s, want %s", p.Phase, PhaseAwaitMap)
		}
		env.SignalWorkflow(SignalApproveMap, Approval{Actor: "ann"})
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		if p := query(); p.Phase != PhaseAwaitSample || p.SampleDigest != "s1" || p.MapDigest != "m2" {
			t.Errorf("before the sample approval: %+v", p)
		}
		env.SignalWorkflow(SignalApproveSample, Approval{Actor: "bob"})
	}, 2*time.Hour)
	env.RegisterDelayedCallback(func() {
		p := query()
		if p.Phase != PhaseDailyLimit || p.Day != 2 || p.Days != 2 || p.Calls != 200000 || p.CallsToday != 0 || p.Pauses != 1 {
			t.Errorf("paused on the daily limit: %+v", p)
		}
		if !p.ResumeAt.Equal(resumeAt) {
			t.Errorf("resumes at %v, want the reset %v", p.ResumeAt, resumeAt)
		}
	}, 5*time.Hour)

	env.ExecuteWorkflow(MigrateLocation, testSpec("loc1"))
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var res LocationResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if len(runStarts) != 2 || runStarts[1].Sub(runStarts[0]) != 10*time.Hour {
		t.Errorf("run started at %v: want a resume exactly at the reset, 10h after the first", runStarts)
	}
	// Cutover window 24h, every 6h: deltas at +6h, +12h, +18h, +24h.
	if len(deltas) != 4 {
		t.Errorf("%d deltas, want 4 over the 24h window", len(deltas))
	}
	for i := 1; i < len(deltas); i++ {
		if d := deltas[i].Sub(deltas[i-1]); d != 6*time.Hour {
			t.Errorf("delta %d came %v after the previous, want 6h", i, d)
		}
	}
	p := res.Progress
	if p.Phase != PhaseDone || p.Reconcile == nil || !p.Reconcile.OK || p.Deltas != 4 || p.Calls != 300040 || p.Percent != 100 {
		t.Errorf("final progress %+v", p)
	}
	env.AssertExpectations(t)
}

// An undo update while the location waits for the sample approval stops
// the migration there and reverses it; the update returns the undo's result.
func TestMigrateLocationUndoWhileWaiting(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(acts)
	env.OnActivity(acts.Preflight, mock.Anything, mock.Anything).Return(PreflightResult{Ready: true, Days: 1}, nil)
	env.OnActivity(acts.ApproveMap, mock.Anything, mock.Anything, "ann").Return("m", nil)
	env.OnActivity(acts.ApplySchema, mock.Anything, mock.Anything).Return(1, nil)
	env.OnActivity(acts.Sample, mock.Anything, mock.Anything).Return(PhaseResult{Digest: "s"}, nil)
	env.OnActivity(acts.Undo, mock.Anything, mock.Anything).Return(UndoResult{Complete: true, Reversed: true, Compensations: 7}, nil).Once()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalApproveMap, Approval{Actor: "ann"}) }, time.Minute)
	var got UndoResult
	var updErr error
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateUndo, "u1", &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { updErr = err },
			OnComplete: func(v any, err error) { updErr = err; got, _ = v.(UndoResult) },
		})
	}, time.Hour)
	env.ExecuteWorkflow(MigrateLocation, testSpec("loc1"))
	var res LocationResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if updErr != nil || got.Compensations != 7 {
		t.Errorf("undo update: %+v, %v", got, updErr)
	}
	if res.Progress.Phase != PhaseUndone || res.Progress.Undo == nil || !res.Progress.Undo.Complete {
		t.Errorf("final progress %+v", res.Progress)
	}
	env.AssertNotCalled(t, "Run", mock.Anything, mock.Anything)
	env.AssertExpectations(t)
}

// A sample approval the library refuses (differences not accepted) is
// not the end: the workflow waits for the next approval.
func TestMigrateLocationRefusedSampleApprovalWaitsAgain(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(acts)
	env.OnActivity(acts.Preflight, mock.Anything, mock.Anything).Return(PreflightResult{Ready: true, Days: 1}, nil)
	env.OnActivity(acts.ApproveMap, mock.Anything, mock.Anything, "ann").Return("m", nil)
	env.OnActivity(acts.ApplySchema, mock.Anything, mock.Anything).Return(1, nil)
	env.OnActivity(acts.Sample, mock.Anything, mock.Anything).Return(PhaseResult{Digest: "s"}, nil)
	env.OnActivity(acts.ApproveSample, mock.Anything, mock.Anything, Approval{Actor: "bob"}).
		Return(temporal.NewNonRetryableApplicationError("the sample has 2 differing fields", "Config", nil)).Once()
	env.OnActivity(acts.ApproveSample, mock.Anything, mock.Anything, Approval{Actor: "bob", AcceptDifferences: true}).Return(nil).Once()
	env.OnActivity(acts.Run, mock.Anything, mock.Anything).Return(PhaseResult{Calls: 5}, nil)
	env.OnActivity(acts.Delta, mock.Anything, mock.Anything).Return(PhaseResult{}, nil)
	env.OnActivity(acts.Reconcile, mock.Anything, mock.Anything).Return(ReconcileResult{OK: true}, nil)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalApproveMap, Approval{Actor: "ann"}) }, time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalApproveSample, Approval{Actor: "bob"}) }, 2*time.Minute)
	env.RegisterDelayedCallback(func() {
		v, _ := env.QueryWorkflow(QueryProgress)
		var p Progress
		_ = v.Get(&p)
		if p.Phase != PhaseAwaitSample || p.LastError == "" {
			t.Errorf("after a refused approval: %+v", p)
		}
		env.SignalWorkflow(SignalApproveSample, Approval{Actor: "bob", AcceptDifferences: true})
	}, 3*time.Minute)
	env.ExecuteWorkflow(MigrateLocation, testSpec("loc1"))
	var res LocationResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Progress.Phase != PhaseDone {
		t.Errorf("final phase %s", res.Progress.Phase)
	}
	env.AssertExpectations(t)
}

// The fleet runs at most an agency's cap of locations at once.
func TestFleetAgencyCap(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	running, peak := map[string]int{}, map[string]int{}
	fake := func(ctx workflow.Context, spec LocationSpec) (LocationResult, error) {
		running[spec.Agency]++
		peak[spec.Agency] = max(peak[spec.Agency], running[spec.Agency])
		_ = workflow.Sleep(ctx, time.Hour)
		running[spec.Agency]--
		if spec.ID == "b2" {
			return LocationResult{}, errors.New("failed on purpose")
		}
		return LocationResult{Progress: Progress{Phase: PhaseDone}}, nil
	}
	env.RegisterWorkflowWithOptions(fake, workflow.RegisterOptions{Name: "MigrateLocation"})
	spec := FleetSpec{AgencyCaps: map[string]int{"a": 2}, DefaultCap: 1}
	for _, id := range []string{"a1", "a2", "a3", "a4", "a5"} {
		spec.Locations = append(spec.Locations, LocationSpec{ID: id, Agency: "a"})
	}
	for _, id := range []string{"b1", "b2", "b3"} {
		spec.Locations = append(spec.Locations, LocationSpec{ID: id, Agency: "b"})
	}
	start := env.Now()
	env.ExecuteWorkflow(Fleet, spec)
	var res FleetResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if peak["a"] != 2 || peak["b"] != 1 {
		t.Errorf("peak concurrency %v, want a:2 b:1", peak)
	}
	// a: 5 locations 2 at a time = 3 hours; b: 3 one at a time = 3 hours.
	if d := env.Now().Sub(start); d != 3*time.Hour {
		t.Errorf("fleet took %v, want 3h", d)
	}
	for _, e := range res.Entries {
		want := PhaseDone
		if e.Location == "b2" {
			want = "failed"
		}
		if e.State != want {
			t.Errorf("%s: state %s, want %s", e.Location, e.State, want)
		}
	}
}
