package highlevel

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

const simProvider = "61d6d1f9cdac7612faf80753"

// newValidatedSim serves the simulator behind validatingHandler: every
// request the client sends is checked against HighLevel's official spec
// (calendars.json, conversations.json) before the simulator answers it.
func newValidatedSim(t *testing.T, clock func() time.Time) (*hltest.Server, *Client, *testServer) {
	t.Helper()
	sim := hltest.NewUnstartedServer(hltest.Options{Clock: clock,
		Locations: []hltest.Location{{ID: hltest.DefaultLocationID, Token: hltest.DefaultToken, ConversationProviders: []string{simProvider}}},
		Users:     []hltest.User{{ID: "simUser0000000000001", FirstName: "Ann", Email: "ann@x.com"}}})
	ts := &testServer{t: t, mux: http.NewServeMux()}
	ts.srv = httptest.NewServer(ts.validatingHandler(sim.Handler()))
	t.Cleanup(ts.srv.Close)
	sim.URL = ts.srv.URL
	lim, err := NewLimiter(LimiterOptions{Name: hltest.DefaultLocationID, Requests: 10_000, Window: time.Second, Margin: -1})
	require.NoError(t, err)
	c, err := NewClient(Options{BaseURL: ts.srv.URL, LocationID: hltest.DefaultLocationID, Auth: StaticToken(hltest.DefaultToken),
		Limiter: lim, Retry: RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}})
	require.NoError(t, err)
	ts.client = c
	return sim, c, ts
}

func simContact(t *testing.T, c *Client, email string) string {
	t.Helper()
	ct, err := c.Contacts.Create(context.Background(), ContactInput{FirstName: "Pat", Email: email})
	require.NoError(t, err)
	return ct.ID
}

