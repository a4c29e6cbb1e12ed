package pbnhl

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// Load is the full load, in dependency order: businesses → contacts (custom
// fields, tags, owner, external id and the folded JSON fields in the one
// create call) → business links (bulk, one call per 100 contacts) → custom
// object records and their relations → opportunities → notes and tasks.
//
// It is resumable: run it again after a crash or a cancellation and it
// first resolves what the interrupted run left unknown (by looking records
// up by their external id), then skips everything the id map holds and
// writes the rest. Records are never created twice.
//
// With Options.RequireSampleApproval it first checks the ledger for a
// sample approval of the current map (ApproveSample) and refuses with
// ErrSampleNotApproved without one, unless Options.SkipSample, which the
// run journals (sample_approval.go). A dry run writes nothing and needs
// none.
func (m *Migration) Load(ctx context.Context) (*Report, error) {
	if err := m.checkSampleApproval(ctx); err != nil {
		return nil, err
	}
	return m.loadKind(ctx, rollback.KindFull, PhaseRun, nil, nil)
}

// SampleOptions shape a sample.
type SampleOptions struct {
	// Records is the size of the slice in source records — patients with
	// their appointments, procedures and treatment plans (default 200).
	// Patients are taken in stratified order while the slice stays within
	// MaxRecords, until it holds Records; a practice smaller than that is
	// taken whole.
	Records int
	// MaxRecords caps the slice (default 1.5 × Records): a patient whose
	// history would take the slice past it is passed over for the next.
	MaxRecords int
	// Patients, when set, takes exactly that many patients with all their
	// records instead, whatever their number.
	Patients int
	// Values keeps both values of every compared field (PHI) in
	// SampleReport.Diff.Values, for reconcile.WriteSampleValuesHTML.
	Values bool
}

// DefaultSampleRecords is the default slice: within the 100–300 records
// the migration spec asks of a sample.
const DefaultSampleRecords = 200

// Sample loads a stratified slice of the practice — patients spread over
// offices and statuses, each with all their records, plus the businesses and
// reference records they need — then reads every record the sample wrote
// back from HighLevel and diffs it field by field (Report.Sample, a
// *SampleReport: per object and field matched/differed/missing with the
// source keys, no value). Point the Migration at a staging location (with
// its own ledger) to keep the sample apart; in the production location the
// full run skips what the sample already wrote. A person reviews the diff
// and signs it off (ApproveSample) in the ledger the full run uses.
//
// A map reading a practice system's reports as they are (pbn2hl propose
// -files) samples the rows of its contacts' report, spread over the
// offices they name, each with the rows of the other reports whose
// lookups lead to it (an appointment naming the patient, a procedure
// naming that appointment); reports no patient owns load whole.
//
// The diff covers every record whose last write was in a sample run of
// this map and location, so a sample run again after an interruption still
// diffs the whole slice. It costs one read per record (and two listings to
// name custom fields). A dry run writes and diffs nothing.
func (m *Migration) Sample(ctx context.Context, opts SampleOptions) (*Report, error) {
	sel, how, err := m.selectSample(ctx, opts)
	if err != nil {
		return nil, err
	}
	rep, err := m.loadKind(ctx, rollback.KindSample, PhaseSample, sel, nil)
	if err != nil || m.opts.DryRun {
		return rep, err
	}
	if rep.Sample, err = m.diffSample(ctx, how, opts.Values); err != nil {
		return rep, err
	}
	return rep, nil
}

// selectSample picks the sample's patients and says how it chose them.
func (m *Migration) selectSample(ctx context.Context, opts SampleOptions) (*sampleSlice, SampleSelection, error) {
	// A map reading a practice system's reports as they are (pbn2hl
	// propose -files) has no patient entity: its slice is told by the
	// map's lookups (sample_reports.go).
	if m.readsReports() {
		return m.selectReportSample(ctx, opts)
	}
	order, err := m.stratifiedPatients(ctx)
	if err != nil {
		return nil, SampleSelection{}, err
	}
	if opts.Patients > 0 {
		sel := map[string]bool{}
		for _, id := range order[:min(opts.Patients, len(order))] {
			sel[id] = true
		}
		return &sampleSlice{patients: sel}, SampleSelection{Patients: len(sel), Rule: fmt.Sprintf("%d patients asked, spread over offices and statuses, each with all their records", opts.Patients)}, nil
	}
	if opts.Records <= 0 {
		opts.Records = DefaultSampleRecords
	}
	if opts.MaxRecords < opts.Records {
		opts.MaxRecords = opts.Records + opts.Records/2
	}
	per, err := m.recordsPerPatient(ctx)
	if err != nil {
		return nil, SampleSelection{}, err
	}
	sel := map[string]bool{}
	total := 0
	for _, id := range order {
		if total >= opts.Records {
			break
		}
		n := 1 + per[id]
		if total+n > opts.MaxRecords {
			continue // a long history: the next patient fits better
		}
		sel[id] = true
		total += n
	}
	return &sampleSlice{patients: sel}, SampleSelection{Patients: len(sel), Records: total,
		Rule: fmt.Sprintf("patients spread over offices and statuses, each with all their appointments, procedures and treatment plans, until the slice holds %d records (at most %d)", opts.Records, opts.MaxRecords)}, nil
}

