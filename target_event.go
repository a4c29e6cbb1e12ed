package pbnhl

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// eventTarget writes calendar appointments of their contact (map target
// calendar_event): POST /calendars/events/appointments with the source's
// start and end, never notifying the patient (toNotify false) and never
// refused for a past or taken slot (mapping.Inputs.Event). An appointment
// has no custom field: its identity is the marker line at the end of its
// description, as for notes and tasks.
//
// HighLevel lists a contact's appointments without their descriptions,
// so finding one by identity costs the list plus a read of each
// candidate; a settle narrows the candidates to the written start time
// (one read in practice). One create per event; the rare lookups after an
// unknown outcome are the only other calls.
type eventTarget struct{ writer }

func (eventTarget) kind() mapping.TargetKind { return mapping.TargetEvent }
func (eventTarget) group() loadGroup         { return loadNotes }

// prepare takes the calendars' ids from the schema diff (no call).
func (eventTarget) prepare(_ context.Context, _ *Migration, p *prepared) error {
	p.inputs.Calendars = p.diff.CalendarIDs()
	return nil
}

func (eventTarget) write(ctx context.Context, ph *phase, o *mapping.Object, tr *tracker, j *job) error {
	p := &j.p
	c := ph.m.opts.Client
	in, contactID, ok, err := inputUnderContact(ctx, ph, o, tr, j, ph.p.inputs.Event)
	if !ok {
		return err
	}
	in.Notify = false // history: a migrated appointment never messages the patient
	// The create's exact wire body, less locationId (read after the marker
	// is in: a method value would copy the input before).
	mk, body, err := markedBody(ph, o, rollback.TypeEvent, p.SourceKey, &in.Description, func() ([]byte, error) { return in.Body() })
	if err != nil {
		return err
	}
	_, _, err = ph.put(ctx, o, tr, rollback.TypeEvent, p.SourceKey, j.modified, contactID, body,
		func(ctx context.Context) (string, error) {
			a, err := c.Calendars.CreateAppointment(ctx, in)
			if err != nil {
				return "", err
			}
			return a.ID, nil
		},
		func(ctx context.Context, _ time.Time) (string, bool, error) {
			return ph.m.findEvent(ctx, ph.idx, contactID, mk, in.StartTime)
		},
		// A changed appointment (rescheduled, completed, broken) is updated
		// in place with every field the create sent, its before-image
		// journaled so Undo puts it back.
		func() ([]byte, func(context.Context, string) error, error) {
			u := eventUpdate(in)
			ub, err := u.Body()
			if err != nil {
				return nil, nil, err
			}
			return ub, func(ctx context.Context, id string) error {
				_, err := c.Calendars.UpdateAppointment(ctx, id, u)
				return err
			}, nil
		})
	return err
}

// eventUpdate is the update that brings an appointment to in's state.
func eventUpdate(in highlevel.AppointmentInput) highlevel.AppointmentUpdate {
	u := highlevel.AppointmentUpdate{CalendarID: &in.CalendarID, StartTime: &in.StartTime,
		Title: &in.Title, Description: &in.Description, Address: &in.Address,
		IgnoreDateRange: true, IgnoreFreeSlotValidation: true}
	if !in.EndTime.IsZero() {
		u.EndTime = &in.EndTime
	}
	if in.Status != "" {
		u.Status = &in.Status
	}
	if in.AssignedUserID != "" {
		u.AssignedUserID = &in.AssignedUserID
	}
	return u
}

// adopt reads every appointment of this migration's contacts for its
// marker line: one list per contact and one read per appointment (the
// list carries no description).
func (eventTarget) adopt(ctx context.Context, sc *adoptScan, o *mapping.Object) error {
	ids, err := sc.contactIDs(ctx)
	if err != nil {
		return err
	}
	c := sc.m.opts.Client
	for _, cid := range ids {
		as, err := c.Calendars.ContactAppointments(ctx, cid)
		if err != nil {
			return fmt.Errorf("pbnhl: list appointments: %w", err)
		}
		for _, a := range as {
			full, err := c.Calendars.GetAppointment(ctx, a.ID)
			if err != nil {
				return fmt.Errorf("pbnhl: read appointment: %w", err)
			}
			sc.add(rollback.TypeEvent, sc.markerKey(full.Description, rollback.TypeEvent), adopted{id: a.ID, target: cid, entity: o.Source})
		}
	}
	return nil
}

