package pbnhl_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/rollback"
)

// eventObject is the appointments as calendar events, in addition to the
// default map's custom object: one calendar per provider of the first
// two, the rest in a shared practice calendar.
func eventObject(t testing.TB, e *env) (mapping.Object, map[int64]string) {
	t.Helper()
	providers := map[int64]bool{}
	var order []int64
	for a := range e.pbn.Practice().Appointments() {
		if a.ProviderID != pbn.NoKey && !providers[keyNum(a.ProviderID)] {
			providers[keyNum(a.ProviderID)] = true
			order = append(order, keyNum(a.ProviderID))
		}
	}
	require.GreaterOrEqual(t, len(order), 2, "the practice has several providers")
	calendarOf := map[int64]string{}
	o := mapping.Object{Name: "appointment_events", Source: "appointments", Target: mapping.TargetEvent, SourceKey: "id",
		// Unscheduled appointments have no time: they stay in the custom
		// object only.
		Filters: []mapping.Filter{{Field: "status", Op: mapping.OpNotIn, Values: []string{"PtNote", "PtNoteCompleted"}},
			{Field: "start", Op: mapping.OpNotEmpty}},
		Calendars: []mapping.Calendar{{Name: "Practice"}},
		Fields: []mapping.Field{
			{From: "start", To: "startTime", Transform: mapping.Chain{{Name: "timestamp"}}, Required: true},
			{From: "durationMinutes", To: "durationMinutes"},
			{From: "procedureDescription", To: "title", Transform: mapping.Chain{{Name: "collapse"}}, Default: "Appointment"},
			{From: "status", To: "appointmentStatus", Values: mapping.ValueMap{{From: "Scheduled", To: "confirmed"},
				{From: "Complete", To: "showed"}, {From: "Broken", To: "noshow"}, {From: "UnschedList", To: "cancelled"},
				{From: "Planned", To: "new"}}},
		},
		Lookups: []mapping.Lookup{{From: "patientId", Object: "patients", To: mapping.LinkContact, Required: true}},
	}
	cal := mapping.Field{From: "providerId", To: "calendar", Unknown: mapping.UnknownDefault, Default: "Practice"}
	for _, id := range order[:2] {
		name := "Provider " + itoa(id)
		calendarOf[id] = name
		o.Calendars = append(o.Calendars, mapping.Calendar{Name: name, Staff: itoa(id)})
		cal.Values = append(cal.Values, mapping.Pair{From: itoa(id), To: name})
	}
	o.Fields = append(o.Fields, cal)
	return o, calendarOf
}

// newEventEnv is a rehearsal whose map also writes appointments as
// calendar events; the calendars are created by hand (the schema plan's
// manual step) unless noCalendars.
func newEventEnv(t testing.TB, o envOptions, noCalendars bool) (*env, map[int64]string) {
	t.Helper()
	e := newEnv(t, o)
	obj, calendarOf := eventObject(t, e)
	e.m.Objects = append(e.m.Objects, obj)
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)))
	if !noCalendars {
		for _, c := range obj.Calendars {
			_, err := e.client.Calendars.Create(context.Background(), highlevel.CalendarInput{Name: c.Name, SlotDuration: 30, SlotDurationUnit: "mins"})
			require.NoError(t, err)
		}
	}
	return e, calendarOf
}

// sourceEvents are the appointments the event object migrates, by id:
// not sticky notes, with a time, of a patient that was migrated (a
// patient held back as a duplicate takes its appointments with it).
func sourceEvents(e *env) map[string]pbn.Appointment {
	migrated := migratedPatients(e)
	out := map[string]pbn.Appointment{}
	// Read through the API: it serves the source after any mutation.
	for a, err := range e.src.Appointments(context.Background(), pbn.ListOptions{}) {
		require.NoError(e.t, err)
		if a.Status != "PtNote" && a.Status != "PtNoteCompleted" && !a.Start.IsZero() && migrated[string(a.PatientID)] {
			out[string(a.ID)] = a
		}
	}
	return out
}

// eventKey is the source key an event carries in its marker line.
func eventKey(desc string) string { return markerKey(desc, rollback.TypeEvent) }

