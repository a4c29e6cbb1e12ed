package hltest

import (
	"maps"
	"strconv"
	"time"
)

// Calendars and appointments (apps/calendars.json, Version 2021-04-15, and
// GET /contacts/{contactId}/appointments of apps/contacts.json).
//
// What the simulator models is what matters to a migration writing past
// appointments: slot validation refuses a slot before the calendar's
// booking window (a past slot is always before it) unless ignoreDateRange
// is set, refuses a slot already taken (appoinmentPerSlot, default 1)
// unless ignoreFreeSlotValidation is set, and ignoreFreeSlotValidation
// skips every slot check, date range included, as the spec describes the
// two flags. Open hours, buffers and team availability are not modelled:
// a slot inside the window and free is accepted.
//
// toNotify (default true: "If set to false, the automations will not run")
// is recorded on every event, and every create or update that would have
// run the calendar's automations is kept as a Notification, so a test can
// assert that a migration notified no patient.

// msgSlotUnavailable is HighLevel's answer to a slot it refuses.
const msgSlotUnavailable = "The slot you have selected is no longer available."

var calendarTypes = []string{"round_robin", "event", "class_booking", "collective", "service_booking", "personal"}

var (
	durationUnits   = []string{"mins", "hours"}
	meetingKinds    = []string{"custom", "zoom_conference", "google_conference", "inbound_call", "outbound_call", "physical", "booker", "ms_teams_conference"}
	hourDTO         = newDTO(field{name: "openHour", kind: kNumber, required: true}, field{name: "openMinute", kind: kNumber, required: true}, field{name: "closeHour", kind: kNumber, required: true}, field{name: "closeMinute", kind: kNumber, required: true})
	locationConfDTO = newDTO(field{name: "kind", kind: kString, required: true, enum: meetingKinds}, field{name: "location", kind: kString})
)

