package reconcile

import (
	"github.com/pbnhl/pbnhl/mapping"
)

// SourceCounts turns a validation report of the final source (the map's
// Applier and Validator over every record, as a preflight makes it) into
// Options.Source: valid records per ledger object type. Objects that write
// no record of their own (contact fields, owners) and notes and tasks
// (counted by no cheap total in HighLevel) are left out.
func SourceCounts(m *mapping.Map, v *mapping.Report) map[string]int {
	tallies := v.Objects()
	out := map[string]int{}
	for _, o := range m.Objects {
		typ := o.RecordType()
		if kindOf(typ) == nil { // not counted (kinds.go): notes, tasks, events, messages, media
			continue
		}
		out[typ] += tallies[o.Name].Valid
	}
	return out
}
