package mapping

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
)

func eventPayload(fields ...string) *Payload {
	p := &Payload{Object: "appointment_events", Target: TargetEvent, SourceKey: "7", AssignedTo: "u1"}
	for i := 0; i+1 < len(fields); i += 2 {
		p.Fields = append(p.Fields, Value{Key: fields[i], Text: fields[i+1]})
	}
	return p
}

// TestInputsEvent: the appointment of an event payload keeps the source's
// start and end to the second (end from the duration when absent), its
// calendar resolved by name, and never notifies nor checks the slot.
func TestInputsEvent(t *testing.T) {
	in := Inputs{Calendars: map[string]string{"Dr Lee": "cal1", "Practice": "cal2"}}
	a, err := in.Event(eventPayload("calendar", "dr lee", "startTime", "2024-03-05T14:30:15Z", "durationMinutes", "45",
		"title", "Cleaning", "appointmentStatus", "showed", "description", "note"), "c1")
	require.NoError(t, err)
	assert.Equal(t, "cal1", a.CalendarID, "calendar names match without case")
	assert.Equal(t, "c1", a.ContactID)
	assert.Equal(t, "u1", a.AssignedUserID)
	assert.True(t, a.StartTime.Equal(time.Date(2024, 3, 5, 14, 30, 15, 0, time.UTC)))
	assert.True(t, a.EndTime.Equal(time.Date(2024, 3, 5, 15, 15, 15, 0, time.UTC)))
	assert.Equal(t, highlevel.AppointmentShowed, a.Status)
	assert.False(t, a.Notify)
	assert.True(t, a.IgnoreDateRange)
	assert.True(t, a.IgnoreFreeSlotValidation)
	body, err := a.Body()
	require.NoError(t, err)
	assert.JSONEq(t, `{"calendarId":"cal1","contactId":"c1","startTime":"2024-03-05T14:30:15Z","endTime":"2024-03-05T15:15:15Z",
		"title":"Cleaning","appointmentStatus":"showed","assignedUserId":"u1","description":"note","toNotify":false,
		"ignoreDateRange":true,"ignoreFreeSlotValidation":true}`, string(body))

	a, err = in.Event(eventPayload("calendar", "Practice", "startTime", "2024-03-05T14:30:00-05:00", "endTime", "2024-03-05T15:00:00-05:00", "durationMinutes", "90"), "c1")
	require.NoError(t, err)
	assert.Equal(t, 30*time.Minute, a.EndTime.Sub(a.StartTime), "an explicit end wins over the duration")
	a, err = in.Event(eventPayload("calendar", "Practice", "startTime", "2024-03-05T14:30:00Z"), "c1")
	require.NoError(t, err)
	assert.True(t, a.EndTime.IsZero(), "no end: the calendar's slot length")

	for _, tc := range []struct {
		fields []string
		want   string
	}{
		{[]string{"calendar", "Elsewhere", "startTime", "2024-03-05T14:30:00Z"}, "calendar: the record's calendar is not an existing calendar of the map"},
		{[]string{"startTime", "2024-03-05T14:30:00Z"}, "calendar: the record has no calendar"},
		{[]string{"calendar", "Practice"}, "startTime is empty"},
		{[]string{"calendar", "Practice", "startTime", "soon"}, "startTime is not a time"},
		{[]string{"calendar", "Practice", "startTime", "2024-03-05T14:30:00Z", "appointmentStatus", "Complete"}, "appointmentStatus is not a HighLevel appointment status (new, confirmed, cancelled, showed, noshow, invalid)"},
		{[]string{"calendar", "Practice", "startTime", "2024-03-05T14:30:00Z", "durationMinutes", "-5"}, "durationMinutes is not a positive number of minutes within a day"},
		{[]string{"calendar", "Practice", "startTime", "2024-03-05T14:30:00Z", "endTime", "2024-03-05T14:00:00Z"}, "endTime is not after startTime"},
	} {
		_, err := in.Event(eventPayload(tc.fields...), "c1")
		assert.EqualError(t, err, tc.want, "%v", tc.fields)
	}
	_, err = in.Event(&Payload{Object: "x", Target: TargetNote}, "c1")
	assert.Error(t, err)
}

