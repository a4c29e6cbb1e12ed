package reconcile

import (
	"context"
	"encoding/json"
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
	// countFilled counts HighLevel's objects with field filled, in one
	// counted search; nil where the API has none (population then comes
	// from the records read back).
	countFilled func(r *run, ctx context.Context, field string) (int, error)
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
		countFilled: func(r *run, ctx context.Context, field string) (int, error) {
			return r.c.Contacts.Count(ctx, highlevel.ContactSearch{Filters: []highlevel.SearchFilter{{Field: field, Operator: "exists"}}})
		},
		identity: noIdentity, // the bucketed diff's field (Options.ContactExternalField)
		duplicatesChecked: func(r *run, _ string) bool {
			return r.opts.Full && r.opts.ContactExternalField != ""
		},
	},
	rollback.TypeOpportunity: {rank: 3,
		total: func(r *run, ctx context.Context, _ string) (int, error) {
			if err := r.listOpportunities(ctx); err != nil {
				return 0, err
			}
			return len(r.opps), nil
		},
		totalCalls: func(n int, _ bool) int { return n/100 + 1 },
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
		duplicatesChecked: func(r *run, typ string) bool {
			return r.extFields[typ] != "" && len(r.x.records[typ]) > 0
		},
	},
}

// recordKind is every custom object's records.
var recordKind = &objectKind{rank: 2,
	total: func(r *run, ctx context.Context, typ string) (int, error) {
		r.calls++
		p, err := r.c.Objects.SearchRecordsPage(ctx, typ, highlevel.RecordSearch{PageLimit: 1}, highlevel.SearchCursor{Page: 1})
		if err != nil {
			return 0, err
		}
		if p.Total >= 0 {
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
	get: func(r *run, ctx context.Context, typ, id string) (readBack, error) {
		rec, err := r.c.Objects.GetRecord(ctx, typ, id)
		if err != nil {
			return readBack{}, err
		}
		return readBack{fields: rec.Properties}, nil
	},
	related:  true,
	scanned:  true,
	identity: func(o Options, typ string) (string, bool) { return o.RecordExternalFields[typ], true },
	duplicatesChecked: func(r *run, typ string) bool {
		return r.opts.Full && r.extFields[typ] != ""
	},
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
