package pbnhl_test

import (
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
)

// messageChannels are the channels the message object writes as
// conversation messages, with their HighLevel type (reminders and recalls
// are texts); letters stay notes.
var messageChannels = map[pbn.Channel]string{pbn.ChannelSMS: "SMS", pbn.ChannelEmail: "Email", pbn.ChannelCall: "Call",
	pbn.ChannelReminder: "SMS", pbn.ChannelRecall: "SMS"}

// messageObject writes communications of the message channels into the
// contact's conversation, beside the default map's notes and log.
func messageObject() mapping.Object {
	o := mapping.Object{Name: "communication_messages", Source: "communications", Target: mapping.TargetMessage, SourceKey: "id",
		Fields: []mapping.Field{
			{From: "channel", To: "type", Required: true},
			{From: "direction", To: "direction", Required: true},
			{From: "at", To: "date", Transform: mapping.Chain{{Name: "timestamp"}}, Required: true},
			{From: "body", To: "message"},
			{From: "subject", To: "subject"},
		},
		Lookups: []mapping.Lookup{{From: "patientId", Object: "patients", To: mapping.LinkContact, Required: true}},
	}
	f := mapping.Filter{Field: "channel", Op: mapping.OpIn}
	for ch, typ := range messageChannels {
		f.Values = append(f.Values, string(ch))
		o.Fields[0].Values = append(o.Fields[0].Values, mapping.Pair{From: string(ch), To: typ})
	}
	o.Filters = []mapping.Filter{f}
	return o
}

func newMessageEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	e := newEnv(t, o)
	e.m = e.m.WithHistory(mapping.HistoryMessages, mapping.AsBoth) // the default folds messages only
	e.m.Objects = append(e.m.Objects, messageObject())
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)))
	return e
}

// sourceMessages are the communications the message object migrates, by
// id: of a message channel, of a migrated patient.
func sourceMessages(e *env) map[string]pbn.Communication {
	migrated := migratedPatients(e)
	out := map[string]pbn.Communication{}
	for c := range e.pbn.Practice().Communications() {
		if _, ok := messageChannels[c.Channel]; ok && migrated[string(c.PatientID)] {
			out[string(c.ID)] = c
		}
	}
	return out
}

// messageKey is the source key a message carries in its marker line.
func messageKey(body string) string { return markerKey(body, "conversation_message") }

// messageCounts counts the messages in HighLevel per source key.
func messageCounts(e *env) map[string]int {
	seen := map[string]int{}
	for _, m := range e.hl.Records(hltest.DefaultLocationID, hltest.KindMessage) {
		seen[messageKey(fmt.Sprint(m["body"]))]++
	}
	return seen
}

