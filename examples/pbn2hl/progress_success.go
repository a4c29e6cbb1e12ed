package main

import (
	"context"
	"fmt"
	"io"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/internal/human"
	"github.com/pbnhl/pbnhl/internal/privatefile"
	"github.com/pbnhl/pbnhl/rollback"
)

// successSuffix and problemsSuffix name a run's success and problems
// files after its ledger ("migration.ledger-run3-success.csv",
// "…-run3-problems.csv"); where they go: sideFile.
func successSuffix(run rollback.RunID) string {
	return fmt.Sprintf("-run%d-success.csv", run)
}

func problemsSuffix(run rollback.RunID) string {
	return fmt.Sprintf("-run%d-problems.csv", run)
}

// writeSuccess writes the two files of a run or delta, as migration
// engineers know them from data loaders, and says where:
//
//   - the success file (source entity, source key, HighLevel type and id,
//     action; pbnhl.WriteSuccessCSV). A full run's also lists the records
//     an earlier run already put in HighLevel (unchanged), so it covers
//     the practice; a delta's lists what the delta did;
//   - the problems file beside it: the run's invalid and rejected records
//     with their reasons (rollback's WriteProblemsCSV, what audit
//     -problems -runs N writes), a header alone when there are none.
//
// A dry run writes neither. Keys, ids and reasons only (reasons name
// fields and rules, never values); the files are owner-only all the same,
// like the ledger. Either can be made again from the ledger, so a failure
// to write one is a warning, not a failed run.
func (c *cli) writeSuccess(ctx context.Context, l *rollback.Ledger, rep *pbnhl.Report) {
	if l == nil || rep.DryRun || rep.Run == 0 || c.cfg.ledger == "" || (rep.Phase != pbnhl.PhaseRun && rep.Phase != pbnhl.PhaseDelta) {
		return
	}
	opts := pbnhl.SuccessOptions{Unchanged: rep.Phase == pbnhl.PhaseRun}
	if path, ok := c.runFile(rep, "success", successSuffix(rep.Run), func(w io.Writer) error {
		return pbnhl.WriteSuccessCSV(ctx, w, l, []rollback.RunID{rep.Run}, opts)
	}); ok {
		c.outf("  success file (source key → HighLevel id, action): %s", path)
	}
	t := rep.Totals()
	if path, ok := c.runFile(rep, "problems", problemsSuffix(rep.Run), func(w io.Writer) error {
		return l.WriteProblemsCSV(ctx, w, rep.Run)
	}); ok {
		c.outf("  problems file (%s invalid, %s rejected, with reasons): %s", human.Int(t.Invalid), human.Int(t.Rejected), path)
	}
}

// runFile writes one of a run's files where the side files go.
func (c *cli) runFile(rep *pbnhl.Report, what, suffix string, write func(io.Writer) error) (string, bool) {
	path, err := c.sideFile(suffix)
	if err == nil {
		err = privatefile.Write(path, write)
	}
	if err != nil {
		c.progressf("%s: the %s file was not written: %v", rep.Phase, what, err)
		return "", false
	}
	return path, true
}
