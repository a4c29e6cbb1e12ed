package reconcile_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

// A full check that is not Deep still finds, exactly, a deleted contact
// and a changed contact field (bucketed diff), a contact unlinked from its
// office's business (a count per business), a deleted custom record and a
// deleted opportunity (their counts differ, so the type is read whole and
// the record named). A removed relation is found when the seeded relation
// sample covers its contact: the test looks for such a seed, and the same
// seed finds it again. A check whose sample misses that contact does not
// see it: with n of M related contacts read, a single lost relation is
// missed with probability 1 - n/M — the report says so.
func TestFullCheckFindsEachDamage(t *testing.T) {
	ctx := context.Background()
	e := migrated(t, 40)
	delKey, delID := contactOf(t, e, 3)
	chgKey, chgID := contactOf(t, e, 17)
	unlKey, unlID := contactOf(t, e, 5)
	require.NoError(t, e.hl.Contacts.Delete(ctx, delID))
	city := "Elsewhere"
	_, err := e.hl.Contacts.Update(ctx, chgID, highlevel.ContactUpdate{City: &city})
	require.NoError(t, err)
	_, err = e.hl.Businesses.UnlinkContacts(ctx, []string{unlID})
	require.NoError(t, err)

	// One appointment's relation to its contact (a contact left whole).
	const apptType = "custom_objects.pbn_appointment"
	toContact, err := e.hl.Associations.GetByKey(ctx, "pbn_appointment_patient")
	require.NoError(t, err)
	var appt rollback.IDMapEntry
	for i := 0; appt.HighLevelID == ""; i++ {
		m := firstMapped(t, e, apptType, i)
		for rl, err := range e.hl.Associations.Relations(ctx, m.HighLevelID, highlevel.RelationListOptions{AssociationIDs: []string{toContact.ID}}) {
			require.NoError(t, err)
			other := rl.FirstRecordID
			if other == m.HighLevelID {
				other = rl.SecondRecordID
			}
			if other == delID || other == chgID || other == unlID {
				continue
			}
			require.NoError(t, e.hl.Associations.DeleteRelation(ctx, rl.ID))
			appt = m
		}
	}
	// A treatment record and an opportunity deleted.
	const treatType = "custom_objects.pbn_treatment"
	treat := firstMapped(t, e, treatType, 7)
	require.NoError(t, e.hl.Objects.DeleteRecord(ctx, treatType, treat.HighLevelID))
	opp := firstMapped(t, e, rollback.TypeOpportunity, 2)
	require.NoError(t, e.hl.Opportunities.Delete(ctx, opp.HighLevelID))

	relOrphan := reconcile.Orphan{ObjectType: apptType, SourceKey: appt.SourceKey, HighLevelID: appt.HighLevelID, Reason: "relation to its contact missing"}
	relations := func(rep *reconcile.Report) reconcile.Integrity {
		for _, in := range rep.Integrity {
			if strings.HasPrefix(in.Check, "custom records related to their contact") {
				return in
			}
		}
		t.Fatal("no relation check")
		return reconcile.Integrity{}
	}
	opts := reconcile.Options{Full: true, Sample: -1, RelationSample: 8}
	var rep *reconcile.Report
	seed, misses := uint64(0), 0
	for s := uint64(1); s <= 100; s++ {
		opts.Seed = s
		r := e.run(t, opts)
		if containsOrphan(relations(r).Orphans, relOrphan) {
			rep, seed = r, s
			break
		}
		misses++
	}
	require.NotNil(t, rep, "no seed of 100 samples the damaged relation's contact")
	t.Logf("seed %d samples the damaged contact (%d seeds missed it)", seed, misses)

	// The contact damage, named by the bucketed diff.
	require.NotNil(t, rep.Buckets)
	assert.ElementsMatch(t, []reconcile.Difference{
		{ObjectType: rollback.TypeContact, SourceKey: delKey, HighLevelID: delID, Kind: reconcile.KindMissing},
		{ObjectType: rollback.TypeContact, SourceKey: chgKey, HighLevelID: chgID, Kind: reconcile.KindField, Field: "city"},
	}, rep.Buckets.Differences)
	// The unlinked contact (and the deleted one, which HighLevel unlinked
	// with it), named by the business counts.
	var links reconcile.Integrity
	for _, in := range rep.Integrity {
		if in.Check == "contacts linked to their office's business" {
			links = in
		}
	}
	assert.ElementsMatch(t, []reconcile.Orphan{
		{ObjectType: rollback.TypeContact, SourceKey: unlKey, HighLevelID: unlID, Reason: "not linked to its office's business"},
		{ObjectType: rollback.TypeContact, SourceKey: delKey, HighLevelID: delID, Reason: "not linked to its office's business"},
	}, links.Orphans)
	// The deleted treatment: its count differs, so its type is scanned
	// whole and the record named; the other types are sampled.
	require.NotNil(t, rep.Records)
	assert.Equal(t, []reconcile.Difference{{ObjectType: treatType, SourceKey: treat.SourceKey, HighLevelID: treat.HighLevelID, Kind: reconcile.KindMissing}},
		rep.Records.Differences)
	assert.Positive(t, rep.Records.Sampled)
	assert.Greater(t, rep.Records.SampledOf, rep.Records.Sampled)
	// The deleted opportunity: its count differs, so every opportunity is
	// listed and the missing one named.
	var opps reconcile.Integrity
	for _, in := range rep.Integrity {
		if strings.HasPrefix(in.Check, "opportunities on their contact and pipeline") {
			opps = in
		}
	}
	assert.Zero(t, opps.Sampled, "listed whole")
	assert.Equal(t, []reconcile.Orphan{{ObjectType: rollback.TypeOpportunity, SourceKey: opp.SourceKey, HighLevelID: opp.HighLevelID, Reason: "missing"}}, opps.Orphans)
	for _, c := range rep.Counts {
		switch c.ObjectType {
		case rollback.TypeContact, treatType, rollback.TypeOpportunity:
			assert.Equal(t, c.Ledger-1, c.HighLevel, c.ObjectType)
		default:
			assert.Equal(t, c.Ledger, c.HighLevel, c.ObjectType)
		}
	}
	// The relation sample says what it read and what it can miss.
	rel := relations(rep)
	assert.Equal(t, 8, rel.Sampled)
	var text strings.Builder
	require.NoError(t, rep.WriteText(&text))
	assert.Contains(t, text.String(), fmt.Sprintf("sampled %d of %d contacts", rel.Sampled, rel.SampledOf))
	assert.Contains(t, text.String(), "missed with probability")
	assert.Contains(t, text.String(), "a field changed outside the sample is not seen")

	// The same seed draws the same sample.
	again := e.run(t, opts)
	assert.True(t, containsOrphan(relations(again).Orphans, relOrphan), "seed %d again", seed)
	assert.Equal(t, relations(rep).Orphans, relations(again).Orphans)
}

