package pbnhl

import (
	"context"
	"errors"
	"fmt"

	"github.com/pbnhl/pbnhl/rollback"
)

// beginDryRun opens the ledger run (kind dry-run) in which a dry run
// records the records it found invalid, apart from the real runs: its
// problems are listed only when that run is named, and it journals no
// call. A read-only ledger cannot hold it: the dry run then records
// nothing (logged) and its report still lists the reasons.
func (m *Migration) beginDryRun(ctx context.Context, digest string) (*rollback.Run, error) {
	run, err := m.opts.Ledger.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindDryRun, MapDigest: digest,
		Location: m.location(), Actor: m.opts.Actor})
	if errors.Is(err, rollback.ErrReadOnly) {
		m.log.LogAttrs(ctx, levelWarn, "dry run: the ledger is read-only, its invalid records are not recorded")
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pbnhl: begin dry-run record: %w", err)
	}
	return run, nil
}

// finishDryRun closes the dry-run record: succeeded, failed, or canceled
// (a dry run is never resumed; the next one starts its own record).
func (m *Migration) finishDryRun(ctx context.Context, run *rollback.Run, err error) error {
	if run == nil {
		return err
	}
	status := rollback.StatusSucceeded
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		status = rollback.StatusCanceled
	case err != nil:
		status = rollback.StatusFailed
	}
	if ferr := run.Finish(context.WithoutCancel(ctx), status); ferr != nil && err == nil {
		return fmt.Errorf("pbnhl: finish dry-run record: %w", ferr)
	}
	return err
}
