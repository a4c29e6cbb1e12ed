package pbnhl

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// HistoryChoice is one way of writing a history kind (the map's history
// policy) and its price for the practice at hand, from the preflight's
// own reading of the source: no HighLevel call is made to price it.
type HistoryChoice struct {
	Kind string // mapping.HistoryMessages, ...
	As   string // mapping.AsFirstClass, AsFolded, AsBoth or AsByAge
	// Months is the by-age window (the map's, or 24): records dated
	// within the last Months months are first-class as well as folded.
	Months int
	// Current is the map's choice (the estimate's).
	Current bool
	// Calls is the run's calls with this choice, the other kinds as the
	// map has them (records and business links; schema and setup apart,
	// as Estimate.Calls).
	Calls int64
	// Days is how many days of the location's quota the run takes.
	Days int
	// Contacts is the contacts the run writes (per-contact figures).
	Contacts int64
	// Refused says why the map cannot take this choice as it is (an
	// object looks up records the choice would not write); no price then.
	Refused string
}

// historyPrice is what one history kind's first-class objects, and the
// objects looking them up, cost under each choice, read from the source
// whatever the map's policy for the kind (an object the policy turns off
// is priced too).
type historyPrice struct {
	kind    string
	policy  mapping.HistoryPolicy // the map's
	refused map[string]string     // choice → why the map cannot take it
	order   []*mapping.Object     // the run's order with every object of the kind on
	objects []historyObject       // the kind's first-class objects, then their dependents
}

// Prices of an object per choice: none of the kind's records is written
// (folded), those within the by-age window, or all of them (first-class,
// both).
const (
	priceNone = iota
	priceRecent
	priceAll
)

type historyObject struct {
	name    string
	records [3]int64
	calls   [3]int64
}

func priceOf(as string) int {
	switch as {
	case mapping.AsFolded:
		return priceNone
	case mapping.AsByAge:
		return priceRecent
	}
	return priceAll
}

// priceHistory prices, for each history kind the map can write both as
// records of their own and folded into the contact, the kind's first-class
// objects and the objects that look them up (a procedure's relation to
// its appointment is made only if the appointment is a record): one more
// read of their sources, each record transformed and checked against
// what the scan's validator has seen (its contact...) and its calls
// counted as the estimate counts them. Records already in the ledger cost
// nothing, as in the estimate.
func (m *Migration) priceHistory(ctx context.Context, mp *mapping.Map, aopts mapping.ApplierOptions, val *mapping.Validator,
	idx *idIndex, sc *sourceCheck) ([]historyPrice, error) {
	var out []historyPrice
	now := m.now()
	if o, ok := aopts.Owners.(*mapping.Owners); ok {
		aopts.Owners = o.Uncounted() // the scan counted each record's staff once
	}
	for _, k := range mapping.HistoryKinds() {
		first, folded := mp.HistoryObjects(k)
		if len(first) == 0 || len(folded) == 0 || sc.badEntity[mapping.HistorySource(k)] {
			continue
		}
		pol := mp.HistoryPolicyOf(k)
		all := mp.WithHistory(k, mapping.AsBoth) // every object of the kind on, nothing filtered by age
		if err := all.Approve("preflight", now); err != nil {
			return nil, err
		}
		order, err := all.Order()
		if err != nil {
			return nil, fmt.Errorf("pbnhl: %w", err)
		}
		applier, err := mapping.NewApplier(all, aopts)
		if err != nil {
			return nil, fmt.Errorf("pbnhl: %w", err)
		}
		hp := historyPrice{kind: k, policy: pol, order: order, refused: map[string]string{}}
		for _, as := range []string{mapping.AsFolded, mapping.AsByAge, mapping.AsFirstClass, mapping.AsBoth} {
			if why := mp.HistoryRefusal(k, as); why != "" {
				hp.refused[as] = why
			}
		}
		// The objects that look the kind's records up, and the keys they
		// may find: every valid record, and the recent ones.
		isFirst := map[string]bool{}
		for _, o := range first {
			isFirst[o.Name] = true
		}
		var deps []*mapping.Object
		for _, o := range order {
			if isFirst[o.Name] || !writes(o) {
				continue
			}
			for _, l := range o.Lookups {
				if isFirst[l.Object] {
					deps = append(deps, o)
					break
				}
			}
		}
		var keys *historyKeys
		if len(deps) > 0 {
			keys = &historyKeys{all: map[string]bool{}, recent: map[string]bool{}}
		}
		since := now.AddDate(0, -pol.Months(), 0)
		for _, o := range first {
			ho, err := m.priceObject(ctx, o, k, since, isFirst, keys, applier, val, idx)
			if err != nil {
				return nil, err
			}
			hp.objects = append(hp.objects, ho)
		}
		for _, o := range deps {
			if sc.badEntity[o.Source] {
				continue
			}
			ho, err := m.priceObject(ctx, o, "", since, isFirst, keys, applier, val, idx)
			if err != nil {
				return nil, err
			}
			hp.objects = append(hp.objects, ho)
		}
		out = append(out, hp)
	}
	return out, nil
}

