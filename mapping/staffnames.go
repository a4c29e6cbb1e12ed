package mapping

import (
	"slices"
	"strings"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// Providers as people (issue 16.5). Appointments and treatment rows name
// their provider and hygienist by PbN staff id ("3"), which means nothing
// in HighLevel. NameStaff drafts, beside each rule writing such an id, a
// rule writing the person: a TEXT field whose value table maps each staff
// id to the staff member's name, so the review shows every id → name and a
// person can correct one before approving. Staff names are the practice's
// people, not patient data. A staff id the table does not list (someone
// hired after the draft) leaves the name out with a warning on the record;
// the id rule still carries the id.

// staffRefs are the source fields holding a staff key and the rule that
// names the person.
var staffRefs = []struct{ from, to, label string }{
	{"providerId", "provider", "Provider"},
	{"hygienistId", "hygienist", "Hygienist"},
}

// StaffName is how a staff member is named on the records they worked on:
// first and last name, else the PbN abbreviation, else "staff <id>".
func StaffName(s pbn.Staff) string {
	if n := strings.Join(strings.Fields(s.FirstName+" "+s.LastName), " "); n != "" {
		return n
	}
	if a := strings.TrimSpace(s.Abbr); a != "" {
		return a
	}
	return "staff " + string(s.ID)
}

// NameStaff adds, to every custom object of the map that writes a
// provider or hygienist id into a custom field, a TEXT rule naming the
// person from a value table of the staff (id → StaffName), unknown ids
// left out with a warning. An existing name rule has its table refreshed
// (names a person corrected kept). It returns how many name rules the map
// now has; the map must be approved again afterwards.
func (m *Map) NameStaff(staff []pbn.Staff) int {
	if len(staff) == 0 {
		return 0
	}
	n := 0
	for i := range m.Objects {
		o := &m.Objects[i]
		if o.Target != TargetCustomObject {
			continue
		}
		for _, ref := range staffRefs {
			at := -1
			for j, f := range o.Fields {
				if f.From == ref.from && f.Custom() && f.To != ref.to {
					at = j
				}
			}
			if at < 0 {
				continue // the object keeps no such id
			}
			f := o.Field(ref.to)
			if f != nil && f.From != ref.from {
				continue // the key is another rule's: leave it
			}
			if f == nil {
				o.Fields = slices.Insert(o.Fields, at+1, Field{From: ref.from, To: ref.to, Label: ref.label, Type: TypeText,
					Unknown: UnknownWarn, Reason: "the person, by name, from the practice's staff (correct a name in the values below)"})
				f = &o.Fields[at+1]
			}
			f.Values = staffTable(staff, f.Values)
			n++
		}
	}
	return n
}

// staffTable is id → name for every staff member, keeping the names of
// old that a person set.
func staffTable(staff []pbn.Staff, old ValueMap) ValueMap {
	kept := make(map[string]string, len(old))
	for _, p := range old {
		kept[p.From] = p.To
	}
	out := make(ValueMap, 0, len(staff))
	seen := map[string]bool{}
	for _, s := range staff {
		id := string(s.ID)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		name := StaffName(s)
		if k, ok := kept[id]; ok && k != "" {
			name = k
		}
		out = append(out, Pair{From: id, To: name})
	}
	return out
}
