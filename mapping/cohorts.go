package mapping

import (
	"errors"
	"slices"
	"strings"
	"unicode"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// Cohort membership (issue 16.5). PbN keeps a patient's saved segments as
// cohort ids on the patient (Patient.CohortIDs); HighLevel segments
// contacts by tags. TagCohorts writes the membership through the map: a
// rule from cohortIds to the contact's tags whose value table names each
// cohort's tag, so the review shows every cohort → tag and a person can
// rename one before approving. A cohort the table does not list (created in
// PbN after the map was drafted) is left off the contact with a warning on
// the record (unknown: warn), never a raw id as a tag.

// CohortTag is the HighLevel tag a cohort's members carry: "pbn: " and the
// cohort's name in lower case, spaces collapsed (HighLevel lower-cases
// tags itself; the prefix keeps migrated segments apart from the agency's
// own tags). A cohort without a name is tagged by its id.
func CohortTag(c pbn.Cohort) string {
	// A comma would split the tag in two where tags are written as text.
	name := strings.ReplaceAll(strings.ToLower(c.Name), ",", " ")
	name = strings.Join(strings.FieldsFunc(name, unicode.IsSpace), " ")
	if name == "" {
		name = "cohort " + strings.ToLower(string(c.ID))
	}
	return "pbn: " + name
}

// CohortsField is the source field of a patient holding its cohort ids.
const CohortsField = "cohortIds"

// ErrNoPatientContacts: TagCohorts found no contact object reading PbN
// patients to write the tags on.
var ErrNoPatientContacts = errors.New("mapping: no contact object reads patients: cohort membership has no contact to tag")

// TagCohorts makes the map carry cohort membership as contact tags: on the
// contact object reading patients, a rule from cohortIds to tags with one
// value per cohort (its id → CohortTag), unknown ones left out with a
// warning. An existing cohortIds rule has its table replaced (tags a
// person renamed keep their name), and cohortIds leaves the object's skip
// list; without cohorts the map is unchanged. The map must be approved
// again afterwards.
func (m *Map) TagCohorts(cohorts []pbn.Cohort) error {
	if len(cohorts) == 0 {
		return nil
	}
	var o *Object
	for i := range m.Objects {
		if m.Objects[i].Target == TargetContact && m.Objects[i].Source == string(pbn.EntityPatients) {
			o = &m.Objects[i]
			break
		}
	}
	if o == nil {
		return ErrNoPatientContacts
	}
	var f *Field
	for i := range o.Fields {
		if o.Fields[i].From == CohortsField && o.Fields[i].To == "tags" {
			f = &o.Fields[i]
		}
	}
	if f == nil {
		o.Fields = append(o.Fields, Field{From: CohortsField, To: "tags", Unknown: UnknownWarn,
			Reason: "cohort membership as contact tags, one per PbN cohort (rename a tag in the values below)"})
		f = &o.Fields[len(o.Fields)-1]
	}
	// A draft may have skipped cohortIds (the proposer sampled no value of
	// it): now mapped, it leaves the skip list (a field both skipped and
	// mapped does not load).
	o.Skip = slices.DeleteFunc(o.Skip, func(s Skip) bool { return s.From == CohortsField })
	renamed := make(map[string]string, len(f.Values))
	for _, p := range f.Values {
		renamed[p.From] = p.To
	}
	f.Values = f.Values[:0]
	seen := map[string]bool{}
	for _, c := range cohorts {
		id := string(c.ID)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		tag := CohortTag(c)
		if to, ok := renamed[id]; ok && to != "" {
			tag = to
		}
		f.Values = append(f.Values, Pair{From: id, To: tag})
	}
	return nil
}
