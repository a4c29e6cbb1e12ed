package pbnhl_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

// historyEnv is a small practice migrated with its communications as
// notes (the default map) and as tasks too.
func historyEnv(t *testing.T) *env {
	t.Helper()
	e := withoutDocuments(t, newEnv(t, envOptions{patients: 8, seed: 43}))
	// Messages first-class as well as folded (the default folds them only).
	e.m = e.m.WithHistory(mapping.HistoryMessages, mapping.AsBoth)
	hasNotes := false
	for _, o := range e.m.Objects {
		hasNotes = hasNotes || o.Target == mapping.TargetNote
	}
	if !hasNotes { // the history policy folded the messages away
		e.m.Objects = append(e.m.Objects, mapping.Object{Name: "communication_notes", Source: "communications", Target: mapping.TargetNote, SourceKey: "id",
			Fields:  []mapping.Field{{Template: "[{at}] {channel} {direction}: {subject} {body}", To: "body", Transform: mapping.Chain{{Name: "collapse"}}, Required: true}},
			Lookups: []mapping.Lookup{{From: "patientId", Object: "patients", To: mapping.LinkContact, Required: true}}})
	}
	e.m.Objects = append(e.m.Objects, taskObject())
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)))
	migrate(t, e, nil)
	return e
}

// child is a note or task the ledger maps, with its contact.
type child struct{ typ, key, id, contact, body string }

// historyChildren finds, by listing every mapped contact's notes and
// tasks, one note and one task the ledger maps (each on a different
// contact when it can).
func historyChildren(t *testing.T, e *env) (note, task child) {
	t.Helper()
	ctx := context.Background()
	mapped := map[string]string{} // type NUL id → key
	for _, typ := range []string{rollback.TypeNote, rollback.TypeTask} {
		for mp, err := range e.ledger.IDMap(ctx, typ) {
			require.NoError(t, err)
			mapped[typ+"\x00"+mp.HighLevelID] = mp.SourceKey
		}
	}
	for mp, err := range e.ledger.IDMap(ctx, rollback.TypeContact) {
		require.NoError(t, err)
		cid := mp.HighLevelID
		if note.id == "" {
			ns, err := e.client.Contacts.ListNotes(ctx, cid)
			require.NoError(t, err)
			for _, n := range ns {
				if k, ok := mapped[rollback.TypeNote+"\x00"+n.ID]; ok {
					note = child{rollback.TypeNote, k, n.ID, cid, n.Body}
					break
				}
			}
			if note.id != "" {
				continue
			}
		}
		if task.id == "" {
			ts, err := e.client.Contacts.ListTasks(ctx, cid)
			require.NoError(t, err)
			for _, x := range ts {
				if k, ok := mapped[rollback.TypeTask+"\x00"+x.ID]; ok {
					task = child{rollback.TypeTask, k, x.ID, cid, x.Body}
					break
				}
			}
		}
	}
	require.NotEmpty(t, note.id, "a mapped note")
	require.NotEmpty(t, task.id, "a mapped task")
	return note, task
}

// report is a reconcile report listing the given differences.
func historyReport(e *env, ds ...reconcile.Difference) *reconcile.Report {
	return &reconcile.Report{LocationID: e.client.LocationID(), Sample: reconcile.Diff{Differences: ds}}
}

// notes and tasks of a contact carrying body (the migration's marker line
// makes it unique to one record).
func withBody(t *testing.T, e *env, typ, contact, body string) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	if typ == rollback.TypeNote {
		ns, err := e.client.Contacts.ListNotes(ctx, contact)
		require.NoError(t, err)
		for _, n := range ns {
			if n.Body == body {
				ids = append(ids, n.ID)
			}
		}
		return ids
	}
	ts, err := e.client.Contacts.ListTasks(ctx, contact)
	require.NoError(t, err)
	for _, x := range ts {
		if x.Body == body {
			ids = append(ids, x.ID)
		}
	}
	return ids
}

