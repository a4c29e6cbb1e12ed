package main

import (
	"context"
	"fmt"
	"io"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/internal/privatefile"
	"github.com/pbnhl/pbnhl/rollback"
)

// successSuffix names a run's success file after its ledger
// ("migration.ledger-run3-success.csv"); where it goes: sideFile.
func successSuffix(run rollback.RunID) string {
	return fmt.Sprintf("-run%d-success.csv", run)
}

// writeSuccess writes the success file of a run or delta (source entity,
// source key, HighLevel type and id, action; pbnhl.WriteSuccessCSV) and
// says where. A full run's file also lists the records an earlier run
// already put in HighLevel (unchanged), so it covers the practice; a
// delta's lists what the delta did. A dry run writes none. Keys and ids
// only: the file holds no record content; it is owner-only all the same,
// like the ledger beside it.
func (c *cli) writeSuccess(ctx context.Context, l *rollback.Ledger, rep *pbnhl.Report) {
	if l == nil || rep.DryRun || rep.Run == 0 || c.cfg.ledger == "" || (rep.Phase != pbnhl.PhaseRun && rep.Phase != pbnhl.PhaseDelta) {
		return
	}
	path, err := c.sideFile(successSuffix(rep.Run))
	if err != nil {
		c.progressf("%s: the success file was not written: %v", rep.Phase, err)
		return
	}
	opts := pbnhl.SuccessOptions{Unchanged: rep.Phase == pbnhl.PhaseRun}
	err = privatefile.Write(path, func(w io.Writer) error {
		return pbnhl.WriteSuccessCSV(ctx, w, l, []rollback.RunID{rep.Run}, opts)
	})
	if err != nil {
		// The run itself succeeded; the file can be made again from the
		// ledger, so this is a warning, not a failure.
		c.progressf("%s: the success file was not written: %v", rep.Phase, err)
		return
	}
	c.outf("  success file (source key → HighLevel id, action): %s", path)
}
