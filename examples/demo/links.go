package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/internal/human"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// Links is what the links (issue 16.5) look like in HighLevel, read back
// through the HighLevel client after the delta.
type Links struct {
	// Tags and OtherOffices are, per contact (keyed by its PbN patient id
	// when the map writes one, else by contact id), its tags and the
	// options of its other offices field.
	Tags         map[string][]string
	OtherOffices map[string][]string
	// Staff are the staff references of the custom object records, per
	// record type: each record's PbN staff id and the name beside it.
	Staff map[string][]StaffRef
	// Patients and Visits are the source as the PbN client read it at the
	// same time, to compare with: each patient by id, and each completed
	// appointment's patient and office.
	Patients map[string]SourcePatient
	Visits   []Visit
}

// SourcePatient is what the links of one patient come from.
type SourcePatient struct {
	Office  string
	Cohorts []string
	Deleted bool
}

// Visit is a completed appointment's patient and office.
type Visit struct{ Patient, Office string }

// StaffRef is one provider or hygienist of a record, as read back.
type StaffRef struct {
	Record, Field, ID, Name string
}

// readLinks reads every contact and custom object record of the map back
// through the HighLevel client and says how many carry the links.
func (d *demo) readLinks(ctx context.Context) error {
	l := &Links{Tags: map[string][]string{}, OtherOffices: map[string][]string{}, Staff: map[string][]StaffRef{}}
	fields, err := d.client.CustomFields.List(ctx, highlevel.FieldModelContact)
	if err != nil {
		return fmt.Errorf("read the contact fields: %w", err)
	}
	var patientKey string
	if p := d.patientsObject(); p != nil && p.ExternalID != "" {
		patientKey = "contact." + p.ExternalID
	}
	var patientField, officesField string
	for _, f := range fields {
		switch f.FieldKey {
		case patientKey:
			patientField = f.ID
		case "contact." + mapping.OtherOfficesKey:
			officesField = f.ID
		}
	}
	tagged, tags := 0, map[string]bool{}
	for ct, err := range d.client.Contacts.Search(ctx, highlevel.ContactSearch{}) {
		if err != nil {
			return fmt.Errorf("read the contacts: %w", err)
		}
		key := ct.ID
		var offices []string
		for _, v := range ct.CustomFields {
			switch {
			case patientField != "" && v.ID == patientField:
				if s, ok := v.Text(); ok && s != "" {
					key = s
				}
			case officesField != "" && v.ID == officesField:
				offices, _ = v.Strings()
			}
		}
		l.Tags[key] = ct.Tags
		if len(ct.Tags) > 0 {
			tagged++
		}
		for _, t := range ct.Tags {
			tags[t] = true
		}
		if len(offices) > 0 {
			l.OtherOffices[key] = offices
		}
	}
	refs, named := 0, 0
	for _, o := range d.m.Objects {
		typ := o.RecordType()
		pairs := staffPairs(o)
		if !strings.HasPrefix(typ, "custom_objects.") || len(pairs) == 0 {
			continue
		}
		for r, err := range d.client.Objects.SearchRecords(ctx, typ, highlevel.RecordSearch{}) {
			if err != nil {
				return fmt.Errorf("read the %s records: %w", typ, err)
			}
			for _, p := range pairs {
				id, name := recordText(r, p[0]), recordText(r, p[1])
				if id == "" && name == "" {
					continue
				}
				l.Staff[typ] = append(l.Staff[typ], StaffRef{Record: r.ID, Field: p[1], ID: id, Name: name})
				refs++
				if name != "" {
					named++
				}
			}
		}
	}
	// The source now, through the PbN client: what the links come from.
	l.Patients = map[string]SourcePatient{}
	for pt, err := range d.src.Patients(ctx, pbn.ListOptions{}) {
		if err != nil {
			return fmt.Errorf("read the patients: %w", err)
		}
		sp := SourcePatient{Office: string(pt.OfficeID), Deleted: pt.Status == "Deleted"}
		for _, c := range pt.CohortIDs {
			sp.Cohorts = append(sp.Cohorts, string(c))
		}
		l.Patients[string(pt.ID)] = sp
	}
	for a, err := range d.src.Appointments(ctx, pbn.ListOptions{}) {
		if err != nil {
			return fmt.Errorf("read the appointments: %w", err)
		}
		if a.Status == pbn.AppointmentComplete {
			l.Visits = append(l.Visits, Visit{Patient: string(a.PatientID), Office: string(a.OfficeID)})
		}
	}
	d.res.Links = l
	d.say("Links, read back through the HighLevel client: %s of %s contacts carry cohort tags (%d distinct tags); %s list other",
		human.Int(tagged), human.Int(len(l.Tags)), len(tags), human.Int(len(l.OtherOffices)))
	d.say("  offices they were seen at (%s); %s of %s provider/hygienist references on records name the person.",
		mapping.OtherOfficesKey, human.Int(named), human.Int(refs))
	return nil
}

// patientsObject is the map's contact object of PbN patients.
func (d *demo) patientsObject() *mapping.Object {
	for i, o := range d.m.Objects {
		if o.Target == mapping.TargetContact && o.Source == string(pbn.EntityPatients) {
			return &d.m.Objects[i]
		}
	}
	return nil
}

// staffPairs are an object's (id property, name property) pairs: for a
// staff id field (providerId, hygienistId), the rule writing the id and
// the rule naming the person from a value table (Map.NameStaff).
func staffPairs(o mapping.Object) [][2]string {
	var out [][2]string
	for _, from := range []string{"providerId", "hygienistId"} {
		var id, name string
		for _, f := range o.Fields {
			if f.From != from || !f.Custom() {
				continue
			}
			if len(f.Values) > 0 {
				name = f.To
			} else {
				id = f.To
			}
		}
		if id != "" && name != "" {
			out = append(out, [2]string{id, name})
		}
	}
	return out
}

func recordText(r *highlevel.Record, prop string) string {
	v, ok := r.Properties.Value(prop)
	if !ok {
		return ""
	}
	s, _ := v.Text()
	return s
}
