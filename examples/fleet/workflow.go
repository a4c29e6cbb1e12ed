package fleet

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Names a client uses with the workflows.
const (
	// TaskQueue is where the workers poll (default of the command).
	TaskQueue = "pbnhl-fleet"
	// SignalApproveMap approves the location's map (an Approval).
	SignalApproveMap = "approve-map"
	// SignalApproveSample approves the sample report (an Approval).
	SignalApproveSample = "approve-sample"
	// UpdateUndo reverses the migration; it returns the UndoResult once
	// the undo is done.
	UpdateUndo = "undo"
	// QueryProgress returns a location's Progress.
	QueryProgress = "progress"
	// QueryFleet returns the fleet's []FleetEntry.
	QueryFleet = "fleet"
)

// Phases a location's Progress reports.
const (
	PhasePreflight   = "preflight"
	PhaseAwaitMap    = "awaiting-map-approval"
	PhaseSchema      = "schema"
	PhaseSample      = "sample"
	PhaseAwaitSample = "awaiting-sample-approval"
	PhaseBlocked     = "blocked"
	PhaseRun         = "run"
	PhaseDailyLimit  = "paused-daily-limit"
	PhaseDeltaWindow = "delta-window"
	PhaseDelta       = "delta"
	PhaseReconcile   = "reconcile"
	PhaseDone        = "done"
	PhaseUndo        = "undoing"
	PhaseUndone      = "undone"
)

// Approval is a person's sign-off, sent as a signal.
type Approval struct {
	Actor string `json:"actor"`
	// AcceptDifferences approves a sample with differing fields knowingly.
	AcceptDifferences bool `json:"acceptDifferences,omitempty"`
}

// Progress is a location's state as the workflow knows it (the running
// phase's live counts are in its heartbeat: see Status).
type Progress struct {
	Location string `json:"location"`
	Agency   string `json:"agency"`
	Phase    string `json:"phase"`
	// Percent, Done and Total are of the full run (from its last result).
	Percent float64 `json:"percent"`
	Done    int64   `json:"done"`
	Total   int64   `json:"total"`
	// Calls counts HighLevel calls of the run and deltas; CallsToday
	// those since the last daily-limit reset (or the start).
	Calls      int64 `json:"calls"`
	CallsToday int64 `json:"callsToday"`
	// Day is the quota day the run is in (1 + the daily limits it hit
	// after making calls); Days the preflight's estimate.
	Day  int `json:"day"`
	Days int `json:"days"`
	// ETA is the estimate of the running phase from its last heartbeat
	// (filled by Status).
	ETA time.Duration `json:"eta,omitempty"`
	// ResumeAt is when a location paused on the daily limit probes again.
	ResumeAt     time.Time        `json:"resumeAt,omitzero"`
	Pauses       int              `json:"pauses"`
	Deltas       int              `json:"deltas"`
	MapDigest    string           `json:"mapDigest,omitempty"`
	SampleDigest string           `json:"sampleDigest,omitempty"`
	Blocking     []string         `json:"blocking,omitempty"`
	LastError    string           `json:"lastError,omitempty"`
	Reconcile    *ReconcileResult `json:"reconcile,omitempty"`
	Undo         *UndoResult      `json:"undo,omitempty"`
}

// LocationResult is how MigrateLocation ended.
type LocationResult struct {
	Progress Progress `json:"progress"`
}

// location is one MigrateLocation's state; handlers and the main
// coroutine share it (workflow code runs one coroutine at a time).
type location struct {
	spec        LocationSpec
	p           Progress
	mapApproval *Approval
	smpApproval *Approval
	undo        bool
	undone      bool
	cancelPhase workflow.CancelFunc
}

var errUndo = errors.New("undo requested")

// acts names the activities (method values of a nil pointer are only
// names here: the worker's registered Activities run them).
var acts *Activities

// MigrateLocation migrates one practice into one location: preflight →
// map approval → schema → sample → sample approval → run (pausing on the
// daily limit) → deltas through the cutover window → reconcile → done; an
// undo update reverses it at any point. Its history holds the spec, ids,
// counts and digests: the activities keep records in the worker.
func MigrateLocation(ctx workflow.Context, spec LocationSpec) (LocationResult, error) {
	spec.defaults()
	l := &location{spec: spec, p: Progress{Location: spec.ID, Agency: spec.Agency, Phase: PhasePreflight, Day: 1, Days: 1}}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) { return l.p, nil }); err != nil {
		return LocationResult{}, err
	}
	mapCh := workflow.GetSignalChannel(ctx, SignalApproveMap)
	smpCh := workflow.GetSignalChannel(ctx, SignalApproveSample)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var a Approval
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(mapCh, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &a); l.mapApproval = &a })
			sel.AddReceive(smpCh, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &a); l.smpApproval = &a })
			sel.Select(ctx)
		}
	})
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateUndo, func(ctx workflow.Context) (UndoResult, error) {
		l.undo = true
		if l.cancelPhase != nil {
			l.cancelPhase()
		}
		if err := workflow.Await(ctx, func() bool { return l.undone }); err != nil {
			return UndoResult{}, err
		}
		if l.p.Undo == nil {
			return UndoResult{}, errors.New(l.p.LastError)
		}
		return *l.p.Undo, nil
	}, workflow.UpdateHandlerOptions{Validator: func() error {
		if l.undo {
			return errors.New("an undo is already requested")
		}
		return nil
	}})
	if err != nil {
		return LocationResult{}, err
	}

	err = l.migrate(ctx)
	if errors.Is(err, errUndo) || (err == nil && l.undo) {
		err = l.runUndo(ctx)
	}
	if err != nil {
		l.p.LastError = err.Error()
		l.undone = true // release a waiting undo update with the error
		return LocationResult{Progress: l.p}, err
	}
	return LocationResult{Progress: l.p}, nil
}

