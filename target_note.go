package pbnhl

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// noteTarget writes notes under their contact. A note has no custom
// field: its identity is the marker line at the end of its body.
type noteTarget struct{ builtInWriter }

func (noteTarget) kind() mapping.TargetKind { return mapping.TargetNote }
func (noteTarget) group() loadGroup         { return loadNotes }

func (noteTarget) write(ctx context.Context, ph *phase, o *mapping.Object, tr *tracker, j *job) error {
	p := &j.p
	c := ph.m.opts.Client
	in, contactID, ok, err := inputUnderContact(ctx, ph, o, tr, j, func(p *mapping.Payload, _ string) (highlevel.NoteInput, error) {
		return ph.p.inputs.Note(p)
	})
	if !ok {
		return err
	}
	// NoteInput.MarshalJSON: the body CreateNote and UpdateNote send.
	mk, body, err := markedBody(ph, o, rollback.TypeNote, p.SourceKey, &in.Body, func() ([]byte, error) { return json.Marshal(in) })
	if err != nil {
		return err
	}
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

func (noteTarget) deletedWithSource() bool { return true }

func (noteTarget) underContact() bool { return true }

func (noteTarget) owns(typ string) bool { return typ == rollback.TypeNote }

// settle finds the contact's note carrying the marker; an intent journaled
// before markers is matched on the body it sent.
func (noteTarget) settle(ctx context.Context, s lookupScope, e rollback.Entry, payload []byte) (string, bool, error) {
	var b highlevel.NoteInput
	_ = json.Unmarshal(payload, &b)
	if err := s.idx.load(ctx, rollback.TypeNote); err != nil {
		return "", false, err
	}
	mk := marker(s.mid, e.ObjectType, e.SourceKey)
	if !rollback.HasLine(b.Body, mk) {
		mk = "" // journaled before markers: matched on the body sent
	}
	return s.m.findNote(ctx, s.idx, e.TargetID, mk, notBefore(e.IntentAt), b.Body)
}

// matches lists the contact's notes carrying sk's marker line.
func (noteTarget) matches(ctx context.Context, s lookupScope, sk sweepKey) ([]string, int, error) {
	nb := notBefore(sk.since)
	mk := marker(s.mid, sk.typ, sk.key)
	notes, err := s.m.opts.Client.Contacts.ListNotes(ctx, sk.parent)
	if err != nil {
		return nil, 1, err
	}
	var ids []string
	for _, n := range notes {
		if rollback.HasLine(n.Body, mk) && !createdBefore(n.DateAdded, nb) {
			ids = append(ids, n.ID)
		}
	}
	return ids, 1, nil
}

// findNote finds the contact's note carrying the marker, skipping mapped
// ones (rollback.FindNote, the lookup Undo's settle makes too). An intent
// journaled before markers (mk empty) is matched on the body it sent,
// under the same creation-time bound.
func (m *Migration) findNote(ctx context.Context, idx *idIndex, contactID, mk string, notBefore time.Time, legacyBody string) (string, bool, error) {
	match := func(body string) bool { return rollback.HasLine(body, mk) }
	if mk == "" {
		match = func(body string) bool { return strings.TrimSpace(body) == strings.TrimSpace(legacyBody) }
	}
	return rollback.FindNote(ctx, m.opts.Client, contactID, match, findOptions(idx, rollback.TypeNote, notBefore))
}

// resend: the journaled body (its marker line included) under the
// contact's id — the new one when this repair re-created the contact,
// which HighLevel deleted the note with. Found again by its marker after
// an unknown outcome.
func (noteTarget) resend(rs resendScope, key string, body []byte) (resent, error) {
	var in highlevel.NoteInput
	if err := json.Unmarshal(body, &in); err != nil {
		return resent{}, fmt.Errorf("decode the journaled body: %w", err)
	}
	contactID := rs.parentID()
	if contactID == "" {
		return resent{}, fmt.Errorf("%w: the journal names no contact for the note", errNoResend)
	}
	mk := rollback.IdentityLine(in.Body) // "": journaled before markers, matched on the body
	c := rs.m.opts.Client
	r := resent{body: body, target: contactID,
		call: func(ctx context.Context) (string, error) {
			n, err := c.Contacts.CreateNote(ctx, contactID, in)
			if err != nil {
				return "", err
			}
			return n.ID, nil
		},
		find: func(ctx context.Context, nb time.Time) (string, bool, error) {
			return rs.m.findNote(ctx, nil, contactID, mk, nb, in.Body)
		}}
	return r, nil
}

// current: HighLevel tells no time of a note's last change (zero).
func (t noteTarget) current(ctx context.Context, c *highlevel.Client, typ, id, parent string) ([]byte, time.Time, error) {
	return readUpdated(ctx, t, c, typ, id, parent, "")
}