func containsOrphan(os []reconcile.Orphan, o reconcile.Orphan) bool {
	for _, x := range os {
		if x == o {
			return true
		}
	}
	return false
}

// A full check that is not Deep compares a random page of each custom
// object whose count agrees, read with the count: no call of its own, and
// a record changed on that page is found.
func TestRecordSampleFindsChangeOnItsPage(t *testing.T) {
	ctx := context.Background()
	e := migrated(t, 12)
	const typ = "custom_objects.pbn_insurance_carrier" // fewer than a page: the sample is every record
	m := firstMapped(t, e, typ, 1)
	_, err := e.hl.Objects.UpdateRecord(ctx, typ, m.HighLevelID, highlevel.RecordUpdate{
		Properties: map[string]highlevel.FieldValue{"name": highlevel.TextValue("renamed")}})
	require.NoError(t, err)
	rep := e.run(t, reconcile.Options{Full: true, Sample: -1, Seed: 1})
	require.NotNil(t, rep.Records)
	assert.Equal(t, []reconcile.Difference{{ObjectType: typ, SourceKey: m.SourceKey, HighLevelID: m.HighLevelID, Kind: reconcile.KindField, Field: "name"}},
		rep.Records.Differences)
	assert.Zero(t, rep.Records.Calls, "read with the counts")
	assert.Equal(t, rep.Records.Sampled, rep.Records.RecordsRead)
	for _, c := range rep.Counts {
		if strings.HasPrefix(c.ObjectType, rollback.RecordTypePrefix) {
			assert.Equal(t, "search total", c.HighLevelBy, c.ObjectType)
		}
	}
	// Population without a counted search: contacts over every contact
	// read (cheaper than a count per field at this size), custom records
	// over their page, compared with what those records' bodies set.
	for _, p := range rep.Population {
		switch {
		case p.ObjectType == rollback.TypeContact:
			assert.Equal(t, "every record read", p.StoredBy, "%s %s", p.ObjectType, p.Field)
			assert.Equal(t, p.Records, p.StoredOf, "%s %s", p.ObjectType, p.Field)
			assert.Equal(t, p.Sent, p.Stored, "%s %s", p.ObjectType, p.Field)
			assert.Equal(t, p.Sent, p.SentRead, "%s %s", p.ObjectType, p.Field)
		case strings.HasPrefix(p.ObjectType, rollback.RecordTypePrefix):
			assert.Equal(t, "random page read", p.StoredBy, "%s %s", p.ObjectType, p.Field)
			assert.Positive(t, p.StoredOf, "%s %s", p.ObjectType, p.Field)
			assert.Equal(t, p.SentRead, p.Stored, "%s %s", p.ObjectType, p.Field)
		}
	}
	for _, s := range rep.StepCalls {
		assert.NotEqual(t, "population", s.Step, "no counted search")
	}
}
