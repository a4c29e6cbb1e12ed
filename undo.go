package pbnhl

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/rollback"
)

// PhaseUndo names an undo's progress events; their Object is
// UndoProgressObject.
const (
	PhaseUndo          = "undo"
	UndoProgressObject = "compensations"
)

// UndoOptions scope an Undo.
type UndoOptions struct {
	// Runs to undo; empty means every data run of the migration (full,
	// sample and delta runs; not the schema).
	Runs []rollback.RunID
	// Schema also undoes the schema runs (custom fields, associations;
	// HighLevel cannot delete custom object schemas or pipelines, which are
	// reported as irreversible).
	Schema bool
	// Force reverses records changed in HighLevel after our write.
	Force bool
	// OnCompensation, when set, is told of every compensation as it
	// finishes (for progress). Calls are serialised, never concurrent.
	OnCompensation func(rollback.Compensation)
}

// Undo reverses runs through rollback.Undo: children before parents,
// updates restored from their before-images, links removed, every
// compensation journaled in a run of kind undo. Only what this ledger
// created is deleted (adopted objects are restored or left in place). By
// default runs an earlier undo reversed are skipped. An undo that reversed
// everything it could succeeds, listing what HighLevel cannot delete as
// manual steps (UndoReport.ManualSteps), and marks its runs undone; a
// repeated undo reports NothingToUndo and records no run. It honours
// Options.DryRun (the compensation list, reads only) and runs
// Options.Concurrency compensations at once, tier by tier (links, then
// children, then contacts, then businesses, then schema), so the limiter
// stays full.
func (m *Migration) Undo(ctx context.Context, opts UndoOptions) (*rollback.UndoReport, error) {
	runs := opts.Runs
	if len(runs) == 0 {
		all, err := m.opts.Ledger.Runs(ctx)
		if err != nil {
			return nil, fmt.Errorf("pbnhl: list runs: %w", err)
		}
		for _, r := range all {
			if r.Status == rollback.StatusUndone {
				continue // an earlier undo reversed it (RunInfo.UndoneBy)
			}
			switch r.Kind {
			case rollback.KindFull, rollback.KindSample, rollback.KindDelta, rollback.KindAdopt, rollback.KindRepair:
				runs = append(runs, r.ID)
			case rollback.KindSchema:
				if opts.Schema {
					runs = append(runs, r.ID)
				}
			}
		}
	}
	if len(runs) == 0 {
		return &rollback.UndoReport{DryRun: m.opts.DryRun, NothingToUndo: true}, nil
	}
	if err := m.checkLedger(ctx, nil, verifyOnly); err != nil { // one ledger per location (identity.go)
		return nil, err
	}
	target := UndoTarget(m.opts.Client) // with the targets' own record kinds
	uo := rollback.UndoOptions{Runs: runs, DryRun: m.opts.DryRun, Force: opts.Force, Actor: m.opts.Actor,
		Concurrency: m.opts.Concurrency, OnCompensation: opts.OnCompensation} // tiers keep children before parents at any concurrency
	var up *UndoProgress
	if m.opts.Progress != nil {
		var err error
		if up, err = NewUndoProgress(ctx, m.opts.Ledger, m.opts.Client, uo, m.opts.ProgressInterval, m.emit); err != nil {
			return nil, err
		}
		uo.OnCompensation = up.Wrap(uo.OnCompensation)
	}
	rep, err := rollback.Undo(ctx, m.opts.Ledger, target, uo)
	if up != nil {
		up.Finish()
	}
	if err != nil {
		return rep, fmt.Errorf("pbnhl: undo: %w", err)
	}
	m.mu.Lock()
	m.prep = nil // ids changed
	m.mu.Unlock()
	return rep, nil
}

// UndoProgress turns an undo's compensations into Progress events (Phase
// PhaseUndo, Object UndoProgressObject) whose Total is known before the
// first call: the compensation count of the undo's dry-run plan. Done
// counts compensations decided, Written those done (reversed), Existing
// those found already gone or left in place, Rejected those refused or
// failed, Calls the client's HighLevel requests since the start. A real
// undo first settles pending intents, which may add compensations: Done
// then passes Total, which a view shows as growth.
//
// Migration.Undo uses it when Options.Progress is set; a host calling
// rollback.Undo itself (as pbn2hl does) passes Wrap's result as
// OnCompensation and calls Finish after.
type UndoProgress struct {
	emit     func(Progress)
	interval time.Duration
	calls    func() int64
	start    time.Time

	mu   sync.Mutex
	p    Progress
	last time.Time
}

// NewUndoProgress plans opts' undo as a dry run without its change checks
// (Force: the ledger alone, no HighLevel call) to learn its total, and
// returns a tracker emitting to emit at most every interval. client is
// the location's (its limiter's admissions are the call count).
func NewUndoProgress(ctx context.Context, l *rollback.Ledger, client *highlevel.Client, opts rollback.UndoOptions,
	interval time.Duration, emit func(Progress)) (*UndoProgress, error) {
	plan := opts
	plan.DryRun, plan.Force, plan.OnCompensation = true, true, nil
	if client == nil {
		return nil, fmt.Errorf("%w: NewUndoProgress needs the location's client", ErrInvalidOptions)
	}
	rep, err := rollback.Undo(ctx, l, UndoTarget(client), plan)
	if err != nil {
		return nil, fmt.Errorf("pbnhl: plan the undo: %w", err)
	}
	u := &UndoProgress{emit: emit, interval: interval, start: time.Now(), calls: func() int64 { return 0 }}
	if client.Limiter() != nil {
		lim := client.Limiter()
		base := lim.Admitted()
		u.calls = func() int64 { return int64(lim.Admitted() - base) }
	}
	if !rep.NothingToUndo {
		u.p.Total = int64(len(rep.Compensations)) // what the undo will decide, as the dry run decided it
	}
	u.p.Phase, u.p.Object = PhaseUndo, UndoProgressObject
	u.emitLocked(false)
	return u, nil
}

// Wrap returns an OnCompensation that counts c and then calls next (when
// not nil).
func (u *UndoProgress) Wrap(next func(rollback.Compensation)) func(rollback.Compensation) {
	return func(c rollback.Compensation) {
		u.Compensated(c)
		if next != nil {
			next(c)
		}
	}
}

// Compensated counts one decided compensation.
func (u *UndoProgress) Compensated(c rollback.Compensation) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.p.Done++
	switch c.State {
	case rollback.StateDone:
		u.p.Written++
	case rollback.StateRefused, rollback.StateFailed:
		u.p.Rejected++
	default:
		u.p.Existing++ // gone already, left in place, irreversible, planned (dry run)
	}
	if time.Since(u.last) >= u.interval {
		u.emitLocked(false)
	}
}

// Finish emits the final event and returns it.
func (u *UndoProgress) Finish() Progress {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.emitLocked(true)
	return u.p
}

func (u *UndoProgress) emitLocked(finished bool) {
	u.last = time.Now()
	u.p.Calls = u.calls()
	u.p.Elapsed = time.Since(u.start)
	u.p.Finished = finished
	if s := u.p.Elapsed.Seconds(); s > 0 {
		u.p.Rate = float64(u.p.Done) / s
	}
	if u.emit != nil {
		u.emit(u.p)
	}
}
