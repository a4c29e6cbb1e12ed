package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/rollback"
)

// objectKind is what the check does differently per ledger object type:
// the one place in this package that knows contacts, businesses,
// opportunities and custom object records apart. Every other step asks
// kindOf. Types without a kind (notes, tasks, calendar events, messages,
// media) have no cheap total in HighLevel and are not counted.
type objectKind struct {
	// rank orders the report like the load: businesses, contacts, custom
	// records, opportunities.
	rank int
	// total is HighLevel's count of the type in as few calls as the API
	// allows; totalCalls is what it costs for n objects (links: the
	// ledger holds business links, which cost a count per business).
	total      func(r *run, ctx context.Context, typ string) (int, error)
	totalCalls func(n int, links bool) int
	// get reads one object by id.
	get func(r *run, ctx context.Context, typ, id string) (readBack, error)
	// related: a sampled object's relations to its contact are checked
	// (custom object records).
	related bool
	// scanned: a full check lists every object and compares its fields
	// (custom object records; contacts have the bucketed diff).
	scanned bool
	// countFilled counts HighLevel's objects of typ with every one of
	// fields filled, in one counted search (a page of one with an
	// "exists" filter per field: its total); nil where the API has none
	// (population then comes from the records read back).
	countFilled func(r *run, ctx context.Context, typ string, fields []string) (int, error)
	// totalBy says how total counts: "search total" or "listing".
	totalBy func(r *run) string
	// identity is the external-id field Options gives for the type, and
	// whether the type's objects are grouped by it for duplicates at all.
	identity func(o Options, typ string) (field string, grouped bool)
	// duplicatesChecked says whether every object of the type was grouped
	// by external id in this check.
	duplicatesChecked func(r *run, typ string) bool
}

func noIdentity(Options, string) (string, bool) { return "", false }

var kinds = map[string]*objectKind{
	rollback.TypeBusiness: {rank: 0,
		total: func(r *run, ctx context.Context, _ string) (int, error) {
			n := 0
			seen := map[string]bool{}
			for b, err := range r.c.Businesses.List(ctx, highlevel.BusinessListOptions{}) {
				if err != nil {
					return 0, err
				}
				seen[b.ID] = true
				n++
			}
			r.calls += n/100 + 1
			r.businesses = seen
			return n, nil
		},
		totalCalls: func(n int, links bool) int {
			calls := n/100 + 1
			if links {
				calls += n // one count per business
			}
			return calls
		},
		get: func(r *run, ctx context.Context, _, id string) (readBack, error) {
			b, err := r.c.Businesses.Get(ctx, id)
			if err != nil {
				return readBack{}, err
			}
			return readBack{fields: asMap(b)}, nil
		},
		totalBy:           func(*run) string { return byListing },
		identity:          noIdentity,
		duplicatesChecked: func(*run, string) bool { return false },
	},
	rollback.TypeContact: {rank: 1,
		total: func(r *run, ctx context.Context, _ string) (int, error) {
			r.calls++
			return r.c.Contacts.Count(ctx, highlevel.ContactSearch{})
		},
		totalCalls: func(int, bool) int { return 1 },
		get: func(r *run, ctx context.Context, _, id string) (readBack, error) {
			c, err := r.c.Contacts.Get(ctx, id)
			if err != nil {
				return readBack{}, err
			}
			return contactBack(c), nil
		},
		countFilled: func(r *run, ctx context.Context, _ string, fields []string) (int, error) {
			return r.c.Contacts.Count(ctx, highlevel.ContactSearch{Filters: existsFilters("", fields)})
		},
		totalBy:  func(*run) string { return bySearch },
		identity: noIdentity, // the bucketed diff's field (Options.ContactExternalField)
		duplicatesChecked: func(r *run, _ string) bool {
			return r.opts.Full && r.opts.ContactExternalField != ""
		},
	},
	rollback.TypeOpportunity: {rank: 3,
		total: func(r *run, ctx context.Context, typ string) (int, error) {
			if r.sampled() {
				// One random page: its total is the count and its
				// opportunities the integrity check's sample. A count
				// that differs is listed whole below, to name what.
				n := len(r.x.records[typ])
				r.calls++
				p, err := r.c.Opportunities.SearchPage(ctx, highlevel.OpportunitySearch{Status: highlevel.StatusAll, PageLimit: samplePage}, r.randomPage(n))
				if err != nil {
					return 0, err
				}
				if p.Total == n && !capped(p.Total, n) {
					r.oppSample = p.Opportunities
					return p.Total, nil
				}
			}
			if err := r.listOpportunities(ctx); err != nil {
				return 0, err
			}
			return len(r.opps), nil
		},
		totalCalls: func(n int, _ bool) int { return n/100 + 1 },
		totalBy: func(r *run) string {
			if r.oppSample != nil {
				return bySearch
			}
			return byListing
		},
		get: func(r *run, ctx context.Context, _, id string) (readBack, error) {
			o, err := r.c.Opportunities.Get(ctx, id)
			if err != nil {
				return readBack{}, err
			}
			rb := readBack{fields: asMap(o), custom: map[string]json.RawMessage{}}
			for _, v := range o.CustomFields {
				rb.custom[v.ID] = v.Value
			}
			return rb, nil
		},
		identity: func(o Options, _ string) (string, bool) { return o.OpportunityExternalField, true },
		// By the listing, or in a full check that is not Deep by the
		// count: a copy raises it, and a count that differs is listed.
		duplicatesChecked: func(r *run, typ string) bool {
			return r.extFields[typ] != "" && len(r.x.records[typ]) > 0
		},
	},
}