// TestCalendarsService books, reads, moves and deletes appointments
// through the typed client; every request is validated against the spec.
func TestCalendarsService(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	sim, c, ts := newValidatedSim(t, func() time.Time { return now })
	ctx := context.Background()
	pid := simContact(t, c, "pat@x.com")

	cal, err := c.Calendars.Create(ctx, CalendarInput{Name: "Hygiene", SlotDuration: 45, SlotDurationUnit: "mins"})
	require.NoError(t, err)
	assert.Equal(t, "Hygiene", cal.Name)
	assert.True(t, cal.IsActive)
	got, err := c.Calendars.Get(ctx, cal.ID)
	require.NoError(t, err)
	assert.Equal(t, cal, got)
	all, err := c.Calendars.List(ctx)
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, "2021-04-15", ts.last().Header.Get("Version"))

	// A past appointment (history) needs IgnoreDateRange; toNotify:false is
	// always sent unless Notify.
	past := time.Date(2023, 5, 4, 14, 30, 0, 0, time.FixedZone("", -4*3600))
	_, err = c.Calendars.CreateAppointment(ctx, AppointmentInput{CalendarID: cal.ID, ContactID: pid, StartTime: past})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	a, err := c.Calendars.CreateAppointment(ctx, AppointmentInput{CalendarID: cal.ID, ContactID: pid, StartTime: past,
		Title: "Cleaning", Status: AppointmentShowed, AssignedUserID: "simUser0000000000001", IgnoreDateRange: true})
	require.NoError(t, err)
	var sent map[string]any
	require.NoError(t, json.Unmarshal(ts.last().Body, &sent))
	assert.Equal(t, false, sent["toNotify"])
	assert.Equal(t, "2023-05-04T14:30:00-04:00", sent["startTime"])
	assert.True(t, a.StartTime.Equal(past))
	assert.True(t, a.EndTime.Equal(past.Add(45*time.Minute)))
	assert.Equal(t, AppointmentShowed, a.Status)
	assert.Empty(t, sim.Notifications(hltest.DefaultLocationID))

	ev, err := c.Calendars.GetAppointment(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, pid, ev.ContactID)
	assert.True(t, ev.StartTime.Equal(past))
	assert.Equal(t, now, ev.DateAdded.Time)

	title := "Deep cleaning"
	later := past.Add(time.Hour)
	up, err := c.Calendars.UpdateAppointment(ctx, a.ID, AppointmentUpdate{Title: &title, StartTime: &later, IgnoreDateRange: true})
	require.NoError(t, err)
	assert.Equal(t, title, up.Title)
	assert.True(t, up.StartTime.Equal(later))
	assert.Empty(t, sim.Notifications(hltest.DefaultLocationID), "updates send toNotify:false too")
	bad := AppointmentStatus("done")
	_, err = c.Calendars.UpdateAppointment(ctx, a.ID, AppointmentUpdate{Status: &bad})
	assert.Error(t, err)

	events, err := c.Calendars.Events(ctx, EventQuery{CalendarID: cal.ID, Start: past.Add(-24 * time.Hour), End: past.Add(24 * time.Hour)})
	require.NoError(t, err)
	require.Len(t, events, 1)
	assert.Equal(t, a.ID, events[0].ID)
	none, err := c.Calendars.Events(ctx, EventQuery{UserID: "simUser0000000000001", Start: now, End: now.Add(time.Hour)})
	require.NoError(t, err)
	assert.Empty(t, none)
	_, err = c.Calendars.Events(ctx, EventQuery{Start: now, End: now})
	assert.Error(t, err, "one of calendar, user or group is required")

	byContact, err := c.Calendars.ContactAppointments(ctx, pid)
	require.NoError(t, err)
	require.Len(t, byContact, 1)
	assert.True(t, byContact[0].StartTime.Equal(later), "the contact listing's layout parses to the same instant")
	assert.Equal(t, "2021-07-28", ts.last().Header.Get("Version"))

	// Notify lets the automations run.
	_, err = c.Calendars.CreateAppointment(ctx, AppointmentInput{CalendarID: cal.ID, ContactID: pid, StartTime: now.Add(48 * time.Hour), Notify: true})
	require.NoError(t, err)
	assert.Len(t, sim.Notifications(hltest.DefaultLocationID), 1)

	require.NoError(t, c.Calendars.DeleteEvent(ctx, a.ID))
	_, err = c.Calendars.GetAppointment(ctx, a.ID)
	assert.Error(t, err)
	_, err = c.Calendars.CreateAppointment(ctx, AppointmentInput{CalendarID: cal.ID})
	assert.Error(t, err)
	assert.Equal(t, 1, sim.Count(hltest.DefaultLocationID, hltest.KindEvent))
}