// historyKeys are the source keys of a history kind's valid first-class
// records (object and key), all and within the by-age window.
type historyKeys struct{ all, recent map[string]bool }

// priceObject reads o's records. For a first-class object of kind k each
// record costs its calls under priceAll, under priceRecent when dated
// within the window (or undated), nothing under priceNone; its keys go
// into keys. For a dependent (k == "") each record costs its calls, its
// links to the kind's records (first) counted under each choice only if
// the record it finds is written under that choice.
func (m *Migration) priceObject(ctx context.Context, o *mapping.Object, k string, since time.Time, first map[string]bool,
	keys *historyKeys, applier *mapping.Applier, val *mapping.Validator, idx *idIndex) (historyObject, error) {
	ho := historyObject{name: o.Name}
	t := targetOf(o)
	typ := o.RecordType()
	if typ != "" {
		if err := idx.load(ctx, typ); err != nil {
			return ho, err
		}
	}
	it, err := records(ctx, m.opts.Source, o.Source, pbn.ListOptions{})
	if err != nil {
		return ho, err
	}
	var tallies [3]callTally
	var links []mapping.Link
	for rec, err := range it {
		if err != nil {
			if isRowError(err) {
				continue // counted invalid by the scan
			}
			return ho, fmt.Errorf("pbnhl: read %s: %w", o.Source, err)
		}
		pls, err := applier.Apply(o.Name, rec.rec)
		if err != nil {
			return ho, fmt.Errorf("pbnhl: %s: %w", o.Name, err)
		}
		recent := true
		if k != "" {
			d, dated := mapping.HistoryDate(k, rec.rec)
			recent = !dated || !d.Before(since)
		}
		for i := range pls {
			p := &pls[i]
			if p.Skipped != "" {
				continue
			}
			// A dependent's links to the kind's records are judged here,
			// not by the validator (which saw them as the map writes them).
			links = links[:0]
			if k == "" {
				p.Links = slices.DeleteFunc(p.Links, func(l mapping.Link) bool {
					if first[l.Object] && !l.Required {
						links = append(links, l)
						return true
					}
					return false
				})
			}
			val.Check(p)
			if !p.Valid() {
				continue
			}
			if keys != nil && k != "" {
				keys.all[o.Name+"\x00"+p.SourceKey] = true
				if recent {
					keys.recent[o.Name+"\x00"+p.SourceKey] = true
				}
			}
			if typ != "" {
				if _, done := idx.get(typ, p.SourceKey); done {
					continue
				}
			}
			own := len(p.Links)
			for c := range tallies {
				if k != "" && (c == priceNone || c == priceRecent && !recent) {
					continue
				}
				p.Links = p.Links[:own]
				for _, l := range links {
					key := l.Object + "\x00" + l.Key
					if c == priceAll && keys.all[key] || c == priceRecent && keys.recent[key] {
						p.Links = append(p.Links, l)
					}
				}
				before := tallies[c].calls
				t.tally(p, &tallies[c])
				ho.records[c]++
				ho.calls[c] += tallies[c].calls - before
			}
		}
	}
	return ho, nil
}

// historyChoices prices each choice of each kind priced by priceHistory:
// folding drops the first-class objects' calls (the log rides in the
// contact's own call), so first-class alone costs what both cost; by-age
// keeps the calls of the records dated within its window. The days are
// the plan's, laid over the same daily capacity.
func historyChoices(prices []historyPrice, est *Estimate, c dailyCapacity, now time.Time) []HistoryChoice {
	var contacts int64
	for _, p := range prices {
		for _, o := range p.order {
			if o.Target != mapping.TargetContact {
				continue
			}
			for _, x := range est.Objects {
				if x.Object == o.Name {
					contacts += x.Records
				}
			}
		}
		break // the contacts are the same for every kind
	}
	var out []HistoryChoice
	for _, p := range prices {
		names := map[string]bool{}
		for _, o := range p.objects {
			names[o.name] = true
		}
		// The estimate without the kind's first-class objects.
		base := *est
		base.Objects = slices.DeleteFunc(slices.Clone(est.Objects), func(o ObjectEstimate) bool { return names[o.Object] })
		for _, o := range est.Objects {
			if names[o.Object] {
				base.Calls -= o.Calls
			}
		}
		for _, as := range []string{mapping.AsFolded, mapping.AsByAge, mapping.AsFirstClass, mapping.AsBoth} {
			if why := p.refused[as]; why != "" {
				out = append(out, HistoryChoice{Kind: p.kind, As: as, Months: p.policy.Months(), Contacts: contacts, Refused: why})
				continue
			}
			e := base
			e.Objects = slices.Clone(base.Objects)
			pc := priceOf(as)
			for _, o := range p.objects {
				if o.records[pc] == 0 && o.calls[pc] == 0 {
					continue
				}
				e.Objects = append(e.Objects, ObjectEstimate{Object: o.name, Records: o.records[pc], Calls: o.calls[pc]})
				e.Calls += o.calls[pc]
			}
			plan, _ := planDays(loadSequence(&e, p.order), c, now)
			out = append(out, HistoryChoice{Kind: p.kind, As: as, Months: p.policy.Months(), Current: as == p.policy.As,
				Calls: e.Calls, Days: len(plan), Contacts: contacts})
		}
	}
	return out
}

