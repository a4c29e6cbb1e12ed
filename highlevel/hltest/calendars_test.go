package hltest

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const drA = "user0000000000000001"

func calendarServer(t *testing.T) (*Server, *tclient, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	s, tc := newTestServer(t, Options{Clock: clk.Now, Users: []User{{ID: drA, Name: "Dr A", Email: "a@x.com"}}})
	// Calendars and conversations declare Version 2021-04-15.
	tc.version = "2021-04-15"
	return s, tc, clk
}

func createCalendar(t *testing.T, tc *tclient, body map[string]any) map[string]any {
	t.Helper()
	b := map[string]any{"locationId": loc, "name": "Hygiene"}
	for k, v := range body {
		b[k] = v
	}
	return obj(t, tc.do("POST", "/calendars/", b).must(t, 200)["calendar"])
}

func createContactID(t *testing.T, tc *tclient, email string) string {
	t.Helper()
	c := tc.as(tc.token)
	c.version = "2021-07-28"
	return obj(t, c.do("POST", "/contacts/", map[string]any{"locationId": loc, "firstName": "P", "email": email}).must(t, 201)["contact"])["id"].(string)
}

func appt(calID, contactID string, start time.Time, extra map[string]any) map[string]any {
	b := map[string]any{"calendarId": calID, "locationId": loc, "contactId": contactID, "startTime": start.Format(time.RFC3339)}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

// TestCalendars: GET/POST /calendars/ and GET /calendars/{calendarId}
// (apps/calendars.json get-calendars, create-calendar, get-calendar).
func TestCalendars(t *testing.T) {
	_, tc, _ := calendarServer(t)
	cal := createCalendar(t, tc, map[string]any{"groupId": "group000000000000001", "slotDuration": 45, "slotDurationUnit": "mins",
		"teamMembers": []any{map[string]any{"userId": drA, "isPrimary": true}}})
	assert.Equal(t, "Hygiene", cal["name"])
	assert.Equal(t, loc, cal["locationId"])
	assert.Equal(t, true, cal["isActive"])
	other := createCalendar(t, tc, map[string]any{"name": "Ortho", "calendarType": "event"})

	got := obj(t, tc.do("GET", "/calendars/"+cal["id"].(string), nil).must(t, 200)["calendar"])
	assert.Equal(t, cal, got)
	all := tc.do("GET", "/calendars/?locationId="+loc, nil).must(t, 200)["calendars"].([]any)
	assert.Len(t, all, 2)
	grouped := tc.do("GET", "/calendars/?locationId="+loc+"&groupId=group000000000000001", nil).must(t, 200)["calendars"].([]any)
	require.Len(t, grouped, 1)
	assert.Equal(t, cal["id"], obj(t, grouped[0])["id"])
	_ = other

	// Strict bodies and location scoping, as every write.
	bad := tc.do("POST", "/calendars/", map[string]any{"locationId": loc, "name": "X", "color": "red"}).must(t, 422)
	assert.Equal(t, []string{"property color should not exist"}, messages(t, bad))
	tc.do("POST", "/calendars/", map[string]any{"locationId": loc}).must(t, 422)
	tc.do("POST", "/calendars/", map[string]any{"locationId": loc, "name": "X", "calendarType": "weekly"}).must(t, 422)
	tc.do("POST", "/calendars/", map[string]any{"locationId": loc, "name": "X",
		"teamMembers": []any{map[string]any{"userId": "user0000000000000099"}}}).must(t, 400)
	tc.do("POST", "/calendars/", map[string]any{"locationId": "otherLocation00000001", "name": "X"}).must(t, 403)
	tc.do("GET", "/calendars/?locationId=otherLocation00000001", nil).must(t, 403)
	tc.do("GET", "/calendars/calendar000000000099", nil).must(t, 400)
}

// TestAppointmentLifecycle: POST /calendars/events/appointments, GET and
// PUT /calendars/events/appointments/{eventId}, DELETE
// /calendars/events/{eventId} and GET /contacts/{contactId}/appointments
// (apps/calendars.json create-appointment, get-appointment,
// edit-appointment, delete-event; apps/contacts.json
// get-appointments-for-contact).
func TestAppointmentLifecycle(t *testing.T) {
	s, tc, clk := calendarServer(t)
	cal := createCalendar(t, tc, map[string]any{"slotDuration": 1, "slotDurationUnit": "hours"})
	calID := cal["id"].(string)
	pid := createContactID(t, tc, "p@x.com")
	start := clk.Now().Add(48 * time.Hour).In(time.FixedZone("", -5*3600))

	a := tc.do("POST", "/calendars/events/appointments", appt(calID, pid, start, map[string]any{"title": "Cleaning",
		"assignedUserId": drA, "toNotify": false})).must(t, 200)
	id := a["id"].(string)
	assert.Equal(t, start.Format(time.RFC3339), a["startTime"], "the time is echoed in the offset it was written with")
	assert.Equal(t, start.Add(time.Hour).Format(time.RFC3339), a["endTime"], "no endTime: the calendar's slot duration")
	assert.Equal(t, "confirmed", a["appointmentStatus"])
	assert.Equal(t, "Cleaning", a["title"])

	ev := obj(t, tc.do("GET", "/calendars/events/appointments/"+id, nil).must(t, 200)["event"])
	assert.Equal(t, pid, ev["contactId"])
	assert.Equal(t, []any{drA}, ev["users"])
	st, err := time.Parse(time.RFC3339, ev["startTime"].(string))
	require.NoError(t, err)
	assert.True(t, st.Equal(start))

	up := tc.do("PUT", "/calendars/events/appointments/"+id, map[string]any{"appointmentStatus": "showed", "toNotify": false}).must(t, 200)
	assert.Equal(t, "showed", up["appointmentStatus"])
	assert.Equal(t, a["startTime"], up["startTime"], "an update without times keeps them")
	tc.do("PUT", "/calendars/events/appointments/"+id, map[string]any{"locationId": loc}).must(t, 422)
	tc.do("PUT", "/calendars/events/appointments/"+id, map[string]any{"appointmentStatus": "done"}).must(t, 422)

	list := tc.do("GET", "/contacts/"+pid+"/appointments", nil).must(t, 200)["events"].([]any)
	require.Len(t, list, 1)
	row := obj(t, list[0])
	assert.Equal(t, id, row["id"])
	assert.Equal(t, start.UTC().Format("2006-01-02 15:04:05"), row["startTime"], "GetEventSchema's layout, in UTC")
	tc.do("GET", "/contacts/contact0000000000099/appointments", nil).must(t, 400)

	assert.Equal(t, map[string]any{"succeeded": true}, tc.do("DELETE", "/calendars/events/"+id, nil).must(t, 201))
	tc.do("GET", "/calendars/events/appointments/"+id, nil).must(t, 400)
	tc.do("DELETE", "/calendars/events/"+id, nil).must(t, 400)
	assert.Empty(t, tc.do("GET", "/contacts/"+pid+"/appointments", nil).must(t, 200)["events"])
	assert.Equal(t, 0, s.Count(loc, KindEvent))

	// Required properties of AppointmentCreateSchema, and references.
	missing := tc.do("POST", "/calendars/events/appointments", map[string]any{"locationId": loc}).must(t, 422)
	assert.Contains(t, messages(t, missing), "calendarId should not be empty")
	assert.Contains(t, messages(t, missing), "contactId should not be empty")
	assert.Contains(t, messages(t, missing), "startTime should not be empty")
	tc.do("POST", "/calendars/events/appointments", appt(calID, "contact0000000000099", start, nil)).must(t, 400)
	tc.do("POST", "/calendars/events/appointments", appt("calendar000000000099", pid, start, nil)).must(t, 400)
	tc.do("POST", "/calendars/events/appointments", appt(calID, pid, start, map[string]any{"assignedUserId": "user0000000000000099"})).must(t, 400)
	tc.do("POST", "/calendars/events/appointments", appt(calID, pid, start, map[string]any{"startTime": "tomorrow"})).must(t, 422)
	tc.do("POST", "/calendars/events/appointments", appt(calID, pid, start, map[string]any{"endTime": start.Add(-time.Hour).Format(time.RFC3339)})).must(t, 400)
	tc.do("POST", "/calendars/events/appointments", appt(calID, pid, start, map[string]any{"locationId": "otherLocation00000001"})).must(t, 403)
}

// TestPastSlotNeedsAFlag: a past slot is outside the calendar's date range
// and is not a free slot, so HighLevel refuses it unless ignoreDateRange
// ("the minimum scheduling notice and date range would be ignored") or
// ignoreFreeSlotValidation ("the time slot validation would be avoided ...
// even the ignoreDateRange") says otherwise (AppointmentCreateSchema).
func TestPastSlotNeedsAFlag(t *testing.T) {
	_, tc, clk := calendarServer(t)
	calID := createCalendar(t, tc, map[string]any{"allowBookingFor": 30, "allowBookingForUnit": "days"})["id"].(string)
	pid := createContactID(t, tc, "p@x.com")
	past := clk.Now().AddDate(-3, 0, 0)

	refused := tc.do("POST", "/calendars/events/appointments", appt(calID, pid, past, nil)).must(t, 400)
	assert.Equal(t, msgSlotUnavailable, refused["message"])
	assert.Equal(t, float64(400), refused["statusCode"])
	tc.do("POST", "/calendars/events/appointments", appt(calID, pid, clk.Now().AddDate(0, 2, 0), nil)).must(t, 400)

	tc.do("POST", "/calendars/events/appointments", appt(calID, pid, past, map[string]any{"ignoreDateRange": true})).must(t, 200)
	// The slot is now taken: the date range alone does not free it.
	tc.do("POST", "/calendars/events/appointments", appt(calID, pid, past, map[string]any{"ignoreDateRange": true})).must(t, 400)
	// Skipping slot validation books it anyway (a double booking, as a
	// migration writing a practice's history may need).
	tc.do("POST", "/calendars/events/appointments", appt(calID, pid, past, map[string]any{"ignoreFreeSlotValidation": true})).must(t, 200)

	// A cancelled appointment frees its slot.
	future := clk.Now().Add(72 * time.Hour)
	first := tc.do("POST", "/calendars/events/appointments", appt(calID, pid, future, nil)).must(t, 200)
	tc.do("POST", "/calendars/events/appointments", appt(calID, pid, future.Add(15*time.Minute), nil)).must(t, 400)
	tc.do("PUT", "/calendars/events/appointments/"+first["id"].(string), map[string]any{"appointmentStatus": "cancelled"}).must(t, 200)
	tc.do("POST", "/calendars/events/appointments", appt(calID, pid, future.Add(15*time.Minute), nil)).must(t, 200)

	// Moving an appointment into the past is validated the same way, and
	// a refused move changes nothing.
	id := first["id"].(string)
	tc.do("PUT", "/calendars/events/appointments/"+id, map[string]any{"startTime": past.Add(24 * time.Hour).Format(time.RFC3339)}).must(t, 400)
	ev := obj(t, tc.do("GET", "/calendars/events/appointments/"+id, nil).must(t, 200)["event"])
	assert.Equal(t, "cancelled", ev["appointmentStatus"])
	st, _ := time.Parse(time.RFC3339, ev["startTime"].(string))
	assert.True(t, st.Equal(future))
	tc.do("PUT", "/calendars/events/appointments/"+id, map[string]any{"startTime": past.Add(24 * time.Hour).Format(time.RFC3339),
		"ignoreDateRange": true}).must(t, 200)
}

// TestToNotifyIsRecorded: toNotify ("If set to false, the automations will
// not run") defaults to true; each write that would have run the
// calendar's automations is a Notification, and Dump shows each event's
// toNotify, so a test can assert that no patient was notified.
func TestToNotifyIsRecorded(t *testing.T) {
	s, tc, clk := calendarServer(t)
	calID := createCalendar(t, tc, nil)["id"].(string)
	pid := createContactID(t, tc, "p@x.com")
	at := clk.Now().Add(24 * time.Hour)

	quiet := tc.do("POST", "/calendars/events/appointments", appt(calID, pid, at, map[string]any{"toNotify": false})).must(t, 200)
	tc.do("PUT", "/calendars/events/appointments/"+quiet["id"].(string), map[string]any{"title": "Exam", "toNotify": false}).must(t, 200)
	assert.Empty(t, s.Notifications(loc))

	loud := tc.do("POST", "/calendars/events/appointments", appt(calID, pid, at.Add(2*time.Hour), nil)).must(t, 200)
	// toNotify is per write: an update that omits it runs the automations.
	tc.do("PUT", "/calendars/events/appointments/"+quiet["id"].(string), map[string]any{"title": "Exam 2"}).must(t, 200)
	n := s.Notifications(loc)
	require.Len(t, n, 2)
	assert.Equal(t, Notification{Kind: "appointment", Trigger: "created", EventID: loud["id"].(string), ContactID: pid,
		CalendarID: calID, Time: clk.Now()}, n[0])
	assert.Equal(t, "updated", n[1].Trigger)
	assert.Equal(t, quiet["id"], n[1].EventID)
	assert.Equal(t, 2, s.Count(loc, KindNotification))

	events := s.Records(loc, KindEvent)
	require.Len(t, events, 2)
	assert.Equal(t, true, events[0]["toNotify"], "the last write of the first event omitted toNotify")
	assert.Equal(t, true, events[1]["toNotify"])
	assert.Nil(t, s.Notifications("unknownLocation00001"))
}

// TestEventsByRange: GET /calendars/events takes startTime and endTime in
// epoch milliseconds and "Either of calendarId, userId or groupId is
// required" (apps/calendars.json get-calendar-events).
func TestEventsByRange(t *testing.T) {
	_, tc, clk := calendarServer(t)
	calA := createCalendar(t, tc, map[string]any{"groupId": "group000000000000001"})["id"].(string)
	calB := createCalendar(t, tc, map[string]any{"name": "Ortho"})["id"].(string)
	pid := createContactID(t, tc, "p@x.com")
	day := clk.Now().Add(24 * time.Hour)
	ids := map[string]string{}
	for name, b := range map[string]map[string]any{
		"a1": appt(calA, pid, day, map[string]any{"assignedUserId": drA}),
		"a2": appt(calA, pid, day.Add(48*time.Hour), nil),
		"b1": appt(calB, pid, day.Add(time.Hour), nil),
	} {
		ids[name] = tc.do("POST", "/calendars/events/appointments", b).must(t, 200)["id"].(string)
	}
	ms := func(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
	rng := "&startTime=" + ms(day.Add(-time.Hour)) + "&endTime=" + ms(day.Add(2*time.Hour))
	got := func(q string) []string {
		var out []string
		for _, e := range tc.do("GET", "/calendars/events?locationId="+loc+q, nil).must(t, 200)["events"].([]any) {
			out = append(out, obj(t, e)["id"].(string))
		}
		slices.Sort(out)
		return out
	}
	assert.Equal(t, []string{ids["a1"]}, got("&calendarId="+calA+rng))
	assert.Equal(t, []string{ids["b1"]}, got("&calendarId="+calB+rng))
	assert.Equal(t, []string{ids["a1"]}, got("&userId="+drA+rng))
	assert.Equal(t, []string{ids["a1"]}, got("&groupId=group000000000000001"+rng))
	wide := "&startTime=" + ms(day.Add(-time.Hour)) + "&endTime=" + ms(day.Add(72*time.Hour))
	want := []string{ids["a1"], ids["a2"]}
	slices.Sort(want)
	assert.Equal(t, want, got("&calendarId="+calA+wide))

	tc.do("GET", "/calendars/events?locationId="+loc+rng, nil).must(t, 422)
	tc.do("GET", "/calendars/events?locationId="+loc+"&calendarId="+calA+"&startTime=x&endTime=1", nil).must(t, 422)
	tc.do("GET", "/calendars/events?locationId="+loc+"&calendarId="+calA+"&startTime=1", nil).must(t, 422)
	tc.do("GET", "/calendars/events?locationId="+loc+"&calendarId="+calA+rng+"&page=2", nil).must(t, 422)
	tc.do("GET", "/calendars/events?locationId=otherLocation00000001&calendarId="+calA+rng, nil).must(t, 403)
}

// TestCalendarDTOsMatchSpec: every property the official spec documents
// for these writes is accepted, none other, and the documented required
// ones are required (as TestDTOsMatchSpec does for the other routes).
func TestCalendarDTOsMatchSpec(t *testing.T) {
	tests := []struct {
		app, method, path string
		d                 *dto
		notRequired       []string
	}{
		{"calendars", "post", "/calendars/", createCalendarDTO, nil},
		{"calendars", "post", "/calendars/events/appointments", createAppointmentDTO, nil},
		{"calendars", "put", "/calendars/events/appointments/{eventId}", updateAppointmentDTO, nil},
		{"conversations", "post", "/conversations/", createConversationDTO, nil},
		// Live HighLevel takes messages of its own channels without a
		// provider id (highlevel-api-docs issue #107, pull request #24).
		{"conversations", "post", "/conversations/messages/inbound", inboundMessageDTO, []string{"conversationProviderId"}},
		{"conversations", "post", "/conversations/messages/outbound", outboundMessageDTO, nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			props, required := specBody(t, tt.app, tt.method, tt.path)
			var mine, mineRequired []string
			for _, f := range tt.d.fields {
				mine = append(mine, f.name)
				if f.required {
					mineRequired = append(mineRequired, f.name)
				}
			}
			slices.Sort(mine)
			assert.Equal(t, props, mine)
			for _, p := range required {
				if !slices.Contains(tt.notRequired, p) {
					assert.Contains(t, mineRequired, p, "documented as required")
				}
			}
			for _, p := range mineRequired {
				assert.Contains(t, required, p, "required here, not in the spec")
			}
		})
	}
}

// TestSlotValidationAcrossDays: a taken slot is found whatever day the
// overlapping appointment started on (across midnight, multi-day), and a
// moved appointment frees its old slot.
func TestSlotValidationAcrossDays(t *testing.T) {
	_, tc, clk := calendarServer(t)
	calID := createCalendar(t, tc, nil)["id"].(string)
	pid := createContactID(t, tc, "p@x.com")
	d := clk.Now().Truncate(24 * time.Hour).Add(10 * 24 * time.Hour)
	book := func(start time.Time, dur time.Duration, status int) map[string]any {
		t.Helper()
		return tc.do("POST", "/calendars/events/appointments", appt(calID, pid, start,
			map[string]any{"endTime": start.Add(dur).Format(time.RFC3339)})).must(t, status)
	}
	late := book(d.Add(23*time.Hour), 3*time.Hour, 200) // 23:00 to 02:00 the next day
	book(d.Add(25*time.Hour), 30*time.Minute, 400)
	book(d.Add(26*time.Hour), 30*time.Minute, 200)
	// A four-day block seen from its third day.
	book(d.Add(5*24*time.Hour), 4*24*time.Hour, 200)
	book(d.Add(7*24*time.Hour+5*time.Hour), time.Hour, 400)
	book(d.Add(9*24*time.Hour), time.Hour, 200)
	// Another calendar's appointments never take this one's slots.
	other := createCalendar(t, tc, map[string]any{"name": "Ortho"})["id"].(string)
	tc.do("POST", "/calendars/events/appointments", appt(other, pid, d.Add(25*time.Hour), nil)).must(t, 200)

	// An appointment moved by less than its length overlaps only itself.
	tc.do("PUT", "/calendars/events/appointments/"+late["id"].(string), map[string]any{
		"startTime": d.Add(23*time.Hour - 15*time.Minute).Format(time.RFC3339), "endTime": d.Add(26*time.Hour - 15*time.Minute).Format(time.RFC3339)}).must(t, 200)
	// Moving the late appointment frees 01:00 and takes 12:00.
	tc.do("PUT", "/calendars/events/appointments/"+late["id"].(string), map[string]any{
		"startTime": d.Add(12 * time.Hour).Format(time.RFC3339), "endTime": d.Add(13 * time.Hour).Format(time.RFC3339)}).must(t, 200)
	book(d.Add(25*time.Hour), 30*time.Minute, 200)
	book(d.Add(12*time.Hour+30*time.Minute), 30*time.Minute, 400)
	// Deleting it frees 12:00.
	tc.do("DELETE", "/calendars/events/"+late["id"].(string), nil).must(t, 201)
	book(d.Add(12*time.Hour+30*time.Minute), 30*time.Minute, 200)
}

// TestContactDeleteTakesItsHistory: a contact's appointments and its
// conversation (with its messages) are deleted with it, as its notes and
// tasks are.
func TestContactDeleteTakesItsHistory(t *testing.T) {
	s, tc, clk := calendarServer(t)
	calID := createCalendar(t, tc, nil)["id"].(string)
	pid := createContactID(t, tc, "p@x.com")
	keep := createContactID(t, tc, "k@x.com")
	ev := tc.do("POST", "/calendars/events/appointments", appt(calID, pid, clk.Now().Add(time.Hour), nil)).must(t, 200)["id"].(string)
	tc.do("POST", "/calendars/events/appointments", appt(calID, keep, clk.Now().Add(3*time.Hour), nil)).must(t, 200)
	cv := obj(t, tc.do("POST", "/conversations/", map[string]any{"locationId": loc, "contactId": pid}).must(t, 201)["conversation"])["id"].(string)
	tc.do("POST", "/conversations/messages/inbound", map[string]any{"type": "SMS", "conversationId": cv, "contactId": pid, "message": "x"}).must(t, 200)

	v7 := tc.as(tc.token)
	v7.version = "2021-07-28"
	v7.do("DELETE", "/contacts/"+pid, nil).must(t, 200)
	tc.do("GET", "/calendars/events/appointments/"+ev, nil).must(t, 400)
	tc.do("GET", "/conversations/"+cv, nil).must(t, 400)
	assert.Equal(t, 1, s.Count(loc, KindEvent))
	assert.Equal(t, 0, s.Count(loc, KindConversation))
	assert.Equal(t, 0, s.Count(loc, KindMessage))
	// Its slot is free again.
	tc.do("POST", "/calendars/events/appointments", appt(calID, keep, clk.Now().Add(time.Hour), nil)).must(t, 200)
}