const eventMapYAML = `version: 1
name: events
objects:
  - name: patients
    source: patients
    target: contact
    source_key: id
    external_id: pbn_patient_id
    fields:
      - {from: firstName, to: firstName}
  - name: appointment_events
    source: appointments
    target: calendar_event
    source_key: id
    calendars:
      - {name: Dr Lee, staff: "3"}
      - {name: Practice, id: cal9}
    fields:
      - {from: start, to: startTime, transform: [timestamp]}
      - {from: durationMinutes, to: durationMinutes}
      - from: providerId
        to: calendar
        values: {"3": Dr Lee}
        unknown: default
        default: Practice
    lookups:
      - {from: patientId, object: patients, to: contactId, required: true}
`

// TestEventMapCheckAndPlan: an event object lists its calendars and its
// calendar rule names only them; the schema plan lists the calendars with
// their owners; the record type is the ledger's.
func TestEventMapCheckAndPlan(t *testing.T) {
	m, err := Parse([]byte(eventMapYAML), "events.yaml")
	require.NoError(t, err)
	o := m.Object("appointment_events")
	assert.Equal(t, "calendar_event", o.RecordType())
	plan, err := DeriveSchema(m)
	require.NoError(t, err)
	assert.Equal(t, []SchemaCalendar{{Name: "Dr Lee", Staff: "3", Object: "appointment_events"},
		{ID: "cal9", Name: "Practice", Object: "appointment_events"}}, plan.Calendars)

	issues := func(mut func(o *Object)) []string {
		m, err := Parse([]byte(eventMapYAML), "events.yaml")
		require.NoError(t, err)
		mut(m.Object("appointment_events"))
		var out []string
		for _, is := range m.check(nil) {
			out = append(out, is.Message)
		}
		return out
	}
	assert.Contains(t, issues(func(o *Object) { o.Calendars = nil }), "a calendar_event object needs calendars (name, optional id and staff owner)")
	assert.Contains(t, issues(func(o *Object) { o.Calendars = append(o.Calendars, Calendar{Name: "dr lee"}) }), `calendar "dr lee" is listed twice`)
	assert.Contains(t, issues(func(o *Object) { o.Field("calendar").Default = "Nowhere" }), `calendar "Nowhere" is not one of the object's calendars`)
	assert.Contains(t, issues(func(o *Object) { o.Fields = o.Fields[1:] }), `a calendar_event object needs a "startTime" rule`)
	assert.Contains(t, issues(func(o *Object) { o.Fields[1].Type = TypeText; o.Fields[1].To = "minutes" }), "calendar_event targets have no custom fields")
	assert.Contains(t, issues(func(o *Object) { o.Fields[0].To = "when" }), `a calendar_event object needs a "startTime" rule`)
	pm := func() []string {
		m, err := Parse([]byte(eventMapYAML), "events.yaml")
		require.NoError(t, err)
		m.Object("patients").Calendars = []Calendar{{Name: "x"}}
		var out []string
		for _, is := range m.check(nil) {
			out = append(out, is.Message)
		}
		return out
	}()
	assert.Contains(t, pm, "calendars apply only to calendar_event targets")
}

// TestReviewShowsCalendarsAndOwners: the review shows an event object's
// calendars with their owners and a user object's owners table.
func TestReviewShowsCalendarsAndOwners(t *testing.T) {
	m, err := Parse([]byte(eventMapYAML), "events.yaml")
	require.NoError(t, err)
	m.Objects = append(m.Objects, Object{Name: "staff", Source: "staff", Target: TargetUser, SourceKey: "id",
		Owners: []OwnerRule{{Staff: "3", UserID: "u9"}, {Staff: "4", Email: "desk@clinic.example"}}})
	var b strings.Builder
	require.NoError(t, m.WriteReview(&b, ReviewOptions{}))
	out := b.String()
	assert.Contains(t, out, "Calendars (created or chosen by hand; events are written with toNotify false):\n\n- Dr Lee, owned by staff `3`\n- Practice (id `cal9`)\n")
	assert.Contains(t, out, "Owners table (wins over the email match):\n\n- staff `3` → user `u9`\n- staff `4` → the user with email `desk@clinic.example`\n")
}
