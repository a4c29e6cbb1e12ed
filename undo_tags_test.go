package pbnhl_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// TestUndoDeltaRestoresCohortTags: a delta's contact update adds the
// map's tags and removes the map's own cohort tags a patient lacks (two
// tag calls beside the update, 7358db0), each journaled. The delta is
// interrupted after a few tag calls and resumed under lost answers on the
// tag calls: every intent settled. Undoing that delta alone puts each
// contact's tags back as they were before it — a member's cohort tag
// staff had taken off and the delta added is removed again, a planted tag
// of a cohort the patient is not in that the delta removed is back — and
// leaves what the delta did not change alone: a tag staff gave since, and
// a cohort tag staff gave since that the delta's removal had not found
// (it removed nothing). The undo is interrupted midway (its context
// cancelled after a few tag calls) and run again under lost answers: it
// ends the same, no compensation failed or refused. Read back through the
// client. Then the whole migration undone: refused exactly for the
// contacts staff took a cohort tag off (changed since our create), all
// gone with Force.
func TestUndoDeltaRestoresCohortTags(t *testing.T) {
	cd := migratedWithCohorts(t)
	e, cohorts, tagOf, changes, contactOf, patients := cd.e, cd.cohorts, cd.tagOf, cd.changes, cd.contactOf, cd.patients
	ctx := context.Background()
	// On each changed patient's contact: a cohort tag planted as if it had
	// left that cohort (the delta removes it), and one of its own cohort
	// tags taken off (the delta adds it back).
	var contacts []string
	nonMember := map[string][]string{} // contact → tags of cohorts its patient is not in
	var tookFrom []string              // contacts a member's cohort tag was taken off
	planted := 0
	for _, k := range changes.Updated[pbn.EntityPatients] {
		pt := patients[string(k)]
		cid, ok := contactOf[string(k)]
		if !ok || pt.Status == pbn.PatientStatusDeleted {
			continue
		}
		contacts = append(contacts, cid)
		for _, c := range cohorts {
			if !slices.Contains(pt.CohortIDs, c.ID) {
				nonMember[cid] = append(nonMember[cid], tagOf[string(c.ID)])
			}
		}
		require.NotEmpty(t, nonMember[cid])
		_, err := e.client.Contacts.AddTags(ctx, cid, "staff: before", nonMember[cid][0])
		require.NoError(t, err)
		planted++
		if len(pt.CohortIDs) > 0 {
			_, err := e.client.Contacts.RemoveTags(ctx, cid, tagOf[string(pt.CohortIDs[0])])
			require.NoError(t, err)
			tookFrom = append(tookFrom, cid)
		}
	}
	require.NotEmpty(t, contacts, "the mutation updated migrated patients")
	require.NotEmpty(t, tookFrom, "some changed patients are cohort members")
	tagsOf := func() map[string][]string {
		out := map[string][]string{}
		for _, cid := range contacts {
			ct, err := e.client.Contacts.Get(ctx, cid)
			require.NoError(t, err)
			out[cid] = ct.Tags
		}
		return out
	}
	before := tagsOf()

	// The delta interrupted after a few tag calls (the last ones' intents
	// left open), then run again under lost answers on the tag calls
	// (applied, the answer lost): each settled by reading the contact's
	// tags, never left open, never made twice.
	var tagCalls atomic.Int64
	dctx, dcancel := context.WithCancel(ctx)
	hook := func(c highlevel.Call) {
		if c.Operation == "contacts.addTags" || c.Operation == "contacts.removeTags" {
			if tagCalls.Add(1) == 3 {
				dcancel()
			}
		}
	}
	e.hook.Store(&hook)
	_, err := e.migration(nil).Delta(dctx)
	e.hook.Store(nil)
	dcancel()
	require.Error(t, err, "the first delta is interrupted")
	open := 0
	for en, err := range e.ledger.Pending(ctx, true) {
		require.NoError(t, err)
		if en.ObjectType == rollback.TypeContactTagsAdded || en.ObjectType == rollback.TypeContactTagsRemoved {
			open++
		}
	}
	t.Logf("the interrupted delta left %d tag intents open", open)
	lost, err := hltest.ParseFaults("POST /contacts/{contactId}/tags:lost=0.4;DELETE /contacts/{contactId}/tags:lost=0.4")
	require.NoError(t, err)
	e.hl.SetFaults(lost...)
	rep, err := e.migration(nil).Delta(ctx)
	e.hl.SetFaults()
	require.NoError(t, err)
	assertNoPending(t, e)
	assert.GreaterOrEqual(t, rep.Resolved, open, "the resumed delta settles them by lookup")
	var deltas []rollback.RunID // the interrupted delta's run and its resumption
	runs, err := e.ledger.Runs(ctx)
	require.NoError(t, err)
	for _, r := range runs {
		if r.Kind == rollback.KindDelta {
			deltas = append(deltas, r.ID)
		}
	}
	require.Contains(t, deltas, rep.Run)
	tagEntries := 0
	for en, err := range e.ledger.Entries(ctx, rollback.EntryFilter{Runs: deltas,
		ObjectTypes: []string{rollback.TypeContactTagsAdded, rollback.TypeContactTagsRemoved}}) {
		require.NoError(t, err)
		if en.Outcome == rollback.OutcomeDone {
			tagEntries++
		}
	}
	require.GreaterOrEqual(t, tagEntries, len(contacts), "the delta journals its tag calls")
	after := tagsOf()
	changed := 0
	for _, cid := range contacts {
		a, b := slices.Sorted(slices.Values(before[cid])), slices.Sorted(slices.Values(after[cid]))
		if !slices.Equal(a, b) {
			changed++
		}
	}
	require.Equal(t, len(contacts), changed, "the delta changed the tags of every contact planted")
	// Since the delta: staff tag two contacts, one with a cohort tag the
	// delta's removal did not find (it was not there).
	var since []string
	for _, cid := range contacts {
		if len(nonMember[cid]) > 1 {
			_, err := e.client.Contacts.AddTags(ctx, cid, "staff: since", nonMember[cid][1])
			require.NoError(t, err)
			since = append(since, cid)
			if len(since) == 2 {
				break
			}
		}
	}
	require.NotEmpty(t, since, "a changed patient outside two cohorts")

	// Undo the delta alone, interrupted after a few tag calls, then again.
	tagCalls.Store(0)
	uctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hook = func(c highlevel.Call) {
		if c.Operation == "contacts.addTags" || c.Operation == "contacts.removeTags" {
			if tagCalls.Add(1) == 3 {
				cancel()
			}
		}
	}
	e.hook.Store(&hook)
	_, err = e.migration(nil).Undo(uctx, pbnhl.UndoOptions{Runs: deltas})
	e.hook.Store(nil)
	require.Error(t, err, "the first undo is interrupted")
	e.hl.SetFaults(lost...) // and its answers lost too
	und, err := e.migration(nil).Undo(ctx, pbnhl.UndoOptions{Runs: deltas})
	e.hl.SetFaults()
	require.NoError(t, err, "%+v", und)
	assertNoPending(t, e)
	for _, c := range und.Compensations {
		assert.NotEqual(t, rollback.StateFailed, c.State, "%s %s: %s", c.Ref.ObjectType, c.Ref.ID, c.Reason)
		assert.NotEqual(t, rollback.StateRefused, c.State, "%s %s: %s", c.Ref.ObjectType, c.Ref.ID, c.Reason)
	}

	undone := tagsOf()
	for _, cid := range contacts {
		want := slices.Clone(before[cid])
		if slices.Contains(since, cid) {
			want = append(want, "staff: since", nonMember[cid][1])
		}
		assert.ElementsMatch(t, want, undone[cid], "contact %s: its tags before the delta (and those staff gave since)", cid)
	}
	// Then everything undone: the contacts go, nothing fails.
	var refused []string
	und, err = e.migration(nil).Undo(ctx, pbnhl.UndoOptions{})
	require.NoError(t, err, "%+v", und)
	for _, c := range und.Compensations {
		assert.NotEqual(t, rollback.StateFailed, c.State, "%s %s: %s", c.Ref.ObjectType, c.Ref.ID, c.Reason)
		if c.State == rollback.StateRefused {
			refused = append(refused, c.Ref.ID)
		}
	}
	// A contact staff took a cohort tag off (before the delta, which the
	// undo of the delta put back) changed after our create: refused
	// without -force, as any contact staff changed.
	assert.ElementsMatch(t, tookFrom, refused, "the contacts refused are those staff changed")
	und, err = e.migration(nil).Undo(ctx, pbnhl.UndoOptions{Force: true})
	require.NoError(t, err, "%+v", und)
	assert.Zero(t, e.hl.Count(hltest.DefaultLocationID, hltest.KindContact), "undo of every run removes every contact")

	t.Logf("%d contacts updated by the delta, %d cohort tags taken off, %d planted, %d tagged since; the first undo interrupted after %d tag calls",
		len(contacts), len(tookFrom), planted, len(since), tagCalls.Load())
}