// stratifiedPatients orders the patients round-robin over (office,
// status) strata, in id order within a stratum, so any prefix represents
// every office and status.
func (m *Migration) stratifiedPatients(ctx context.Context) ([]string, error) {
	strata := map[string][]string{}
	var names []string
	for p, err := range m.opts.Source.Patients(ctx, pbn.ListOptions{}) {
		if err != nil {
			if isRowError(err) {
				continue
			}
			return nil, fmt.Errorf("pbnhl: read patients: %w", err)
		}
		k := officeStratum(p.OfficeID) + "/" + string(p.Status)
		if _, ok := strata[k]; !ok {
			names = append(names, k)
		}
		strata[k] = append(strata[k], string(p.ID))
	}
	slices.Sort(names)
	var order []string
	for i := 0; ; i++ {
		added := false
		for _, k := range names {
			if i < len(strata[k]) {
				order = append(order, strata[k][i])
				added = true
			}
		}
		if !added {
			return order, nil
		}
	}
}

// recordsPerPatient counts each patient's appointments, procedures and
// treatment plans in the source: the history a sampled patient brings.
func (m *Migration) recordsPerPatient(ctx context.Context) (map[string]int, error) {
	per := map[string]int{}
	count := func(what string, seq func(func(pbn.Key) bool) error) error {
		if err := seq(func(id pbn.Key) bool { per[string(id)]++; return true }); err != nil {
			return fmt.Errorf("pbnhl: read %s: %w", what, err)
		}
		return nil
	}
	src := m.opts.Source
	if err := count("appointments", func(f func(pbn.Key) bool) error {
		return each(src.Appointments(ctx, pbn.ListOptions{}), func(a pbn.Appointment) pbn.Key { return a.PatientID }, f)
	}); err != nil {
		return nil, err
	}
	if err := count("procedures", func(f func(pbn.Key) bool) error {
		return each(src.Procedures(ctx, pbn.ListOptions{}), func(p pbn.Procedure) pbn.Key { return p.PatientID }, f)
	}); err != nil {
		return nil, err
	}
	if err := count("treatment plans", func(f func(pbn.Key) bool) error {
		return each(src.TreatmentPlans(ctx, pbn.ListOptions{}), func(p pbn.TreatmentPlan) pbn.Key { return p.PatientID }, f)
	}); err != nil {
		return nil, err
	}
	return per, nil
}

// each feeds the patient id of every readable record to f; rows the
// source cannot parse are skipped, as the load skips them.
func each[T any](seq iter.Seq2[T, error], patient func(T) pbn.Key, f func(pbn.Key) bool) error {
	for v, err := range seq {
		if err != nil {
			if isRowError(err) {
				continue
			}
			return err
		}
		if !f(patient(v)) {
			return nil
		}
	}
	return nil
}