// TestEventTarget: appointments become calendar events of their contact
// in the calendar of their provider (or the shared one), with the
// source's start and end to the second and status mapped; nobody is
// notified; one create per event; undo deletes them all.
func TestEventTarget(t *testing.T) {
	e, calendarOf := newEventEnv(t, envOptions{patients: size(24), seed: 17}, false)
	ctx := context.Background()
	loc := hltest.DefaultLocationID
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	pre, err := m.Preflight(ctx)
	require.NoError(t, err)
	require.True(t, pre.Ready(), pre.Blocking)

	e.resetCounts()
	var creates atomic.Int64 // the hook runs on the migration's workers
	hook := func(c highlevel.Call) {
		// An attempt the simulator refused (429 under a loaded machine) and
		// the client tried again is not a second write: count the accepted ones.
		if c.Operation == "calendars.createAppointment" && c.StatusCode/100 == 2 {
			creates.Add(1)
		}
	}
	e.hook.Store(&hook)
	rep, err := m.Load(ctx)
	e.hook.Store(nil)
	require.NoError(t, err)
	src := sourceEvents(e)
	var est pbnhl.ObjectEstimate
	for _, oe := range pre.Estimate.Objects {
		if oe.Object == "appointment_events" {
			est = oe
		}
	}
	assert.Equal(t, int64(len(src)), est.Records, "the preflight counts the events")
	assert.Equal(t, int64(len(src)), est.Calls, "the preflight estimates one call per event")

	calendars := map[string]string{} // id → name
	for _, c := range e.hl.Records(loc, hltest.KindCalendar) {
		calendars[fmt.Sprint(c["id"])] = fmt.Sprint(c["name"])
	}
	contactPatient := contactPatients(e)
	events := e.hl.Records(loc, hltest.KindEvent)
	seen := map[string]bool{}
	statuses := map[string]string{"Scheduled": "confirmed", "Complete": "showed", "Broken": "noshow", "UnschedList": "cancelled", "Planned": "new"}
	for _, ev := range events {
		key := eventKey(fmt.Sprint(ev["description"]))
		a, ok := src[key]
		require.True(t, ok, "event for an unknown appointment %q", key)
		assert.False(t, seen[key], "appointment %s written twice", key)
		seen[key] = true
		assert.Equal(t, false, ev["toNotify"], "appointment %s written with toNotify", key)
		assert.Equal(t, string(a.PatientID), contactPatient[fmt.Sprint(ev["contactId"])], "appointment %s contact", key)
		start, err := time.Parse(time.RFC3339, fmt.Sprint(ev["startTime"]))
		require.NoError(t, err)
		end, err := time.Parse(time.RFC3339, fmt.Sprint(ev["endTime"]))
		require.NoError(t, err)
		assert.True(t, start.Equal(a.Start.Truncate(time.Second)), "appointment %s start %s, source %s", key, start, a.Start)
		if a.DurationMinutes > 0 {
			assert.True(t, end.Equal(a.Start.Truncate(time.Second).Add(time.Duration(a.DurationMinutes)*time.Minute)),
				"appointment %s end %s, source %s + %d min", key, end, a.Start, a.DurationMinutes)
		}
		want, ok := calendarOf[keyNum(a.ProviderID)]
		if !ok {
			want = "Practice"
		}
		assert.Equal(t, want, calendars[fmt.Sprint(ev["calendarId"])], "appointment %s calendar", key)
		if s, ok := statuses[string(a.Status)]; ok {
			assert.Equal(t, s, ev["appointmentStatus"], "appointment %s status", key)
		}
	}
	assert.Len(t, seen, len(src), "every appointment arrived as an event")
	assert.Empty(t, e.hl.Notifications(loc), "a migrated appointment never notifies the patient")
	assert.Equal(t, int64(len(src)), creates.Load(), "one create per event")
	var written, invalid int64
	for _, o := range rep.Objects {
		if o.Object == "appointment_events" {
			written, invalid = o.Written, o.Invalid
		}
	}
	assert.Zero(t, invalid)
	assert.Equal(t, int64(len(src)), written)

	// The API's own read-back (not the inspector): start and end to the
	// second.
	for _, ev := range events[:min(5, len(events))] {
		got, err := e.client.Calendars.GetAppointment(ctx, fmt.Sprint(ev["id"]))
		require.NoError(t, err)
		a := src[eventKey(got.Description)]
		assert.Equal(t, a.Start.Unix(), got.StartTime.Unix())
		if a.DurationMinutes > 0 {
			assert.Equal(t, a.Start.Add(time.Duration(a.DurationMinutes)*time.Minute).Unix(), got.EndTime.Unix())
		}
	}

	// A second run writes nothing.
	creates.Store(0)
	e.hook.Store(&hook)
	_, err = e.migration(nil).Load(ctx)
	e.hook.Store(nil)
	require.NoError(t, err)
	assert.Zero(t, creates.Load())

	und, err := e.migration(nil).Undo(ctx, pbnhl.UndoOptions{})
	require.NoError(t, err, "%+v", und)
	assert.Zero(t, e.hl.Count(loc, hltest.KindEvent), "undo deletes every event")
	assert.Empty(t, e.hl.Notifications(loc))
}

