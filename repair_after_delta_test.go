package pbnhl_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// TestRepairRecreatesWhatADeltaLeft: a contact a delta updated (its last
// write an update body, which carries neither gender nor tags) and whose
// tags the delta's tag calls changed is deleted in HighLevel; repair
// re-creates it as the journal says it stood — the create's fields with
// the update's over them, and the tags the tag calls left it — so a full
// reconcile agrees again.
func TestRepairRecreatesWhatADeltaLeft(t *testing.T) {
	cd := migratedWithCohorts(t)
	e, cohorts, tagOf, changes, contactOf, patients := cd.e, cd.cohorts, cd.tagOf, cd.changes, cd.contactOf, cd.patients
	ctx := context.Background()
	// Plant, on a patient the mutation updated, the tag of a cohort it is
	// not in: the delta's tag call removes it.
	var victim, victimKey, planted string
	for _, k := range changes.Updated[pbn.EntityPatients] {
		pt := patients[string(k)]
		cid, ok := contactOf[string(k)]
		if !ok || pt.Status == pbn.PatientStatusDeleted || pt.Gender == "" || len(pt.CohortIDs) == 0 {
			continue
		}
		for _, c := range cohorts {
			if !slices.Contains(pt.CohortIDs, c.ID) {
				planted = tagOf[string(c.ID)]
				break
			}
		}
		_, err := e.client.Contacts.AddTags(ctx, cid, planted)
		require.NoError(t, err)
		victim, victimKey = cid, string(k)
		break
	}
	require.NotEmpty(t, victim, "an updated patient with a gender and cohorts")
	m := e.migration(nil)
	_, err := m.Delta(ctx)
	require.NoError(t, err)
	updated := false
	for en, err := range e.ledger.Entries(ctx, rollback.EntryFilter{}) {
		require.NoError(t, err)
		updated = updated || en.ObjectType == rollback.TypeContact && en.SourceKey == victimKey && en.Op == rollback.OpUpdate && en.Outcome == rollback.OutcomeDone
	}
	require.True(t, updated, "the delta updated the victim")
	before, ok := e.hl.Contact(hltest.DefaultLocationID, victim)
	require.True(t, ok)
	require.NotContains(t, before.Tags, planted, "the delta removed the planted tag")
	require.NotEmpty(t, before.Gender)

	require.NoError(t, e.client.Contacts.Delete(ctx, victim))
	rep, err := m.Reconcile(ctx, pbnhl.ReconcileOptions{Full: true, Deep: true, Sample: -1})
	require.NoError(t, err)
	assert.Contains(t, found(rep), "missing contact "+victimKey+" ")
	_, err = m.Repair(ctx, rep, pbnhl.RepairOptions{})
	require.NoError(t, err)

	var again string
	for id, pid := range contactPatients(e) {
		if pid == victimKey {
			again = id
		}
	}
	require.NotEmpty(t, again, "re-created")
	after, ok := e.hl.Contact(hltest.DefaultLocationID, again)
	require.True(t, ok)
	assert.Equal(t, before.Gender, after.Gender, "the create's gender, which the update body lacks")
	assert.Equal(t, before.LastName, after.LastName, "the update's fields")
	lower := func(ts []string) []string {
		out := slices.Clone(ts)
		for i := range out {
			out[i] = strings.ToLower(out[i])
		}
		slices.Sort(out)
		return out
	}
	assert.Equal(t, lower(before.Tags), lower(after.Tags), "the tags the tag calls left it")
	for _, id := range patients[victimKey].CohortIDs {
		assert.Contains(t, lower(after.Tags), strings.ToLower(tagOf[string(id)]))
	}

	rep, err = m.Reconcile(ctx, pbnhl.ReconcileOptions{Full: true, Deep: true, Sample: -1})
	require.NoError(t, err)
	assert.Empty(t, found(rep), rep.Verdict)
}