// loadKind runs a data phase.
func (m *Migration) loadKind(ctx context.Context, kind rollback.RunKind, name string, sel *sampleSlice, since map[string]time.Time) (*Report, error) {
	start := m.now()
	p, err := m.prepareRun(ctx, since) // the related rules' index read for this run
	if err != nil {
		return nil, err
	}
	if err := m.checkLedgerPrepared(ctx, p); err != nil { // one ledger per location (identity.go)
		return nil, err
	}
	inv, err := m.opts.Source.Inventory(ctx)
	if err != nil {
		return nil, fmt.Errorf("pbnhl: source inventory: %w", err)
	}
	m.mu.Lock()
	m.counts = inv.Counts
	m.mu.Unlock()
	// The watermark is the source's own clock read before the scan. The
	// migration host's clock would be wrong for an export read days after it
	// was taken (changes made in between would never reach a delta), so a
	// source that tells no time leaves the watermark where it was.
	scanAt := inv.ServerTime
	if kind == rollback.KindFull && !m.opts.DryRun {
		// Preflight's source checks, so a run never goes on silently when
		// the source would not migrate (preflight_gate.go).
		if err := m.gateSource(ctx, p); err != nil {
			return nil, err
		}
	}
	var run *rollback.Run
	if !m.opts.DryRun {
		if run, err = m.beginRun(ctx, kind, p.digest); err != nil {
			return nil, err
		}
		if kind == rollback.KindFull && m.opts.SkipSample {
			// Knowingly without an approved sample: the audit trail says so.
			if err := run.SkipSample(ctx); err != nil {
				return nil, m.finishRun(ctx, run, fmt.Errorf("pbnhl: journal the skipped sample: %w", err))
			}
			m.log.LogAttrs(ctx, levelWarn, "full run without an approved sample (SkipSample)", attrRun(int64(run.ID())))
		}
	}
	ph, err := m.newPhase(ctx, p, name, run)
	if err != nil {
		return nil, m.finishRun(ctx, run, err)
	}
	if m.opts.DryRun {
		if ph.dryRun, err = m.beginDryRun(ctx, p.digest); err != nil {
			return nil, err
		}
		if ph.dryRun != nil {
			ph.report.DryRunRecord = ph.dryRun.ID()
		}
		defer func() { _ = m.finishDryRun(ctx, ph.dryRun, err) }() // err: the phase's outcome
	}
	ph.selection, ph.since = sel, since
	ph.collectAll = kind == rollback.KindSample
	if ph.mid, err = m.migrationID(ctx); err != nil {
		if !m.opts.DryRun {
			return nil, m.finishRun(ctx, run, err)
		}
		ph.mid = "(migration id)" // a dry run of a new ledger: no run yet
	}
	if !m.opts.DryRun {
		mark := func(e rollback.Entry, payload []byte) {
			ph.markSweep(e.ObjectType, e.SourceKey, e.Entity, e.TargetID, payload, e.IntentAt)
		}
		// Links settled by lookup are done in the ledger, which relate
		// reads: the phase does not make them again.
		if ph.report.Resolved, err = m.resolvePending(ctx, p, ph.idx, ph.mid, mark); err != nil {
			return nil, m.finishRun(ctx, run, err)
		}
	}
	m.log.LogAttrs(ctx, levelInfo, "phase started", attrObj(name), attrRun(int64(ph.report.Run)))
	if kind == rollback.KindDelta {
		err = m.deltaExecute(ctx, ph)
	} else {
		err = ph.execute(ctx)
	}
	if err == nil {
		err = ph.settleLeft(ctx)
	}
	if err == nil {
		err = ph.sweepDuplicates(ctx)
	}
	if err == nil && run != nil && kind != rollback.KindSample {
		if scanAt.IsZero() {
			m.log.LogAttrs(ctx, levelWarn, "source reports no time: watermark not advanced, a delta needs a source that does (REST serverTime or an export manifest)", attrObj(name))
		} else {
			err = m.advance(ctx, run, p, scanAt)
		}
	}
	ph.report.Duration = m.now().Sub(start)
	if ferr := m.finishRun(ctx, run, err); ferr != nil {
		return ph.report, ferr
	}
	hits, misses := ph.idx.stats()
	m.log.LogAttrs(ctx, levelInfo, "phase finished", attrObj(name), attrRun(int64(ph.report.Run)),
		attrCount("index_cache_hits", int(hits)), attrCount("index_cache_misses", int(misses)))
	return ph.report, nil
}

// beginRun resumes the latest run of this kind that a crash left running
// (so one interrupted load stays one run in the ledger), or begins one.
func (m *Migration) beginRun(ctx context.Context, kind rollback.RunKind, digest string) (*rollback.Run, error) {
	runs, err := m.opts.Ledger.Runs(ctx)
	if err != nil {
		return nil, fmt.Errorf("pbnhl: list runs: %w", err)
	}
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		if r.Kind != kind || r.MapDigest != digest || r.Location != m.location() {
			continue
		}
		// The latest such run decides: one a killed process left (running,
		// or closed as interrupted by a later BeginRun) is taken up, so an
		// interrupted load stays one run with one outcome per record; a
		// finished one means a new run.
		if r.Status == rollback.StatusRunning || r.Status == rollback.StatusInterrupted {
			run, err := m.opts.Ledger.ResumeRun(ctx, r.ID)
			if err != nil {
				return nil, fmt.Errorf("pbnhl: resume run %s: %w", r.ID, err)
			}
			m.log.LogAttrs(ctx, levelInfo, "resuming run", attrRun(int64(r.ID)))
			return run, nil
		}
		break
	}
	run, err := m.opts.Ledger.BeginRun(ctx, rollback.RunOptions{Kind: kind, MapDigest: digest, Location: m.location(), Actor: m.opts.Actor})
	if err != nil {
		return nil, fmt.Errorf("pbnhl: begin run: %w", err)
	}
	return run, nil
}