// A note and a task deleted in HighLevel after the run are re-created by
// Repair from their journaled bodies under their contact — one create
// call each — and the repair run's Undo deletes them again.
func TestRepairRecreatesHistoryChildren(t *testing.T) {
	e := historyEnv(t)
	ctx := context.Background()
	c := e.client
	note, task := historyChildren(t, e)
	require.NoError(t, c.Contacts.DeleteNote(ctx, note.contact, note.id))
	require.NoError(t, c.Contacts.DeleteTask(ctx, task.contact, task.id))

	m := e.migration(nil)
	out, err := m.Repair(ctx, historyReport(e,
		reconcile.Difference{ObjectType: note.typ, SourceKey: note.key, HighLevelID: note.id, Kind: reconcile.KindMissing},
		reconcile.Difference{ObjectType: task.typ, SourceKey: task.key, HighLevelID: task.id, Kind: reconcile.KindMissing}),
		pbnhl.RepairOptions{})
	require.NoError(t, err)
	byType := map[string]pbnhl.Progress{}
	for _, p := range out.Objects {
		byType[p.Object] = p
	}
	for _, typ := range []string{rollback.TypeNote, rollback.TypeTask} {
		assert.Equal(t, int64(1), byType[typ].Written, typ)
		assert.Equal(t, int64(1), byType[typ].Calls, "%s: one create call", typ)
	}
	nIDs := withBody(t, e, rollback.TypeNote, note.contact, note.body)
	tIDs := withBody(t, e, rollback.TypeTask, task.contact, task.body)
	require.Len(t, nIDs, 1)
	require.Len(t, tIDs, 1)
	// The id map follows the new records.
	mp, ok, err := e.ledger.Lookup(ctx, rollback.TypeNote, note.key)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, nIDs[0], mp.HighLevelID)

	u, err := m.Undo(ctx, pbnhl.UndoOptions{Runs: []rollback.RunID{out.Run}})
	require.NoError(t, err)
	assert.True(t, u.Complete())
	assert.Empty(t, withBody(t, e, rollback.TypeNote, note.contact, note.body))
	assert.Empty(t, withBody(t, e, rollback.TypeTask, task.contact, task.body))
}

// A note whose body someone edited in HighLevel (which tells no time of a
// note's change) is refused without Force and put back with it.
func TestRepairRefusesAnEditedNote(t *testing.T) {
	e := historyEnv(t)
	ctx := context.Background()
	c := e.client
	note, _ := historyChildren(t, e)
	_, err := c.Contacts.UpdateNote(ctx, note.contact, note.id, highlevel.NoteInput{Body: "edited by the front desk"})
	require.NoError(t, err)
	rep := historyReport(e, reconcile.Difference{ObjectType: note.typ, SourceKey: note.key, HighLevelID: note.id, Kind: reconcile.KindField, Field: "body"})

	m := e.migration(nil)
	_, err = m.Repair(ctx, rep, pbnhl.RepairOptions{})
	var inc *pbnhl.RepairIncompleteError
	require.True(t, errors.As(err, &inc), "%v", err)
	require.Len(t, inc.Skipped, 1)
	assert.True(t, inc.Skipped[0].Changed)
	got, err := c.Contacts.GetNote(ctx, note.contact, note.id)
	require.NoError(t, err)
	assert.Equal(t, "edited by the front desk", got.Body)

	out, err := m.Repair(ctx, rep, pbnhl.RepairOptions{Force: true})
	require.NoError(t, err)
	got, err = c.Contacts.GetNote(ctx, note.contact, note.id)
	require.NoError(t, err)
	assert.Equal(t, note.body, got.Body)

	// Undo of the forced repair puts the edit back.
	u, err := m.Undo(ctx, pbnhl.UndoOptions{Runs: []rollback.RunID{out.Run}})
	require.NoError(t, err)
	assert.True(t, u.Complete())
	got, err = c.Contacts.GetNote(ctx, note.contact, note.id)
	require.NoError(t, err)
	assert.Equal(t, "edited by the front desk", got.Body)
}

