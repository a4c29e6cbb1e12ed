package reconcile

import (
	"context"

	"github.com/pbnhl/pbnhl/highlevel"
)

// scanRecords compares custom object records in a full run. HighLevel
// offers no range filter or sort on record properties, so buckets cannot be
// fingerprinted there; but a search page returns 100 whole records, so a
// scan costs one call per 100 records and compares every field of each.
// Deep scans every type; otherwise a type whose count agrees with the
// ledger's is compared over the random page read with its count (a
// sample, no further call), and one whose count differs is scanned whole
// to name the records missing or extra.
func (r *run) scanRecords(ctx context.Context) error {
	if !r.opts.Full {
		return nil
	}
	d := &Diff{}
	for _, typ := range r.x.types {
		if k := kindOf(typ); k == nil || !k.scanned {
			continue
		}
		// Population over the records this step reads, not the
		// sample's by id: the page, or the whole scan.
		delete(r.stored, typ)
		delete(r.sentRead, typ)
		delete(r.read, typ)
		if page, ok := r.recPages[typ]; ok && !r.opts.Deep && r.countAgrees(typ) {
			r.popBy[typ] = byPage
			if err := r.samplePage(ctx, d, typ, page); err != nil {
				return err
			}
			continue
		}
		want := map[string]*record{}
		for _, rec := range r.x.records[typ] {
			want[rec.HighLevelID] = rec
		}
		r.popBy[typ] = byEvery
		n := 0
		prop := r.extFields[typ]
		for got, err := range r.c.Objects.SearchRecords(ctx, typ, highlevel.RecordSearch{PageLimit: 100}) {
			if err != nil {
				return err
			}
			n++
			rec := want[got.ID]
			if rec == nil {
				// Not the ledger's: its external id names the source
				// record it copies, if any (a duplicate).
				key := ""
				if prop != "" {
					key = keyText(got.Properties[prop])
					r.dups.add(typ, key, got.ID)
				}
				d.Differences = append(d.Differences, Difference{ObjectType: typ, SourceKey: key, HighLevelID: got.ID, Kind: KindExtra})
				continue
			}
			delete(want, got.ID)
			if prop != "" {
				r.dups.add(typ, rec.SourceKey, got.ID)
			}
			if err := r.compare(ctx, d, typ, rec, recordBack(got)); err != nil {
				return err
			}
		}
		d.Calls += n/100 + 1
		d.RecordsRead += n
		for _, rec := range r.x.records[typ] {
			if want[rec.HighLevelID] != nil {
				d.Differences = append(d.Differences, Difference{ObjectType: typ, SourceKey: rec.SourceKey, HighLevelID: rec.HighLevelID, Kind: KindMissing})
				d.Records++
			}
		}
	}
	if d.Records > 0 || len(d.Differences) > 0 {
		r.rep.Records = d
		r.calls += d.Calls
	}
	return nil
}

// countAgrees reports whether HighLevel's count of typ is the ledger's.
func (r *run) countAgrees(typ string) bool {
	for _, c := range r.rep.Counts {
		if c.ObjectType == typ {
			return c.HighLevel == c.Ledger
		}
	}
	return false
}

// samplePage compares the records of the random page read with typ's
// count: each field of each against its mapped body; a record the ledger
// does not map is extra (its count agreed, so one of the ledger's is
// missing too, outside the page unless Deep).
func (r *run) samplePage(ctx context.Context, d *Diff, typ string, page []*highlevel.Record) error {
	prop := r.extFields[typ]
	d.SampledOf += len(r.x.records[typ])
	for _, got := range page {
		d.RecordsRead++
		rec := r.x.byHLID[got.ID]
		if rec == nil || rec.Type != typ {
			key := ""
			if prop != "" {
				key = keyText(got.Properties[prop])
				r.dups.add(typ, key, got.ID)
			}
			d.Differences = append(d.Differences, Difference{ObjectType: typ, SourceKey: key, HighLevelID: got.ID, Kind: KindExtra})
			continue
		}
		if prop != "" {
			r.dups.add(typ, rec.SourceKey, got.ID)
		}
		d.Sampled++
		if err := r.compare(ctx, d, typ, rec, recordBack(got)); err != nil {
			return err
		}
	}
	return nil
}
