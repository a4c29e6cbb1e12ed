package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/pbnhl/pbnhl/internal/human"
	"github.com/pbnhl/pbnhl/rollback"
)

// ---- purge

type purgeFlags struct {
	runs         string
	allSignedOff bool
}

var purgeCmd = &command{
	name: "purge", summary: "after sign-off: drop the patient data (payloads, before-images) of runs from the ledger, keeping the audit trail",
	ledger: true, mutating: true, writesLedger: true, logs: true, // PurgeOptions records no actor
	setup: func(c *cli) {
		c.flags.StringVar(&c.opt.purge.runs, "runs", "", "comma-separated run ids to purge (pbn2hl status lists them)")
		c.flags.BoolVar(&c.opt.purge.allSignedOff, "all-signed-off", false, "purge every finished run: say it once the practice has signed the migration off")
	},
	run: runPurge,
}

// runPurge is the retention step: rollback's Ledger.Purge drops the only
// columns holding field values, VACUUMs the file and truncates its WAL.
func runPurge(ctx context.Context, c *cli) error {
	p := &c.opt.purge
	if (p.runs == "") == !p.allSignedOff {
		return usagef("name the runs to purge: -runs 2,3 or -all-signed-off")
	}
	l, err := c.openLedger(ctx, ledgerWrite)
	if err != nil {
		return err
	}
	defer l.Close()
	var ids []rollback.RunID
	if p.runs != "" {
		if ids, err = parseRuns(ctx, l, p.runs); err != nil {
			return err
		}
	} else {
		runs, err := l.Runs(ctx)
		if err != nil {
			return fmt.Errorf("list runs: %w", err)
		}
		for _, r := range runs {
			k := r.Counters
			switch {
			case r.Status == rollback.StatusRunning:
				c.progressf("purge: run %d skipped: still running (finish or resume it, then purge it)", r.ID)
			case k.Pending+k.Unknown > 0:
				c.progressf("purge: run %d skipped: %d intents pending or unknown (resume its phase to settle them, then purge it)", r.ID, k.Pending+k.Unknown)
			default:
				ids = append(ids, r.ID)
			}
		}
		if len(ids) == 0 {
			c.outf("nothing to purge: the ledger holds no finished, settled run")
			return nil
		}
	}
	rep, err := l.Purge(ctx, rollback.PurgeOptions{Runs: ids})
	if errors.Is(err, rollback.ErrPurgeUnsettled) {
		return fmt.Errorf("%w\n  nothing was purged", err)
	}
	if err != nil {
		return fmt.Errorf("purge: %w", err)
	}
	c.outf("purged runs %s of %s", joinRuns(rep.Runs), c.cfg.ledger)
	c.outf("  dropped: %s payloads (bodies sent) and %s before-images (records as they were before an update)", human.Int(rep.Payloads), human.Int(rep.BeforeImages))
	c.outf("  kept: ids, digests, outcomes, reasons, the id map, watermarks and the runs (audit, resume and delta work as before)")
	c.outf("  ledger file: %s → %s (rebuilt, so nothing dropped stays in free pages or the WAL)", size(rep.SizeBefore), size(rep.SizeAfter))
	if rep.Unrestorable > 0 {
		c.outf("  undo of these runs can no longer restore %s updated records: they keep what the runs wrote", human.Int(rep.Unrestorable))
	} else {
		c.outf("  undo of these runs loses no restore: no update of theirs was left to restore")
	}
	c.outf("  undo still deletes what these runs created, but only with -force: it can no longer check whether someone changed a record since")
	return nil
}

// size writes a byte count for people.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
