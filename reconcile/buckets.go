package reconcile

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/rollback"
)

// ErrKeys: the bucketed diff's range filters compare numbers, so a ledger
// whose contacts have codes as source keys ("A-17", "0042") is compared by
// reading every contact instead; past scanCap contacts that read cannot
// page through HighLevel's search and the step is left unchecked.
var ErrKeys = errors.New("reconcile: contacts keyed by codes (not integers) are compared by reading them all, and there are more than HighLevel's search lets a scan page through (10,000)")

// scanCap is the most contacts one search can page through.
const scanCap = 10_000

// bound is one end of a key range; nil is open.
type bound = *int64

// buckets compares every contact through hashed buckets with bisection.
func (r *run) buckets(ctx context.Context) error {
	if !r.opts.Full || r.opts.ContactExternalField == "" {
		return nil
	}
	recs := r.x.records[rollback.TypeContact]
	keys := make([]int64, len(recs))
	numeric := true
	for i, rec := range recs {
		k, err := strconv.ParseInt(rec.SourceKey, 10, 64)
		if err != nil || strconv.FormatInt(k, 10) != rec.SourceKey {
			numeric = false // "0042" is not 42: a range would mix them
			break
		}
		keys[i] = k
	}
	d := &Diff{}
	r.rep.Buckets = d
	whole := !numeric
	if numeric {
		pop, err := populationCalls(ctx, r.l, recs)
		if err != nil {
			return err
		}
		whole = !r.opts.bisect && readWhole(len(recs), r.opts.BucketSize, pop)
	}
	if whole {
		// One leaf over every contact carrying the external id field
		// (paged search, 500 a page): when the keys give no range to
		// bisect on, or when reading them all costs no more than the
		// fingerprints and the population's counted searches. The
		// population is then told from every contact read.
		if len(recs) > scanCap {
			return ErrKeys
		}
		delete(r.stored, rollback.TypeContact)
		delete(r.sentRead, rollback.TypeContact)
		delete(r.read, rollback.TypeContact)
		r.popBy[rollback.TypeContact] = byEvery
		if err := r.leaf(ctx, d, recs, nil, nil); err != nil {
			return err
		}
		d.Records = len(recs)
		r.calls += d.Calls
		return nil
	}
	// Top-level buckets partition the whole key line: the first is open
	// below, the last above, so a contact HighLevel holds outside the
	// ledger's keys still lands in one.
	for start := 0; start < len(recs) || start == 0; start += r.opts.BucketSize {
		end := min(start+r.opts.BucketSize, len(recs))
		var lo, hi bound
		if start > 0 {
			lo = &keys[start]
		}
		if end < len(recs) {
			hi = &keys[end]
		}
		if err := r.bisect(ctx, d, recs[start:end], keys[start:end], lo, hi); err != nil {
			return err
		}
		if len(recs) == 0 {
			break
		}
	}
	d.Records = len(recs)
	r.calls += d.Calls
	return nil
}

// readWhole reports whether a full check reads every one of n contacts
// (search pages of 500, the last one short) rather than fingerprint them
// in buckets of bucket and count the population with pop counted
// searches: when it costs no more reads. Reading compares every field of
// every contact, which fingerprints only vouch for. Past scanCap a search
// cannot page through them.
func readWhole(n, bucket, pop int) bool {
	return n <= scanCap && wholeReads(n) <= max(1, (n+bucket-1)/bucket)+pop
}

// wholeReads is what reading n contacts 500 a page costs.
func wholeReads(n int) int { return n/500 + 1 }

// bisect fingerprints the range [lo, hi) on both sides; when they differ it
// halves the range, down to a leaf that is read and compared.
func (r *run) bisect(ctx context.Context, d *Diff, recs []*record, keys []int64, lo, hi bound) error {
	q := r.rangeSearch(lo, hi)
	q.Sort = []highlevel.SearchSort{{Field: "dateUpdated", Direction: "desc"}}
	q.PageLimit = 1
	d.Calls++
	d.Buckets++
	page, err := r.c.Contacts.SearchPage(ctx, q, highlevel.SearchCursor{Page: 1})
	if err != nil {
		return err
	}
	var newest time.Time
	if len(page.Contacts) > 0 {
		newest = page.Contacts[0].DateUpdated.Time
	}
	var written time.Time
	for _, rec := range recs {
		if rec.writtenAt.After(written) {
			written = rec.writtenAt
		}
	}
	if page.Total == len(recs) && (page.Total == 0 || !newest.After(written.Add(r.opts.Slack))) {
		return nil
	}
	if len(recs) <= r.opts.LeafSize {
		return r.leaf(ctx, d, recs, lo, hi)
	}
	mid := len(recs) / 2
	if err := r.bisect(ctx, d, recs[:mid], keys[:mid], lo, &keys[mid]); err != nil {
		return err
	}
	return r.bisect(ctx, d, recs[mid:], keys[mid:], &keys[mid], hi)
}

func (r *run) rangeSearch(lo, hi bound) highlevel.ContactSearch {
	rng := map[string]any{}
	if lo != nil {
		rng["gte"] = *lo
	}
	if hi != nil {
		rng["lt"] = *hi
	}
	field := "customFields." + r.opts.ContactExternalField
	if len(rng) == 0 {
		return highlevel.ContactSearch{Filters: []highlevel.SearchFilter{{Field: field, Operator: "exists"}}}
	}
	return highlevel.ContactSearch{Filters: []highlevel.SearchFilter{{Field: field, Operator: "range", Value: rng}}}
}

// leaf reads a bucket's contacts (one search page of up to 500) and
// compares each with its mapped body.
func (r *run) leaf(ctx context.Context, d *Diff, recs []*record, lo, hi bound) error {
	q := r.rangeSearch(lo, hi)
	q.PageLimit = 500
	got := map[string]*highlevel.Contact{}
	for p := 1; ; p++ {
		d.Calls++
		page, err := r.c.Contacts.SearchPage(ctx, q, highlevel.SearchCursor{Page: p})
		if err != nil {
			return err
		}
		d.RecordsRead += len(page.Contacts)
		for _, c := range page.Contacts {
			got[c.ID] = c
		}
		if len(page.Contacts) < q.PageLimit {
			break
		}
	}
	for _, rec := range recs {
		c := got[rec.HighLevelID]
		if c == nil {
			d.Differences = append(d.Differences, Difference{ObjectType: rollback.TypeContact, SourceKey: rec.SourceKey, HighLevelID: rec.HighLevelID, Kind: KindMissing})
			continue
		}
		delete(got, rec.HighLevelID)
		r.dups.add(rollback.TypeContact, rec.SourceKey, rec.HighLevelID)
		if err := r.compareOnly(ctx, d, rec, c); err != nil {
			return err
		}
	}
	// A contact the ledger does not know but that carries a key it does is
	// a duplicate: the range holding the key holds both, so both are here.
	for _, id := range sortedKeys(got) {
		key := extKey(got[id], r.opts.ContactExternalField)
		r.dups.add(rollback.TypeContact, key, id)
		d.Differences = append(d.Differences, Difference{ObjectType: rollback.TypeContact, SourceKey: key, HighLevelID: id, Kind: KindExtra})
	}
	return nil
}

// compareOnly compares without counting the record twice (Records is the
// whole population for the bucketed diff).
func (r *run) compareOnly(ctx context.Context, d *Diff, rec *record, c *highlevel.Contact) error {
	n := d.Records
	err := r.compare(ctx, d, rollback.TypeContact, rec, contactBack(c))
	d.Records = n
	return err
}
