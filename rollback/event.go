package rollback

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pbnhl/pbnhl/highlevel"
)

// TypeEvent is a calendar appointment (a map object of target
// calendar_event). On a create Intent.TargetID is the contact and the
// outcome id the event; payloads are highlevel.AppointmentInput.Body (a
// create) or AppointmentUpdate.Body (an update), before-images the
// highlevel.Appointment read before the write. Events are deleted and
// read by id alone.
const TypeEvent = "calendar_event"

// eventWriteOnly are the appointment flags a write sends but HighLevel
// does not store (they instruct that one write): the current state is
// projected with them as the migration always sends them (no patient
// notified, history outside the booking window and over taken slots), so
// they never read as a change.
var eventWriteOnly = map[string]any{"toNotify": false, "ignoreDateRange": true, "ignoreFreeSlotValidation": true}

// eventKind: events are deleted and read by id alone.
var eventKind = recordKind{types: []string{TypeEvent},
	remove: func(h *HighLevelTarget, ctx context.Context, ref Ref) error {
		return h.c.Calendars.DeleteEvent(ctx, ref.ID)
	},
	read: (*HighLevelTarget).currentEvent,
	restore: func(h *HighLevelTarget, ctx context.Context, ref Ref, im images) error {
		return h.restoreEvent(ctx, ref, im.before)
	}}

// currentEvent is an event as the change check reads it.
func (h *HighLevelTarget) currentEvent(ctx context.Context, ref Ref) (any, error) {
	a, err := h.c.Calendars.GetAppointment(ctx, ref.ID)
	if err != nil {
		return nil, hlErr(err)
	}
	b, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	// Times as the write sends them (RFC 3339 in their own offset; the
	// migration writes UTC), so an unchanged event projects equal.
	m["startTime"] = a.StartTime.UTC().Format("2006-01-02T15:04:05Z07:00")
	m["endTime"] = a.EndTime.UTC().Format("2006-01-02T15:04:05Z07:00")
	for k, v := range eventWriteOnly {
		m[k] = v
	}
	return m, nil
}

// restoreEvent puts an updated event back to its before-image: calendar,
// times, title, status and the texts, never notifying the contact.
func (h *HighLevelTarget) restoreEvent(ctx context.Context, ref Ref, before []byte) error {
	var a highlevel.Appointment
	if err := json.Unmarshal(before, &a); err != nil {
		return fmt.Errorf("rollback: event before-image: %w", err)
	}
	u := highlevel.AppointmentUpdate{IgnoreDateRange: true, IgnoreFreeSlotValidation: true,
		Title: &a.Title, Description: &a.Description, Address: &a.Address}
	if a.CalendarID != "" {
		u.CalendarID = &a.CalendarID
	}
	if !a.StartTime.IsZero() {
		u.StartTime = &a.StartTime.Time
	}
	if !a.EndTime.IsZero() {
		u.EndTime = &a.EndTime.Time
	}
	if a.Status != "" {
		u.Status = &a.Status
	}
	if a.AssignedUserID != "" {
		u.AssignedUserID = &a.AssignedUserID
	}
	_, err := h.c.Calendars.UpdateAppointment(ctx, ref.ID, u)
	return hlErr(err)
}