// TestEventSchemaPlan: the calendars an event object needs are in the
// schema plan with their owners; a missing one blocks the run as a manual
// step, named, and the map checks its calendar rule.
func TestEventSchemaPlan(t *testing.T) {
	e, calendarOf := newEventEnv(t, envOptions{patients: 8, seed: 17}, true)
	ctx := context.Background()
	plan, err := mapping.DeriveSchema(e.m)
	require.NoError(t, err)
	require.Len(t, plan.Calendars, 3)
	var md bytes.Buffer
	require.NoError(t, plan.WriteMarkdown(&md, nil))
	assert.Contains(t, md.String(), "## Calendars")
	for id, name := range calendarOf {
		assert.Contains(t, md.String(), fmt.Sprintf("| %s |  | %s | appointment_events |", name, itoa(id)))
	}
	assert.Contains(t, md.String(), "| Practice |  | shared | appointment_events |")

	m := e.migration(nil)
	_, err = m.ApplySchema(ctx)
	var notReady *pbnhl.SchemaNotReadyError
	require.ErrorAs(t, err, &notReady, "calendars are created by hand")
	assert.Contains(t, err.Error(), "3 to create by hand")
	pre, err := m.Preflight(ctx)
	require.NoError(t, err)
	assert.False(t, pre.Ready())
	assert.Equal(t, 3, pre.Schema.Count(mapping.ManualOnly))
	var manual []string
	for _, it := range pre.Schema.Items {
		if it.Kind == mapping.KindCalendar {
			assert.Equal(t, mapping.ManualOnly, it.Status)
			assert.Contains(t, it.Detail, "create it in Calendars settings")
			manual = append(manual, it.Key)
		}
	}
	want := []string{"Practice"}
	for _, name := range calendarOf {
		want = append(want, name)
	}
	assert.ElementsMatch(t, want, manual)

	// Created by hand, and one mapped by id instead of name: ready.
	obj := e.m.Object("appointment_events")
	for i, c := range obj.Calendars {
		cal, err := e.client.Calendars.Create(ctx, highlevel.CalendarInput{Name: c.Name + " (by hand)"})
		require.NoError(t, err)
		if i == 0 {
			obj.Calendars[i].ID = cal.ID
			continue
		}
		_, err = e.client.Calendars.Create(ctx, highlevel.CalendarInput{Name: c.Name})
		require.NoError(t, err)
	}
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)))
	_, err = m.ApplySchema(ctx)
	require.NoError(t, err)
	pre, err = m.Preflight(ctx)
	require.NoError(t, err)
	require.True(t, pre.Ready(), pre.Blocking)

	// The calendar rule may only name the object's calendars.
	obj.Fields[len(obj.Fields)-1].Default = "Nowhere"
	_, err = mapping.Parse(mustMarshal(t, e.m), "map.yaml")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `calendar "Nowhere" is not one of the object's calendars`)
}

func mustMarshal(t testing.TB, m *mapping.Map) []byte {
	t.Helper()
	b, err := m.Marshal()
	require.NoError(t, err)
	return b
}

// TestEventSettleAfterLostAnswers: creates whose answers are lost (the
// event exists, the client saw an error) are settled by identity: no
// duplicate event, none missing, nobody notified.
func TestEventSettleAfterLostAnswers(t *testing.T) {
	faults, err := hltest.ParseFaults("POST /calendars/events/appointments:lost=0.3")
	require.NoError(t, err)
	e, _ := newEventEnv(t, envOptions{patients: size(16), seed: 23, faults: faults}, false)
	ctx := context.Background()
	_, err = e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	_, err = e.migration(nil).Load(ctx)
	require.NoError(t, err)
	src := sourceEvents(e)
	seen := map[string]int{}
	for _, ev := range e.hl.Records(hltest.DefaultLocationID, hltest.KindEvent) {
		seen[eventKey(fmt.Sprint(ev["description"]))]++
	}
	assert.Len(t, seen, len(src))
	for k, n := range seen {
		assert.Equal(t, 1, n, "appointment %s written %d times", k, n)
	}
	assert.Empty(t, e.hl.Notifications(hltest.DefaultLocationID))
	assertSettled(t, e)
}