func (l *location) migrate(ctx workflow.Context) error {
	var pre PreflightResult
	if err := l.call(ctx, PhasePreflight, acts.Preflight, &pre); err != nil {
		return err
	}
	l.p.Days, l.p.MapDigest = pre.Days, pre.MapDigest
	for {
		// A person approves the map; a blocked gate comes back here.
		l.p.Phase = PhaseAwaitMap
		if err := l.await(ctx, func() bool { return l.mapApproval != nil }); err != nil {
			return err
		}
		ap := *l.mapApproval
		l.mapApproval = nil
		if err := l.call(ctx, PhaseAwaitMap, acts.ApproveMap, &l.p.MapDigest, ap.Actor); err != nil {
			if isPermanent(err) {
				l.p.LastError = err.Error() // the map does not approve: fix it, approve again
				continue
			}
			return err
		}
		if err := l.call(ctx, PhaseSchema, acts.ApplySchema, nil); err != nil {
			return err
		}
		var smp PhaseResult
		if err := l.call(ctx, PhaseSample, acts.Sample, &smp); err != nil {
			return err
		}
		l.p.SampleDigest = smp.Digest
		approved := false
		for !approved {
			l.p.Phase = PhaseAwaitSample
			if err := l.await(ctx, func() bool { return l.smpApproval != nil }); err != nil {
				return err
			}
			ap := *l.smpApproval
			l.smpApproval = nil
			err := l.call(ctx, PhaseAwaitSample, acts.ApproveSample, nil, ap)
			switch {
			case err == nil:
				approved, l.p.LastError = true, ""
			case isPermanent(err):
				l.p.LastError = err.Error() // e.g. differences not accepted
			default:
				return err
			}
		}
		if err := l.call(ctx, PhasePreflight, acts.Preflight, &pre); err != nil {
			return err
		}
		l.p.Days, l.p.Blocking = pre.Days, pre.Blocking
		if pre.Ready {
			break
		}
		l.p.Phase = PhaseBlocked
	}
	var run PhaseResult
	if err := l.call(ctx, PhaseRun, acts.Run, &run); err != nil {
		return err
	}
	l.p.Done, l.p.Total = run.Done, run.Done
	l.p.Percent = 100
	l.count(run.Calls)

	// Deltas on a schedule through the cutover window.
	end := workflow.Now(ctx).Add(l.spec.CutoverWindow)
	for {
		l.p.Phase = PhaseDeltaWindow
		wait := min(l.spec.DeltaEvery, end.Sub(workflow.Now(ctx)))
		if l.p.Deltas > 0 && wait <= 0 {
			break
		}
		if wait > 0 {
			if err := l.sleep(ctx, wait); err != nil {
				return err
			}
		}
		var d PhaseResult
		if err := l.call(ctx, PhaseDelta, acts.Delta, &d); err != nil {
			return err
		}
		l.p.Deltas++
		l.count(d.Calls)
		if !workflow.Now(ctx).Before(end) {
			break
		}
	}
	var rec ReconcileResult
	if err := l.call(ctx, PhaseReconcile, acts.Reconcile, &rec); err != nil {
		return err
	}
	l.p.Reconcile = &rec
	l.p.Phase = PhaseDone
	// Done, and open for an undo for KeepOpen.
	_, err := workflow.AwaitWithTimeout(ctx, l.spec.KeepOpen, func() bool { return l.undo })
	if err != nil {
		return err
	}
	return nil
}

func (l *location) runUndo(ctx workflow.Context) error {
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	l.cancelPhase = nil
	var u UndoResult
	if err := l.call(ctx, PhaseUndo, acts.Undo, &u); err != nil {
		return err
	}
	l.p.Undo, l.p.Phase, l.undone = &u, PhaseUndone, true
	return nil
}

// count adds a finished phase's calls to the totals.
func (l *location) count(calls int64) {
	l.p.Calls += calls
	l.p.CallsToday += calls
}

// await waits for cond or an undo.
func (l *location) await(ctx workflow.Context, cond func() bool) error {
	if err := workflow.Await(ctx, func() bool { return cond() || l.undo }); err != nil {
		return err
	}
	if l.undo {
		return errUndo
	}
	return nil
}

