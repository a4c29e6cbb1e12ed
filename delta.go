package pbnhl

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// Delta brings HighLevel to the source's current state after the full run:
// it reads what changed since each entity's watermark (minus
// Options.DeltaOverlap), skips records whose content digest equals what was
// last written, updates changed ones (their before-image journaled first, so
// Undo restores them), creates new ones, and handles deletions per
// Options.Deletions. A contact whose folded records (communication log,
// forms) changed is updated too.
func (m *Migration) Delta(ctx context.Context) (*Report, error) {
	since := map[string]time.Time{}
	for _, o := range m.opts.Map.Objects {
		if _, ok := since[o.Source]; ok {
			continue
		}
		wm, ok, err := m.opts.Ledger.Watermark(ctx, o.Source)
		if err != nil {
			return nil, fmt.Errorf("pbnhl: watermark of %s: %w", o.Source, err)
		}
		if !ok {
			if pbn.FileEntity(pbn.Entity(o.Source)) {
				// A report carries no change stamp: a delta reads every
				// row again and writes the records whose content changed,
				// so it needs no watermark (one comes only from a folder's
				// manifest) — only a full load that finished before it.
				loaded, err := m.fullLoadSucceeded(ctx)
				if err != nil {
					return nil, err
				}
				if !loaded {
					return nil, fmt.Errorf("%w (%s has none, and no full load of this ledger has finished: run it first)", ErrNoWatermark, o.Source)
				}
				since[o.Source] = time.Time{}
				continue
			}
			return nil, fmt.Errorf("%w (%s has none)", ErrNoWatermark, o.Source)
		}
		since[o.Source] = wm.Add(-m.opts.DeltaOverlap)
	}
	return m.loadKind(ctx, rollback.KindDelta, PhaseDelta, nil, since)
}

// fullLoadSucceeded reports whether a full load of the ledger finished.
func (m *Migration) fullLoadSucceeded(ctx context.Context) (bool, error) {
	runs, err := m.opts.Ledger.Runs(ctx)
	if err != nil {
		return false, fmt.Errorf("pbnhl: read the ledger's runs: %w", err)
	}
	for _, r := range runs {
		if r.Kind == rollback.KindFull && r.Status == rollback.StatusSucceeded {
			return true, nil
		}
	}
	return false, nil
}

func (m *Migration) deltaExecute(ctx context.Context, ph *phase) error {
	// Patients whose contact must be rewritten: changed patients, and
	// patients with a changed record folded into a contact field.
	extra := map[string]bool{}
	if len(m.objectsOf(pbn.EntityPatients)) > 0 {
		it, err := records(ctx, m.opts.Source, string(pbn.EntityPatients), ph.listOptions(string(pbn.EntityPatients)))
		if err != nil {
			return err
		}
		for r, err := range it {
			if err != nil {
				if isRowError(err) {
					continue
				}
				return fmt.Errorf("pbnhl: read patients: %w", err)
			}
			if id, ok := r.rec.Get("id"); ok {
				extra[id] = true
			}
		}
	}
	for _, o := range ph.p.order {
		if targetOf(o).role() != foldsRecords {
			continue
		}
		it, err := records(ctx, m.opts.Source, o.Source, ph.listOptions(o.Source))
		if err != nil {
			return err
		}
		for r, err := range it {
			if err != nil {
				if isRowError(err) {
					continue
				}
				return fmt.Errorf("pbnhl: read %s: %w", o.Source, err)
			}
			for _, l := range o.Lookups {
				if l.To == mapping.LinkContact {
					if k, ok := r.rec.Get(l.From); ok && k != "" && k != "0" {
						extra[k] = true
					}
				}
			}
		}
	}
	dels, err := ph.readDeletions(ctx)
	if err != nil {
		return err
	}
	// A deleted record folded into a contact field (a message in the
	// communication log) changes its contact: find the contact through the
	// note the same message became, and refold that patient.
	notes, err := ph.notePlaces(ctx, dels)
	if err != nil {
		return err
	}
	if len(notes) > 0 {
		patients := map[string]string{} // contact id → patient key
		for mp, err := range m.opts.Ledger.IDMap(ctx, rollback.TypeContact) {
			if err != nil {
				return fmt.Errorf("pbnhl: read id map: %w", err)
			}
			patients[mp.HighLevelID] = mp.SourceKey
		}
		for _, nt := range notes {
			if k, ok := patients[nt.contactID]; ok {
				extra[k] = true
			}
		}
	}
	ph.extraPatients = extra
	if err := ph.execute(ctx); err != nil {
		return err
	}
	return ph.deletions(ctx, dels, notes)
}

// notePlace is where a migrated record living under its contact (a
// message's note, a task) is: its contact and its own id.
type notePlace struct{ contactID, noteID string }

