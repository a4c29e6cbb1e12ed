package mapping

import (
	"fmt"
	"slices"
	"strings"
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
)

// HistoryPolicy is how the map writes one history kind: as records of
// their own (first-class), folded into the contact's log (folded), or
// both. A kind the map does not name is written by every object that
// reads it (both, when the map has both).
type HistoryPolicy struct {
	Kind string `yaml:"kind"`
	As   string `yaml:"as"`
}

// HistorySource returns the source entity of history kind k ("" when k is
// not a history kind).
func HistorySource(k string) string { return historySources[k] }

// HistoryAs returns how the map writes history kind k: its policy, or
// AsBoth when the map names none.
func (m *Map) HistoryAs(k string) string {
	for _, h := range m.History {
		if h.Kind == k {
			return h.As
		}
	}
	return AsBoth
}

// Folded reports whether o folds its records into the contact (a
// contact_field object: one JSON log per contact, written with it).
func (o *Object) Folded() bool { return o.Target == TargetContactField }

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
// as — the map a reviewer would approve for that choice. The copy shares
// the objects' rules (read-only) and is not approved.
func (m *Map) WithHistory(k, as string) *Map {
	c := *m
	c.Approval = nil
	c.History = slices.DeleteFunc(slices.Clone(m.History), func(h HistoryPolicy) bool { return h.Kind == k })
	if as != AsBoth {
		c.History = append(c.History, HistoryPolicy{Kind: k, As: as})
	}
	return &c
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
		default:
			add(i, "history %s: unknown choice %q (%s, %s or %s)", h.Kind, h.As, AsFirstClass, AsFolded, AsBoth)
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