// sleep is a durable timer an undo interrupts.
func (l *location) sleep(ctx workflow.Context, d time.Duration) error {
	if _, err := workflow.AwaitWithTimeout(ctx, d, func() bool { return l.undo }); err != nil {
		return err
	}
	if l.undo {
		return errUndo
	}
	return nil
}

// call runs one activity as phase: Temporal retries what may heal, an
// undo cancels it, and HighLevel's daily limit pauses the location on a
// durable timer until the quota resets, then runs the phase again (the
// ledger makes that a resume).
func (l *location) call(ctx workflow.Context, phase string, fn any, out any, args ...any) error {
	for {
		if l.undo && phase != PhaseUndo {
			return errUndo
		}
		l.p.Phase = phase
		long := phase == PhaseRun || phase == PhaseDelta || phase == PhaseSample || phase == PhaseUndo || phase == PhaseReconcile
		ao := workflow.ActivityOptions{
			StartToCloseTimeout: time.Hour,
			HeartbeatTimeout:    l.spec.Heartbeat,
			WaitForCancellation: true,
			RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
				MaximumInterval: time.Minute, NonRetryableErrorTypes: []string{ErrTypeDailyLimit, "Config"}},
		}
		if long {
			ao.StartToCloseTimeout = 7 * 24 * time.Hour // heartbeats find a dead worker
		}
		if phase == PhaseAwaitMap || phase == PhaseAwaitSample {
			ao.HeartbeatTimeout = 0
		}
		actx, cancel := workflow.WithCancel(workflow.WithActivityOptions(ctx, ao))
		l.cancelPhase = cancel
		f := workflow.ExecuteActivity(actx, fn, append([]any{l.spec}, args...)...)
		var err error
		if out != nil {
			err = f.Get(actx, out)
		} else {
			err = f.Get(actx, nil)
		}
		l.cancelPhase = nil
		cancel()
		if err == nil {
			return nil
		}
		if l.undo && phase != PhaseUndo {
			return errUndo
		}
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || ae.Type() != ErrTypeDailyLimit {
			return fmt.Errorf("%s: %w", phase, err)
		}
		var pause DailyLimitPause
		if ae.HasDetails() {
			_ = ae.Details(&pause)
		}
		if pause.Calls > 0 {
			// The quota day this phase spent ends here.
			l.p.Calls += pause.Calls
			l.p.Day++
		}
		l.p.Pauses++
		wait := l.spec.DailyLimitRecheck
		if !pause.ResumeAt.IsZero() {
			wait = min(wait, max(pause.ResumeAt.Sub(workflow.Now(ctx)), time.Second))
		}
		l.p.Phase, l.p.ResumeAt = PhaseDailyLimit, workflow.Now(ctx).Add(wait)
		if err := l.sleep(ctx, wait); err != nil {
			return err
		}
		l.p.ResumeAt, l.p.CallsToday = time.Time{}, 0
	}
}

func isPermanent(err error) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == "Config"
}

// FleetEntry is one location in the fleet's query.
type FleetEntry struct {
	Location string `json:"location"`
	Agency   string `json:"agency"`
	// State: queued, running, done, failed.
	State string `json:"state"`
	Error string `json:"error,omitempty"`
}

// FleetResult is how the fleet ended.
type FleetResult struct {
	Entries []FleetEntry `json:"entries"`
}

// Fleet starts a MigrateLocation child per location, at most the agency's
// cap of them at once per agency, and tracks them to the end.
func Fleet(ctx workflow.Context, spec FleetSpec) (FleetResult, error) {
	entries := make([]FleetEntry, len(spec.Locations))
	for i, l := range spec.Locations {
		entries[i] = FleetEntry{Location: l.ID, Agency: l.Agency, State: "queued"}
	}
	if err := workflow.SetQueryHandler(ctx, QueryFleet, func() ([]FleetEntry, error) { return entries, nil }); err != nil {
		return FleetResult{}, err
	}
	capOf := func(agency string) int {
		if c, ok := spec.AgencyCaps[agency]; ok && c > 0 {
			return c
		}
		return max(spec.DefaultCap, 1)
	}
	running := map[string]int{}
	sel := workflow.NewSelector(ctx)
	pending := 0
	startReady := func() {
		for i, l := range spec.Locations {
			if entries[i].State != "queued" || running[l.Agency] >= capOf(l.Agency) {
				continue
			}
			cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
				WorkflowID:        WorkflowID(l.ID),
				ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
			})
			f := workflow.ExecuteChildWorkflow(cctx, MigrateLocation, l)
			entries[i].State = "running"
			running[l.Agency]++
			pending++
			sel.AddFuture(f, func(f workflow.Future) {
				var r LocationResult
				if err := f.Get(ctx, &r); err != nil {
					entries[i].State, entries[i].Error = "failed", err.Error()
				} else {
					entries[i].State = r.Progress.Phase
				}
				running[l.Agency]--
				pending--
			})
		}
	}
	startReady()
	for pending > 0 {
		sel.Select(ctx)
		startReady()
	}
	return FleetResult{Entries: entries}, nil
}
