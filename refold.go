package pbnhl

import (
	"context"
	"iter"
	"log/slog"
	"time"

	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// refoldRecords streams every record of o's source entity that belongs to
// a patient a delta refolds (ph.extraPatients): a folded field (the
// communication log, form submissions) is rewritten whole, so each such
// patient's records are all needed, not only the changed ones.
//
// Two ways to read them, and the cheaper is taken, so a delta's time
// follows its work rather than the practice's size times the source's
// pacing:
//   - one read per patient (ListOptions.PatientID): one request each (more
//     for a patient with over a page), paced by the PbN limiter (20/s by
//     default) — 15 s for 300 patients per folded object, which is what a
//     delta that refolded most of a practice spent;
//   - one scan of the entity in pages of pbn.MaxPageSize, keeping the
//     patients' records: ceil(count / 1000) requests, count from the
//     source inventory the phase read.
//
// An export folder (anything but a REST client) is always scanned: a
// per-patient read of a CSV file reads the whole file, once per patient.
// The choice and its cost (reads, records, time) are logged at info level
// (pbn2hl -v shows it), one line per folded object, never a value.
func (ph *phase) refoldRecords(ctx context.Context, o *mapping.Object) iter.Seq2[srcRecord, error] {
	patients := ph.patientsToRefold()
	entity := pbn.Entity(o.Source)
	ph.m.mu.Lock()
	count := ph.m.counts[entity]
	ph.m.mu.Unlock()
	_, rest := ph.m.opts.Source.(*pbn.Client)
	scan := refoldByScan(rest, len(patients), count)
	return func(yield func(srcRecord, error) bool) {
		start := time.Now()
		reads, kept := 0, 0
		defer func() {
			mode := "per-patient"
			if scan {
				mode = "scan"
			}
			ph.m.log.LogAttrs(ctx, levelInfo, "refold read", attrObj(o.Name), slog.String("entity", o.Source),
				slog.String("mode", mode), attrCount("patients", len(patients)), attrCount("reads", reads),
				attrCount("records", kept), slog.Duration("took", time.Since(start)))
		}()
		if scan {
			reads = 1
			it, err := records(ctx, ph.m.opts.Source, o.Source, pbn.ListOptions{PageSize: pbn.MaxPageSize})
			if err != nil {
				yield(srcRecord{}, err)
				return
			}
			for r, err := range it {
				if err == nil {
					if id, _ := r.rec.Get("patientId"); !patients[id] {
						continue
					}
					kept++
				}
				if !yield(r, err) {
					return
				}
			}
			return
		}
		for key := range patients {
			pid, err := pbn.ParseKey(key)
			if err != nil || pid == pbn.NoKey {
				continue
			}
			reads++
			it, err := records(ctx, ph.m.opts.Source, o.Source, pbn.ListOptions{PatientID: pid})
			if err != nil {
				yield(srcRecord{}, err)
				return
			}
			for r, err := range it {
				if err == nil {
					kept++
				}
				if !yield(r, err) {
					return
				}
			}
		}
	}
}

// refoldByScan decides how refoldRecords reads: a scan when the source is
// not a REST client, or when it costs fewer requests than one read per
// patient. An unknown count (0) keeps per-patient reads: their cost is
// known, a scan's is not.
func refoldByScan(rest bool, patients int, count int64) bool {
	if !rest {
		return true
	}
	if count <= 0 {
		return false
	}
	pages := (count + pbn.MaxPageSize - 1) / pbn.MaxPageSize
	return int64(patients) > pages
}
