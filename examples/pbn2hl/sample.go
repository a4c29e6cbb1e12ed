package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/internal/privatefile"
	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

// ---- sample → diff → approve-sample

type sampleFlags struct {
	records, patients int
	bodies, values    string
	report            string
	practice          string
	acceptDifferences bool
	skipSample        bool
}

// sampleReportSuffix names the report after the staging ledger when
// -report is not given: beside a ledger file, in -out-dir, or beside the
// map for a postgres:// ledger (sidefiles.go); never in the working
// directory by surprise.
const sampleReportSuffix = ".sample-report.json"

var sampleCmd = &command{
	name: "sample", summary: "load a stratified slice (default 200 records) into a staging location, read it back and diff it field by field",
	// A data phase uses every shared flag.
	source: true, hl: hlClient, ledger: true, mapFile: true, mutating: true, creates: true, writesLedger: true, validates: true,
	concurrent: true, progress: true, journaled: true, messages: true, company: true, fallback: true, actor: true, logs: true,
	setup: func(c *cli) {
		f := &c.opt.sample
		c.flags.IntVar(&f.records, "records", pbnhl.DefaultSampleRecords, "size of the slice in source records: patients spread over offices and statuses, each with all their appointments, procedures and treatment plans (at most 1.5× this); for a map of report files, rows: the patients' with the rows that lead to them")
		c.flags.IntVar(&f.patients, "patients", 0, "take exactly this many patients with all their records instead of -records")
		c.flags.StringVar(&f.report, "report", "", "write the diff (keys and field names, no value) as JSON to `FILE` (default: LEDGER"+sampleReportSuffix+" beside a ledger file, in -out-dir, or beside -map for a postgres:// ledger): approve-sample reads it")
		c.sideFileDirFlag()
		c.flags.StringVar(&f.values, "values", "", "also write both values of every sampled field side by side as HTML to `FILE` (mode 0600): it CONTAINS PATIENT DATA, for the practice's own reviewer")
		c.flags.StringVar(&f.practice, "practice", "", "the practice's `name`, for the values page's header")
		c.flags.StringVar(&f.bodies, "bodies", "", "write every body sent as JSONL to this file (mode 0600) for a field-level review: it holds PHI, keep it on the practice's machine")
	},
	run: runSample,
}