// TestEventResumeAfterCancellations: the run is cancelled at random
// points under lost answers and resumed: every appointment arrives once.
func TestEventResumeAfterCancellations(t *testing.T) {
	faults, err := hltest.ParseFaults("POST *:lost=0.03")
	require.NoError(t, err)
	e, _ := newEventEnv(t, envOptions{patients: size(20), seed: 29, faults: faults}, false)
	ctx := context.Background()
	_, err = e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	assert.Positive(t, runThroughCancellations(t, ctx, e))
	src := sourceEvents(e)
	seen := map[string]int{}
	for _, ev := range e.hl.Records(hltest.DefaultLocationID, hltest.KindEvent) {
		seen[eventKey(fmt.Sprint(ev["description"]))]++
	}
	assert.Len(t, seen, len(src))
	for k, n := range seen {
		assert.Equal(t, 1, n, "appointment %s written %d times", k, n)
	}
	assertSettled(t, e)
}

// BenchmarkEventCalls reports HighLevel calls per migrated event (the
// design minimum is one create).
func BenchmarkEventCalls(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e, _ := newEventEnv(b, envOptions{patients: 12, seed: 31}, false)
		ctx := context.Background()
		_, err := e.migration(nil).ApplySchema(ctx)
		require.NoError(b, err)
		var creates, others atomic.Int64
		hook := func(c highlevel.Call) {
			switch {
			case c.Operation == "calendars.createAppointment":
				creates.Add(1)
			case strings.HasPrefix(c.Operation, "calendars.") || c.Operation == "contacts.appointments":
				others.Add(1)
			}
		}
		e.hook.Store(&hook)
		b.StartTimer()
		_, err = e.migration(nil).Load(ctx)
		b.StopTimer()
		require.NoError(b, err)
		n := len(sourceEvents(e))
		b.ReportMetric(float64(creates.Load()+others.Load())/float64(n), "calls/event")
		b.ReportMetric(float64(n), "events")
		b.StartTimer()
	}
}

// eventState is what an event shows of its appointment, by source key.
func eventState(t testing.TB, e *env) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, ev := range e.hl.Records(hltest.DefaultLocationID, hltest.KindEvent) {
		key := eventKey(fmt.Sprint(ev["description"]))
		require.NotContains(t, out, key, "appointment %s written twice", key)
		out[key] = fmt.Sprintf("%v %v %v %v", ev["appointmentStatus"], ev["startTime"], ev["endTime"], ev["calendarId"])
	}
	return out
}

// TestEventDelta: a delta updates the events of changed appointments in
// place (status, rescheduled start) and creates the newly scheduled ones,
// without notifying anyone; undoing the delta puts every event back.
func TestEventDelta(t *testing.T) {
	day := pbntest.DefaultAsOf.Add(24 * time.Hour)
	e, _ := newEventEnv(t, envOptions{patients: size(30), seed: 3, now: func() time.Time { return day }}, false)
	ctx := context.Background()
	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	_, err = e.migration(nil).Load(ctx)
	require.NoError(t, err)
	before := eventState(t, e)
	changes := e.pbn.MutateWith(pbntest.MutateOptions{Update: 40, Create: 6, Touch: 10})
	require.NotEmpty(t, changes.Changed(pbn.EntityAppointments))

	var updates atomic.Int64
	hook := func(c highlevel.Call) {
		if c.Operation == "calendars.updateAppointment" {
			updates.Add(1)
		}
	}
	e.hook.Store(&hook)
	rep, err := e.migration(nil).Delta(ctx)
	e.hook.Store(nil)
	require.NoError(t, err)
	assert.Positive(t, updates.Load(), "changed appointments are updated in place")

	statuses := map[pbn.AppointmentStatus]string{"Scheduled": "confirmed", "Complete": "showed", "Broken": "noshow", "UnschedList": "cancelled", "Planned": "new"}
	after := eventState(t, e)
	src := sourceEvents(e)
	assert.Len(t, after, len(src), "every appointment with a time has its event")
	for key, a := range src {
		st, ok := after[key]
		require.True(t, ok, "appointment %s has no event", key)
		assert.True(t, strings.HasPrefix(st, statuses[a.Status]+" "+a.Start.UTC().Format(time.RFC3339)+" "), "appointment %s: %s, source %s %s", key, st, a.Status, a.Start)
	}
	assert.NotEqual(t, before, after)
	assert.Empty(t, e.hl.Notifications(hltest.DefaultLocationID), "updates notify nobody either")

	und, err := e.migration(nil).Undo(ctx, pbnhl.UndoOptions{Runs: []rollback.RunID{rep.Run}})
	require.NoError(t, err, "%+v", und)
	assert.Equal(t, before, eventState(t, e), "undoing the delta restores every event")
	assert.Empty(t, e.hl.Notifications(hltest.DefaultLocationID))
}
