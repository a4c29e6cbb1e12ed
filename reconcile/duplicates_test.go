package reconcile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

// firstMapped is the i-th (source key, HighLevel id) the ledger maps for a
// type.
func firstMapped(t *testing.T, e *env, typ string, i int) rollback.IDMapEntry {
	t.Helper()
	n := 0
	for m, err := range e.ledger.IDMap(context.Background(), typ) {
		require.NoError(t, err)
		if n == i {
			return m
		}
		n++
	}
	t.Fatalf("the ledger maps fewer than %d %s", i+1, typ)
	return rollback.IDMapEntry{}
}

// A clean migration holds every external id once: neither a full nor a
// sampled reconciliation reports a duplicate, and every type's identity
// field was told from the ledger.
func TestCleanMigrationHasNoDuplicates(t *testing.T) {
	t.Parallel()
	e := migrated(t, 30)
	for _, full := range []bool{false, true} {
		rep := e.run(t, reconcile.Options{Full: full, Sample: -1})
		assert.Empty(t, rep.Duplicates, "full=%v", full)
		assert.Empty(t, rep.DuplicatesUnchecked, "full=%v: every identity field told from the mapped bodies", full)
		assert.True(t, rep.LedgerMatches(), "full=%v: %s", full, rep.Verdict)
		assert.NotContains(t, rep.Verdict, "held twice")
		// What was checked: opportunities always; contacts and every
		// custom object only in a full run.
		assert.Contains(t, rep.DuplicatesChecked, rollback.TypeOpportunity)
		assert.Equal(t, full, slices.Contains(rep.DuplicatesChecked, rollback.TypeContact), "full=%v", full)
		assert.Equal(t, full, slices.Contains(rep.DuplicatesChecked, "custom_objects.pbn_appointment"), "full=%v", full)
		var txt bytes.Buffer
		require.NoError(t, rep.WriteText(&txt))
		assert.Contains(t, txt.String(), "External ids held twice: none")
	}
}

// A second contact, a second custom record and a second opportunity
// carrying an already-migrated external id (what a write applied twice
// leaves) are each reported once, with the ledger's id first and the copy's
// after it; the report is not OK and says so in every rendering.
func TestDuplicatesAreReported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := migrated(t, 30)

	// The contact: a copy carrying a migrated patient's external id.
	ct := firstMapped(t, e, rollback.TypeContact, 7)
	dupContact, err := e.hl.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Copy",
		CustomFields: []highlevel.CustomFieldInput{{ID: e.extID, Value: highlevel.TextValue(ct.SourceKey)}}})
	require.NoError(t, err)

	// The custom record: every property of a migrated appointment again.
	const apptType = "custom_objects.pbn_appointment"
	ap := firstMapped(t, e, apptType, 2)
	orig, err := e.hl.Objects.GetRecord(ctx, apptType, ap.HighLevelID)
	require.NoError(t, err)
	props := map[string]highlevel.FieldValue{}
	for k, v := range orig.Properties {
		props[k] = highlevel.RawValue(v)
	}
	require.Contains(t, string(orig.Properties["pbn_appointment_id"]), ap.SourceKey, "the map keeps the key in pbn_appointment_id")
	dupRecord, err := e.hl.Objects.CreateRecord(ctx, apptType, highlevel.RecordInput{Properties: props})
	require.NoError(t, err)

	// The opportunity: same contact, pipeline, stage and external id.
	op := firstMapped(t, e, rollback.TypeOpportunity, 1)
	oo, err := e.hl.Opportunities.Get(ctx, op.HighLevelID)
	require.NoError(t, err)
	var extField string
	for _, cf := range oo.CustomFields {
		if s, ok := cf.Text(); ok && s == op.SourceKey {
			extField = cf.ID
		}
	}
	require.NotEmpty(t, extField, "the opportunity carries its external id")
	dupOpp, err := e.hl.Opportunities.Create(ctx, highlevel.OpportunityInput{PipelineID: oo.PipelineID, PipelineStageID: oo.PipelineStageID,
		Name: "copy", Status: highlevel.StatusOpen, ContactID: oo.ContactID,
		CustomFields: []highlevel.CustomFieldInput{{ID: extField, Value: highlevel.TextValue(op.SourceKey)}}})
	require.NoError(t, err)

	rep := e.run(t, reconcile.Options{Full: true, Sample: -1, LeafSize: 4})
	want := []reconcile.Duplicate{
		{ObjectType: rollback.TypeContact, SourceKey: ct.SourceKey, HighLevelIDs: []string{ct.HighLevelID, dupContact.ID}},
		{ObjectType: apptType, SourceKey: ap.SourceKey, HighLevelIDs: []string{ap.HighLevelID, dupRecord.ID}},
		{ObjectType: rollback.TypeOpportunity, SourceKey: op.SourceKey, HighLevelIDs: []string{op.HighLevelID, dupOpp.ID}},
	}
	assert.Equal(t, want, rep.Duplicates)
	assert.Empty(t, rep.DuplicatesUnchecked)
	assert.False(t, rep.OK())
	assert.False(t, rep.LedgerMatches())
	assert.Contains(t, rep.Verdict, "3 external id(s) held twice")

	// The copies are also extras of the diffs, named by the key they copy.
	require.NotNil(t, rep.Buckets)
	assert.Contains(t, rep.Buckets.Differences, reconcile.Difference{ObjectType: rollback.TypeContact, SourceKey: ct.SourceKey, HighLevelID: dupContact.ID, Kind: reconcile.KindExtra})
	require.NotNil(t, rep.Records)
	assert.Contains(t, rep.Records.Differences, reconcile.Difference{ObjectType: apptType, SourceKey: ap.SourceKey, HighLevelID: dupRecord.ID, Kind: reconcile.KindExtra})

	// Every rendering has the section with both ids of each.
	var txt, js, page bytes.Buffer
	require.NoError(t, rep.WriteText(&txt))
	require.NoError(t, rep.WriteJSON(&js))
	require.NoError(t, rep.WriteHTML(&page))
	assert.Contains(t, txt.String(), "External ids held twice: 3")
	for _, d := range want {
		line := d.ObjectType + " " + d.SourceKey + ": " + strings.Join(d.HighLevelIDs, ", ")
		assert.Contains(t, txt.String(), line)
		for _, id := range d.HighLevelIDs {
			assert.Contains(t, page.String(), id)
		}
	}
	var back reconcile.Report
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	assert.Equal(t, want, back.Duplicates)

	// Without a full run, contacts and records are not read: the
	// opportunity listing still finds its copy. Named explicitly, the
	// identity field gives the same answer as the one told from the ledger.
	sampled := e.run(t, reconcile.Options{Sample: -1, OpportunityExternalField: extField})
	assert.Equal(t, want[2:], sampled.Duplicates)
}