// runSample loads the slice (pbnhl's Migration.Sample, which reads it back
// and diffs it), prints the load and the diff — keys and field names only
// — and writes the report for approve-sample.
func runSample(ctx context.Context, c *cli) error {
	f := &c.opt.sample
	if f.records <= 0 && f.patients <= 0 {
		return usagef("-records or -patients must be positive")
	}
	c.progressf("sample: into location %s; give a staging location and its own ledger to keep production clean", c.cfg.location)
	mig, closeAll, err := c.migration(ctx, true, ledgerWrite, nil)
	if err != nil {
		return err
	}
	defer closeAll()
	rep, err := mig.Sample(ctx, pbnhl.SampleOptions{Records: f.records, Patients: f.patients, Values: f.values != ""})
	if rep != nil {
		if werr := c.phaseResult(rep); werr != nil && err == nil { // the report, or its JSON: profile.go
			return werr
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", pbnhl.PhaseSample, err)
	}
	if f.bodies != "" {
		if err := privatefile.Write(f.bodies, func(w io.Writer) error { return writeBodies(w, rep.Written) }); err != nil {
			return fmt.Errorf("write the bodies: %w", err)
		}
		c.progressf("sample: %d bodies written to %s", len(rep.Written), f.bodies)
	}
	s := rep.Sample
	if s == nil {
		return nil // a dry run: nothing written, nothing to diff
	}
	if err := s.WriteText(c.stdout); err != nil {
		return err
	}
	if f.report == "" {
		if f.report, err = c.sideFile(sampleReportSuffix); err != nil {
			return err
		}
	}
	if err := privatefile.Write(f.report, s.WriteJSON); err != nil {
		return fmt.Errorf("write the sample report: %w", err)
	}
	c.outf("sample: report written to %s (digest %s)", f.report, s.Digest)
	if f.values != "" {
		h := reconcile.SampleValuesHeader{Practice: f.practice, LocationID: s.LocationID, MapDigest: s.MapDigest, CreatedAt: s.CreatedAt}
		if err := privatefile.Write(f.values, func(w io.Writer) error { return reconcile.WriteSampleValuesHTML(w, s.Diff, h) }); err != nil {
			return fmt.Errorf("write the values page: %w", err)
		}
		c.outf("sample: both values of %d fields written to %s (mode 0600): it CONTAINS PATIENT DATA, keep it on the practice's machine and delete it after the review", len(s.Diff.Values), f.values)
	}
	switch {
	case s.Diff.Records == 0:
		c.outf("sample: nothing of this map was written here to compare: sample into a fresh staging location with its own ledger")
	case s.Diff.Agrees():
		c.outf("next: review the report, then sign it off in the production ledger: pbn2hl approve-sample -report %s -ledger PRODUCTION.ledger ...", f.report)
	default:
		c.outf("sample: %d fields differ and %d are missing: fix the map and sample again, or approve knowingly with approve-sample -accept-differences", s.Diff.Differed, s.Diff.Missing)
	}
	return nil
}

var approveSampleCmd = &command{
	name: "approve-sample", summary: "sign off a reviewed sample report in the ledger the full run uses (run refuses without one)",
	// A sign-off compares digests in the ledger: no record is read or
	// written, so no runner flags and no owners; -actor signs.
	source: true, hl: hlClient, ledger: true, mapFile: true, mutating: true, creates: true, writesLedger: true, actor: true, logs: true,
	setup: func(c *cli) {
		f := &c.opt.sample
		c.flags.StringVar(&f.report, "report", "", "the sample's report `FILE`, as sample wrote it (required)")
		c.flags.BoolVar(&f.acceptDifferences, "accept-differences", false, "approve a sample whose diff has differing or missing fields, knowingly")
	},
	run: runApproveSample,
}

// runApproveSample stamps who (-actor, default $USER), when, the report's
// digest and the map digest into the ledger (pbnhl's
// Migration.ApproveSample, which refuses a report of another map, an
// edited one, an empty one, and one with differences unless
// -accept-differences).
func runApproveSample(ctx context.Context, c *cli) error {
	f := &c.opt.sample
	if f.report == "" {
		return usagef("approve-sample needs -report FILE: the report sample wrote (LEDGER%s beside its ledger file, in its -out-dir, or beside -map for a postgres:// ledger, unless -report)", sampleReportSuffix)
	}
	fh, err := os.Open(f.report)
	if err != nil {
		return fmt.Errorf("approve-sample: %w", err)
	}
	rep, err := pbnhl.ReadSampleReport(fh)
	fh.Close()
	if err != nil {
		return fmt.Errorf("approve-sample: %s: %w", f.report, err)
	}
	mig, closeAll, err := c.migration(ctx, true, ledgerWrite, nil)
	if err != nil {
		return err
	}
	defer closeAll()
	a, err := mig.ApproveSample(ctx, rep, pbnhl.ApproveSampleOptions{Actor: c.cfg.actor, AcceptDifferences: f.acceptDifferences})
	if err != nil {
		return fmt.Errorf("approve-sample: %w", err)
	}
	c.outf("sample approved by %s at %s: report %s, map %s, %d records compared (%d matched, %d differed, %d missing fields)",
		a.Actor, a.At.UTC().Format("2006-01-02 15:04:05Z"), a.ReportDigest, a.MapDigest, rep.Diff.Records, rep.Diff.Matched, rep.Diff.Differed, rep.Diff.Missing)
	c.outf("next: pbn2hl run with this ledger and map (a changed map needs a new sample and approval)")
	return nil
}

// sampleStatus prints, for status, the sample sign-offs the ledger holds
// and the full runs started without one (-skip-sample).
func (c *cli) sampleStatus(ctx context.Context, l *rollback.Ledger, runs []rollback.RunInfo) {
	all, err := l.SampleApprovals(ctx)
	switch {
	case err != nil:
		c.outf("sample approvals: unreadable (%v)", err)
	case len(all) == 0:
		c.outf("sample approvals: none (run refuses without one, unless -skip-sample)")
	default:
		c.outf("sample approvals: %d", len(all))
		for _, a := range all {
			c.outf("  %s by %s: map %s, report %s", a.At.UTC().Format("2006-01-02 15:04:05"), a.Actor, a.MapDigest, a.ReportDigest)
		}
	}
	for _, r := range runs {
		if r.Kind != rollback.KindFull {
			continue
		}
		if skipped, err := l.SampleSkipped(ctx, r.ID); err == nil && skipped {
			c.outf("  run %d went without an approved sample (-skip-sample)", r.ID)
		}
	}
}
