package mapping

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// History kinds: the patient history a map can write as HighLevel records
// of their own or fold into the contact, named for a person and bound to
// the source entity they read.
const (
	HistoryMessages     = "messages"
	HistoryProcedures   = "procedures"
	HistoryAppointments = "appointments"
)

// historySources binds each history kind to its source entity.
var historySources = map[string]string{
	HistoryMessages:     "communications",
	HistoryProcedures:   "procedures",
	HistoryAppointments: "appointments",
}

// historyDates names each kind's source date field: what `as: by-age`
// measures a record's age by.
var historyDates = map[string]string{
	HistoryMessages:     "at",
	HistoryProcedures:   "date",
	HistoryAppointments: "start",
}

// HistoryKinds lists the kinds a history policy may name.
func HistoryKinds() []string {
	return []string{HistoryMessages, HistoryProcedures, HistoryAppointments}
}

// How a history kind lands in HighLevel.
const (
	// AsFirstClass writes each source record as a HighLevel record of its
	// own (a note, a custom object record, ...): searchable, reportable,
	// able to trigger workflows, at one call or more per record.
	AsFirstClass = "first-class"
	// AsFolded writes the kind only into the contact's JSON log field, in
	// the contact's own call: no call per record, but no per-item search,
	// report, filter, workflow trigger or association either.
	AsFolded = "folded"
	// AsBoth writes both (the map's objects as they are): the default
	// for a kind the history section does not name.
	AsBoth = "both"
	// AsByAge writes every record into the contact's log (the log is
	// always complete) and, as records of their own, only those dated
	// within the last FirstClassMonths months of the run (older ones, and
	// nothing else, are folded only). A record without a date is written
	// first-class too.
	AsByAge = "by-age"
)

// DefaultFirstClassMonths is the window of `as: by-age` when the policy
// gives no first_class_months.
const DefaultFirstClassMonths = 24

// HistoryPolicy is how the map writes one history kind: as records of
// their own (first-class), folded into the contact's log (folded), or
// both. A kind the map does not name is written by every object that
// reads it (both, when the map has both).
type HistoryPolicy struct {
	Kind string `yaml:"kind"`
	As   string `yaml:"as"`
	// FirstClassMonths is the window of `as: by-age` (records dated within
	// the last N months of the run are first-class as well as folded);
	// 0 means DefaultFirstClassMonths. Only with by-age.
	FirstClassMonths int `yaml:"first_class_months,omitempty"`
}

// Months is the by-age window in months.
func (h HistoryPolicy) Months() int {
	if h.FirstClassMonths > 0 {
		return h.FirstClassMonths
	}
	return DefaultFirstClassMonths
}

// HistorySource returns the source entity of history kind k ("" when k is
// not a history kind).
func HistorySource(k string) string { return historySources[k] }

// HistoryPolicyOf returns the map's policy for history kind k (As is
// AsBoth when the map names none).
func (m *Map) HistoryPolicyOf(k string) HistoryPolicy {
	for _, h := range m.History {
		if h.Kind == k {
			return h
		}
	}
	return HistoryPolicy{Kind: k, As: AsBoth}
}

// HistoryKindOf returns the history kind object o writes as records of
// their own ("" when o is not a first-class history object).
func (m *Map) HistoryKindOf(o *Object) string {
	if !o.firstClass() {
		return ""
	}
	for _, k := range HistoryKinds() {
		if historySources[k] == o.Source {
			return k
		}
	}
	return ""
}

// HistoryDate returns the date of history record rec by its kind's date
// field (messages: at, procedures: date, appointments: start); false when
// the record has none or it cannot be read.
func HistoryDate(k string, rec Record) (time.Time, bool) {
	f := historyDates[k]
	if f == "" {
		return time.Time{}, false
	}
	v, _ := rec.Get(f)
	return parseHistoryDate(strings.TrimSpace(v))
}

func parseHistoryDate(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			if t.Year() <= 1 {
				return time.Time{}, false // PbN's "no date"
			}
			return t, true
		}
	}
	return time.Time{}, false
}

