package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/internal/human"
	"github.com/pbnhl/pbnhl/reconcile"
)

// reconciled checks the location with pbnhl's Migration.Reconcile — what
// a program against a real HighLevel calls; nothing here reads the
// simulator's internals — prints the report's summary, and fails the
// demo when HighLevel does not match the ledger.
func (d *demo) reconciled(ctx context.Context, when string) (*reconcile.Report, error) {
	rep, err := d.mig.Reconcile(ctx, pbnhl.ReconcileOptions{Full: true, Practice: "the demo practice"})
	if err != nil {
		return nil, fmt.Errorf("reconcile %s: %w", when, err)
	}
	d.say("Reconcile %s (Migration.Reconcile, a ledger run of kind reconcile; every contact and record compared): %s HighLevel reads.",
		when, human.Int(rep.Calls))
	d.say("  %-24s %8s %8s %6s %7s %8s %9s", "object type", "source", "rejected", "kept", "deleted", "ledger", "HighLevel")
	for _, c := range rep.Counts {
		src := "-"
		if c.Source >= 0 {
			src = human.Int(c.Source)
		}
		mark := "✓"
		if !c.OK() {
			mark = "✗ " + c.Status()
		}
		d.say("  %-24s %8s %8s %6s %7s %8s %9s  %s", strings.TrimPrefix(c.ObjectType, "custom_objects."), src, human.Int(c.Rejected),
			human.Int(c.Kept), human.Int(c.Deleted), human.Int(c.Ledger), human.Int(c.HighLevel), mark)
	}
	for _, in := range rep.Integrity {
		mark := "✓"
		if len(in.Orphans) > 0 || in.Found != in.Expected {
			mark = fmt.Sprintf("✗ %d orphans", len(in.Orphans))
		}
		d.say("  %-60s %8s of %8s  %s", in.Check, human.Int(in.Found), human.Int(in.Expected), mark)
	}
	compared, records := rep.Sample.Fields, rep.Sample.Records
	for _, x := range []*reconcile.Diff{rep.Buckets, rep.Records} {
		if x != nil {
			compared += x.Fields
			records += x.Records
		}
	}
	d.say("  fields compared with the bodies sent: %s over %s records; external ids held twice: %d; differences: %d.",
		human.Int(compared), human.Int(records), len(rep.Duplicates), rep.Differences)
	d.say("  Verdict: %s.", rep.Verdict)
	if !rep.LedgerMatches() || rep.SourceDifferences > 0 {
		return rep, fmt.Errorf("reconcile %s: %s (the ledger %s and problems.csv say more)", when, rep.Verdict, d.ledgerShown())
	}
	return rep, nil
}
