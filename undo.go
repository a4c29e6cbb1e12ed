package pbnhl

import (
	"context"
	"fmt"

	"github.com/pbnhl/pbnhl/rollback"
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
	rep, err := rollback.Undo(ctx, m.opts.Ledger, target, rollback.UndoOptions{Runs: runs, DryRun: m.opts.DryRun, Force: opts.Force, Actor: m.opts.Actor,
		Concurrency: m.opts.Concurrency, OnCompensation: opts.OnCompensation}) // tiers keep children before parents at any concurrency
	if err != nil {
		return rep, fmt.Errorf("pbnhl: undo: %w", err)
	}
	m.mu.Lock()
	m.prep = nil // ids changed
	m.mu.Unlock()
	return rep, nil
}