// FirstClassSince returns the cutoff of a by-age policy for kind k at
// time now: records dated before it are folded only. The zero time when
// the map's policy for k is not by-age.
func (m *Map) FirstClassSince(k string, now time.Time) time.Time {
	h := m.HistoryPolicyOf(k)
	if h.As != AsByAge {
		return time.Time{}
	}
	return now.AddDate(0, -h.Months(), 0)
}

// HistoryAs returns how the map writes history kind k: its policy, or
// AsBoth when the map names none.
func (m *Map) HistoryAs(k string) string { return m.HistoryPolicyOf(k).As }

// Folded reports whether o folds its records into the contact (a
// contact_field object: one JSON log per contact, written with it). A
// list object (other offices) is no history log: on under every policy.
func (o *Object) Folded() bool { return o.Target == TargetContactField && !o.List }

// firstClass reports whether o writes a HighLevel record per source
// record (the kind table's record types), not expanded from another
// entity's field.
func (o *Object) firstClass() bool {
	s := specOf(o.Target)
	return o.Expand == nil && (s.record != "" || s.recordIsKey)
}

// HistoryObjects returns the map's objects that write history kind k,
// split into those writing a record per source record (first) and those
// folding them into the contact (folded).
func (m *Map) HistoryObjects(k string) (first, folded []*Object) {
	src := historySources[k]
	if src == "" {
		return nil, nil
	}
	for i := range m.Objects {
		o := &m.Objects[i]
		if o.Source != src {
			continue
		}
		switch {
		case o.Folded():
			folded = append(folded, o)
		case o.firstClass():
			first = append(first, o)
		}
	}
	return first, folded
}

// Off reports whether the map's history policy turns object o off: its
// records go to HighLevel the other way only (a first-class object under
// `as: folded`, a folded one under `as: first-class`). Order leaves such
// objects out, so no run writes them; the schema still knows them, so
// the policy can change without a new schema.
func (m *Map) Off(o *Object) bool {
	for _, h := range m.History {
		if historySources[h.Kind] != o.Source {
			continue
		}
		switch h.As {
		case AsFolded:
			return o.firstClass()
		case AsFirstClass:
			return o.Folded()
		}
	}
	return false
}

// WithHistory returns a copy of the map with history kind k written as
// as (by-age with DefaultFirstClassMonths) — the map a reviewer would
// approve for that choice. The copy shares the objects' rules (read-only)
// and is not approved.
func (m *Map) WithHistory(k, as string) *Map {
	return m.WithHistoryPolicy(HistoryPolicy{Kind: k, As: as})
}

// WithHistoryPolicy is WithHistory with the whole policy (a by-age window).
func (m *Map) WithHistoryPolicy(h HistoryPolicy) *Map {
	c := *m
	c.Approval = nil
	c.History = slices.DeleteFunc(slices.Clone(m.History), func(x HistoryPolicy) bool { return x.Kind == h.Kind })
	if h.As != AsBoth {
		c.History = append(c.History, h)
	}
	return &c
}

// HistoryRefusal says why the map cannot write history kind k as as (its
// objects cannot honour it: e.g. folding appointments while procedures,
// written first-class, look them up); "" when it can.
func (m *Map) HistoryRefusal(k, as string) string {
	var msgs []string
	for _, is := range m.WithHistory(k, as).checkHistory() {
		msg := is.Message
		if strings.HasPrefix(is.Path, "objects.") {
			msg = strings.TrimSuffix(strings.TrimPrefix(is.Path, "objects."), ".lookups") + " " + msg
		}
		msgs = append(msgs, msg)
	}
	return strings.Join(msgs, "; ")
}

