package pbnhl_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// TestOtherOfficesArrive (issue 16.5, links: patients seen at several
// offices): the default map with the practice's offices listed
// (Map.CarryOffices, what `pbn2hl propose` drafts), run against hltest
// and read back through the client: every contact is linked to the
// business of its patient's own office, and its pbn_other_offices field
// (MULTIPLE_OPTIONS) holds exactly the other offices the patient had a
// completed appointment at, by name; the census of offices per patient
// (own office plus the others) matches the source's, and at least one
// patient was seen at two offices.
func TestOtherOfficesArrive(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(60), seed: 11})
	ctx := context.Background()
	p := e.pbn.Practice()
	offices := p.Offices()
	require.GreaterOrEqual(t, len(offices), 2, "the practice has several offices")
	// Generated practices book every visit at the patient's own office:
	// some completed visits move to another office, as in a group.
	moved := e.pbn.MutateWith(pbntest.MutateOptions{SeenElsewhere: 12})
	require.NotEmpty(t, moved.Updated[pbn.EntityAppointments])
	require.NoError(t, e.m.CarryOffices(offices))
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)))
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	pre, err := m.Preflight(ctx)
	require.NoError(t, err)
	require.True(t, pre.Ready(), pre.Blocking)
	_, err = m.Load(ctx)
	require.NoError(t, err)

	census, several := checkOtherOffices(t, e, offices)
	assert.Positive(t, several, "some patient was seen at two offices")
	t.Logf("offices per patient: %v (%d patients seen at several)", census, several)
}

// TestOtherOfficesDelta: visits moved to another office after the full
// load reach HighLevel with the next delta: the patients whose
// appointments changed are re-folded, and every contact's field is again
// exactly the other offices its patient was seen at (moves back to the
// patient's own office empty it).
func TestOtherOfficesDelta(t *testing.T) {
	day := pbntest.DefaultAsOf.Add(24 * time.Hour)
	e := newEnv(t, envOptions{patients: size(40), seed: 5, now: func() time.Time { return day }})
	ctx := context.Background()
	offices := e.pbn.Practice().Offices()
	require.NoError(t, e.m.CarryOffices(offices))
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)))
	migrate(t, e, nil)
	before, _ := checkOtherOffices(t, e, offices)

	moved := e.pbn.MutateWith(pbntest.MutateOptions{SeenElsewhere: 15})
	require.NotEmpty(t, moved.Updated[pbn.EntityAppointments])
	_, err := e.migration(nil).Delta(ctx)
	require.NoError(t, err)
	after, several := checkOtherOffices(t, e, offices)
	assert.Positive(t, several, "the delta carried patients seen at two offices")
	assert.NotEqual(t, before, after, "the census moved with the visits")
	t.Logf("offices per patient: before %v, after the delta %v", before, after)
}

// checkOtherOffices reads the source (as the simulator serves it now) and
// every contact through the client: each contact's business is its
// patient's own office's, its pbn_other_offices field is exactly the other
// offices of its patient's completed appointments, by name, and the census
// of offices per patient (own plus others) is the source's. It returns
// that census and how many patients were seen at several offices.
func checkOtherOffices(t *testing.T, e *env, offices []pbn.Office) (map[int]int, int) {
	t.Helper()
	ctx := context.Background()
	nameOf := map[string]string{}
	for _, o := range offices {
		nameOf[string(o.ID)] = mapping.OfficeName(o)
	}
	// The source: each patient's own office and the others it was seen at.
	// The source (as the simulator serves it now): each patient's own
	// office and the others it was seen at.
	own := map[string]string{}
	for pt, err := range e.src.Patients(ctx, pbn.ListOptions{}) {
		require.NoError(t, err)
		if pt.Status != "Deleted" {
			own[string(pt.ID)] = string(pt.OfficeID)
		}
	}
	others := map[string][]string{}
	for a, err := range e.src.Appointments(ctx, pbn.ListOptions{}) {
		require.NoError(t, err)
		pid := string(a.PatientID)
		o, ok := own[pid]
		if !ok || a.Status != pbn.AppointmentComplete || a.OfficeID == "" || string(a.OfficeID) == o {
			continue
		}
		if n := nameOf[string(a.OfficeID)]; !slices.Contains(others[pid], n) {
			require.NotEmpty(t, n, "appointment %s's office is one of the practice's", a.ID)
			others[pid] = append(others[pid], n)
		}
	}

	// What arrived.
	businessOf := map[string]string{} // office id → business id
	for b, err := range e.client.Businesses.List(ctx, highlevel.BusinessListOptions{}) {
		require.NoError(t, err)
		// The description is the map's 'PbN office {id}' (and the run's
		// identity marker after it).
		if rest, ok := strings.CutPrefix(b.Description, "PbN office "); ok && len(strings.Fields(rest)) > 0 {
			businessOf[strings.Fields(rest)[0]] = b.ID
		}
	}
	fields, err := e.client.CustomFields.List(ctx, highlevel.FieldModelContact)
	require.NoError(t, err)
	var patientField, officesField string
	for _, f := range fields {
		switch f.FieldKey {
		case "contact.pbn_patient_id":
			patientField = f.ID
		case "contact." + mapping.OtherOfficesKey:
			officesField = f.ID
			assert.Equal(t, highlevel.DataTypeMultipleOptions, f.DataType, "a multi-value field")
			for _, n := range nameOf {
				assert.Contains(t, f.PicklistOptions, n, "every office is an option")
			}
		}
	}
	require.NotEmpty(t, patientField)
	require.NotEmpty(t, officesField, "the schema made the other offices field")

	srcCensus, gotCensus := map[int]int{}, map[int]int{} // offices seen → patients
	contacts, several := 0, 0
	for ct, err := range e.client.Contacts.Search(ctx, highlevel.ContactSearch{}) {
		require.NoError(t, err)
		var pid string
		var got []string
		for _, v := range ct.CustomFields {
			switch v.ID {
			case patientField:
				pid, _ = v.Text()
			case officesField:
				got, _ = v.Strings()
			}
		}
		require.Contains(t, own, pid, "contact %s is a migrated patient's", ct.ID)
		contacts++
		if o := own[pid]; o != "" {
			assert.Equal(t, businessOf[o], ct.BusinessID, "patient %s: the contact's business is its own office's", pid)
		}
		assert.ElementsMatch(t, others[pid], got, "patient %s: the other offices it was seen at", pid)
		gotCensus[1+len(got)]++
		srcCensus[1+len(others[pid])]++
		if len(got) > 0 {
			several++
		}
	}
	assert.Equal(t, len(own), contacts, "every patient has its contact")
	assert.Equal(t, srcCensus, gotCensus, "offices per patient, source and HighLevel")
	return gotCensus, several
}
