package mapping

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// Patients seen at several offices (issue 16.5). HighLevel links a contact
// to one business: the default map links the patient to the business of
// its own office (Patient.OfficeID). The other offices a patient was seen
// at — the offices of its completed appointments — are carried in a
// MULTIPLE_OPTIONS contact field, one option per office (its name), so a
// smart list can filter on them. The field is a list contact_field object
// (Object.List): the appointments are folded into their contact as the
// logs are, but what is written is the distinct office names, less the
// contact's own office. CarryOffices drafts the object with the practice's
// offices as its value table (office id → name): a person can rename an
// option in the review, and an office the table lacks (opened after the
// draft) is left off the contact with a warning, never a raw id.

// OtherOfficesObject and OtherOfficesKey name the object CarryOffices
// drafts and the contact field it writes.
const (
	OtherOfficesObject = "other_offices"
	OtherOfficesKey    = "pbn_other_offices"
)

// OtherOfficesStatuses are the appointment statuses that count as a
// visit seen at the appointment's office.
var OtherOfficesStatuses = []string{string(pbn.AppointmentComplete)}

// ErrNoAppointmentObjects: CarryOffices found no object reading PbN
// appointments' officeId and patientId in the map (the source has no
// visit by office to list offices from).
var ErrNoAppointmentObjects = errors.New("mapping: no object reads appointments' officeId and patientId: no visit to list a patient's other offices from")

// ErrNoOffices: CarryOffices was given no office with an id.
var ErrNoOffices = errors.New("mapping: no office with an id: nothing to list other offices by")

// OfficeName is the option an office is listed under: its name, else its
// abbreviation, else "Office <id>". A comma, which HighLevel would read as
// a separator where options are written as text, becomes a space.
func OfficeName(o pbn.Office) string {
	name := strings.Join(strings.Fields(strings.ReplaceAll(o.Name, ",", " ")), " ")
	if name == "" {
		name = strings.Join(strings.Fields(strings.ReplaceAll(o.Abbr, ",", " ")), " ")
	}
	if name == "" {
		name = "Office " + string(o.ID)
	}
	return name
}

// CarryOffices makes the map carry the other offices a patient was seen
// at: a list contact_field object other_offices (source appointments,
// completed ones only, linked to the patients' contact) whose one rule
// maps officeId through a value table office id → OfficeName into the
// MULTIPLE_OPTIONS field pbn_other_offices. An existing other_offices
// object keeps its filters and has its table redrawn (options a person
// renamed keep their name). Two offices of one name are told apart by
// their id. The map must be approved again afterwards.
func (m *Map) CarryOffices(offices []pbn.Office) error {
	var patients *Object
	for i := range m.Objects {
		if m.Objects[i].Target == TargetContact && m.Objects[i].Source == string(pbn.EntityPatients) {
			patients = &m.Objects[i]
			break
		}
	}
	if patients == nil {
		return ErrNoPatientContacts
	}
	if !slices.ContainsFunc(m.Objects, func(x Object) bool {
		return x.Source == string(pbn.EntityAppointments) && x.Name != OtherOfficesObject && x.reads("officeId") && x.reads("patientId")
	}) {
		return ErrNoAppointmentObjects
	}
	o := m.Object(OtherOfficesObject)
	if o == nil {
		m.Objects = append(m.Objects, Object{
			Name: OtherOfficesObject, Source: string(pbn.EntityAppointments), Target: TargetContactField,
			Key: OtherOfficesKey, SourceKey: "id", List: true,
			Filters: []Filter{{Field: "status", Op: OpIn, Values: slices.Clone(OtherOfficesStatuses)}},
			Lookups: []Lookup{{From: "patientId", Object: patients.Name, To: LinkContact, Required: true}},
		})
		o = &m.Objects[len(m.Objects)-1]
	}
	o.List = true
	var f *Field
	for i := range o.Fields {
		if o.Fields[i].From == "officeId" {
			f = &o.Fields[i]
		}
	}
	if f == nil {
		o.Fields = append(o.Fields, Field{From: "officeId", To: "office", Unknown: UnknownWarn,
			Reason: "an office the patient was seen at, by name (rename an option in the values below)"})
		f = &o.Fields[len(o.Fields)-1]
	}
	renamed := make(map[string]string, len(f.Values))
	for _, p := range f.Values {
		renamed[p.From] = p.To
	}
	names := map[string]int{}
	for _, of := range offices {
		names[OfficeName(of)]++
	}
	f.Values = f.Values[:0]
	seen := map[string]bool{}
	for _, of := range offices {
		id := string(of.ID)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		name := OfficeName(of)
		if names[name] > 1 {
			name = fmt.Sprintf("%s (%s)", name, id)
		}
		if to, ok := renamed[id]; ok && to != "" {
			name = to
		}
		f.Values = append(f.Values, Pair{From: id, To: name})
	}
	if len(f.Values) == 0 {
		return ErrNoOffices
	}
	return nil
}

// checkList validates a list contact_field object: one rule, whose values
// are the field's options.
func (o *Object) checkList(add func(pos, string, string, ...any), path string) {
	if !o.List {
		return
	}
	if o.Target != TargetContactField {
		add(o.at, path, "list applies only to contact_field targets")
		return
	}
	if len(o.Fields) != 1 {
		add(o.at, path, "a list contact_field has exactly one rule (it has %d)", len(o.Fields))
		return
	}
	if len(o.Fields[0].OptionList()) == 0 {
		add(o.at, path+".fields[0]", "a list contact_field's rule needs a value table or options: they are the field's options")
	}
}

// listField is the schema field of list object o: MULTIPLE_OPTIONS, its
// rule's values the options.
func listField(o *Object, model string) SchemaField {
	var opts []string
	if len(o.Fields) > 0 {
		opts = o.Fields[0].OptionList()
	}
	return SchemaField{Model: model, Key: o.Key, Name: labelFromKey(o.Key), DataType: TypeMultipleOptions, Options: opts}
}

// ListText is what the review says of list object o.
func (m *Map) ListText(o *Object) string {
	s := fmt.Sprintf("A list: the distinct values of its rule across a contact's %s, less the contact's own business, as the options of the MULTIPLE_OPTIONS field `%s`. ", o.Source, o.Key)
	if o.Name == OtherOfficesObject || o.Key == OtherOfficesKey {
		s += "HighLevel links one business per contact: the patient's own office is the contact's business, and the other offices the patient was seen at are in this field."
	}
	return s
}

// listValues are the distinct values of list object o's rule among a
// contact's entries, in the order first seen, without own (the contact's
// business: its source key, read through the rule's value table).
func listValues(o *Object, entries []any, own string) []string {
	out := []string{}
	if len(o.Fields) == 0 {
		return out
	}
	f := &o.Fields[0]
	ownName := own
	for _, p := range f.Values {
		if p.From == own {
			ownName = p.To
		}
	}
	seen := map[string]bool{}
	for _, e := range entries {
		em, ok := e.(map[string]any)
		if !ok {
			continue
		}
		var vals []string
		switch x := em[f.To].(type) {
		case string:
			vals = []string{x}
		case []string:
			vals = x
		}
		for _, v := range vals {
			v = strings.TrimSpace(v)
			if v == "" || seen[v] || (own != "" && v == ownName) {
				continue
			}
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
