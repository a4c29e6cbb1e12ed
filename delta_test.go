package pbnhl_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/rollback"
)

// TestDelta mutates the source after the full run (content updates, new
// patients and records, stamps bumped without change) and checks that the
// delta leaves HighLevel exactly as a full load of the mutated source would,
// that unchanged records cost no write, and that a second delta writes
// nothing.
func TestDelta(t *testing.T) {
	// A fixed source clock (a day after the export instant) so both
	// practices stamp the same mutation times.
	day := pbntest.DefaultAsOf.Add(24 * time.Hour)
	o := envOptions{patients: size(30), seed: 3, now: func() time.Time { return day }}
	mut := pbntest.MutateOptions{Update: 25, Create: 6, Touch: 10}

	// What a full load of the final state gives.
	fresh := newEnv(t, o)
	fresh.pbn.MutateWith(mut)
	migrate(t, fresh, nil)
	want := fresh.fingerprint()

	e := newEnv(t, o)
	migrate(t, e, nil)
	before := e.fingerprint()
	changes := e.pbn.MutateWith(mut)
	require.Positive(t, changes.Count())

	ctx := context.Background()
	e.resetCounts()
	rep, err := e.migration(nil).Delta(ctx)
	require.NoError(t, err)
	for _, p := range rep.Objects {
		t.Logf("%-20s written=%d unchanged=%d skipped=%d invalid=%d rejected=%d calls=%d", p.Object, p.Written, p.Existing, p.Skipped, p.Invalid, p.Rejected, p.Calls)
	}
	assert.NotEqual(t, before, e.fingerprint(), "the delta changed something")
	assert.Equal(t, want, e.fingerprint(), "the delta brings HighLevel to the source's final state")
	assert.Empty(t, e.identityDuplicates())
	assertNoPending(t, e)

	// Writes: only changed records; touched ones are read and skipped.
	tot := rep.Totals()
	writes := e.opCount("contacts.create") + e.opCount("contacts.update") + e.opCount("objects.records.create") +
		e.opCount("objects.records.update") + e.opCount("opportunities.create") + e.opCount("opportunities.update") +
		e.opCount("contacts.notes.create") + e.opCount("businesses.create")
	assert.Positive(t, tot.Written)
	assert.LessOrEqual(t, writes, tot.Written, "one write per changed record")
	touched := len(changes.Touched[pbn.EntityPatients]) + len(changes.Touched[pbn.EntityAppointments])
	assert.GreaterOrEqual(t, tot.Existing, int64(touched), "touched records are skipped by content digest")

	// A second delta finds nothing to write.
	e.resetCounts()
	rep2, err := e.migration(nil).Delta(ctx)
	require.NoError(t, err)
	for _, p := range rep2.Objects {
		t.Logf("second: %-20s written=%d unchanged=%d calls=%d", p.Object, p.Written, p.Existing, p.Calls)
	}
	assert.Zero(t, rep2.Totals().Written, "nothing changed since the last delta")
	assert.Zero(t, e.opCount("contacts.update")+e.opCount("objects.records.update")+e.opCount("contacts.create"))
}

// TestDeltaDeletions: appointments, coverages and messages the source
// deleted. With DeleteDeleted their records and notes are deleted, the
// contacts' communication logs refolded, and HighLevel ends exactly as a
// full load of the final source; by default they are kept and reported.
func TestDeltaDeletions(t *testing.T) {
	day := pbntest.DefaultAsOf.Add(24 * time.Hour)
	o := envOptions{patients: size(20), seed: 9, notes: true, now: func() time.Time { return day }}
	mut := pbntest.MutateOptions{Delete: 12}
	fresh := withoutDocuments(t, newEnv(t, o))
	fresh.pbn.MutateWith(mut)
	migrate(t, fresh, nil)
	want := fresh.fingerprint()

	for _, policy := range []pbnhl.DeletionPolicy{pbnhl.KeepDeleted, pbnhl.DeleteDeleted} {
		e := withoutDocuments(t, newEnv(t, o))
		migrate(t, e, nil)
		ctx := context.Background()
		changes := e.pbn.MutateWith(mut)
		// The HighLevel records of the deleted source records that were migrated.
		gone := map[string]string{} // HighLevel id → object type
		for entity, typ := range map[pbn.Entity]string{pbn.EntityAppointments: "custom_objects.pbn_appointment", pbn.EntityCoverages: "custom_objects.pbn_insurance"} {
			for _, id := range changes.Deleted[entity] {
				mp, ok, err := e.ledger.Lookup(ctx, typ, string(id))
				require.NoError(t, err)
				if ok {
					gone[mp.HighLevelID] = typ
				}
			}
		}
		require.NotEmpty(t, gone, "the mutation must delete migrated records")
		require.NotEmpty(t, changes.Deleted[pbn.EntityCommunications], "the mutation must delete messages")
		rep, err := e.migration(func(o *pbnhl.Options) { o.Deletions = policy }).Delta(ctx)
		require.NoError(t, err)
		exists := map[string]bool{}
		for _, typ := range gone {
			for _, r := range e.hl.Records(hltest.DefaultLocationID, hltest.Kind(typ)) {
				exists[r["id"].(string)] = true
			}
		}
		for id := range gone {
			assert.Equal(t, policy == pbnhl.KeepDeleted, exists[id], "record %s", id)
		}
		if policy == pbnhl.KeepDeleted {
			assert.GreaterOrEqual(t, rep.KeptDeleted, len(gone))
			assert.Zero(t, rep.Deleted)
		} else {
			assert.GreaterOrEqual(t, rep.Deleted, len(gone)+1, "records and notes deleted")
			assert.Equal(t, want, e.fingerprint(), "HighLevel ends as a full load of the final source")
		}
		assertNoPending(t, e)
	}
}