// writeHistory renders the history choices side by side, with what
// folding gives up, for the person approving the map.
func (e *Estimate) writeHistory(b *strings.Builder) {
	if len(e.History) == 0 {
		return
	}
	b.WriteString("History policy (calls and days per choice for this practice, the other kinds as the map has them):\n")
	for _, h := range e.History {
		mark := " "
		if h.Current {
			mark = "*"
		}
		as := h.As
		if as == mapping.AsByAge {
			as = fmt.Sprintf("by-age %dm", h.Months)
		}
		if h.Refused != "" {
			fmt.Fprintf(b, " %s %-12s %-11s not possible with this map: %s\n", mark, h.Kind, as, h.Refused)
			continue
		}
		per := ""
		if h.Contacts > 0 {
			per = fmt.Sprintf("  %5.1f calls/contact", float64(h.Calls)/float64(h.Contacts))
		}
		fmt.Fprintf(b, " %s %-12s %-11s %9d calls  %3d day(s)%s\n", mark, h.Kind, as, h.Calls, h.Days, per)
	}
	b.WriteString("  (* the map's choice; set it with history: [{kind: ..., as: first-class|folded|both|by-age, first_class_months: N}];\n")
	b.WriteString("   first-class costs what both cost: the log rides in the contact's own call)\n")
	b.WriteString("  Folding gives up: " + mapping.FoldingCost + ".\n")
}

// logSizes adds up, per contact, the bytes of the folded logs whose
// entries are in no other HighLevel record (Map.Elsewhere is empty: the
// kind is folded, or the map has no record object for it), so preflight
// can say before the run which logs the cap would cut.
type logSizes struct {
	mp    *mapping.Map
	only  map[string]bool           // object → its log is the entries' only place
	bytes map[string]map[string]int // object → contact key → bytes
}

func newLogSizes(mp *mapping.Map) *logSizes {
	return &logSizes{mp: mp, only: map[string]bool{}, bytes: map[string]map[string]int{}}
}

func (s *logSizes) add(o *mapping.Object, p *mapping.Payload) {
	if o.Target != mapping.TargetContactField {
		return
	}
	only, seen := s.only[o.Name]
	if !seen {
		only = len(s.mp.Elsewhere(o)) == 0
		s.only[o.Name] = only
	}
	l, ok := p.Link(mapping.LinkContact)
	if !only || !ok || l.Key == "" {
		return
	}
	if s.bytes[o.Name] == nil {
		s.bytes[o.Name] = map[string]int{}
	}
	s.bytes[o.Name][l.Key] += mapping.EntryBytes(p)
}

// warnings names each log object whose cap would cut some contact's log,
// with how many contacts and what to do: the cut entries would be in no
// HighLevel record (no value of a patient is named).
func (s *logSizes) warnings() []string {
	var out []string
	for _, o := range s.mp.Objects {
		sizes := s.bytes[o.Name]
		if len(sizes) == 0 {
			continue
		}
		limit, over, most := o.MaxLogBytes(), 0, 0
		for _, n := range sizes {
			if n+1 > limit {
				over++
			}
			most = max(most, n+1)
		}
		if over == 0 {
			continue
		}
		fix := "raise its max_bytes"
		for _, k := range mapping.HistoryKinds() {
			if mapping.HistorySource(k) == o.Source {
				fix += ", or write " + k + " as by-age or both in the map's history policy"
			}
		}
		out = append(out, fmt.Sprintf("%s: the logs of %d contacts are over the field's %d bytes (the largest about %d): "+
			"their oldest entries would be cut and be in no HighLevel record; %s", o.Name, over, limit, most, fix))
	}
	return out
}