// The migration's duplicate sweep deletes a copy under the key of the
// record it keeps (the delete targets the copy). That delete must not read
// as the record's: the contact kept is still expected, nothing differs.
func TestSweptCopyDoesNotHideTheRecordKept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := migrated(t, 20)
	ct := firstMapped(t, e, rollback.TypeContact, 4)
	cp, err := e.hl.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Copy",
		CustomFields: []highlevel.CustomFieldInput{{ID: e.extID, Value: highlevel.TextValue(ct.SourceKey)}}})
	require.NoError(t, err)
	require.Len(t, e.run(t, reconcile.Options{Full: true, Sample: -1, LeafSize: 4}).Duplicates, 1)

	// The sweep, as the root package journals it.
	run, err := e.ledger.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindDelta})
	require.NoError(t, err)
	seq, err := run.Intent(ctx, rollback.Intent{Op: rollback.OpDelete, ObjectType: rollback.TypeContact, SourceKey: ct.SourceKey,
		Entity: "patients", TargetID: cp.ID, Before: []byte(`{"id":"` + cp.ID + `"}`)})
	require.NoError(t, err)
	require.NoError(t, e.hl.Contacts.Delete(ctx, cp.ID))
	require.NoError(t, run.Outcome(ctx, seq, rollback.Done(cp.ID)))
	require.NoError(t, run.Finish(ctx, rollback.StatusSucceeded))
	kept, ok, err := e.ledger.Lookup(ctx, rollback.TypeContact, ct.SourceKey)
	require.NoError(t, err)
	require.True(t, ok, "the id map still maps the key to the record kept")
	require.Equal(t, ct.HighLevelID, kept.HighLevelID)

	rep := e.run(t, reconcile.Options{Full: true, Sample: -1, LeafSize: 4})
	var txt bytes.Buffer
	require.NoError(t, rep.WriteText(&txt))
	assert.Empty(t, rep.Duplicates)
	assert.True(t, rep.LedgerMatches(), txt.String())
	for _, c := range rep.Counts {
		if c.ObjectType == rollback.TypeContact {
			assert.Equal(t, c.Ledger, c.HighLevel)
			assert.Zero(t, c.Deleted, "a copy's delete is not a record's")
		}
	}
}