// createCalendarDTO is CalendarCreateDTO.
var createCalendarDTO = newDTO(
	field{name: "isActive", kind: kBool},
	field{name: "notifications", kind: kArray, nested: newDTO(
		field{name: "type", kind: kString, enum: []string{"email"}},
		field{name: "shouldSendToContact", kind: kBool, required: true},
		field{name: "shouldSendToGuest", kind: kBool, required: true},
		field{name: "shouldSendToUser", kind: kBool, required: true},
		field{name: "shouldSendToSelectedUsers", kind: kBool, required: true},
		field{name: "selectedUsers", kind: kString, required: true, allowEmpty: true},
	)},
	field{name: "locationId", kind: kString, required: true},
	field{name: "groupId", kind: kString},
	field{name: "teamMembers", kind: kArray, nested: newDTO(
		field{name: "userId", kind: kString, required: true},
		field{name: "priority", kind: kNumber},
		field{name: "meetingLocationType", kind: kString, enum: []string{"custom", "zoom", "gmeet", "phone", "address", "teams", "booker"}},
		field{name: "meetingLocation", kind: kString},
		field{name: "isPrimary", kind: kBool},
		field{name: "locationConfigurations", kind: kArray, nested: locationConfDTO},
	)},
	field{name: "eventType", kind: kString, enum: []string{"RoundRobin_OptimizeForAvailability", "RoundRobin_OptimizeForEqualDistribution"}},
	field{name: "name", kind: kString, required: true},
	field{name: "description", kind: kString},
	field{name: "slug", kind: kString},
	field{name: "widgetSlug", kind: kString},
	field{name: "calendarType", kind: kString, enum: calendarTypes},
	field{name: "widgetType", kind: kString, enum: []string{"default", "classic"}},
	field{name: "eventTitle", kind: kString},
	field{name: "eventColor", kind: kString},
	field{name: "meetingLocation", kind: kString},
	field{name: "locationConfigurations", kind: kArray, nested: locationConfDTO},
	field{name: "slotDuration", kind: kNumber},
	field{name: "slotDurationUnit", kind: kString, enum: durationUnits},
	field{name: "slotInterval", kind: kNumber},
	field{name: "slotIntervalUnit", kind: kString, enum: durationUnits},
	field{name: "slotBuffer", kind: kNumber},
	field{name: "slotBufferUnit", kind: kString, enum: durationUnits},
	field{name: "preBuffer", kind: kNumber},
	field{name: "preBufferUnit", kind: kString, enum: durationUnits},
	field{name: "appoinmentPerSlot", kind: kNumber},
	field{name: "appoinmentPerDay", kind: kNumber},
	field{name: "allowBookingAfter", kind: kNumber},
	field{name: "allowBookingAfterUnit", kind: kString, enum: []string{"hours", "days", "weeks", "months"}},
	field{name: "allowBookingFor", kind: kNumber},
	field{name: "allowBookingForUnit", kind: kString, enum: []string{"days", "weeks", "months"}},
	field{name: "openHours", kind: kArray, nested: newDTO(
		field{name: "daysOfTheWeek", kind: kArray, required: true},
		field{name: "hours", kind: kArray, required: true, nested: hourDTO},
	)},
	field{name: "enableRecurring", kind: kBool},
	field{name: "recurring", kind: kObject, nested: newDTO(
		field{name: "freq", kind: kString, enum: []string{"DAILY", "WEEKLY", "MONTHLY"}},
		field{name: "count", kind: kNumber},
		field{name: "bookingOption", kind: kString, enum: []string{"skip", "continue", "book_next"}},
		field{name: "bookingOverlapDefaultStatus", kind: kString, enum: []string{"confirmed", "new"}},
	)},
	field{name: "formId", kind: kString},
	field{name: "stickyContact", kind: kBool},
	field{name: "isLivePaymentMode", kind: kBool},
	field{name: "autoConfirm", kind: kBool},
	field{name: "shouldSendAlertEmailsToAssignedMember", kind: kBool},
	field{name: "alertEmail", kind: kString},
	field{name: "googleInvitationEmails", kind: kBool},
	field{name: "allowReschedule", kind: kBool},
	field{name: "allowCancellation", kind: kBool},
	field{name: "shouldAssignContactToTeamMember", kind: kBool},
	field{name: "shouldSkipAssigningContactForExisting", kind: kBool},
	field{name: "notes", kind: kString},
	field{name: "pixelId", kind: kString},
	field{name: "formSubmitType", kind: kString, enum: []string{"RedirectURL", "ThankYouMessage"}},
	field{name: "formSubmitRedirectURL", kind: kString},
	field{name: "formSubmitThanksMessage", kind: kString},
	field{name: "availabilityType", kind: kNumber},
	field{name: "availabilities", kind: kArray, nested: newDTO(
		field{name: "date", kind: kString, required: true},
		field{name: "hours", kind: kArray, required: true, nested: hourDTO},
		field{name: "deleted", kind: kBool},
	)},
	field{name: "guestType", kind: kString, enum: []string{"count_only", "collect_detail"}},
	field{name: "consentLabel", kind: kString},
	field{name: "calendarCoverImage", kind: kString},
	field{name: "lookBusyConfig", kind: kObject, nested: newDTO(
		field{name: "enabled", kind: kBool, required: true},
		field{name: "LookBusyPercentage", kind: kNumber, required: true},
	)},
)

type calendar struct {
	meta
	// props are the documented properties as created (locationId aside);
	// the API echoes them back.
	props map[string]any
}

func (cal *calendar) json(locationID string) map[string]any {
	out := maps.Clone(cal.props)
	out["id"], out["locationId"] = cal.id, locationID
	if _, set := out["isActive"]; !set {
		out["isActive"] = true
	}
	return out
}

func (cal *calendar) groupID() string { return str(cal.props, "groupId") }

