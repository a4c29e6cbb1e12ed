package handover

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// Cohort is one row of cohorts.csv.
type Cohort struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Criteria    string `json:"criteria"`
	// Size is PbN's own member count.
	Size int64 `json:"size"`
	// Tag is the HighLevel tag for the cohort's members (CohortTag);
	// TagApplied says whether the approved map writes cohort membership
	// to contacts' tags, i.e. whether the migration applied it.
	Tag        string `json:"tag"`
	TagApplied bool   `json:"tagApplied"`
	// SmartList is a HighLevel smart-list filter that reproduces the
	// cohort.
	SmartList string `json:"smartList"`
	// HighLevelCount is what HighLevel counted with the tag after the run;
	// Checked says why it was not counted when it was not.
	HighLevelCount int    `json:"highLevelCount"`
	Checked        string `json:"checked"`
}

// CohortTag is the HighLevel tag a cohort's members carry: "pbn: " and the
// cohort's name in lower case, spaces collapsed (HighLevel lower-cases
// tags itself; the prefix keeps migrated segments apart from the agency's
// own tags).
// It is mapping.CohortTag's rule, which the map's cohort table
// (Map.TagCohorts) is drafted with.
func CohortTag(name string) string {
	return mapping.CohortTag(pbn.Cohort{Name: name})
}

// mapCohortTags is the map's cohort → tag table: the value map of the
// patients' rule from cohortIds to tags (nil without one).
func mapCohortTags(m *mapping.Map) map[string]string {
	if m == nil {
		return nil
	}
	for _, o := range m.Objects {
		if o.Source != string(pbn.EntityPatients) || o.Target != mapping.TargetContact {
			continue
		}
		for _, f := range o.Fields {
			if f.From == mapping.CohortsField && f.To == "tags" && len(f.Values) > 0 {
				out := make(map[string]string, len(f.Values))
				for _, p := range f.Values {
					out[p.From] = p.To
				}
				return out
			}
		}
	}
	return nil
}

func buildCohorts(ctx context.Context, d *data, m *mapping.Map, hl *highlevel.Client) ([]Cohort, error) {
	applied := migratedField(m, "patients", "cohortIds") == "tags"
	table := mapCohortTags(m)
	out := make([]Cohort, 0, len(d.cohorts))
	for _, c := range d.cohorts {
		tag := mapping.CohortTag(c)
		if t, ok := table[string(c.ID)]; ok && t != "" {
			tag = t // the map's table, as a person may have renamed it
		}
		row := Cohort{Name: c.Name, Description: c.Description, Criteria: c.Criteria, Size: c.PatientCount, Tag: tag, TagApplied: applied}
		if row.Criteria == "" {
			row.Criteria = "not given by PbN"
		}
		row.SmartList = fmt.Sprintf("Tag is %q", row.Tag)
		if !applied {
			row.SmartList = fmt.Sprintf("Tag is %q, once the members are tagged (export the cohort's members from PbN and bulk-tag them: the map does not carry cohort membership)", row.Tag)
		}
		switch {
		case !applied:
			row.Checked = "not checked: the map applies no cohort tag"
		case hl == nil:
			row.Checked = "not checked: no HighLevel client"
		default:
			n, err := hl.Contacts.Count(ctx, highlevel.ContactSearch{Filters: []highlevel.SearchFilter{{Field: "tags", Operator: "eq", Value: row.Tag}}})
			if err != nil {
				return nil, fmt.Errorf("handover: count cohort %s's tag in HighLevel: %w", c.ID, err)
			}
			row.HighLevelCount = n
			row.Checked = "checked"
			if int64(n) != c.PatientCount {
				row.Checked = fmt.Sprintf("checked: HighLevel has %d, PbN %d", n, c.PatientCount)
			}
		}
		out = append(out, row)
	}
	return out, nil
}

func writeCohortsCSV(b *bytes.Buffer, cs []Cohort) error {
	w := csv.NewWriter(b)
	w.Write([]string{"name", "description", "criteria", "size", "tag", "tag_applied", "smart_list_filter", "highlevel_count", "count_check"})
	for _, c := range cs {
		count := ""
		if strings.HasPrefix(c.Checked, "checked") {
			count = strconv.Itoa(c.HighLevelCount)
		}
		w.Write([]string{c.Name, c.Description, c.Criteria, strconv.FormatInt(c.Size, 10), c.Tag, strconv.FormatBool(c.TagApplied), c.SmartList, count, c.Checked})
	}
	w.Flush()
	return w.Error()
}