// notePlaces finds, among the journal's done creates, the records of
// deleted source records whose target keeps them under a contact (the
// journal has the contact; the id index does not hold them), keyed by
// record type and source key.
func (ph *phase) notePlaces(ctx context.Context, dels []pbn.Deletion) (map[string]notePlace, error) {
	keys := map[string]bool{}
	types := map[string]bool{}
	for _, d := range dels {
		for _, o := range ph.m.objectsOf(d.Entity) {
			if typ := o.RecordType(); typ != "" && targetOf(o).underContact() {
				keys[typ+"\x00"+string(d.ID)] = true
				types[typ] = true
			}
		}
	}
	out := map[string]notePlace{}
	if len(keys) == 0 {
		return out, nil
	}
	for e, err := range ph.m.opts.Ledger.Entries(ctx, rollback.EntryFilter{ObjectTypes: slices.Sorted(maps.Keys(types)), Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		if err != nil {
			return nil, fmt.Errorf("pbnhl: read journal: %w", err)
		}
		k := e.ObjectType + "\x00" + e.SourceKey
		if !keys[k] || e.Compensates != 0 {
			continue
		}
		switch e.Op {
		case rollback.OpCreate:
			out[k] = notePlace{contactID: e.TargetID, noteID: e.HighLevelID}
		case rollback.OpDelete:
			// Only the delete of that record: the duplicate sweep deletes
			// other records under the same key.
			if nt, ok := out[k]; ok && (e.TargetID == nt.noteID || e.TargetID == nt.contactID) {
				delete(out, k)
			}
		}
	}
	return out, nil
}

func (ph *phase) readDeletions(ctx context.Context) ([]pbn.Deletion, error) {
	var since time.Time
	first := true
	for _, t := range ph.since {
		if first || t.Before(since) {
			since, first = t, false
		}
	}
	var out []pbn.Deletion
	for d, err := range ph.m.opts.Source.Deletions(ctx, pbn.ListOptions{UpdatedSince: since}) {
		if err != nil {
			if isRowError(err) {
				continue
			}
			return nil, fmt.Errorf("pbnhl: read deletions: %w", err)
		}
		out = append(out, d)
	}
	return out, nil
}

// deletions applies the source's deletions feed per Options.Deletions.
func (ph *phase) deletions(ctx context.Context, dels []pbn.Deletion, notes map[string]notePlace) error {
	tr := ph.m.track(ph.name, "deletions", int64(len(dels)))
	defer func() { ph.addProgress(tr.finish()) }()
	for _, d := range dels {
		key := string(d.ID)
		for _, o := range ph.m.objectsOf(d.Entity) {
			if t := targetOf(o); t.underContact() {
				typ := o.RecordType()
				nt, ok := notes[typ+"\x00"+key]
				if !ok {
					continue
				}
				if ph.m.opts.Deletions != DeleteDeleted || !t.deletedWithSource() {
					tr.existing.Add(1)
					ph.report.KeptDeleted++
					continue
				}
				if err := ph.deleteRecord(ctx, o, tr, typ, key, nt.noteID, nt.contactID, d.DeletedAt); err != nil {
					return err
				}
				continue
			}
			typ := o.RecordType()
			if typ == "" {
				continue
			}
			if err := ph.idx.load(ctx, typ); err != nil {
				return err
			}
			r, ok := ph.idx.get(typ, key)
			if !ok {
				continue
			}
			if ph.m.opts.Deletions != DeleteDeleted || !targetOf(o).deletedWithSource() {
				tr.existing.Add(1)
				ph.report.KeptDeleted++
				continue
			}
			if err := ph.deleteRecord(ctx, o, tr, typ, key, r.id, "", d.DeletedAt); err != nil {
				return err
			}
		}
		tr.tick()
	}
	return nil
}

func (ph *phase) deleteRecord(ctx context.Context, o *mapping.Object, tr *tracker, typ, key, id, contactID string, at time.Time) error {
	if ph.dry {
		tr.written.Add(1)
		tr.calls.Add(2)
		ph.report.Deleted++
		return nil
	}
	before, err := ph.m.current(ctx, typ, id, contactID)
	tr.calls.Add(1)
	if errors.Is(err, highlevel.ErrNotFound) {
		ph.idx.forget(typ, key)
		tr.existing.Add(1) // already gone
		return nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		tr.rejected.Add(1)
		return nil
	}
	res, err := ph.m.journaledCall(ctx, ph.run, ph.m.deleteWrite(typ, key, o.Source, at, id, contactID, before))
	tr.calls.Add(int64(res.calls))
	if err != nil {
		return err
	}
	if res.rejected {
		tr.rejected.Add(1)
		return nil
	}
	ph.idx.forget(typ, key)
	tr.written.Add(1)
	ph.report.Deleted++
	return nil
}