func assertNoPending(t *testing.T, e *env) {
	t.Helper()
	for p, err := range e.ledger.Pending(context.Background(), true) {
		require.NoError(t, err)
		t.Errorf("unsettled intent: %s %s %s", p.Op, p.ObjectType, p.SourceKey)
	}
}

// TestDeltaUpdatesNotesInPlace: a message changed in the source updates its
// note in place — same note id and date, one read (the before-image) and
// one update per changed note, nothing deleted or created — and undoing the
// delta restores every note, and the location, as they were.
func TestDeltaUpdatesNotesInPlace(t *testing.T) {
	day := pbntest.DefaultAsOf.Add(24 * time.Hour)
	e := newEnv(t, envOptions{patients: size(25), seed: 5, notes: true, exactCounts: true, now: func() time.Time { return day }})
	migrate(t, e, nil)
	notes := func() map[string]string {
		out := map[string]string{}
		for _, n := range e.hl.Records(hltest.DefaultLocationID, hltest.KindNote) {
			out[n["id"].(string)] = fmt.Sprint(n["body"], "|", n["dateAdded"])
		}
		return out
	}
	before, fp := notes(), e.fingerprint()
	require.NotEmpty(t, before)
	changes := e.pbn.MutateWith(pbntest.MutateOptions{Update: 80})
	require.NotEmpty(t, changes.Updated[pbn.EntityCommunications], "the mutation must change messages")

	ctx := context.Background()
	e.resetCounts()
	rep, err := e.migration(nil).Delta(ctx)
	require.NoError(t, err)
	assertNoPending(t, e)
	after := notes()
	changed := 0
	for id, b := range after {
		old, ok := before[id]
		require.True(t, ok, "note %s is new: changed notes must keep their id", id)
		if old != b {
			changed++
		}
	}
	assert.Len(t, after, len(before), "no note deleted")
	require.Positive(t, changed, "some notes changed")
	assert.EqualValues(t, changed, e.opCount("contacts.notes.update"), "one update per changed note")
	assert.EqualValues(t, changed, e.opCount("contacts.notes.get"), "one read (the before-image) per changed note")
	assert.Zero(t, e.opCount("contacts.notes.create")+e.opCount("contacts.notes.delete")+e.opCount("contacts.notes.list"))

	undo, err := e.migration(nil).Undo(ctx, pbnhl.UndoOptions{Runs: []rollback.RunID{rep.Run}})
	require.NoError(t, err)
	restored := 0
	for _, c := range undo.Compensations {
		assert.Contains(t, []rollback.CompensationState{rollback.StateDone, rollback.StateGone}, c.State,
			"%s of %s %s: %s", c.Action, c.Ref.ObjectType, c.Ref.SourceKey, c.Reason)
		if c.Ref.ObjectType == rollback.TypeNote && c.Action == rollback.ActionRestore && c.State == rollback.StateDone {
			restored++
		}
	}
	assert.Equal(t, changed, restored)
	assert.Equal(t, before, notes(), "every note as before the delta, same ids")
	assert.Equal(t, fp, e.fingerprint(), "the location as before the delta")
}

// TestDeltaNoteUpdateWithLostResponses: every note update is applied by
// HighLevel but its answer lost (the client's retries too). The delta looks
// each note up before deciding, records the updates as done, repeats none
// beyond the transport's retries, and ends as a full load of the final
// source.
func TestDeltaNoteUpdateWithLostResponses(t *testing.T) {
	day := pbntest.DefaultAsOf.Add(24 * time.Hour)
	o := envOptions{patients: size(20), seed: 5, notes: true, now: func() time.Time { return day }}
	mut := pbntest.MutateOptions{Update: 80}
	fresh := newEnv(t, o)
	fresh.pbn.MutateWith(mut)
	migrate(t, fresh, nil)

	o.faults = []hltest.FaultRule{{Route: "PUT /contacts/{contactId}/notes/{id}", LostResponseRate: 1}}
	e := newEnv(t, o)
	migrate(t, e, nil)
	changes := e.pbn.MutateWith(mut)
	require.NotEmpty(t, changes.Updated[pbn.EntityCommunications])
	ctx := context.Background()
	e.resetCounts()
	rep, err := e.migration(nil).Delta(ctx)
	require.NoError(t, err)
	assertNoPending(t, e)
	t.Logf("note gets %d, updates attempted %d", e.opCount("contacts.notes.get"), e.opCount("contacts.notes.update"))
	done := 0
	for en, err := range e.ledger.Entries(ctx, rollback.EntryFilter{Runs: []rollback.RunID{rep.Run}, ObjectTypes: []string{rollback.TypeNote}}) {
		require.NoError(t, err)
		require.Equal(t, rollback.OpUpdate, en.Op)
		if en.Outcome == rollback.OutcomeDone {
			done++
		}
	}
	require.Positive(t, done, "note updates resolved as done by lookup")
	assert.EqualValues(t, 2*done, e.opCount("contacts.notes.get"), "the before-image read, and one lookup after the lost answers")
	assert.Equal(t, fresh.fingerprint(), e.fingerprint())
}