func (eventTarget) owns(typ string) bool { return typ == rollback.TypeEvent }

func (eventTarget) read(ctx context.Context, c *highlevel.Client, _, id, _ string) (any, error) {
	return c.Calendars.GetAppointment(ctx, id)
}

func (eventTarget) remove(ctx context.Context, c *highlevel.Client, _, id, _ string) error {
	return c.Calendars.DeleteEvent(ctx, id)
}

// eventUndo is the undo of events (UndoKinds): the target's own remove
// and read, and the restore of an updated event.
type eventUndo struct{ c *highlevel.Client }

func (eventTarget) undoKind(c *highlevel.Client) rollback.RecordKind { return eventUndo{c} }

func (eventUndo) Types() []string { return []string{rollback.TypeEvent} }

func (u eventUndo) Delete(ctx context.Context, ref rollback.Ref) error {
	return eventTarget{}.remove(ctx, u.c, ref.ObjectType, ref.ID, "")
}

// eventWriteOnly are the appointment flags a write sends but HighLevel
// does not store (they instruct that one write).
var eventWriteOnly = map[string]any{"toNotify": false, "ignoreDateRange": true, "ignoreFreeSlotValidation": true}

// Read is an event as Undo's change check compares it to what was
// written: the read (the target's, the before-image an update journals)
// with the times in UTC as the migration writes them (RFC 3339; HighLevel
// answers in the calendar's offset) and the write-only flags as the
// migration always sends them (no patient notified, history outside the
// booking window and over taken slots), so an unchanged event projects
// equal. This is the one place that view is made.
func (u eventUndo) Read(ctx context.Context, ref rollback.Ref) (any, error) {
	v, err := eventTarget{}.read(ctx, u.c, ref.ObjectType, ref.ID, "")
	if err != nil {
		return nil, err
	}
	a, ok := v.(*highlevel.Appointment)
	if !ok || a == nil {
		return nil, nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["startTime"] = a.StartTime.UTC().Format(time.RFC3339)
	m["endTime"] = a.EndTime.UTC().Format(time.RFC3339)
	for k, v := range eventWriteOnly {
		m[k] = v
	}
	return m, nil
}

// Restore puts an updated event back to its before-image: calendar,
// times, title, status and the texts, never notifying the contact.
func (u eventUndo) Restore(ctx context.Context, ref rollback.Ref, before, _ []byte) error {
	var a highlevel.Appointment
	if err := json.Unmarshal(before, &a); err != nil {
		return fmt.Errorf("pbnhl: event before-image: %w", err)
	}
	up := highlevel.AppointmentUpdate{IgnoreDateRange: true, IgnoreFreeSlotValidation: true,
		Title: &a.Title, Description: &a.Description, Address: &a.Address}
	if a.CalendarID != "" {
		up.CalendarID = &a.CalendarID
	}
	if !a.StartTime.IsZero() {
		up.StartTime = &a.StartTime.Time
	}
	if !a.EndTime.IsZero() {
		up.EndTime = &a.EndTime.Time
	}
	if a.Status != "" {
		up.Status = &a.Status
	}
	if a.AssignedUserID != "" {
		up.AssignedUserID = &a.AssignedUserID
	}
	_, err := u.c.Calendars.UpdateAppointment(ctx, ref.ID, up)
	return err
}

// settle finds the contact's appointment carrying the create's marker at
// the start time it was written with.
func (eventTarget) settle(ctx context.Context, s lookupScope, e rollback.Entry, payload []byte) (string, bool, error) {
	mk, err := s.intentMarker(ctx, e, payload, "description")
	if err != nil {
		return "", false, err
	}
	var b struct {
		StartTime string `json:"startTime"`
	}
	_ = json.Unmarshal(payload, &b)
	start, _ := time.Parse(time.RFC3339, b.StartTime) // zero: any start
	return s.m.findEvent(ctx, s.idx, e.TargetID, mk, start)
}

// matches lists the contact's appointments carrying sk's marker line.
func (eventTarget) matches(ctx context.Context, s lookupScope, sk sweepKey) ([]string, int, error) {
	mk := marker(s.mid, sk.typ, sk.key)
	ids, calls, err := s.m.eventsWithMarker(ctx, nil, sk.parent, mk, time.Time{}, false)
	return ids, calls, err
}

// findEvent finds the contact's appointment carrying the marker (starting
// at start, when given), skipping mapped ones.
func (m *Migration) findEvent(ctx context.Context, idx *idIndex, contactID, mk string, start time.Time) (string, bool, error) {
	ids, _, err := m.eventsWithMarker(ctx, idx, contactID, mk, start, true)
	if err != nil || len(ids) == 0 {
		return "", false, err
	}
	return ids[0], true, nil
}

// eventsWithMarker lists the contact's appointments and reads those that
// may carry the marker (starting at start, when not zero; not already
// mapped in idx), returning the ids of those that do and the calls made.
// first stops at the first match.
func (m *Migration) eventsWithMarker(ctx context.Context, idx *idIndex, contactID, mk string, start time.Time, first bool) ([]string, int, error) {
	c := m.opts.Client
	as, err := c.Calendars.ContactAppointments(ctx, contactID)
	calls := 1
	if err != nil {
		return nil, calls, err
	}
	var ids []string
	for _, a := range as {
		if (!start.IsZero() && !a.StartTime.Equal(start)) || (idx != nil && idx.has(rollback.TypeEvent, a.ID)) {
			continue
		}
		full, err := c.Calendars.GetAppointment(ctx, a.ID)
		calls++
		if err != nil {
			return nil, calls, err
		}
		if rollback.HasLine(full.Description, mk) {
			ids = append(ids, a.ID)
			if first {
				break
			}
		}
	}
	return ids, calls, nil
}

// resend: the journaled create body (never notifying, its marker line
// included) on the contact's new id when this repair re-created the
// contact — HighLevel deletes a contact's appointments with it; that body
// is what is journaled. Found again by its marker at its start time.
func (eventTarget) resend(rs resendScope, key string, body []byte) (resent, error) {
	var x struct {
		CalendarID               string `json:"calendarId"`
		ContactID                string `json:"contactId"`
		StartTime                string `json:"startTime"`
		EndTime                  string `json:"endTime"`
		Title                    string `json:"title"`
		Status                   string `json:"appointmentStatus"`
		AssignedUserID           string `json:"assignedUserId"`
		Address                  string `json:"address"`
		Description              string `json:"description"`
		IgnoreDateRange          bool   `json:"ignoreDateRange"`
		IgnoreFreeSlotValidation bool   `json:"ignoreFreeSlotValidation"`
	}
	if err := json.Unmarshal(body, &x); err != nil {
		return resent{}, fmt.Errorf("decode the journaled body: %w", err)
	}
	in := highlevel.AppointmentInput{CalendarID: x.CalendarID, ContactID: x.ContactID, Title: x.Title,
		Status: highlevel.AppointmentStatus(x.Status), AssignedUserID: x.AssignedUserID, Address: x.Address,
		Description: x.Description, IgnoreDateRange: x.IgnoreDateRange, IgnoreFreeSlotValidation: x.IgnoreFreeSlotValidation}
	var err error
	if in.StartTime, err = time.Parse(time.RFC3339, x.StartTime); err != nil {
		return resent{}, fmt.Errorf("decode the journaled start time: %w", err)
	}
	if x.EndTime != "" {
		if in.EndTime, err = time.Parse(time.RFC3339, x.EndTime); err != nil {
			return resent{}, fmt.Errorf("decode the journaled end time: %w", err)
		}
	}
	if id := rs.moved[in.ContactID]; id != "" {
		in.ContactID = id
	}
	mk := rollback.IdentityLine(in.Description)
	if in.ContactID == "" || mk == "" {
		return resent{}, fmt.Errorf("%w: the journaled appointment names no contact or carries no identity marker", errNoResend)
	}
	if body, err = in.Body(); err != nil {
		return resent{}, err
	}
	c := rs.m.opts.Client
	return resent{body: body, target: in.ContactID,
		call: func(ctx context.Context) (string, error) {
			a, err := c.Calendars.CreateAppointment(ctx, in)
			if err != nil {
				return "", err
			}
			return a.ID, nil
		},
		find: func(ctx context.Context, _ time.Time) (string, bool, error) {
			return rs.m.findEvent(ctx, nil, in.ContactID, mk, in.StartTime)
		}}, nil
}

// current reads the appointment with HighLevel's dateUpdated.
func (t eventTarget) current(ctx context.Context, c *highlevel.Client, typ, id, parent string) ([]byte, time.Time, error) {
	return readUpdated(ctx, t, c, typ, id, parent, "dateUpdated")
}
