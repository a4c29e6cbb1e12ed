package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/internal/human"
	"github.com/pbnhl/pbnhl/reconcile"
)

// exitDifferences: reconcile (or repair) ran to its end and HighLevel,
// the ledger and the source do not all agree.
const exitDifferences = 4

// differencesError makes the exit code 4.
type differencesError struct{ msg string }

func (e *differencesError) Error() string { return e.msg }

// ---- reconcile and repair

type reconcileFlags struct {
	json     bool
	html     string
	sample   bool
	practice string
	report   string
	force    bool
	deep     bool
}

var reconcileCmd = &command{
	name: "reconcile", summary: "check HighLevel against the ledger and the source: counts, fields, links, duplicates (exit 4 on differences)",
	// It reads (no journaled writes: no -search-lag, -on-daily-limit),
	// resolves owners to compare them and records a run.
	source: true, hl: hlClient, ledger: true, mapFile: true, mutating: true, writesLedger: true, company: true, fallback: true, actor: true, logs: true,
	setup: func(c *cli) {
		f := &c.opt.reconcile
		c.flags.BoolVar(&f.json, "json", false, "write the report as JSON on stdout instead of text")
		c.flags.StringVar(&f.html, "html", "", "also write the report as a self-contained HTML page to `FILE` (no field values)")
		c.flags.BoolVar(&f.sample, "sample", false, "read back a sample per object type only, not every contact and record (fewer reads)")
		c.flags.BoolVar(&f.deep, "deep", false, deepUsage)
		c.flags.StringVar(&f.practice, "practice", "", "the practice's `name`, for the report's header")
	},
	run: runReconcile,
}

var repairCmd = &command{
	name: "repair", summary: "re-send what reconcile finds missing or different, journaled (undo reverses it), then reconcile again",
	// Its writes take the journaled path (lookups, the daily-limit
	// policy) one at a time: no -concurrency, no progress events.
	source: true, hl: hlClient, ledger: true, mapFile: true, mutating: true, writesLedger: true, journaled: true, messages: true, company: true, fallback: true,
	actor: true, logs: true,
	setup: func(c *cli) {
		f := &c.opt.reconcile
		c.flags.StringVar(&f.report, "report", "", "repair from this reconcile -json `FILE` instead of reconciling first")
		c.flags.BoolVar(&f.force, "force", false, "also re-send records someone changed in HighLevel after the migration wrote them")
		c.flags.BoolVar(&f.deep, "deep", false, deepUsage+", for the check before the repair (without -report) and the one after")
		c.flags.StringVar(&f.practice, "practice", "", "the practice's `name`, for the report's header")
	},
	run: runRepair,
}

// deepUsage is -deep's help.
const deepUsage = "read every relation, custom object record and opportunity instead of random samples of those whose counts agree: exact, at about one more read per contact"

// runReconcile calls pbnhl's Migration.Reconcile: it says the reads it
// will spend, checks, prints the report and the reads spent.
func runReconcile(ctx context.Context, c *cli) error {
	f := &c.opt.reconcile
	if f.deep && f.sample {
		return usagef("-deep makes the full check exact; -sample reads a sample instead of the full check: give one of them")
	}
	mig, closeAll, err := c.migration(ctx, true, ledgerWrite, nil)
	if err != nil {
		return err
	}
	defer closeAll()
	opts := pbnhl.ReconcileOptions{Full: !f.sample, Deep: f.deep, Practice: f.practice}
	rep, err := c.reconcile(ctx, mig, opts)
	if err != nil {
		return err
	}
	if f.json {
		if err := rep.WriteJSON(c.stdout); err != nil {
			return err
		}
	} else if err := rep.WriteText(c.stdout); err != nil {
		return err
	}
	if f.html != "" {
		if err := writeReport(f.html, rep.WriteHTML); err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "reconcile: HTML report written to %s\n", f.html)
	}
	return verdict(rep)
}