// TestMessageTarget: communications become messages of their contact's
// conversation (one per contact) with the source's date to the second,
// type and direction, read back through the API; the preflight estimate
// includes them; a second run writes nothing; undo removes them all.
func TestMessageTarget(t *testing.T) {
	e := newMessageEnv(t, envOptions{patients: size(16), seed: 19})
	ctx := context.Background()
	loc := hltest.DefaultLocationID
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	pre, err := m.Preflight(ctx)
	require.NoError(t, err)
	require.True(t, pre.Ready(), pre.Blocking)

	e.resetCounts()
	var adds, convCreates, convSearches atomic.Int64 // the phase's workers call concurrently
	hook := func(c highlevel.Call) {
		// An attempt the simulator refused (429 under a loaded machine) and
		// the client tried again is not a second write: count the accepted ones.
		if c.StatusCode/100 != 2 {
			return
		}
		switch c.Operation {
		case "conversations.addInbound":
			adds.Add(1)
		case "conversations.create":
			convCreates.Add(1)
		case "conversations.search":
			convSearches.Add(1)
		}
	}
	e.hook.Store(&hook)
	rep, err := m.Load(ctx)
	e.hook.Store(nil)
	require.NoError(t, err)
	src := sourceMessages(e)
	require.NotEmpty(t, src)
	contacts := map[int64]bool{}
	for _, c := range src {
		contacts[keyNum(c.PatientID)] = true
	}

	var est pbnhl.ObjectEstimate
	for _, oe := range pre.Estimate.Objects {
		if oe.Object == "communication_messages" {
			est = oe
		}
	}
	assert.Equal(t, int64(len(src)), est.Records, "the preflight counts the messages")
	assert.Equal(t, int64(len(src)+2*len(contacts)), est.Calls, "one call per message, two per conversation")
	assert.Equal(t, int64(len(src)), adds.Load(), "one call per message")
	assert.Equal(t, int64(len(contacts)), convCreates.Load(), "one conversation per contact")
	assert.Equal(t, int64(len(contacts)), convSearches.Load(), "one lookup per contact")
	assert.Equal(t, len(contacts), e.hl.Count(loc, hltest.KindConversation))
	all := 0
	for c := range e.pbn.Practice().Communications() {
		if _, ok := messageChannels[c.Channel]; ok {
			all++
		}
	}
	for _, o := range rep.Objects {
		if o.Object == "communication_messages" {
			assert.Equal(t, int64(len(src)), o.Written)
			// The rest belong to patients held back (invalid or merged
			// duplicates): invalid with a reason, never silently dropped.
			assert.Equal(t, int64(all-len(src)), o.Invalid, "every communication accounted for")
		}
	}

	// Read back through the API, conversation by conversation: every
	// message once, with its source date to the second, type, direction
	// and the contact of its patient.
	contactPatient := contactPatients(e)
	types := map[string]string{"SMS": "TYPE_SMS", "Email": "TYPE_EMAIL", "Call": "TYPE_CALL"}
	seen := map[string]bool{}
	for _, cv := range e.hl.Records(loc, hltest.KindConversation) {
		for msg, err := range e.client.Conversations.Messages(ctx, fmt.Sprint(cv["id"]), 100) {
			require.NoError(t, err)
			key := messageKey(msg.Body)
			c, ok := src[key]
			require.True(t, ok, "message for an unknown communication %q", key)
			assert.False(t, seen[key], "communication %s written twice", key)
			seen[key] = true
			assert.Equal(t, c.At.Unix(), msg.DateAdded.Unix(), "communication %s date", key)
			assert.Equal(t, types[messageChannels[c.Channel]], msg.MessageType, "communication %s type", key)
			assert.Equal(t, strings.ToLower(string(c.Direction)), msg.Direction, "communication %s direction", key)
			assert.Equal(t, string(c.PatientID), contactPatient[msg.ContactID], "communication %s contact", key)
		}
	}
	assert.Len(t, seen, len(src), "every communication arrived as a message")
	assert.Empty(t, e.hl.Notifications(loc), "history sends nothing")

	// A second run writes nothing and looks nothing up.
	adds.Store(0)
	convCreates.Store(0)
	convSearches.Store(0)
	e.hook.Store(&hook)
	_, err = e.migration(nil).Load(ctx)
	e.hook.Store(nil)
	require.NoError(t, err)
	assert.Zero(t, adds.Load()+convCreates.Load()+convSearches.Load())

	und, err := e.migration(nil).Undo(ctx, pbnhl.UndoOptions{})
	require.NoError(t, err, "%+v", und)
	assert.Zero(t, e.hl.Count(loc, hltest.KindMessage), "undo removes every message")
	assert.Zero(t, e.hl.Count(loc, hltest.KindConversation), "undo removes the conversations it made")
}

// TestMessageResumeAfterCancellations: the run is cancelled at random
// points under lost answers and resumed: every message arrives once, one
// conversation per contact, every intent settled.
func TestMessageResumeAfterCancellations(t *testing.T) {
	faults, err := hltest.ParseFaults("POST *:lost=0.03")
	require.NoError(t, err)
	e := newMessageEnv(t, envOptions{patients: size(16), seed: 37, faults: faults})
	ctx := context.Background()
	_, err = e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	assert.Positive(t, runThroughCancellations(t, ctx, e))
	src := sourceMessages(e)
	seen := messageCounts(e)
	assert.Len(t, seen, len(src))
	for k, n := range seen {
		assert.Equal(t, 1, n, "communication %s written %d times", k, n)
	}
	perContact := map[string]int{}
	for _, cv := range e.hl.Records(hltest.DefaultLocationID, hltest.KindConversation) {
		perContact[fmt.Sprint(cv["contactId"])]++
	}
	for c, n := range perContact {
		assert.Equal(t, 1, n, "contact %s has %d conversations", c, n)
	}
	assertSettled(t, e)
}

// TestMessageSettleAfterLostAnswers: adds and conversation creates whose
// answers are lost are settled by identity: no duplicate, none missing.
func TestMessageSettleAfterLostAnswers(t *testing.T) {
	faults, err := hltest.ParseFaults("POST /conversations/messages/inbound:lost=0.3;POST /conversations/:lost=0.3")
	require.NoError(t, err)
	e := newMessageEnv(t, envOptions{patients: size(12), seed: 41, faults: faults})
	ctx := context.Background()
	_, err = e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	_, err = e.migration(nil).Load(ctx)
	require.NoError(t, err)
	src := sourceMessages(e)
	seen := messageCounts(e)
	assert.Len(t, seen, len(src))
	for k, n := range seen {
		assert.Equal(t, 1, n, "communication %s written %d times", k, n)
	}
	assertSettled(t, e)
}