// span converts a calendar's (value, unit) pair to a duration (def when
// unset); months count as 30 days.
func (cal *calendar) span(valueKey, unitKey string, def time.Duration) time.Duration {
	v, ok := number(cal.props, valueKey)
	if !ok || v <= 0 {
		return def
	}
	unit := map[string]time.Duration{"mins": time.Minute, "hours": time.Hour, "days": 24 * time.Hour,
		"weeks": 7 * 24 * time.Hour, "months": 30 * 24 * time.Hour}[str(cal.props, unitKey)]
	if unit == 0 {
		unit = map[string]time.Duration{"slotDuration": time.Minute, "allowBookingAfter": time.Hour}[valueKey]
	}
	if unit == 0 {
		unit = 24 * time.Hour
	}
	return time.Duration(v * float64(unit))
}

// slotDuration is the calendar's default appointment length (30 minutes).
func (cal *calendar) slotDuration() time.Duration {
	return cal.span("slotDuration", "slotDurationUnit", 30*time.Minute)
}

func (cal *calendar) perSlot() int {
	if v, ok := number(cal.props, "appoinmentPerSlot"); ok && v >= 1 {
		return int(v)
	}
	return 1
}

// Notification is an automation HighLevel would have run for an
// appointment written without toNotify:false: a confirmation or
// reschedule message to the contact. It carries ids only.
type Notification struct {
	Kind       string    `json:"kind"`    // "appointment"
	Trigger    string    `json:"trigger"` // "created" or "updated"
	EventID    string    `json:"eventId"`
	ContactID  string    `json:"contactId"`
	CalendarID string    `json:"calendarId"`
	Time       time.Time `json:"time"`
}

func (n Notification) json() map[string]any {
	return map[string]any{"kind": n.Kind, "trigger": n.Trigger, "eventId": n.EventID,
		"contactId": n.ContactID, "calendarId": n.CalendarID, "time": iso(n.Time)}
}

var appointmentStatuses = []string{"new", "confirmed", "cancelled", "showed", "noshow", "invalid"}

// updateAppointmentDTO is AppointmentEditSchema.
var updateAppointmentDTO = newDTO(
	field{name: "title", kind: kString},
	field{name: "meetingLocationType", kind: kString, enum: []string{"custom", "zoom", "gmeet", "phone", "address", "ms_teams", "google"}},
	field{name: "meetingLocationId", kind: kString},
	field{name: "overrideLocationConfig", kind: kBool},
	field{name: "appointmentStatus", kind: kString, enum: appointmentStatuses},
	field{name: "assignedUserId", kind: kString},
	field{name: "description", kind: kString},
	field{name: "address", kind: kString},
	field{name: "ignoreDateRange", kind: kBool},
	field{name: "toNotify", kind: kBool},
	field{name: "ignoreFreeSlotValidation", kind: kBool},
	field{name: "rrule", kind: kString},
	field{name: "calendarId", kind: kString},
	field{name: "startTime", kind: kString},
	field{name: "endTime", kind: kString},
)

// createAppointmentDTO is AppointmentCreateSchema.
var createAppointmentDTO = updateAppointmentDTO.with(
	field{name: "calendarId", kind: kString, required: true},
	field{name: "locationId", kind: kString, required: true},
	field{name: "contactId", kind: kString, required: true},
	field{name: "startTime", kind: kString, required: true},
)

type event struct {
	meta
	calendarID, contactID, title, status, assignedUserID                string
	description, address, meetingLocationType, meetingLocationID, rrule string
	start, end                                                          time.Time
	toNotify                                                            bool
}

// apiTime renders an appointment time in the offset it was written with,
// as HighLevel echoes it (the spec's examples keep "+05:30").
func apiTime(t time.Time) string { return t.Format(time.RFC3339) }

