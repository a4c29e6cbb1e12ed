package pbnhl_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// TestCohortCensus (issue 16.5 and done-when #1, cohorts): the default map
// with the practice's cohorts tagged (Map.TagCohorts, what `pbn2hl
// propose` drafts) on a pbntest practice, run against hltest and read back
// through the highlevel client: every cohort membership of the source
// arrived as its cohort's tag on its patient's contact, or its patient is
// listed with a reason, or left out by the patients' filter — exactly one;
// no contact carries a cohort tag its patient does not have; and a search
// by each cohort's tag (the handover's smart-list check) counts exactly
// the members that arrived.
func TestCohortCensus(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(60), seed: 7})
	ctx := context.Background()
	p := e.pbn.Practice()
	cohorts := p.Cohorts()
	require.NotEmpty(t, cohorts)
	require.NoError(t, e.m.TagCohorts(cohorts))
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)))
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	pre, err := m.Preflight(ctx)
	require.NoError(t, err)
	require.True(t, pre.Ready(), pre.Blocking)
	_, err = m.Load(ctx)
	require.NoError(t, err)

	tagOf := map[string]string{}
	for _, c := range cohorts {
		tagOf[string(c.ID)] = mapping.CohortTag(c)
	}
	// What arrived, through the client: each contact's tags by patient.
	fields, err := e.client.CustomFields.List(ctx, highlevel.FieldModelContact)
	require.NoError(t, err)
	var patientField string
	for _, f := range fields {
		if f.FieldKey == "contact.pbn_patient_id" {
			patientField = f.ID
		}
	}
	require.NotEmpty(t, patientField)
	tagsOf := map[string][]string{}
	for ct, err := range e.client.Contacts.Search(ctx, highlevel.ContactSearch{}) {
		require.NoError(t, err)
		var pid string
		for _, v := range ct.CustomFields {
			if v.ID == patientField {
				pid, _ = v.Text()
			}
		}
		require.NotEmpty(t, pid, "contact %s carries its patient id", ct.ID)
		tagsOf[pid] = ct.Tags
	}
	listed := map[string][]string{}
	for pr, err := range e.ledger.Problems(ctx) {
		require.NoError(t, err)
		if pr.Entity == "patients" {
			listed[pr.SourceKey] = append(listed[pr.SourceKey], pr.Reasons...)
		}
	}

	var keys []string
	arrived, listedM, filtered := map[string]bool{}, map[string][]string{}, map[string]bool{}
	members := map[string]int{} // tag → members that arrived
	for pt := range p.Patients() {
		pid := string(pt.ID)
		var want []string
		for _, id := range pt.CohortIDs {
			k := string(id) + "/" + pid
			keys = append(keys, k)
			tag, ok := tagOf[string(id)]
			require.True(t, ok, "patient %s is in cohort %s, which the practice lists", pid, id)
			want = append(want, tag)
			switch {
			case pt.Status == "Deleted":
				filtered[k] = true
			case listed[pid] != nil:
				listedM[k] = listed[pid]
			case slices.Contains(tagsOf[pid], tag):
				arrived[k] = true
				members[tag]++
			}
		}
		if got, ok := tagsOf[pid]; ok {
			assert.ElementsMatch(t, want, got, "patient %s's contact carries exactly its cohorts' tags", pid)
		}
	}
	census{kind: "cohort memberships", source: keys, arrived: arrived, listed: listedM, filtered: filtered}.check(t, int64(len(filtered)))

	// The handover's check: HighLevel's own search by each tag.
	for _, c := range cohorts {
		tag := tagOf[string(c.ID)]
		n, err := e.client.Contacts.Count(ctx, highlevel.ContactSearch{Filters: []highlevel.SearchFilter{{Field: "tags", Operator: "eq", Value: tag}}})
		require.NoError(t, err)
		assert.Equal(t, members[tag], n, "cohort %s: contacts found by its tag", c.ID)
	}
}

// TestCohortTagsDelta: a delta's contact update carries no tags —
// HighLevel's update would replace every tag of the contact — but adds the
// map's tags and removes the map's own tags the patient no longer has: on
// the contacts of the patients the source changed, a tag staff gave
// survives, a cohort tag planted on a non-member (as if it left the
// cohort) is removed, and the members keep their cohorts' tags.
func TestCohortTagsDelta(t *testing.T) {
	cd := migratedWithCohorts(t)
	e, cohorts, tagOf, changes, contactOf, patients := cd.e, cd.cohorts, cd.tagOf, cd.changes, cd.contactOf, cd.patients
	ctx := context.Background()
	type planted struct{ contact, left string }
	var changed []planted
	for _, k := range changes.Updated[pbn.EntityPatients] {
		pt := patients[string(k)]
		cid, ok := contactOf[string(k)]
		if !ok || pt.Status == pbn.PatientStatusDeleted {
			continue
		}
		// A cohort the patient is not in: its tag planted as if it had left.
		left := ""
		for _, c := range cohorts {
			if !slices.Contains(pt.CohortIDs, c.ID) {
				left = tagOf[string(c.ID)]
				break
			}
		}
		require.NotEmpty(t, left)
		_, err := e.client.Contacts.AddTags(ctx, cid, "staff: called back", left)
		require.NoError(t, err)
		changed = append(changed, planted{cid, left})
	}
	require.NotEmpty(t, changed, "the mutation updated migrated patients")

	_, err := e.migration(nil).Delta(ctx)
	require.NoError(t, err)
	updated := 0
	for pid, cid := range contactOf {
		for _, pl := range changed {
			if pl.contact != cid {
				continue
			}
			updated++
			ct, ok := e.hl.Contact(hltest.DefaultLocationID, cid)
			require.True(t, ok)
			assert.Contains(t, ct.Tags, "staff: called back", "patient %s: a tag staff gave survives the delta", pid)
			assert.NotContains(t, ct.Tags, pl.left, "patient %s: the tag of a cohort it is not in is removed", pid)
			for _, id := range patients[pid].CohortIDs {
				assert.Contains(t, ct.Tags, tagOf[string(id)], "patient %s keeps cohort %s's tag", pid, id)
			}
		}
	}
	assert.Equal(t, len(changed), updated)
	assert.Positive(t, e.opCount("contacts.update"), "the delta updated contacts")
}

// cohortDelta is a practice migrated with its cohorts as contact tags,
// whose source then changed (25 updates): ready for a delta.
type cohortDelta struct {
	e         *env
	cohorts   []pbn.Cohort
	tagOf     map[string]string // cohort id → its tag
	changes   pbntest.Changes
	contactOf map[string]string // patient id → contact id
	patients  map[string]pbn.Patient
}

func migratedWithCohorts(t *testing.T) *cohortDelta {
	t.Helper()
	day := pbntest.DefaultAsOf.Add(24 * time.Hour)
	e := newEnv(t, envOptions{patients: size(30), seed: 3, now: func() time.Time { return day }})
	cd := &cohortDelta{e: e, cohorts: e.pbn.Practice().Cohorts(), tagOf: map[string]string{}, contactOf: map[string]string{},
		patients: map[string]pbn.Patient{}}
	require.NoError(t, e.m.TagCohorts(cd.cohorts))
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)))
	migrate(t, e, nil)
	for _, c := range cd.cohorts {
		cd.tagOf[string(c.ID)] = mapping.CohortTag(c)
	}
	cd.changes = e.pbn.MutateWith(pbntest.MutateOptions{Update: 25})
	for id, pid := range contactPatients(e) {
		cd.contactOf[pid] = id
	}
	for pt := range e.pbn.Practice().Patients() {
		cd.patients[string(pt.ID)] = pt
	}
	return cd
}
