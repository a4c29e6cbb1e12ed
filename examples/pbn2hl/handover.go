package main

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/pbnhl/pbnhl/handover"
)

// ---- handover

var handoverCmd = &command{
	name: "handover", summary: "write the handover pack: KPI structure and history, cohorts, the workflow rebuild guide and the cutover sheet (no patient data)",
	source: true, hl: hlClient, ledger: true, mapFile: true, logs: true,
	setup: func(c *cli) {
		// The command's own flags are read back with Lookup in run: they
		// need no field in the shared options.
		c.flags.String("out", "", "write the pack into this `DIR` (created when missing; the pack's files are replaced)")
		c.flags.String("practice", "", "the practice's `name`, for the pages' titles")
	},
	run: runHandover,
}

// runHandover writes the pack from the source, with what is given of the
// approved map (-map: merge fields and KPI inputs resolved through it), the
// ledger (-ledger: counts and the delta window) and HighLevel (-location
// and its token: one count per tagged cohort).
func runHandover(ctx context.Context, c *cli) error {
	out := c.flags.Lookup("out").Value.String()
	if out == "" {
		return usagef("-out DIR is required: the folder the pack is written into")
	}
	src, err := c.source()
	if err != nil {
		return err
	}
	in := handover.Inputs{Source: src, Practice: c.flags.Lookup("practice").Value.String()}
	if c.cfg.mapPath != "" {
		if in.Map, err = c.loadMap(true); err != nil {
			return err
		}
	}
	if c.cfg.ledger != "" {
		l, err := c.openLedger(ctx, ledgerRead)
		if err != nil {
			return err
		}
		defer l.Close()
		in.Ledger = l
	}
	if c.hasHL() {
		if in.HighLevel, err = c.highLevel(); err != nil {
			return err
		}
	}
	p, err := handover.Write(ctx, out, in)
	if err != nil {
		return err
	}
	rebuildable, checked := 0, 0
	for _, k := range p.KPIs {
		if k.Rebuild != handover.NotComputable {
			rebuildable++
		}
	}
	for _, co := range p.Cohorts {
		if strings.HasPrefix(co.Checked, "checked") {
			checked++
		}
	}
	c.outf("handover pack written to %s (%d files: %s)", out, len(p.Files), strings.Join(p.Files, ", "))
	c.outf("  KPIs: %d (%d can be rebuilt in HighLevel, the rest stay exported), %d values of history", len(p.KPIs), rebuildable, p.KPIValues)
	c.outf("  cohorts: %d (%d counted in HighLevel)", len(p.Cohorts), checked)
	c.outf("  automations: %d, rebuild checklist in %s", len(p.Automations), filepath.Join(out, handover.FileGuideMD))
	if !p.Cutover.LedgerRead {
		c.outf("  cutover sheet without counts: give -ledger to count what moved")
	}
	c.outf("  open %s first", filepath.Join(out, handover.FileCutoverMD))
	return nil
}
