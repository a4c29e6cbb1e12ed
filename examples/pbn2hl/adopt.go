package main

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/internal/human"
)

// ---- adopt

var adoptCmd = &command{
	name: "adopt", summary: "recover a lost ledger: rebuild its id map from the location by identity, writing nothing to HighLevel",
	// It reads one call at a time and writes only the ledger: no runner
	// flags; it resolves owners (the load's prepare).
	source: true, hl: hlClient, ledger: true, mapFile: true, mutating: true, creates: true, writesLedger: true, company: true, fallback: true,
	actor: true, logs: true,
	run: runAdopt,
}

// runAdopt calls pbnhl's Migration.Adopt: the library finds the migrated
// records by their external ids and identity lines and journals them in a
// run of kind adopt; the tool only reports.
func runAdopt(ctx context.Context, c *cli) error {
	mig, closeAll, err := c.migration(ctx, true, ledgerWrite, nil)
	if err != nil {
		return err
	}
	defer closeAll()
	rep, err := mig.Adopt(ctx)
	if err != nil {
		return fmt.Errorf("adopt: %w", err)
	}
	c.outf("adopt run %d: the id map of %s rebuilt from location %s in %s; nothing was written to HighLevel", rep.Run, c.cfg.ledger,
		c.cfg.location, human.Duration(rep.Duration))
	switch {
	case rep.Owned:
		c.outf("  the location names migration %s: this ledger continues it, and undo may delete what it created", rep.MigrationID)
	case rep.MigrationID != "":
		c.outf("  migration %s", rep.MigrationID)
	default:
		c.outf("  the location names no migration: the records found are recorded as adopted, and undo leaves them in place")
	}
	adoptCounts(c, rep)
	if rep.Settled > 0 {
		c.outf("  %d records an interrupted adopt had left unsettled were settled", rep.Settled)
	}
	c.outf("next: pbn2hl run ... -ledger %s creates only what is missing, then pbn2hl delta picks up what changed since", c.cfg.ledger)
	return nil
}

// adoptCounts prints found / known / duplicates per object type.
func adoptCounts(c *cli, rep *pbnhl.AdoptReport) {
	types := map[string]bool{}
	for _, m := range []map[string]int{rep.Found, rep.Known, rep.Duplicates} {
		for k := range m {
			types[k] = true
		}
	}
	if len(types) == 0 {
		c.outf("  no migrated record found in the location")
		return
	}
	c.outf("  %-36s %8s %8s %10s", "object type", "found", "known", "duplicates")
	for _, k := range slices.Sorted(maps.Keys(types)) {
		c.outf("  %-36s %8s %8s %10s", k, human.Int(rep.Found[k]), human.Int(rep.Known[k]), human.Int(rep.Duplicates[k]))
	}
	dups := 0
	for _, n := range rep.Duplicates {
		dups += n
	}
	if dups > 0 {
		c.outf("  %d identities are held by more than one object in HighLevel: the oldest is recorded; the reconcile report lists the others", dups)
	}
}