// A calendar appointment deleted in HighLevel after the run is re-created
// by Repair from its journaled body on its contact (one create call); the
// repair run's Undo deletes it again.
func TestRepairRecreatesAnEvent(t *testing.T) {
	e, _ := newEventEnv(t, envOptions{patients: 8}, false)
	migrate(t, e, nil)
	ctx := context.Background()
	c := e.client
	var ev child
	for mp, err := range e.ledger.IDMap(ctx, rollback.TypeEvent) {
		require.NoError(t, err)
		a, err := c.Calendars.GetAppointment(ctx, mp.HighLevelID)
		require.NoError(t, err)
		ev = child{rollback.TypeEvent, mp.SourceKey, mp.HighLevelID, a.ContactID, a.Description}
		break
	}
	require.NotEmpty(t, ev.id, "a mapped appointment")
	require.NoError(t, c.Calendars.DeleteEvent(ctx, ev.id))

	m := e.migration(nil)
	out, err := m.Repair(ctx, historyReport(e,
		reconcile.Difference{ObjectType: ev.typ, SourceKey: ev.key, HighLevelID: ev.id, Kind: reconcile.KindMissing}),
		pbnhl.RepairOptions{})
	require.NoError(t, err)
	require.Len(t, out.Objects, 1)
	assert.Equal(t, int64(1), out.Objects[0].Written)
	assert.Equal(t, int64(1), out.Objects[0].Calls, "one create call")
	mp, ok, err := e.ledger.Lookup(ctx, rollback.TypeEvent, ev.key)
	require.NoError(t, err)
	require.True(t, ok)
	require.NotEqual(t, ev.id, mp.HighLevelID)
	a, err := c.Calendars.GetAppointment(ctx, mp.HighLevelID)
	require.NoError(t, err)
	assert.Equal(t, ev.contact, a.ContactID)
	assert.Equal(t, ev.body, a.Description)

	u, err := m.Undo(ctx, pbnhl.UndoOptions{Runs: []rollback.RunID{out.Run}})
	require.NoError(t, err)
	assert.True(t, u.Complete())
	_, err = c.Calendars.GetAppointment(ctx, mp.HighLevelID)
	assert.ErrorIs(t, err, highlevel.ErrNotFound)
}

// A conversation message or an uploaded document a report lists missing
// is not re-sent: each is skipped with the reason (no file bytes in the
// journal; a message goes only with its conversation), and no call is
// made for it.
func TestRepairSkipsMessagesAndMedia(t *testing.T) {
	e := newMessageEnv(t, envOptions{patients: 8})
	migrate(t, e, nil)
	ctx := context.Background()
	var ds []reconcile.Difference
	for _, typ := range []string{rollback.TypeMessage, rollback.TypeMedia} {
		for mp, err := range e.ledger.IDMap(ctx, typ) {
			require.NoError(t, err)
			ds = append(ds, reconcile.Difference{ObjectType: typ, SourceKey: mp.SourceKey, HighLevelID: mp.HighLevelID, Kind: reconcile.KindMissing})
			break
		}
	}
	require.Len(t, ds, 2, "a migrated message and document")
	out, err := e.migration(nil).Repair(ctx, historyReport(e, ds...), pbnhl.RepairOptions{})
	var inc *pbnhl.RepairIncompleteError
	require.True(t, errors.As(err, &inc), "%v", err)
	require.Len(t, inc.Skipped, 2)
	reasons := map[string]string{}
	for _, s := range inc.Skipped {
		reasons[s.ObjectType] = s.Reason
	}
	assert.Contains(t, reasons[rollback.TypeMessage], "only with its conversation")
	assert.Contains(t, reasons[rollback.TypeMedia], "no file bytes")
	require.NotNil(t, out)
	for _, p := range out.Objects {
		assert.Zero(t, p.Calls, "no HighLevel call for %s, not re-sent", p.Object)
		assert.Zero(t, p.Written, p.Object)
	}
}

// A contact deleted in HighLevel takes its notes with it: a report listing
// both gets the contact re-created first and the note on the contact's
// new id.
func TestRepairPutsANoteOnItsRecreatedContact(t *testing.T) {
	e := historyEnv(t)
	ctx := context.Background()
	c := e.client
	note, _ := historyChildren(t, e)
	var contactKey string
	for mp, err := range e.ledger.IDMap(ctx, rollback.TypeContact) {
		require.NoError(t, err)
		if mp.HighLevelID == note.contact {
			contactKey = mp.SourceKey
		}
	}
	require.NotEmpty(t, contactKey)
	require.NoError(t, c.Contacts.Delete(ctx, note.contact))

	m := e.migration(nil)
	_, err := m.Repair(ctx, historyReport(e,
		// The note first: repair orders re-creations parents first.
		reconcile.Difference{ObjectType: note.typ, SourceKey: note.key, HighLevelID: note.id, Kind: reconcile.KindMissing},
		reconcile.Difference{ObjectType: rollback.TypeContact, SourceKey: contactKey, HighLevelID: note.contact, Kind: reconcile.KindMissing}),
		pbnhl.RepairOptions{})
	require.NoError(t, err)
	mp, ok, err := e.ledger.Lookup(ctx, rollback.TypeContact, contactKey)
	require.NoError(t, err)
	require.True(t, ok)
	require.NotEqual(t, note.contact, mp.HighLevelID)
	assert.Len(t, withBody(t, e, rollback.TypeNote, mp.HighLevelID, note.body), 1, "the note on the new contact")
}