// schemaJSON is AppointmentSchemaResponse (create and update).
func (e *event) schemaJSON(locationID string) map[string]any {
	out := map[string]any{"id": e.id, "calendarId": e.calendarID, "locationId": locationID, "contactId": e.contactID,
		"startTime": apiTime(e.start), "endTime": apiTime(e.end), "title": e.title, "appointmentStatus": e.status,
		"isRecurring": e.rrule != ""}
	if e.meetingLocationType != "" {
		out["meetingLocationType"] = e.meetingLocationType
	}
	if e.assignedUserID != "" {
		out["assignedUserId"] = e.assignedUserID
	}
	if e.address != "" {
		out["address"] = e.address
	}
	if e.rrule != "" {
		out["rrule"] = e.rrule
	}
	return out
}

// json is CalendarEventDTO (get and the events range).
func (e *event) json(l *location) map[string]any {
	users := []string{}
	if e.assignedUserID != "" {
		users = append(users, e.assignedUserID)
	}
	groupID := ""
	if cal, ok := l.calendars.get(e.calendarID); ok {
		groupID = cal.groupID()
	}
	out := map[string]any{"id": e.id, "title": e.title, "calendarId": e.calendarID, "locationId": l.cfg.ID,
		"contactId": e.contactID, "groupId": groupID, "appointmentStatus": e.status, "assignedUserId": e.assignedUserID,
		"users": users, "startTime": apiTime(e.start), "endTime": apiTime(e.end), "dateAdded": iso(e.added),
		"dateUpdated": iso(e.updated), "isRecurring": e.rrule != "", "assignedResources": []string{}}
	if e.address != "" {
		out["address"] = e.address
	}
	if e.description != "" {
		out["description"] = e.description
	}
	if e.rrule != "" {
		out["rrule"] = e.rrule
	}
	return out
}

// contactLayout is how GET /contacts/{contactId}/appointments writes times
// (the spec's GetEventSchema examples: "2021-07-16 11:00:00"), in UTC.
const contactLayout = "2006-01-02 15:04:05"

// contactJSON is GetEventSchema of GET /contacts/{contactId}/appointments.
func (e *event) contactJSON(l *location) map[string]any {
	out := e.json(l)
	delete(out, "isRecurring")
	delete(out, "description")
	out["status"] = e.status
	out["startTime"] = e.start.UTC().Format(contactLayout)
	out["endTime"] = e.end.UTC().Format(contactLayout)
	out["dateAdded"] = e.added.UTC().Format(contactLayout)
	out["dateUpdated"] = e.updated.UTC().Format(contactLayout)
	return out
}

// inspectJSON is what Records and Dump show: the API's event plus
// toNotify, which HighLevel keeps but does not return.
func (e *event) inspectJSON(l *location) map[string]any {
	out := e.json(l)
	out["toNotify"] = e.toNotify
	return out
}

// slotKey files an event under its calendar and the UTC day it starts, so
// slot validation looks at the few events that can overlap instead of
// every event of the location (a migration writes tens of thousands).
func slotKey(calID string, day time.Time) string {
	return calID + "|" + day.UTC().Format(time.DateOnly)
}

// indexEvent and unindexEvent keep eventsOf (by contact) and bySlot (by
// calendar and start day) in step with events.
func (l *location) indexEvent(e *event) {
	l.eventsOf.add(e.contactID, e)
	l.bySlot.add(slotKey(e.calendarID, e.start), e)
	if d := e.end.Sub(e.start); d > l.longestEvent[e.calendarID] {
		l.longestEvent[e.calendarID] = d
	}
}

func (l *location) unindexEvent(e *event) {
	l.eventsOf.del(e.contactID, e)
	l.bySlot.del(slotKey(e.calendarID, e.start), e)
}

// dropEventsOf deletes a contact's appointments: they die with the contact,
// as its notes and tasks do.
func (l *location) dropEventsOf(contactID string) {
	for _, e := range l.eventsOf.list(contactID) {
		l.unindexEvent(e)
		l.events.remove(e.id)
	}
}