// checkHistory validates the history section: known kinds, each named
// once, a known choice, and a choice the map's objects can honour with no
// record lost — folding needs an object that folds the kind, first-class
// needs one that writes its records, and no object may look up one the
// policy turns off.
func (m *Map) checkHistory() []Issue {
	var out []Issue
	add := func(i int, format string, args ...any) {
		out = append(out, Issue{Path: fmt.Sprintf("history.%d", i), Message: fmt.Sprintf(format, args...)})
	}
	seen := map[string]bool{}
	for i, h := range m.History {
		if historySources[h.Kind] == "" {
			add(i, "unknown history kind %q (one of %s)", h.Kind, strings.Join(HistoryKinds(), ", "))
			continue
		}
		if seen[h.Kind] {
			add(i, "history kind %q named twice", h.Kind)
		}
		seen[h.Kind] = true
		first, folded := m.HistoryObjects(h.Kind)
		switch h.As {
		case AsBoth:
		case AsFolded:
			if len(folded) == 0 {
				add(i, "%s cannot be folded: no contact_field object reads %s (add one, or write them first-class)", h.Kind, historySources[h.Kind])
			}
		case AsFirstClass:
			if len(first) == 0 {
				add(i, "%s cannot be first-class: no object writes a HighLevel record per %s record", h.Kind, historySources[h.Kind])
			}
		case AsByAge:
			if len(folded) == 0 || len(first) == 0 {
				add(i, "%s cannot be by-age: it needs an object writing a HighLevel record per %s record and a contact_field object folding them (the log that keeps every one)", h.Kind, historySources[h.Kind])
			}
			if h.FirstClassMonths < 0 {
				add(i, "history %s: first_class_months %d is negative", h.Kind, h.FirstClassMonths)
			}
		default:
			add(i, "history %s: unknown choice %q (%s, %s, %s or %s)", h.Kind, h.As, AsFirstClass, AsFolded, AsBoth, AsByAge)
		}
		if h.FirstClassMonths != 0 && h.As != AsByAge {
			add(i, "history %s: first_class_months applies to as: %s only", h.Kind, AsByAge)
		}
	}
	if len(out) > 0 {
		return out
	}
	for i := range m.Objects {
		o := &m.Objects[i]
		if m.Off(o) {
			continue
		}
		for _, l := range o.Lookups {
			if ref := m.Object(l.Object); ref != nil && ref != o && m.Off(ref) {
				out = append(out, Issue{Line: o.at.line, Column: o.at.col, Path: "objects." + o.Name + ".lookups",
					Message: fmt.Sprintf("looks up %s, which the history policy turns off", ref.Name)})
			}
		}
	}
	return out
}

// FoldingCost is what a user gives up when a kind is folded, for the
// review: the records are all in HighLevel, in the contact's log field,
// but not as records a user or HighLevel itself can act on one by one.
const FoldingCost = "folded entries are in the contact's JSON log field only: " +
	"no search or filter on one entry, no report or smart list over them, no workflow trigger per entry, " +
	"no association to other records, and HighLevel shows them as one block of text on the contact"

// HistoryText is the review's paragraph on the history policy: how each
// kind the map reads is written, and what folding costs.
func (m *Map) HistoryText() string {
	var b strings.Builder
	for _, k := range HistoryKinds() {
		first, folded := m.HistoryObjects(k)
		if len(first) == 0 && len(folded) == 0 {
			continue
		}
		as := m.HistoryAs(k)
		if as == AsBoth && (len(first) == 0 || len(folded) == 0) {
			as = AsFirstClass
			if len(first) == 0 {
				as = AsFolded
			}
		}
		fmt.Fprintf(&b, "- %s: %s (%s)", k, as, strings.Join(objectNames(first, folded, m), "; "))
		switch as {
		case AsFolded:
			b.WriteString(". Given up by folding: " + FoldingCost + ".")
		case AsByAge:
			fmt.Fprintf(&b, ". Every record is in the contact's log; those dated within the last %d months of the run are also records of their own. Given up for the older ones: %s.", m.HistoryPolicyOf(k).Months(), FoldingCost)
		case AsBoth:
			b.WriteString(". Each record is written twice: as its own record and in the contact's log (no data lost either way; the records cost calls).")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func objectNames(first, folded []*Object, m *Map) []string {
	var out []string
	for _, o := range first {
		s := o.Name + " as " + string(o.Target)
		if m.Off(o) {
			s += ", off"
		}
		out = append(out, s)
	}
	for _, o := range folded {
		s := o.Name + " folded into the contact"
		if m.Off(o) {
			s += ", off"
		}
		out = append(out, s)
	}
	return out
}
