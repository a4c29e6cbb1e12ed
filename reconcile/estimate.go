package reconcile

import (
	"context"
	"errors"
	"strconv"

	"github.com/pbnhl/pbnhl/rollback"
)

// Estimate is the HighLevel calls a Check with opts would spend on a
// location that agrees with the ledger, told from the ledger alone (it
// makes no call): the field listings, a count per object type (listings
// of 100 for businesses, and for opportunities unless a full check that
// is not Deep reads one random page), the sample's reads by id and its
// relation listings, one fingerprint per top-level bucket, the scan of
// custom object records by pages of 100 (Deep), a count per business, a
// relation listing per related contact read (a sample unless Deep) and
// the population's counted searches (contacts and custom object records:
// one for the fields every body sets, one per other field; none for a
// type a full check reads: its records, and its contacts when reading
// them all, 500 a page, costs no more than the fingerprints and the
// counts). Each difference found costs a few more (halved buckets,
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
	if opts.Sample > 0 {
		// The sample lists the relations of one related contact per
		// four sampled records.
		related := map[string]bool{}
		for _, lk := range x.relations {
			for _, id := range []string{lk.From, lk.To} {
				if rec := x.byHLID[id]; rec != nil && rec.Type == rollback.TypeContact {
					related[id] = true
				}
			}
		}
		if len(related) > 0 {
			calls += min(len(related), max(1, (opts.Sample+3)/4))
		}
	}
	for _, typ := range x.types {
		n := len(x.records[typ])
		k := kindOf(typ)
		if k == nil {
			continue
		}
		switch {
		case opts.Full && !opts.Deep && typ == rollback.TypeOpportunity:
			calls++ // a random page: the count and the sample
		default:
			calls += k.totalCalls(n, len(x.links) > 0)
		}
		if opts.Sample > 0 {
			calls += min(n, opts.Sample)
		}
		if opts.Full && opts.Deep && k.scanned {
			calls += n/100 + 1 // otherwise the page read with the count
		}
		if k.countFilled == nil || n == 0 || (opts.Full && k.scanned) {
			continue // a full check measures custom records on those it reads
		}
		f, err := populationCalls(ctx, l, x.records[typ])
		if err != nil {
			return 0, err
		}
		if typ == rollback.TypeContact && opts.Full && opts.ContactExternalField != "" {
			// The bucketed diff: fingerprints and the counted searches,
			// or every contact read (as buckets decides).
			calls += contactCalls(x.records[typ], opts.BucketSize, f, opts.bisect)
			continue
		}
		calls += f
	}
	if opts.Full {
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
	return calls, nil
}

// populationCalls is what the population step spends on a type with
// counted searches, told from its mapped bodies (every one, as the step
// reads them): one count for the fields every record's body sets (when
// more than one), one per other field.
func populationCalls(ctx context.Context, l *rollback.Ledger, recs []*record) (int, error) {
	set := map[string]int{}
	bodies := 0
	for _, rec := range recs {
		if !rec.hasWrite {
			continue
		}
		res, err := mappedFields(ctx, l, rec)
		if err != nil {
			if errors.Is(err, errUndecodedBody) {
				continue
			}
			return 0, err
		}
		bodies++
		for _, f := range res {
			if _, ok := set[f.Field]; !ok {
				set[f.Field] = 0
			}
			if f.Sent {
				set[f.Field]++
			}
		}
	}
	every := 0
	for _, n := range set {
		if n == bodies && bodies == len(recs) {
			every++
		}
	}
	if every > 1 {
		return 1 + len(set) - every, nil
	}
	return len(set), nil
}

// contactCalls is what a full check spends on contacts besides their
// count: every contact read 500 a page, or a fingerprint per bucket plus
// the population's pop counted searches (readWhole decides). Keys that
// are not canonical integers are always read whole.
func contactCalls(recs []*record, bucket, pop int, bisect bool) int {
	n := len(recs)
	for _, rec := range recs {
		if k, err := strconv.ParseInt(rec.SourceKey, 10, 64); err != nil || strconv.FormatInt(k, 10) != rec.SourceKey {
			return wholeReads(n)
		}
	}
	if !bisect && readWhole(n, bucket, pop) {
		return wholeReads(n)
	}
	return max(1, (n+bucket-1)/bucket) + pop
}