// TestPendingNoteUpdateResolved: a note update a crash left without outcome
// is settled by reading the note under its contact before the next phase
// writes anything: applied when the note holds what was sent.
func TestPendingNoteUpdateResolved(t *testing.T) {
	day := pbntest.DefaultAsOf.Add(24 * time.Hour)
	e := newEnv(t, envOptions{patients: size(10), seed: 5, now: func() time.Time { return day }})
	migrate(t, e, nil)
	ctx := context.Background()
	notes := e.hl.Records(hltest.DefaultLocationID, hltest.KindNote)
	require.NotEmpty(t, notes)
	n := notes[0]
	run, err := e.ledger.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindDelta})
	require.NoError(t, err)
	payload := []byte(fmt.Sprintf(`{"body":%q}`, n["body"]))
	seq, err := run.Intent(ctx, rollback.Intent{Op: rollback.OpUpdate, ObjectType: rollback.TypeNote, SourceKey: "crashed",
		TargetID: n["id"].(string), RelatedID: n["contactId"].(string), Payload: payload, Before: payload})
	require.NoError(t, err)
	require.NoError(t, run.Finish(ctx, rollback.StatusFailed))

	rep, err := e.migration(nil).Delta(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Resolved)
	assertNoPending(t, e)
	for en, err := range e.ledger.Entries(ctx, rollback.EntryFilter{Runs: []rollback.RunID{run.ID()}}) {
		require.NoError(t, err)
		assert.Equal(t, seq, en.Seq)
		assert.Equal(t, rollback.OutcomeDone, en.Outcome, "the note holds what was sent: applied")
	}
}

// TestPendingNoteDeleteResolved: note deletes a crash left pending are
// settled by reading the note — journaled with the note as target and its
// contact as related record, or (older ledgers) with the contact as target
// and the note only in the before-image.
func TestPendingNoteDeleteResolved(t *testing.T) {
	day := pbntest.DefaultAsOf.Add(24 * time.Hour)
	e := newEnv(t, envOptions{patients: size(10), seed: 5, now: func() time.Time { return day }})
	migrate(t, e, nil)
	ctx := context.Background()
	notes := e.hl.Records(hltest.DefaultLocationID, hltest.KindNote)
	require.GreaterOrEqual(t, len(notes), 2)
	kept, gone := notes[0], notes[1]
	require.NoError(t, e.client.Contacts.DeleteNote(ctx, gone["contactId"].(string), gone["id"].(string)))
	run, err := e.ledger.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindDelta})
	require.NoError(t, err)
	image := func(n map[string]any) []byte { return []byte(fmt.Sprintf(`{"id":%q,"body":"x"}`, n["id"])) }
	_, err = run.Intent(ctx, rollback.Intent{Op: rollback.OpDelete, ObjectType: rollback.TypeNote, SourceKey: "old-style",
		TargetID: kept["contactId"].(string), Before: image(kept)})
	require.NoError(t, err)
	_, err = run.Intent(ctx, rollback.Intent{Op: rollback.OpDelete, ObjectType: rollback.TypeNote, SourceKey: "new-style",
		TargetID: gone["id"].(string), RelatedID: gone["contactId"].(string), Before: image(gone)})
	require.NoError(t, err)
	require.NoError(t, run.Finish(ctx, rollback.StatusFailed))

	rep, err := e.migration(nil).Delta(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Resolved)
	assertNoPending(t, e)
	got := map[string]rollback.Entry{}
	for en, err := range e.ledger.Entries(ctx, rollback.EntryFilter{Runs: []rollback.RunID{run.ID()}}) {
		require.NoError(t, err)
		got[en.SourceKey] = en
	}
	assert.Equal(t, rollback.OutcomeRejected, got["old-style"].Outcome, "the note still exists: the delete was not applied")
	assert.Equal(t, rollback.OutcomeDone, got["new-style"].Outcome, "the note is gone: the delete was applied")
	assert.Equal(t, gone["id"], got["new-style"].HighLevelID)
}

// withoutDocuments drops the default map's documents objects: a delta does
// not yet delete the media file, note and index entry of a document the
// source deleted (issue 16: a known gap), so tests of deletions reaching a
// full load's state leave documents out.
func withoutDocuments(t testing.TB, e *env) *env {
	t.Helper()
	e.m.Objects = slices.DeleteFunc(e.m.Objects, func(o mapping.Object) bool { return o.Source == "documents" })
	require.NoError(t, e.m.Approve("test", time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)))
	return e
}
