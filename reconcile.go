package pbnhl

import (
	"context"
	"fmt"
	"strings"

	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

// ReconcileOptions shape Migration.Reconcile.
type ReconcileOptions struct {
	// Full compares every contact (bucketed diff), counts every object
	// type and field by counted searches and checks random samples of
	// the custom object records, opportunities and relations (Deep: all
	// of them); otherwise only a sample of each object type is read back
	// by id. See reconcile.Options.Full.
	Full bool
	// Sample is how many records per object type are read back by id and
	// compared field by field (0: 20; negative: none).
	Sample int
	// NoSource skips reading the source: the report's source column stays
	// empty and no deletion kept in HighLevel is told from it.
	NoSource bool
	// Practice names the practice in the report's header.
	Practice string
	// Deep makes a full check read every related contact's relations,
	// every custom object record and every opportunity instead of random
	// samples (reconcile.Options.Deep): exact, at about one read per
	// contact.
	Deep bool
}

// Reconcile checks HighLevel against the ledger and the source (package
// reconcile): counts per object type (source / ledger / HighLevel), field
// population, relationship integrity, duplicates and a field-level diff.
// It fills reconcile.Options from what the Migration holds: the client
// and ledger, the external-id fields of the prepared location, the map
// digest, and the source's valid records per object type from one scan of
// the source through the map (Preflight's scan, without the rest of a
// preflight). A ledger key the source no longer has is counted as kept
// after its source deletion (the default deletion policy of a delta).
//
// It refuses a ledger of another location (ErrLedgerMismatch) and a ledger
// with intents left pending (ErrPendingIntents): settle them first by
// running the phase again. The check is recorded in the ledger as a run
// of kind rollback.KindReconcile with the calls it spent
// (rollback.Ledger.RunCalls); it writes nothing to HighLevel. HighLevel
// failing a step (5xx, 429 beyond the retries) gives a partial report
// (Report.Unchecked) rather than an error. With DryRun nothing is
// recorded.
func (m *Migration) Reconcile(ctx context.Context, opts ReconcileOptions) (*reconcile.Report, error) {
	p, err := m.prepare(ctx)
	if err != nil {
		return nil, err
	}
	if err := m.checkLedger(ctx, func(context.Context) (string, error) { return p.extField[rollback.TypeContact], nil }, verifyOnly); err != nil {
		return nil, err
	}
	if n, err := m.pendingIntents(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, &PendingIntentsError{Pending: n}
	}
	ro := m.reconcileOptions(p, opts)
	full, err := m.hasFullRun(ctx)
	if err != nil {
		return nil, err
	}
	// Against a ledger of samples only (a staging location) the source's
	// counts say nothing: most of the source was never meant to be sent.
	if !opts.NoSource && full {
		if ro.Source, ro.Kept, err = m.sourceCounts(ctx, p); err != nil {
			return nil, err
		}
	}
	var run *rollback.Run
	if !m.opts.DryRun {
		run, err = m.opts.Ledger.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindReconcile, MapDigest: p.digest, Location: m.location(), Actor: m.opts.Actor})
		if err != nil {
			return nil, fmt.Errorf("pbnhl: begin reconcile run: %w", err)
		}
	}
	rep, err := reconcile.Check(ctx, ro)
	if run != nil {
		jctx := context.WithoutCancel(ctx)
		status := rollback.StatusSucceeded
		switch {
		case ctx.Err() != nil:
			status = rollback.StatusCanceled
		case err != nil || !rep.Complete():
			status = rollback.StatusFailed
		}
		if rep != nil {
			if cerr := run.SetCalls(jctx, rep.Calls); cerr != nil && err == nil {
				err = fmt.Errorf("pbnhl: record the reconcile's calls: %w", cerr)
			}
		}
		if ferr := run.Finish(jctx, status); ferr != nil && err == nil {
			err = fmt.Errorf("pbnhl: finish reconcile run: %w", ferr)
		}
	}
	if err != nil {
		return rep, err
	}
	m.log.LogAttrs(ctx, levelInfo, "reconciled", attrCount("calls", rep.Calls), attrCount("differences", rep.Differences))
	return rep, nil
}

// pendingIntents counts the intents of data and schema runs whose outcome
// is pending or unknown (undo runs settle their own).
func (m *Migration) pendingIntents(ctx context.Context) (int, error) {
	runs, err := m.opts.Ledger.Runs(ctx)
	if err != nil {
		return 0, fmt.Errorf("pbnhl: list runs: %w", err)
	}
	undo := map[rollback.RunID]bool{}
	for _, r := range runs {
		if r.Kind == rollback.KindUndo {
			undo[r.ID] = true
		}
	}
	n := 0
	for e, err := range m.opts.Ledger.Pending(ctx, true) {
		if err != nil {
			return 0, fmt.Errorf("pbnhl: read pending intents: %w", err)
		}
		if !undo[e.Run] {
			n++
		}
	}
	return n, nil
}