// reconcile estimates, checks and says what it spent (on stderr, so that
// -json output stays one document).
func (c *cli) reconcile(ctx context.Context, mig *pbnhl.Migration, opts pbnhl.ReconcileOptions) (*reconcile.Report, error) {
	if est, err := mig.ReconcileEstimate(ctx, opts); err == nil {
		fmt.Fprintf(c.stderr, "reconcile: about %s HighLevel reads if the location agrees (each difference costs a few more)\n", human.Int(est))
	}
	rep, err := mig.Reconcile(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	fmt.Fprintf(c.stderr, "reconcile: spent %s HighLevel reads\n", human.Int(rep.Calls))
	return rep, nil
}

// verdict turns a report into the exit code: nil when nothing differs
// (records HighLevel refused or validation left out are accounted for by
// the ledger and listed in the problems report), exit 4 on differences,
// 1 when the report is partial.
func verdict(rep *reconcile.Report) error {
	switch {
	case !rep.Complete():
		steps := make([]string, len(rep.Unchecked))
		for i, u := range rep.Unchecked {
			steps[i] = u.Step
		}
		return fmt.Errorf("reconcile: the check is partial, HighLevel did not let it finish: %s; run it again", strings.Join(steps, ", "))
	case rep.Differences > 0 || len(rep.Duplicates) > 0:
		return &differencesError{msg: rep.Verdict + " (pbn2hl repair re-sends what is missing or different)"}
	}
	return nil
}

func writeReport(path string, write func(io.Writer) error) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := write(fh); err != nil {
		fh.Close()
		return fmt.Errorf("report: %w", err)
	}
	return fh.Close()
}

// runRepair reconciles (or reads -report), repairs with pbnhl's
// Migration.Repair, and reconciles again to confirm.
func runRepair(ctx context.Context, c *cli) error {
	f := &c.opt.reconcile
	mig, closeAll, err := c.migration(ctx, true, ledgerWrite, nil)
	if err != nil {
		return err
	}
	defer closeAll()
	opts := pbnhl.ReconcileOptions{Full: true, Deep: f.deep, Practice: f.practice}
	var rep *reconcile.Report
	if f.report != "" {
		b, err := os.ReadFile(f.report)
		if err != nil {
			return usagef("-report: %v", err)
		}
		rep = &reconcile.Report{}
		if err := json.Unmarshal(b, rep); err != nil {
			return usagef("-report %s is not a reconcile -json report: %v", f.report, err)
		}
	} else if rep, err = c.reconcile(ctx, mig, opts); err != nil {
		return err
	}
	if rep.Differences == 0 && len(rep.Duplicates) == 0 {
		c.outf("repair: nothing to repair: %s", rep.Verdict)
		return verdict(rep)
	}
	out, err := mig.Repair(ctx, rep, pbnhl.RepairOptions{Force: f.force})
	var inc *pbnhl.RepairIncompleteError
	if err != nil && !errors.As(err, &inc) {
		return fmt.Errorf("repair: %w", err)
	}
	c.outf("repair run %d: %s HighLevel calls in %s", out.Run, human.Int(out.Calls), human.Duration(out.Duration))
	c.outf("  %-36s %8s %8s %8s %8s", "object type", "listed", "re-sent", "agreed", "refused")
	for _, p := range out.Objects {
		c.outf("  %-36s %8s %8s %8s %8s", p.Object, human.Int(p.Total), human.Int(p.Written), human.Int(p.Existing), human.Int(p.Rejected))
	}
	if inc != nil {
		c.outf("not repaired (%d):", len(inc.Skipped))
		for _, s := range inc.Skipped {
			c.outf("  %s %s (%s): %s", s.ObjectType, s.SourceKey, s.HighLevelID, s.Reason)
		}
		if !f.force {
			c.outf("  records changed in HighLevel since the run: check them, then pbn2hl repair -force re-sends them")
		}
	}
	after, err := c.reconcile(ctx, mig, opts)
	if err != nil {
		return err
	}
	c.outf("after the repair: %s", after.Verdict)
	return verdict(after)
}