func parseApptTime(m map[string]any, k string) (time.Time, *apiError) {
	t, err := time.Parse(time.RFC3339, str(m, k))
	if err != nil {
		return time.Time{}, errUnprocessable(k + " must be a valid ISO 8601 date string")
	}
	return t, nil
}

// checkSlot applies HighLevel's slot validation to [start, end) on cal.
// skipID is the id of the event being moved ("" on create): its own old
// slot does not count.
func (l *location) checkSlot(cal *calendar, start, end, now time.Time, m map[string]any, skipID string) *apiError {
	if boolean(m, "ignoreFreeSlotValidation") {
		return nil
	}
	if !boolean(m, "ignoreDateRange") {
		// The minimum scheduling notice and the date range: a past slot
		// is always before the window.
		if start.Before(now.Add(cal.span("allowBookingAfter", "allowBookingAfterUnit", 0))) {
			return errBadRequest(msgSlotUnavailable)
		}
		if _, set := cal.props["allowBookingFor"]; set && start.After(now.Add(cal.span("allowBookingFor", "allowBookingForUnit", 0))) {
			return errBadRequest(msgSlotUnavailable)
		}
	}
	// An event overlapping [start, end) starts before end and no earlier
	// than start minus the calendar's longest event.
	taken := 0
	first := start.Add(-l.longestEvent[cal.id]).UTC().Truncate(24 * time.Hour)
	for day := first; day.Before(end); day = day.Add(24 * time.Hour) {
		for _, e := range l.bySlot[slotKey(cal.id, day)] {
			if e.id != skipID && e.status != "cancelled" && e.start.Before(end) && start.Before(e.end) {
				taken++
			}
		}
	}
	if taken >= cal.perSlot() {
		return errBadRequest(msgSlotUnavailable)
	}
	return nil
}

func (s *Server) calendarRoutes(add func(method, pattern string, h handler, query ...string) *route) {
	none := []string{}
	add("GET", "/calendars/", s.listCalendars, "locationId", "groupId", "showDrafted")
	add("POST", "/calendars/", s.createCalendar).query = none
	add("GET", "/calendars/{calendarId}", s.getCalendar).query = none
	add("POST", "/calendars/events/appointments", s.createAppointment).query = none
	add("GET", "/calendars/events/appointments/{eventId}", s.getAppointment).query = none
	add("PUT", "/calendars/events/appointments/{eventId}", s.updateAppointment).query = none
	add("DELETE", "/calendars/events/{eventId}", s.deleteEvent).query = none
	add("GET", "/calendars/events", s.listEvents, "locationId", "userId", "calendarId", "groupId", "startTime", "endTime")
	add("GET", "/contacts/{contactId}/appointments", s.contactAppointments).query = none
}