// finishRun records the run's status. A cancelled phase is left running so
// the next phase of the same kind resumes it; a failure is recorded.
func (m *Migration) finishRun(ctx context.Context, run *rollback.Run, err error) error {
	if run == nil {
		return err
	}
	if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return err
	}
	var dl *DailyLimitError
	if errors.As(err, &dl) {
		return err // left running: resumed after the reset
	}
	var ue *unsettledError
	if errors.As(err, &ue) {
		return err // left running: the next phase of this kind settles it
	}
	status := rollback.StatusSucceeded
	if err != nil {
		status = rollback.StatusFailed
	}
	if ferr := run.Finish(context.WithoutCancel(ctx), status); ferr != nil && err == nil {
		return fmt.Errorf("pbnhl: finish run: %w", ferr)
	}
	return err
}

// advance moves every loaded entity's watermark to the source's clock at
// the start of the scan: a delta re-reads from there (minus the overlap).
// Rollback never moves it past a record of this run that failed.
func (m *Migration) advance(ctx context.Context, run *rollback.Run, p *prepared, at time.Time) error {
	seen := map[string]bool{}
	for _, o := range p.order {
		if seen[o.Source] {
			continue
		}
		seen[o.Source] = true
		if _, err := run.Advance(ctx, o.Source, at); err != nil {
			return fmt.Errorf("pbnhl: advance watermark of %s: %w", o.Source, err)
		}
	}
	return nil
}

// objectsOf returns the map objects reading a source entity.
func (m *Migration) objectsOf(entity pbn.Entity) []*mapping.Object {
	var out []*mapping.Object
	for i := range m.opts.Map.Objects {
		if pbn.Entity(m.opts.Map.Objects[i].Source) == entity {
			out = append(out, &m.opts.Map.Objects[i])
		}
	}
	return out
}

// settleLeft settles, before a phase may succeed, every intent of its run
// still pending or unknown: a write whose answer was lost and whose lookup
// kept failing, business links whose attempts ran out, an intent an
// earlier killed attempt of the same run journaled. Each is looked up by
// identity after its horizon, as at the start of a phase. A phase never
// reports success with such an intent left: one that cannot be settled,
// or one found not applied (a record, link or update still to make),
// fails the phase, and running it again settles or makes it.
func (ph *phase) settleLeft(ctx context.Context) error {
	if ph.dry || ph.run == nil {
		return nil
	}
	id := ph.run.ID()
	mark := func(e rollback.Entry, payload []byte) {
		ph.markSweep(e.ObjectType, e.SourceKey, e.Entity, e.TargetID, payload, e.IntentAt)
	}
	n, missing, err := ph.m.settlePending(ctx, ph.p, ph.idx, ph.mid, mark, func(e rollback.Entry) bool { return e.Run == id })
	ph.mu.Lock()
	ph.report.Resolved += n
	ph.mu.Unlock()
	if err != nil {
		return err
	}
	left := 0
	for e, err := range ph.m.opts.Ledger.Pending(ctx, true) {
		if err != nil {
			return fmt.Errorf("pbnhl: read pending intents: %w", err)
		}
		if e.Run == id {
			left++
		}
	}
	if left > 0 {
		return &unsettledError{msg: fmt.Sprintf("pbnhl: %d intents of run %d are still pending or unknown and cannot be settled by lookup; the phase is not complete: run it again", left, id)}
	}
	if missing > 0 {
		return &unsettledError{msg: fmt.Sprintf("pbnhl: %d writes of run %d whose outcome was unknown were found not applied after their horizon; run the phase again to make them", missing, id)}
	}
	return nil
}

// officeStratum names a patient's office in the sample's strata: the key,
// or "0" for none (as the numeric ids wrote it, so samples keep their order).
func officeStratum(k pbn.Key) string {
	if k == pbn.NoKey {
		return "0"
	}
	return string(k)
}
