package reconcile

import (
	"context"

	"github.com/pbnhl/pbnhl/rollback"
)

// Estimate is the HighLevel calls a Run with opts would spend on a
// location that agrees with the ledger, told from the ledger alone (it
// makes no call): the field listings, a count per object type (listings
// of 100 for businesses and opportunities), the sample's reads by id and
// its relation listings, one fingerprint per top-level bucket, the scan of
// custom object records by pages of 100, a count per business, a relation
// listing per related contact read (a sample unless Deep) and a count
// per contact field for the population. Each difference found costs a few more (halved buckets,
// leaf reads, listings naming orphans), so a damaged location spends
// more; Report.Calls is what a check spent.
func Estimate(ctx context.Context, l *rollback.Ledger, opts Options) (int, error) {
	if opts.Sample == 0 {
		opts.Sample = 20
	}
	if opts.BucketSize <= 0 {
		opts.BucketSize = 1000
	}
	x, err := readLedger(ctx, l)
	if err != nil {
		return 0, err
	}
	calls := 2 // contact and opportunity field listings
	related := map[string]bool{}
	for _, lk := range x.relations {
		related[lk.From], related[lk.To] = true, true
	}
	for _, typ := range x.types {
		n := len(x.records[typ])
		k := kindOf(typ)
		if k == nil {
			continue
		}
		calls += k.totalCalls(n, len(x.links) > 0)
		if opts.Sample > 0 {
			s := min(n, opts.Sample)
			calls += s
			if k.related {
				step := max(1, n/opts.Sample)
				for i := 0; i < n && i/step < opts.Sample; i += step {
					if related[x.records[typ][i].HighLevelID] {
						calls++
					}
				}
			}
		}
		if opts.Full && k.scanned {
			calls += n/100 + 1
		}
	}
	if opts.Full {
		if opts.ContactExternalField != "" {
			calls += max(1, (len(x.records[rollback.TypeContact])+opts.BucketSize-1)/opts.BucketSize)
		}
		contacts := map[string]bool{}
		for _, lk := range x.relations {
			for _, id := range []string{lk.From, lk.To} {
				if rec := x.byHLID[id]; rec != nil && rec.Type == rollback.TypeContact {
					contacts[id] = true
				}
			}
		}
		// One listing per related contact read: all of them when Deep,
		// the sample otherwise (as relationsFull picks it).
		n := len(contacts)
		if !opts.Deep && n > 0 {
			k := opts.RelationSample
			if k <= 0 {
				k = (n + 199) / 200
			}
			n = min(k, n)
		}
		calls += n
	}
	// Population: one count per contact field the mapped bodies set (the
	// widest of the first bodies stands for all).
	fields := 0
	for i, rec := range x.records[rollback.TypeContact] {
		if i >= identitySample {
			break
		}
		if !rec.hasWrite {
			continue
		}
		body, err := l.Payload(ctx, rec.write)
		if err != nil || body == nil {
			continue
		}
		if res, err := compareBody(body, readBack{}); err == nil {
			fields = max(fields, len(res))
		}
	}
	return calls + fields, nil
}
