package pbnhl_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
)

// TestDefaultMapNotesAndTimes (issue 16.4): with the default map, read
// back through the highlevel client,
//   - each patient's, appointment's, procedure's and treatment plan's
//     original created and modified instants arrive to the second (the
//     *_time text fields beside the DATE fields, which hold a day);
//   - appointment, procedure and treatment-plan notes arrive as properties
//     of their records;
//   - the lines of a patient's notes that are not treatment entries arrive
//     on the contact (pbn_notes), in order; the treatment lines are the
//     treatment rows TestDefaultMapCensus counts.
func TestDefaultMapNotesAndTimes(t *testing.T) {
	// 40 patients even under -short: fewer may have no plan with a note.
	e := newEnv(t, envOptions{patients: 40, seed: 11})
	ctx := context.Background()
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	_, err = m.Load(ctx)
	require.NoError(t, err)
	c := e.client
	p := e.pbn.Practice()

	// The instant a *_time field holds, to the second.
	sameSecond := func(what string, want time.Time, got string, ok bool) {
		t.Helper()
		if want.IsZero() {
			return
		}
		require.True(t, ok, "%s: no value", what)
		at, err := time.Parse(time.RFC3339, got)
		require.NoError(t, err, what)
		assert.True(t, want.Truncate(time.Second).Equal(at), "%s: %s, the source's %s", what, at, want)
	}

	// Contacts: created, modified and the notes' other lines.
	fields, err := c.CustomFields.List(ctx, highlevel.FieldModelContact)
	require.NoError(t, err)
	fid := map[string]string{}
	for _, f := range fields {
		fid[f.FieldKey] = f.ID
	}
	for _, k := range []string{"contact.pbn_patient_id", "contact.pbn_created_time", "contact.pbn_updated_time", "contact.pbn_notes"} {
		require.NotEmpty(t, fid[k], k)
	}
	value := func(vs []highlevel.CustomFieldValue, id string) (string, bool) {
		for _, v := range vs {
			if v.ID == id {
				return v.Text()
			}
		}
		return "", false
	}
	rest, err := mapping.DefaultRegistry().Compile(mapping.Step{Name: "treatment_remainder"})
	require.NoError(t, err)
	byPatient := map[string][]highlevel.CustomFieldValue{}
	for ct, err := range c.Contacts.Search(ctx, highlevel.ContactSearch{}) {
		require.NoError(t, err)
		pid, ok := value(ct.CustomFields, fid["contact.pbn_patient_id"])
		require.True(t, ok)
		byPatient[pid] = ct.CustomFields
	}
	var contacts, withNotes int
	for pt := range p.Patients() {
		vs, ok := byPatient[string(pt.ID)]
		if !ok {
			continue // not migrated: TestDefaultMapCensus accounts for it
		}
		contacts++
		v, ok := value(vs, fid["contact.pbn_created_time"])
		sameSecond("patient created", pt.CreatedAt, v, ok)
		v, ok = value(vs, fid["contact.pbn_updated_time"])
		sameSecond("patient modified", pt.UpdatedAt, v, ok)
		want, err := rest(pt.Notes)
		require.NoError(t, err)
		got, _ := value(vs, fid["contact.pbn_notes"])
		assert.Equal(t, strings.TrimSpace(want), strings.TrimSpace(got), "patient %d: the notes' other lines", pt.ID)
		if strings.TrimSpace(want) != "" {
			withNotes++
		}
	}
	require.Positive(t, contacts)
	require.Positive(t, withNotes, "some patients have notes besides treatment lines")

	// Custom object records: times and the note property.
	type rec struct {
		created, updated time.Time
		note             string
	}
	check := func(key, idProp string, want map[string]rec) {
		t.Helper()
		n, notes := 0, 0
		for r, err := range c.Objects.SearchRecords(ctx, key, highlevel.RecordSearch{}) {
			require.NoError(t, err)
			v, _ := r.Properties.Value(idProp)
			id, _ := v.Text()
			w, ok := want[id]
			require.True(t, ok, "%s %s", key, id)
			n++
			get := func(name string) (string, bool) {
				v, ok := r.Properties.Value(name)
				if !ok {
					return "", false
				}
				return v.Text()
			}
			s, ok := get("pbn_created_time")
			sameSecond(key+" created", w.created, s, ok)
			s, ok = get("pbn_updated_time")
			sameSecond(key+" modified", w.updated, s, ok)
			s, _ = get("note")
			assert.Equal(t, strings.TrimSpace(w.note), strings.TrimSpace(s), "%s %s note", key, id)
			if s != "" {
				notes++
			}
		}
		require.Positive(t, n, key)
		require.Positive(t, notes, "%s: some records carry their note", key)
	}
	appts := map[string]rec{}
	for a := range p.Appointments() {
		appts[string(a.ID)] = rec{a.CreatedAt, a.UpdatedAt, a.Note}
	}
	check("custom_objects.pbn_appointment", "pbn_appointment_id", appts)
	procs := map[string]rec{}
	for pr := range p.Procedures() {
		procs[string(pr.ID)] = rec{pr.CreatedAt, pr.UpdatedAt, pr.Note}
	}
	// Treatment rows from notes have no note or times of their own.
	for pt := range p.Patients() {
		for i := range 64 {
			procs[string(pt.ID)+"#"+itoa(int64(i+1))] = rec{}
		}
	}
	check("custom_objects.pbn_treatment", "pbn_treatment_id", procs)

	// Opportunities: times and the plan's note.
	ofields, err := c.CustomFields.List(ctx, highlevel.FieldModelOpportunity)
	require.NoError(t, err)
	for _, f := range ofields {
		fid[f.FieldKey] = f.ID
	}
	plans := map[string]rec{}
	for tp := range p.TreatmentPlans() {
		plans[string(tp.ID)] = rec{tp.CreatedAt, tp.UpdatedAt, tp.Note}
	}
	n, notes := 0, 0
	for op, err := range c.Opportunities.Search(ctx, highlevel.OpportunitySearch{Status: highlevel.StatusAll}) {
		require.NoError(t, err)
		id, ok := value(op.CustomFields, fid["opportunity.pbn_case_id"])
		require.True(t, ok)
		w, ok := plans[id]
		require.True(t, ok, "plan %s", id)
		n++
		v, ok := value(op.CustomFields, fid["opportunity.pbn_created_time"])
		sameSecond("plan created", w.created, v, ok)
		v, ok = value(op.CustomFields, fid["opportunity.pbn_updated_time"])
		sameSecond("plan modified", w.updated, v, ok)
		v, _ = value(op.CustomFields, fid["opportunity.pbn_note"])
		assert.Equal(t, strings.TrimSpace(w.note), strings.TrimSpace(v), "plan %s note", id)
		if v != "" {
			notes++
		}
	}
	require.Positive(t, n)
	require.Positive(t, notes, "some plans carry their note")
}
