package highlevel

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Calendars and appointments (Version 2021-04-15, apps/calendars.json;
// GET /contacts/{contactId}/appointments of apps/contacts.json).
//
// HighLevel runs a calendar's automations (confirmation and reminder
// messages to the patient) for every appointment written without
// toNotify:false. A migration writing history must never do that, so
// AppointmentInput and AppointmentUpdate always send toNotify, false
// unless Notify is set.

// CalendarsService: calendars and their appointments.
type CalendarsService service

var (
	opCalendarList    = operation{name: "calendars.list", method: http.MethodGet, version: Version20210415}
	opCalendarGet     = operation{name: "calendars.get", method: http.MethodGet, version: Version20210415}
	opCalendarCreate  = operation{name: "calendars.create", method: http.MethodPost, version: Version20210415}
	opApptCreate      = operation{name: "calendars.createAppointment", method: http.MethodPost, version: Version20210415}
	opApptGet         = operation{name: "calendars.getAppointment", method: http.MethodGet, version: Version20210415}
	opApptUpdate      = operation{name: "calendars.updateAppointment", method: http.MethodPut, version: Version20210415}
	opEventDelete     = operation{name: "calendars.deleteEvent", method: http.MethodDelete, version: Version20210415}
	opEventList       = operation{name: "calendars.events", method: http.MethodGet, version: Version20210415}
	opContactApptList = operation{name: "contacts.appointments", method: http.MethodGet, version: Version20210728}
)

// Calendar is a HighLevel calendar.
type Calendar struct {
	ID               string  `json:"id"`
	LocationID       string  `json:"locationId"`
	Name             string  `json:"name"`
	Description      string  `json:"description,omitempty"`
	GroupID          string  `json:"groupId,omitempty"`
	CalendarType     string  `json:"calendarType,omitempty"`
	IsActive         bool    `json:"isActive"`
	SlotDuration     float64 `json:"slotDuration,omitempty"`
	SlotDurationUnit string  `json:"slotDurationUnit,omitempty"`
}

// CalendarInput is the body of a calendar create. Name is required.
type CalendarInput struct {
	Name         string `json:"name"`
	Description  string `json:"description,omitempty"`
	GroupID      string `json:"groupId,omitempty"`
	CalendarType string `json:"calendarType,omitempty"` // "event", "round_robin", ...
	// SlotDuration is the default appointment length, in SlotDurationUnit
	// ("mins" or "hours").
	SlotDuration     int    `json:"slotDuration,omitempty"`
	SlotDurationUnit string `json:"slotDurationUnit,omitempty"`
	// AutoConfirm false makes bookings "new" instead of "confirmed".
	AutoConfirm *bool `json:"autoConfirm,omitempty"`
}

// List returns the location's calendars (GET /calendars/).
func (s *CalendarsService) List(ctx context.Context) ([]*Calendar, error) {
	var out struct {
		Calendars []*Calendar `json:"calendars"`
	}
	q := url.Values{"locationId": {s.client.locationID}}
	if err := s.client.do(ctx, call{op: opCalendarList, path: "/calendars/", query: q}, &out); err != nil {
		return nil, err
	}
	return out.Calendars, nil
}

// Get returns a calendar (GET /calendars/{calendarId}).
func (s *CalendarsService) Get(ctx context.Context, id string) (*Calendar, error) {
	if err := requireID(opCalendarGet.name, "calendar id", id); err != nil {
		return nil, err
	}
	var out struct {
		Calendar *Calendar `json:"calendar"`
	}
	if err := s.client.do(ctx, call{op: opCalendarGet, path: pathf("/calendars/%s", id)}, &out); err != nil {
		return nil, err
	}
	if out.Calendar == nil {
		return nil, &DecodeError{Operation: opCalendarGet.name, Err: fmt.Errorf(`no "calendar" in response`)}
	}
	return out.Calendar, nil
}

// Create creates a calendar in the client's location (POST /calendars/).
func (s *CalendarsService) Create(ctx context.Context, in CalendarInput) (*Calendar, error) {
	if in.Name == "" {
		return nil, fmt.Errorf("highlevel: %s: name is required", opCalendarCreate.name)
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("highlevel: %s: %w", opCalendarCreate.name, err)
	}
	body, err := located(s.client.locationID, b)
	if err != nil {
		return nil, fmt.Errorf("highlevel: %s: %w", opCalendarCreate.name, err)
	}
	var out struct {
		Calendar *Calendar `json:"calendar"`
	}
	if err := s.client.do(ctx, call{op: opCalendarCreate, path: "/calendars/", body: body}, &out); err != nil {
		return nil, err
	}
	if out.Calendar == nil {
		return nil, &DecodeError{Operation: opCalendarCreate.name, Err: fmt.Errorf(`no "calendar" in response`)}
	}
	return out.Calendar, nil
}

// AppointmentStatus is an appointment's status.
type AppointmentStatus string

// Appointment statuses a write may set.
const (
	AppointmentNew       AppointmentStatus = "new"
	AppointmentConfirmed AppointmentStatus = "confirmed"
	AppointmentCancelled AppointmentStatus = "cancelled"
	AppointmentShowed    AppointmentStatus = "showed"
	AppointmentNoShow    AppointmentStatus = "noshow"
	AppointmentInvalid   AppointmentStatus = "invalid"
)

func (st AppointmentStatus) valid() bool {
	switch st {
	case "", AppointmentNew, AppointmentConfirmed, AppointmentCancelled, AppointmentShowed, AppointmentNoShow, AppointmentInvalid:
		return true
	}
	return false
}

// Appointment is a calendar event booked for a contact.
type Appointment struct {
	ID             string            `json:"id"`
	CalendarID     string            `json:"calendarId"`
	LocationID     string            `json:"locationId"`
	ContactID      string            `json:"contactId"`
	Title          string            `json:"title"`
	Status         AppointmentStatus `json:"appointmentStatus"`
	AssignedUserID string            `json:"assignedUserId,omitempty"`
	Address        string            `json:"address,omitempty"`
	Description    string            `json:"description,omitempty"`
	StartTime      Timestamp         `json:"startTime"`
	EndTime        Timestamp         `json:"endTime"`
	DateAdded      Timestamp         `json:"dateAdded"`
	DateUpdated    Timestamp         `json:"dateUpdated"`
}

// AppointmentInput is an appointment to book. CalendarID, ContactID and
// StartTime are required.
type AppointmentInput struct {
	CalendarID string
	ContactID  string
	StartTime  time.Time
	// EndTime zero lasts the calendar's slot duration.
	EndTime        time.Time
	Title          string
	Status         AppointmentStatus
	AssignedUserID string // a user of the location
	Address        string
	Description    string
	// Notify lets HighLevel run the calendar's automations (messages to
	// the contact). Off, toNotify:false is sent.
	Notify bool
	// IgnoreDateRange books outside the calendar's booking window (a past
	// slot, for history); IgnoreFreeSlotValidation skips every slot check
	// (a taken slot, a double booking).
	IgnoreDateRange          bool
	IgnoreFreeSlotValidation bool
}

// apptTime writes an appointment time as RFC 3339 in its own offset.
func apptTime(t time.Time) string { return t.Format(time.RFC3339) }

type appointmentBody struct {
	CalendarID               string            `json:"calendarId,omitempty"`
	ContactID                string            `json:"contactId,omitempty"`
	StartTime                string            `json:"startTime,omitempty"`
	EndTime                  string            `json:"endTime,omitempty"`
	Title                    *string           `json:"title,omitempty"`
	Status                   AppointmentStatus `json:"appointmentStatus,omitempty"`
	AssignedUserID           *string           `json:"assignedUserId,omitempty"`
	Address                  *string           `json:"address,omitempty"`
	Description              *string           `json:"description,omitempty"`
	ToNotify                 bool              `json:"toNotify"`
	IgnoreDateRange          bool              `json:"ignoreDateRange,omitempty"`
	IgnoreFreeSlotValidation bool              `json:"ignoreFreeSlotValidation,omitempty"`
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Body is the JSON body CreateAppointment sends for in, less the
// "locationId" it puts first for the client's location: the bytes to
// journal. toNotify is always present.
func (in AppointmentInput) Body() ([]byte, error) {
	b := appointmentBody{CalendarID: in.CalendarID, ContactID: in.ContactID, StartTime: apptTime(in.StartTime),
		Title: nonEmpty(in.Title), Status: in.Status, AssignedUserID: nonEmpty(in.AssignedUserID),
		Address: nonEmpty(in.Address), Description: nonEmpty(in.Description), ToNotify: in.Notify,
		IgnoreDateRange: in.IgnoreDateRange, IgnoreFreeSlotValidation: in.IgnoreFreeSlotValidation}
	if !in.EndTime.IsZero() {
		b.EndTime = apptTime(in.EndTime)
	}
	return json.Marshal(b)
}

// AppointmentUpdate changes an appointment; nil fields are unchanged.
// Notify and the Ignore flags apply to this write only, as HighLevel takes
// them.
type AppointmentUpdate struct {
	CalendarID               *string
	StartTime, EndTime       *time.Time
	Title                    *string
	Status                   *AppointmentStatus
	AssignedUserID           *string
	Address                  *string
	Description              *string
	Notify                   bool
	IgnoreDateRange          bool
	IgnoreFreeSlotValidation bool
}

// Body is the exact JSON body UpdateAppointment sends for u.
func (u AppointmentUpdate) Body() ([]byte, error) {
	b := appointmentBody{Title: u.Title, AssignedUserID: u.AssignedUserID, Address: u.Address, Description: u.Description,
		ToNotify: u.Notify, IgnoreDateRange: u.IgnoreDateRange, IgnoreFreeSlotValidation: u.IgnoreFreeSlotValidation}
	if u.CalendarID != nil {
		b.CalendarID = *u.CalendarID
	}
	if u.StartTime != nil {
		b.StartTime = apptTime(*u.StartTime)
	}
	if u.EndTime != nil {
		b.EndTime = apptTime(*u.EndTime)
	}
	if u.Status != nil {
		b.Status = *u.Status
	}
	return json.Marshal(b)
}

// CreateAppointment books an appointment in the client's location (POST
// /calendars/events/appointments). A past slot is refused (400) unless
// IgnoreDateRange or IgnoreFreeSlotValidation is set. A network failure or
// 5xx gives an error matching ErrOutcomeUnknown.
func (s *CalendarsService) CreateAppointment(ctx context.Context, in AppointmentInput) (*Appointment, error) {
	op := opApptCreate.name
	if in.CalendarID == "" || in.ContactID == "" || in.StartTime.IsZero() {
		return nil, fmt.Errorf("highlevel: %s: calendar id, contact id and start time are required", op)
	}
	if !in.Status.valid() {
		return nil, fmt.Errorf("highlevel: %s: unknown status %q", op, in.Status)
	}
	b, err := in.Body()
	if err != nil {
		return nil, fmt.Errorf("highlevel: %s: %w", op, err)
	}
	body, err := located(s.client.locationID, b)
	if err != nil {
		return nil, fmt.Errorf("highlevel: %s: %w", op, err)
	}
	var out Appointment
	if err := s.client.do(ctx, call{op: opApptCreate, path: "/calendars/events/appointments", body: body}, &out); err != nil {
		return nil, err
	}
	if out.ID == "" {
		return nil, &DecodeError{Operation: op, Err: fmt.Errorf("no appointment id in response")}
	}
	return &out, nil
}

// GetAppointment returns an appointment (GET
// /calendars/events/appointments/{eventId}).
func (s *CalendarsService) GetAppointment(ctx context.Context, id string) (*Appointment, error) {
	if err := requireID(opApptGet.name, "event id", id); err != nil {
		return nil, err
	}
	var out struct {
		Event *Appointment `json:"event"`
	}
	if err := s.client.do(ctx, call{op: opApptGet, path: pathf("/calendars/events/appointments/%s", id)}, &out); err != nil {
		return nil, err
	}
	if out.Event == nil {
		return nil, &DecodeError{Operation: opApptGet.name, Err: fmt.Errorf(`no "event" in response`)}
	}
	return out.Event, nil
}

// UpdateAppointment changes an appointment (PUT
// /calendars/events/appointments/{eventId}) and returns it.
func (s *CalendarsService) UpdateAppointment(ctx context.Context, id string, u AppointmentUpdate) (*Appointment, error) {
	op := opApptUpdate.name
	if err := requireID(op, "event id", id); err != nil {
		return nil, err
	}
	if u.Status != nil && (*u.Status == "" || !u.Status.valid()) {
		return nil, fmt.Errorf("highlevel: %s: unknown status %q", op, *u.Status)
	}
	b, err := u.Body()
	if err != nil {
		return nil, fmt.Errorf("highlevel: %s: %w", op, err)
	}
	var out Appointment
	if err := s.client.do(ctx, call{op: opApptUpdate, path: pathf("/calendars/events/appointments/%s", id), body: json.RawMessage(b)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteEvent deletes an appointment (DELETE /calendars/events/{eventId}).
func (s *CalendarsService) DeleteEvent(ctx context.Context, id string) error {
	if err := requireID(opEventDelete.name, "event id", id); err != nil {
		return err
	}
	var out struct {
		Succeeded *bool `json:"succeeded"`
	}
	// The spec requires a body (DeleteAppointmentSchema, no properties).
	if err := s.client.do(ctx, call{op: opEventDelete, path: pathf("/calendars/events/%s", id), body: struct{}{}}, &out); err != nil {
		return err
	}
	if out.Succeeded != nil && !*out.Succeeded {
		return notApplied(opEventDelete.name)
	}
	return nil
}

// EventQuery selects appointments by start time: Start and End bound it
// (inclusive), and one of CalendarID, UserID or GroupID is required.
type EventQuery struct {
	CalendarID, UserID, GroupID string
	Start, End                  time.Time
}

// Events returns the appointments starting in [q.Start, q.End] (GET
// /calendars/events).
func (s *CalendarsService) Events(ctx context.Context, q EventQuery) ([]*Appointment, error) {
	op := opEventList.name
	if q.CalendarID == "" && q.UserID == "" && q.GroupID == "" {
		return nil, fmt.Errorf("highlevel: %s: one of calendar id, user id or group id is required", op)
	}
	if q.Start.IsZero() || q.End.IsZero() || q.End.Before(q.Start) {
		return nil, fmt.Errorf("highlevel: %s: start and end are required, start first", op)
	}
	v := url.Values{"locationId": {s.client.locationID},
		"startTime": {strconv.FormatInt(q.Start.UnixMilli(), 10)}, "endTime": {strconv.FormatInt(q.End.UnixMilli(), 10)}}
	for k, id := range map[string]string{"calendarId": q.CalendarID, "userId": q.UserID, "groupId": q.GroupID} {
		if id != "" {
			v.Set(k, id)
		}
	}
	var out struct {
		Events []*Appointment `json:"events"`
	}
	if err := s.client.do(ctx, call{op: opEventList, path: "/calendars/events", query: v}, &out); err != nil {
		return nil, err
	}
	return out.Events, nil
}

// ContactAppointments returns a contact's appointments (GET
// /contacts/{contactId}/appointments).
func (s *CalendarsService) ContactAppointments(ctx context.Context, contactID string) ([]*Appointment, error) {
	if err := requireID(opContactApptList.name, "contact id", contactID); err != nil {
		return nil, err
	}
	var out struct {
		Events []*Appointment `json:"events"`
	}
	if err := s.client.do(ctx, call{op: opContactApptList, path: pathf("/contacts/%s/appointments", contactID)}, &out); err != nil {
		return nil, err
	}
	return out.Events, nil
}
