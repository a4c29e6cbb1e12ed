package pbnhl

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// noteTarget writes notes under their contact. A note has no custom
// field: its identity is the marker line at the end of its body.
type noteTarget struct{ noTarget }

func (noteTarget) kind() mapping.TargetKind { return mapping.TargetNote }
func (noteTarget) role() targetRole         { return writesRecords }
func (noteTarget) group() loadGroup         { return loadNotes }
func (noteTarget) tally(_ *mapping.Payload, t *callTally) {
	t.calls++
}

func (noteTarget) write(ctx context.Context, ph *phase, o *mapping.Object, tr *tracker, j *job) error {
	p := &j.p
	c := ph.m.opts.Client
	contactID, ok := ph.contactOf(p)
	if !ok {
		return ph.invalidContact(ctx, o, tr, j)
	}
	in, err := ph.p.inputs.Note(p)
	if err != nil {
		tr.invalid.Add(1)
		return ph.invalidReason(ctx, o, p.SourceKey, j.modified, err.Error())
	}
	mk := marker(ph.mid, rollback.TypeNote, p.SourceKey)
	in.Body = withMarker(in.Body, mk)
	body, _ := json.Marshal(in)
	_, _, err = ph.put(ctx, o, tr, rollback.TypeNote, p.SourceKey, j.modified, contactID, body,
		func(ctx context.Context) (string, error) {
			n, err := c.Contacts.CreateNote(ctx, contactID, in)
			if err != nil {
				return "", err
			}
			return n.ID, nil
		},
		func(ctx context.Context, nb time.Time) (string, bool, error) {
			return ph.m.findNote(ctx, ph.idx, contactID, mk, nb, "")
		},
		// A changed message: the note is updated in place (same id and
		// date), its before-image journaled so Undo restores it.
		func() ([]byte, func(context.Context, string) error, error) {
			return body, func(ctx context.Context, id string) error {
				_, err := c.Contacts.UpdateNote(ctx, contactID, id, in)
				return err
			}, nil
		})
	return err
}

// adopt lists the notes of every contact of this migration (found now or
// known to the ledger) for their marker line: one List per contact.
func (noteTarget) adopt(ctx context.Context, sc *adoptScan, o *mapping.Object) error {
	ids, err := sc.contactIDs(ctx)
	if err != nil {
		return err
	}
	for _, cid := range ids {
		ns, err := sc.m.opts.Client.Contacts.ListNotes(ctx, cid)
		if err != nil {
			return fmt.Errorf("pbnhl: list notes: %w", err)
		}
		for _, n := range ns {
			sc.add(rollback.TypeNote, sc.markerKey(n.Body, rollback.TypeNote), adopted{id: n.ID, target: cid, entity: o.Source, created: n.DateAdded.Time})
		}
	}
	return nil
}

// contactIDs lists, once per scan, the contacts whose notes and tasks
// Adopt reads: those found by identity and those the id map holds.
func (sc *adoptScan) contactIDs(ctx context.Context) ([]string, error) {
	if sc.contactList != nil {
		return sc.contactList, nil
	}
	contacts := map[string]bool{}
	for _, a := range sc.found[rollback.TypeContact] {
		contacts[a.id] = true
	}
	for mp, err := range sc.m.opts.Ledger.IDMap(ctx, rollback.TypeContact) {
		if err != nil {
			return nil, fmt.Errorf("pbnhl: read the id map: %w", err)
		}
		contacts[mp.HighLevelID] = true
	}
	ids := make([]string, 0, len(contacts))
	for id := range contacts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	sc.contactList = ids
	return ids, nil
}