// TestConversationsService writes a contact's history through the typed
// client: the conversation, messages dated in the past, an outbound call;
// reads them back newest first across pages; every request is validated
// against the spec.
func TestConversationsService(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	sim, c, ts := newValidatedSim(t, func() time.Time { return now })
	ctx := context.Background()
	pid := simContact(t, c, "pat@x.com")

	cv, err := c.Conversations.Create(ctx, pid)
	require.NoError(t, err)
	assert.Equal(t, pid, cv.ContactID)
	_, err = c.Conversations.Create(ctx, pid)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	found, err := c.Conversations.Search(ctx, ConversationSearch{ContactID: pid, Limit: 5})
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, cv.ID, found[0].ID)

	var ids []string
	for i := range 5 {
		r, err := c.Conversations.AddInbound(ctx, MessageInput{Type: "SMS", ConversationID: cv.ID, ContactID: pid,
			ProviderID: simProvider, Message: "reminder", Direction: "outbound", Date: time.Date(2019, 1, 1+i, 12, 0, 0, 0, time.UTC)})
		require.NoError(t, err)
		assert.Equal(t, time.Date(2019, 1, 1+i, 12, 0, 0, 0, time.UTC), r.DateAdded.Time, "the message keeps its date")
		ids = append(ids, r.MessageID)
	}
	_, err = c.Conversations.AddOutboundCall(ctx, OutboundCallInput{ConversationID: cv.ID})
	assert.Error(t, err, "a call needs its provider")
	call, err := c.Conversations.AddOutboundCall(ctx, OutboundCallInput{ConversationID: cv.ID, ProviderID: simProvider, Date: time.Date(2020, 2, 2, 0, 0, 0, 0, time.UTC),
		Call: &CallInfo{To: "+15550001", From: "+15550002", Status: "completed"}})
	require.NoError(t, err)
	assert.Equal(t, "2021-04-15", ts.last().Header.Get("Version"))

	m, err := c.Conversations.Message(ctx, ids[0])
	require.NoError(t, err)
	assert.Equal(t, "outbound", m.Direction)
	assert.Equal(t, "TYPE_SMS", m.MessageType)
	assert.Equal(t, time.Date(2019, 1, 1, 12, 0, 0, 0, time.UTC), m.DateAdded.Time)

	var order []string
	for msg, err := range c.Conversations.Messages(ctx, cv.ID, 2) {
		require.NoError(t, err)
		order = append(order, msg.ID)
	}
	assert.Equal(t, []string{call.MessageID, ids[4], ids[3], ids[2], ids[1], ids[0]}, order, "newest first, over three pages")

	_, err = c.Conversations.AddInbound(ctx, MessageInput{Type: "SMS", ConversationID: cv.ID, ContactID: pid, ProviderID: "unknownProvider00001"})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.StatusCode)
	_, err = c.Conversations.AddInbound(ctx, MessageInput{ConversationID: cv.ID})
	assert.Error(t, err)
	// HighLevel's own channels take a message without a provider.
	_, err = c.Conversations.AddInbound(ctx, MessageInput{Type: "Email", ConversationID: cv.ID, ContactID: pid, HTML: "<p>x</p>", Subject: "Hi"})
	require.NoError(t, err)
	var sentMsg map[string]any
	require.NoError(t, json.Unmarshal(ts.last().Body, &sentMsg))
	assert.NotContains(t, sentMsg, "conversationProviderId")
	assert.False(t, errors.Is(err, ErrOutcomeUnknown))

	require.NoError(t, c.Conversations.Delete(ctx, cv.ID))
	assert.Equal(t, 0, sim.Count(hltest.DefaultLocationID, hltest.KindMessage))
	_, err = c.Conversations.Message(ctx, ids[0])
	assert.Error(t, err)
}

// TestMessagesReadEitherShape: the messages page is read as the spec
// documents it (flat) and wrapped in a "messages" object, the shape
// reported for live answers; a message likewise bare or under "message".
func TestMessagesReadEitherShape(t *testing.T) {
	ts := newTestServer(t)
	// One pattern: ServeMux refuses the two overlapping templates.
	ts.handle("GET /conversations/{a}/{b}", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.PathValue("a") == "messages" && r.PathValue("b") == "wrapped":
			writeJSON(w, 200, `{"message":{"id":"wrapped","direction":"inbound"}}`)
		case r.PathValue("a") == "messages":
			writeJSON(w, 200, `{"id":"bare","direction":"outbound"}`)
		case r.URL.Query().Get("lastMessageId") == "":
			writeJSON(w, 200, `{"messages":{"lastMessageId":"m2","nextPage":true,"messages":[{"id":"m1","dateAdded":"2019-01-02T00:00:00.000Z"},{"id":"m2"}]},"traceId":"t"}`)
		default:
			writeJSON(w, 200, `{"lastMessageId":"m3","nextPage":false,"messages":[{"id":"m3"}]}`)
		}
	})
	ctx := context.Background()
	var ids []string
	for m, err := range ts.client.Conversations.Messages(ctx, "conv0000000000000001", 2) {
		require.NoError(t, err)
		ids = append(ids, m.ID)
	}
	assert.Equal(t, []string{"m1", "m2", "m3"}, ids)
	assert.Equal(t, []string{"m2"}, ts.last().Query["lastMessageId"])
	w, err := ts.client.Conversations.Message(ctx, "wrapped")
	require.NoError(t, err)
	assert.Equal(t, "inbound", w.Direction)
	b, err := ts.client.Conversations.Message(ctx, "bare")
	require.NoError(t, err)
	assert.Equal(t, "outbound", b.Direction)
}