// BenchmarkMessageCalls reports HighLevel calls per migrated message and
// per contact conversation (the design minimum: one add per message, one
// lookup and one create per contact).
func BenchmarkMessageCalls(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e := newMessageEnv(b, envOptions{patients: 12, seed: 31})
		ctx := context.Background()
		_, err := e.migration(nil).ApplySchema(ctx)
		require.NoError(b, err)
		var calls atomic.Int64
		hook := func(c highlevel.Call) {
			if strings.HasPrefix(c.Operation, "conversations.") {
				calls.Add(1)
			}
		}
		e.hook.Store(&hook)
		b.StartTimer()
		_, err = e.migration(nil).Load(ctx)
		b.StopTimer()
		require.NoError(b, err)
		n := len(sourceMessages(e))
		b.ReportMetric(float64(calls.Load())/float64(n), "calls/message")
		b.ReportMetric(float64(n), "messages")
		b.StartTimer()
	}
}

// taskObject writes communications as completed tasks of their contact:
// the original time as the due date, the title from channel and
// direction (the requirement's default for the log), through the task
// target and the map alone.
func taskObject() mapping.Object {
	return mapping.Object{Name: "communication_tasks", Source: "communications", Target: mapping.TargetTask, SourceKey: "id",
		Fields: []mapping.Field{
			{Template: "{channel} {direction}", To: "title", Required: true},
			{From: "at", To: "dueDate", Transform: mapping.Chain{{Name: "timestamp"}}, Required: true},
			{Value: "true", To: "completed"},
			{Template: "{subject} {body}", To: "body", Transform: mapping.Chain{{Name: "collapse"}}},
		},
		Lookups: []mapping.Lookup{{From: "patientId", Object: "patients", To: mapping.LinkContact, Required: true},
			{From: "staffId", Object: "staff", To: mapping.LinkOwner}},
	}
}

// taskKey is the source key a task carries in its marker line.
func taskKey(body string) string {
	for line := range strings.Lines(body) {
		if i := strings.Index(line, "/task/"); i >= 0 && strings.HasPrefix(strings.TrimSpace(line), "pbnhl-id ") {
			return strings.TrimSpace(line[i+len("/task/"):])
		}
	}
	return ""
}

// TestHistoryTasks: communications as completed tasks carry the source's
// time as their due date to the second (read back through the API), a
// title from channel and direction, one create each; undo removes them.
func TestHistoryTasks(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(12), seed: 43})
	e.m = e.m.WithHistory(mapping.HistoryMessages, mapping.AsBoth) // the default folds messages only
	e.m.Objects = append(e.m.Objects, taskObject())
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)))
	ctx := context.Background()
	loc := hltest.DefaultLocationID
	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	pre, err := e.migration(nil).Preflight(ctx)
	require.NoError(t, err)
	require.True(t, pre.Ready(), pre.Blocking)
	var creates atomic.Int64
	hook := func(c highlevel.Call) {
		// An attempt the simulator refused (429 under a loaded machine) and
		// the client tried again is not a second write: count the accepted ones.
		if c.Operation == "contacts.tasks.create" && c.StatusCode/100 == 2 {
			creates.Add(1)
		}
	}
	e.hook.Store(&hook)
	rep, err := e.migration(nil).Load(ctx)
	e.hook.Store(nil)
	require.NoError(t, err)

	comms := map[string]pbn.Communication{}
	for c := range e.pbn.Practice().Communications() {
		comms[string(c.ID)] = c
	}
	var written int64
	for _, o := range rep.Objects {
		if o.Object == "communication_tasks" {
			written = o.Written
		}
	}
	for _, oe := range pre.Estimate.Objects {
		if oe.Object == "communication_tasks" {
			assert.Equal(t, written, oe.Calls, "the preflight estimates one call per task")
		}
	}
	require.Positive(t, written)
	assert.Equal(t, written, creates.Load(), "one call per task")
	seen := 0
	for _, c := range e.hl.Contacts(loc) {
		tasks, err := e.client.Contacts.ListTasks(ctx, c.ID)
		require.NoError(t, err)
		for _, tk := range tasks {
			key := taskKey(tk.Body)
			src, ok := comms[key]
			require.True(t, ok, "task for an unknown communication %q", key)
			seen++
			assert.Equal(t, src.At.Unix(), tk.DueDate.Unix(), "communication %s due date", key)
			assert.True(t, tk.Completed, "communication %s is history: completed", key)
			assert.Equal(t, string(src.Channel)+" "+string(src.Direction), tk.Title, "communication %s title", key)
		}
	}
	assert.Equal(t, int(written), seen)

	und, err := e.migration(nil).Undo(ctx, pbnhl.UndoOptions{})
	require.NoError(t, err, "%+v", und)
	assert.Zero(t, e.hl.Count(loc, hltest.KindTask), "undo removes every task")
}