// hasFullRun reports whether the ledger holds a full load (not undone).
func (m *Migration) hasFullRun(ctx context.Context) (bool, error) {
	runs, err := m.opts.Ledger.Runs(ctx)
	if err != nil {
		return false, fmt.Errorf("pbnhl: list runs: %w", err)
	}
	for _, r := range runs {
		if r.Kind == rollback.KindFull && r.Status != rollback.StatusUndone {
			return true, nil
		}
	}
	return false, nil
}

// sourceCounts scans the source through the map once (preflight's scan)
// and returns the valid records per ledger object type, and per type the
// ledger's keys the source no longer has at all — deleted there, kept in
// HighLevel.
func (m *Migration) sourceCounts(ctx context.Context, p *prepared) (map[string]int, map[string][]string, error) {
	r := &PreflightReport{Validation: &mapping.Report{}}
	sc, err := m.checkSource(ctx, m.opts.Map, p.order, r)
	if err != nil {
		return nil, nil, err
	}
	present := map[string]map[string]bool{} // record type → source keys
	typeOf := map[string]string{}           // object name → record type
	for _, o := range p.order {
		if typ := o.RecordType(); typ != "" && writes(o) {
			typeOf[o.Name] = typ
			if present[typ] == nil {
				present[typ] = map[string]bool{}
			}
		}
	}
	val := mapping.NewValidator(m.opts.Map, mapping.ValidatorOptions{})
	applier := p.applier
	if rv, err := m.relatedValues(ctx, m.opts.Map, sc.badEntity); err != nil { // related.go
		return nil, nil, err
	} else if rv != nil {
		applier = applier.WithRelated(rv)
	}
	if _, err := m.scanSource(ctx, applier, val, p.order, r, sc, scanHooks{
		valid: func(o *mapping.Object, pl *mapping.Payload) {
			if typ := typeOf[o.Name]; typ != "" {
				present[typ][pl.SourceKey] = true
			}
		},
	}); err != nil {
		return nil, nil, err
	}
	if len(r.Blocking) > 0 {
		return nil, nil, fmt.Errorf("pbnhl: the source cannot be read to count it: %s (or reconcile without the source)", r.Blocking[0])
	}
	for _, pr := range r.Validation.Problems() {
		if typ := typeOf[pr.Object]; typ != "" && pr.SourceKey != "" {
			present[typ][pr.SourceKey] = true // invalid now, but not deleted
		}
	}
	kept := map[string][]string{}
	for typ, keys := range present {
		for e, err := range m.opts.Ledger.IDMap(ctx, typ) {
			if err != nil {
				return nil, nil, fmt.Errorf("pbnhl: read the id map: %w", err)
			}
			if e.HighLevelID != "" && !keys[e.SourceKey] {
				kept[typ] = append(kept[typ], e.SourceKey)
			}
		}
	}
	return reconcile.SourceCounts(m.opts.Map, r.Validation), kept, nil
}

// ReconcileEstimate is the HighLevel reads Reconcile with opts would spend
// on a location that agrees with the ledger, from the ledger alone
// (reconcile.Estimate); reading the location's schema to know the
// external-id field costs the prepared migration's calls once.
func (m *Migration) ReconcileEstimate(ctx context.Context, opts ReconcileOptions) (int, error) {
	p, err := m.prepare(ctx)
	if err != nil {
		return 0, err
	}
	return reconcile.Estimate(ctx, m.opts.Ledger, m.reconcileOptions(p, opts))
}

// reconcileOptions is what Reconcile and ReconcileEstimate give package
// reconcile: one place, so the estimate prices the check that runs (it
// priced -deep as a sampled check, 138 reads for 478).
func (m *Migration) reconcileOptions(p *prepared, opts ReconcileOptions) reconcile.Options {
	ro := reconcile.Options{Client: m.opts.Client, Ledger: m.opts.Ledger, Full: opts.Full, Deep: opts.Deep, Sample: opts.Sample,
		Practice: opts.Practice, Location: m.location(), MapDigest: p.digest, Now: m.now,
		ContactExternalField: p.extField[rollback.TypeContact], OpportunityExternalField: p.extField[rollback.TypeOpportunity],
		RecordExternalFields: map[string]string{}}
	for _, o := range p.order {
		if typ := o.RecordType(); strings.HasPrefix(typ, rollback.RecordTypePrefix) && p.extField[typ] != "" {
			ro.RecordExternalFields[typ] = p.extField[typ]
		}
	}
	return ro
}