// recordKind is every custom object's records.
var recordKind = &objectKind{rank: 2,
	total: func(r *run, ctx context.Context, typ string) (int, error) {
		// A full check that is not Deep reads a random page of 100 with
		// the count: the total counts, the records are its field-diff
		// sample (scanRecords). Otherwise a page of one.
		q, page := highlevel.RecordSearch{PageLimit: 1}, 1
		if r.sampled() {
			q.PageLimit, page = samplePage, r.randomPage(len(r.x.records[typ]))
		}
		r.calls++
		p, err := r.c.Objects.SearchRecordsPage(ctx, typ, q, highlevel.SearchCursor{Page: page})
		if err != nil {
			return 0, err
		}
		if p.Total >= 0 && !capped(p.Total, len(r.x.records[typ])) {
			if r.sampled() {
				r.recPages[typ] = p.Records
			}
			return p.Total, nil
		}
		n := 0
		for _, err := range r.c.Objects.SearchRecords(ctx, typ, highlevel.RecordSearch{}) {
			if err != nil {
				return 0, err
			}
			n++
		}
		r.calls += n/100 + 1
		return n, nil
	},
	totalCalls: func(int, bool) int { return 1 },
	totalBy:    func(*run) string { return bySearch },
	countFilled: func(r *run, ctx context.Context, typ string, fields []string) (int, error) {
		p, err := r.c.Objects.SearchRecordsPage(ctx, typ, highlevel.RecordSearch{PageLimit: 1,
			Filters: existsFilters("properties.", fields)}, highlevel.SearchCursor{Page: 1})
		if err != nil {
			return 0, err
		}
		if p.Total < 0 {
			return 0, errNoTotal
		}
		return p.Total, nil
	},
	get: func(r *run, ctx context.Context, typ, id string) (readBack, error) {
		rec, err := r.c.Objects.GetRecord(ctx, typ, id)
		if err != nil {
			return readBack{}, err
		}
		return recordBack(rec), nil
	},
	related:  true,
	scanned:  true,
	identity: func(o Options, typ string) (string, bool) { return o.RecordExternalFields[typ], true },
	// In a full check: every record grouped by the scan, or (not Deep)
	// by the count: a copy raises it, and a count that differs is
	// scanned whole.
	duplicatesChecked: func(r *run, typ string) bool {
		return r.opts.Full && r.extFields[typ] != ""
	},
}

// How a count was taken (Count.HighLevelBy, Population.StoredBy).
const (
	bySearch  = "search total"
	byListing = "listing"
	byRecords = "records read"
	byEvery   = "every record read"
	byPage    = "random page read"
)

// existsFilters are "field exists" filters on every field (ANDed).
func existsFilters(prefix string, fields []string) []highlevel.SearchFilter {
	fs := make([]highlevel.SearchFilter, len(fields))
	for i, f := range fields {
		fs[i] = highlevel.SearchFilter{Field: prefix + f, Operator: "exists"}
	}
	return fs
}

// samplePage is the size of the random search page a full check that is
// not Deep reads per custom object and for opportunities.
const samplePage = 100

// errNoTotal: a counted search whose answer had no total.
var errNoTotal = errors.New("the search answered without a total")

// capped reports whether a search total may be Elasticsearch's "10,000
// or more" rather than a count: exactly MaxSearchWindow where the ledger
// holds more. Such a total is not used as a count.
func capped(total, ledger int) bool {
	return total == highlevel.MaxSearchWindow && ledger > total
}

// sampled reports whether this is a full check that samples (not Deep).
func (r *run) sampled() bool { return r.opts.Full && !r.opts.Deep }

// randomPage picks a page of samplePage among the n records a type holds,
// within the search window page numbers reach.
func (r *run) randomPage(n int) int {
	pages := min(max(1, (n+samplePage-1)/samplePage), highlevel.MaxSearchWindow/samplePage)
	return 1 + r.rng.IntN(pages)
}

// kindOf is the kind of a ledger object type; nil for types reconcile
// does not count.
func kindOf(typ string) *objectKind {
	if k := kinds[typ]; k != nil {
		return k
	}
	if len(typ) > len(rollback.RecordTypePrefix) && strings.HasPrefix(typ, rollback.RecordTypePrefix) {
		return recordKind
	}
	return nil
}