func (s *Server) createCalendar(c *call) (response, *apiError) {
	m, err := createCalendarDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	if tms, ok := m["teamMembers"].([]any); ok {
		for _, tm := range tms {
			if u := str(tm.(map[string]any), "userId"); !s.userInLocation(u, l.cfg.ID) {
				return fail(errBadRequest("User with id %s not found in this location", u))
			}
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	props := maps.Clone(m)
	delete(props, "locationId")
	cal := &calendar{meta: s.newMeta(l, c.now), props: props}
	l.calendars.put(cal)
	return ok(map[string]any{"calendar": cal.json(l.cfg.ID)})
}

func (s *Server) listCalendars(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	group := c.q("groupId")
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := []map[string]any{}
	l.calendars.each(func(cal *calendar) bool {
		if group == "" || cal.groupID() == group {
			out = append(out, cal.json(l.cfg.ID))
		}
		return true
	})
	return ok(map[string]any{"calendars": out})
}

// calendarFor finds a calendar of the token's location.
func (s *Server) calendarFor(c *call, id string) (*calendar, *apiError) {
	return find(c, c.loc, c.loc.calendars, id, func(string) *apiError { return errBadRequest("Calendar not found") })
}

func (s *Server) getCalendar(c *call) (response, *apiError) {
	c.loc.mu.RLock()
	defer c.loc.mu.RUnlock()
	cal, err := s.calendarFor(c, c.param("calendarId"))
	if err != nil {
		return fail(err)
	}
	return ok(map[string]any{"calendar": cal.json(c.loc.cfg.ID)})
}

// applyAppointment validates m against the location and writes it into e
// (a new event when e.id is empty). toNotify is not sticky: HighLevel
// takes each write's own flag, so an update without toNotify:false runs the
// automations again.
func (s *Server) applyAppointment(c *call, l *location, e *event, m map[string]any) *apiError {
	calID := e.calendarID
	if v := str(m, "calendarId"); v != "" {
		calID = v
	}
	cal, err := s.calendarFor(c, calID)
	if err != nil {
		return err
	}
	start, end := e.start, e.end
	if has(m, "startTime") {
		if start, err = parseApptTime(m, "startTime"); err != nil {
			return err
		}
	}
	switch {
	case has(m, "endTime"):
		if end, err = parseApptTime(m, "endTime"); err != nil {
			return err
		}
	case e.id == "" || has(m, "startTime"):
		// Without an end the appointment lasts the calendar's slot, kept
		// in the offset the start was written with.
		d := cal.slotDuration()
		if e.id != "" {
			d = e.end.Sub(e.start)
		}
		end = start.Add(d)
	}
	if !end.After(start) {
		return errBadRequest("endTime must be after startTime")
	}
	if u := str(m, "assignedUserId"); u != "" && !s.userInLocation(u, l.cfg.ID) {
		return errBadRequest("User with id %s not found in this location", u)
	}
	moved := e.id == "" || calID != e.calendarID || !start.Equal(e.start) || !end.Equal(e.end)
	if moved {
		if err := l.checkSlot(cal, start, end, c.now, m, e.id); err != nil {
			return err
		}
	}
	e.calendarID, e.start, e.end = calID, start, end
	for k, dst := range map[string]*string{"title": &e.title, "appointmentStatus": &e.status,
		"assignedUserId": &e.assignedUserID, "description": &e.description, "address": &e.address,
		"meetingLocationType": &e.meetingLocationType, "meetingLocationId": &e.meetingLocationID, "rrule": &e.rrule} {
		if has(m, k) {
			*dst = str(m, k)
		}
	}
	if e.status == "" {
		// Calendars confirm bookings unless autoConfirm is turned off.
		e.status = "confirmed"
		if v, set := cal.props["autoConfirm"].(bool); set && !v {
			e.status = "new"
		}
	}
	if e.title == "" {
		e.title = str(cal.props, "eventTitle")
	}
	e.toNotify = !has(m, "toNotify") || boolean(m, "toNotify")
	return nil
}

func (l *location) notify(e *event, trigger string, now time.Time) {
	if e.toNotify {
		l.notifications = append(l.notifications, Notification{Kind: "appointment", Trigger: trigger,
			EventID: e.id, ContactID: e.contactID, CalendarID: e.calendarID, Time: now})
	}
}

func (s *Server) createAppointment(c *call) (response, *apiError) {
	m, err := createAppointmentDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l, err := c.scope(str(m, "locationId"))
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ct, err := s.contactFor(c, str(m, "contactId"))
	if err != nil {
		return fail(err)
	}
	e := &event{contactID: ct.id}
	if err := s.applyAppointment(c, l, e, m); err != nil {
		return fail(err)
	}
	e.meta = s.newMeta(l, c.now)
	l.events.put(e)
	l.indexEvent(e)
	l.notify(e, "created", c.now)
	return ok(e.schemaJSON(l.cfg.ID))
}

func (s *Server) eventFor(c *call) (*event, *apiError) {
	return find(c, c.loc, c.loc.events, c.param("eventId"), func(string) *apiError { return errBadRequest("Event not found") })
}

func (s *Server) getAppointment(c *call) (response, *apiError) {
	c.loc.mu.RLock()
	defer c.loc.mu.RUnlock()
	e, err := s.eventFor(c)
	if err != nil {
		return fail(err)
	}
	return ok(map[string]any{"event": e.json(c.loc)})
}

func (s *Server) updateAppointment(c *call) (response, *apiError) {
	m, err := updateAppointmentDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	l := c.loc
	l.mu.Lock()
	defer l.mu.Unlock()
	e, err := s.eventFor(c)
	if err != nil {
		return fail(err)
	}
	// Validate on a copy: a refused update changes nothing.
	next := *e
	if err := s.applyAppointment(c, l, &next, m); err != nil {
		return fail(err)
	}
	next.meta = e.meta
	l.unindexEvent(e)
	*e = next
	l.indexEvent(e)
	s.touch(&e.meta, c.now)
	l.notify(e, "updated", c.now)
	return ok(e.schemaJSON(l.cfg.ID))
}

func (s *Server) deleteEvent(c *call) (response, *apiError) {
	// DeleteAppointmentSchema documents no property.
	if _, err := newDTO().decode(c.body); err != nil {
		return fail(err)
	}
	l := c.loc
	l.mu.Lock()
	defer l.mu.Unlock()
	e, err := s.eventFor(c)
	if err != nil {
		return fail(err)
	}
	l.unindexEvent(e)
	l.events.remove(e.id)
	return created(map[string]any{"succeeded": true})
}

// parseMillis reads a query parameter in epoch milliseconds.
func parseMillis(c *call, k string) (time.Time, *apiError) {
	v := c.q(k)
	if v == "" {
		return time.Time{}, errUnprocessable(k + " should not be empty")
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, errUnprocessable(k + " must be a number string (milliseconds)")
	}
	return time.UnixMilli(ms).UTC(), nil
}

// listEvents is GET /calendars/events: the events starting in
// [startTime, endTime] (epoch ms) of a calendar, a user or a group.
func (s *Server) listEvents(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	calID, userID, groupID := c.q("calendarId"), c.q("userId"), c.q("groupId")
	if calID == "" && userID == "" && groupID == "" {
		return fail(errUnprocessable("Either of calendarId, userId or groupId is required"))
	}
	from, err := parseMillis(c, "startTime")
	if err != nil {
		return fail(err)
	}
	to, err := parseMillis(c, "endTime")
	if err != nil {
		return fail(err)
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := []map[string]any{}
	l.events.each(func(e *event) bool {
		if e.start.Before(from) || e.start.After(to) {
			return true
		}
		switch {
		case calID != "" && e.calendarID != calID:
			return true
		case userID != "" && e.assignedUserID != userID:
			return true
		case groupID != "":
			if cal, ok := l.calendars.get(e.calendarID); !ok || cal.groupID() != groupID {
				return true
			}
		}
		out = append(out, e.json(l))
		return true
	})
	return ok(map[string]any{"events": out})
}

func (s *Server) contactAppointments(c *call) (response, *apiError) {
	l := c.loc
	l.mu.RLock()
	defer l.mu.RUnlock()
	ct, err := s.contactFor(c, c.param("contactId"))
	if err != nil {
		return fail(err)
	}
	out := []map[string]any{}
	for _, e := range l.eventsOf.list(ct.id) {
		out = append(out, e.contactJSON(l))
	}
	return ok(map[string]any{"events": out})
}

// Notifications returns the automations HighLevel would have run for a
// location's appointments (those written without toNotify:false), oldest
// first.
func (s *Server) Notifications(locationID string) []Notification {
	l, err := s.loc(locationID)
	if err != nil {
		return nil
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]Notification{}, l.notifications...)
}
