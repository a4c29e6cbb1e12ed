package fleet

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// TestLoadMapDraftsLinks (issue 16.5): the map a location proposes when it
// has none is the default map with the links drafted from the practice's
// lists, as pbn2hl propose drafts them (mapping.DraftLinks): the saved
// map.yaml holds the cohort tags, the staff names and the other offices;
// a second load reads the file as it is (a reviewer's edit kept).
func TestLoadMapDraftsLinks(t *testing.T) {
	ctx := context.Background()
	ps, err := pbntest.NewServer(pbntest.Options{Seed: 21, Patients: 20})
	require.NoError(t, err)
	t.Cleanup(ps.Close)
	src, err := pbn.NewClient(pbn.Options{BaseURL: ps.URL, Token: ps.Token(), RateLimit: -1})
	require.NoError(t, err)
	p := ps.Practice()
	spec := LocationSpec{ID: "A", WorkDir: t.TempDir()}
	a := &Activities{}

	m, err := a.loadMap(ctx, spec, src)
	require.NoError(t, err)
	want, err := mapping.Default(p.CustomProperties())
	require.NoError(t, err)
	require.NoError(t, want.TagCohorts(p.Cohorts()))
	require.Equal(t, 3, want.NameStaff(p.Staff()))
	require.NoError(t, want.CarryOffices(p.Offices()))
	assert.Equal(t, want.Objects, m.Objects)

	saved, err := mapping.Load(spec.mapPath())
	require.NoError(t, err)
	mine, err := m.Marshal()
	require.NoError(t, err)
	read, err := saved.Marshal()
	require.NoError(t, err)
	assert.Equal(t, string(mine), string(read), "map.yaml holds the drafted links for the reviewer")
	tags := saved.Object("patients").Field("tags")
	require.NotNil(t, tags)
	assert.Len(t, tags.Values, len(p.Cohorts()))
	require.NotNil(t, saved.Object(mapping.OtherOfficesObject))

	tags.Values[0].To = "renamed by the reviewer"
	require.NoError(t, saved.SaveFile(spec.mapPath()))
	again, err := a.loadMap(ctx, spec, src)
	require.NoError(t, err)
	assert.Equal(t, "renamed by the reviewer", again.Object("patients").Field("tags").Values[0].To)
}

// checkLinksArrived reads one location back through the HighLevel client
// and its practice through the PbN client: every contact carries exactly
// its patient's cohorts' tags and, in pbn_other_offices, exactly the other
// offices of its patient's completed visits; every provider/hygienist id
// on an appointment or treatment record has the staff member's name
// beside it. It returns how many contacts carry a tag and how many list
// another office.
func checkLinksArrived(t *testing.T, ctx context.Context, src *pbn.Client, p *pbntest.Practice, hs *hltest.Server, location, token string) (tagged, elsewhere int) {
	t.Helper()
	hl, err := highlevel.NewClient(highlevel.Options{BaseURL: hs.URL, LocationID: location, Auth: highlevel.StaticToken(token), HTTPClient: hs.Client()})
	require.NoError(t, err)
	tagOf := map[string]string{}
	for _, c := range p.Cohorts() {
		tagOf[string(c.ID)] = mapping.CohortTag(c)
	}
	officeName := map[string]string{}
	for _, o := range p.Offices() {
		officeName[string(o.ID)] = mapping.OfficeName(o)
	}
	staff := map[string]string{}
	for _, s := range p.Staff() {
		staff[string(s.ID)] = mapping.StaffName(s)
	}

	// The source, through the PbN client.
	type patient struct {
		office string
		tags   []string
	}
	pats := map[string]patient{}
	for pt, err := range src.Patients(ctx, pbn.ListOptions{}) {
		require.NoError(t, err)
		var tags []string
		for _, id := range pt.CohortIDs {
			require.Contains(t, tagOf, string(id))
			tags = append(tags, tagOf[string(id)])
		}
		pats[string(pt.ID)] = patient{string(pt.OfficeID), tags}
	}
	others := map[string][]string{}
	for a, err := range src.Appointments(ctx, pbn.ListOptions{}) {
		require.NoError(t, err)
		pid := string(a.PatientID)
		pt, ok := pats[pid]
		if !ok || a.Status != pbn.AppointmentComplete || a.OfficeID == "" || string(a.OfficeID) == pt.office {
			continue
		}
		if n := officeName[string(a.OfficeID)]; !slices.Contains(others[pid], n) {
			others[pid] = append(others[pid], n)
		}
	}

	// HighLevel, through its client.
	fields, err := hl.CustomFields.List(ctx, highlevel.FieldModelContact)
	require.NoError(t, err)
	var patientField, officesField string
	for _, f := range fields {
		switch f.FieldKey {
		case "contact.pbn_patient_id":
			patientField = f.ID
		case "contact." + mapping.OtherOfficesKey:
			officesField = f.ID
		}
	}
	require.NotEmpty(t, patientField)
	require.NotEmpty(t, officesField, "the schema made the other offices field")
	contacts := 0
	for ct, err := range hl.Contacts.Search(ctx, highlevel.ContactSearch{}) {
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
		pt, ok := pats[pid]
		require.True(t, ok, "contact %s is a patient's", ct.ID)
		contacts++
		assert.ElementsMatch(t, pt.tags, ct.Tags, "%s: patient %s's cohorts' tags", location, pid)
		assert.ElementsMatch(t, others[pid], got, "%s: patient %s's other offices", location, pid)
		if len(ct.Tags) > 0 {
			tagged++
		}
		if len(got) > 0 {
			elsewhere++
		}
	}
	assert.Positive(t, contacts)

	for _, c := range []struct {
		object string
		pairs  [][2]string // id property → name property
	}{
		{"custom_objects.pbn_appointment", [][2]string{{"provider_id", "provider"}, {"hygienist_id", "hygienist"}}},
		{"custom_objects.pbn_treatment", [][2]string{{"provider_id", "provider"}}},
	} {
		named := 0
		for r, err := range hl.Objects.SearchRecords(ctx, c.object, highlevel.RecordSearch{}) {
			require.NoError(t, err)
			for _, pr := range c.pairs {
				id, name := recordText(r, pr[0]), recordText(r, pr[1])
				if id == "" {
					assert.Empty(t, name, "%s %s: no %s, no name", c.object, r.ID, pr[0])
					continue
				}
				require.Contains(t, staff, id, "%s %s: %s is a staff member", c.object, r.ID, pr[0])
				assert.Equal(t, staff[id], name, "%s %s: %s names the person", c.object, r.ID, pr[1])
				named++
			}
		}
		assert.Positive(t, named, "%s: %s records name their staff", location, c.object)
	}
	return tagged, elsewhere
}

func recordText(r *highlevel.Record, prop string) string {
	v, ok := r.Properties.Value(prop)
	if !ok {
		return ""
	}
	s, _ := v.Text()
	return s
}
