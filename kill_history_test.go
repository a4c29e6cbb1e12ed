package pbnhl_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// More environment of the child processes of the kill tests of history
// (beside kill_test.go's): the approved map the child runs, and the one
// operation it paces so the parent can kill it while that kind is being
// written.
const (
	childMap  = "PBNHL_TEST_CHILD_MAP"
	childPace = "PBNHL_TEST_CHILD_PACE"
)

// The child's pace: paceDelay is how long its worker waits after each
// call of the paced operation, with childConcurrency workers (at most 40
// such writes a second), so the parent, polling every millisecond, kills
// it well before the kind's last write even on a loaded machine.
const (
	paceDelay        = 100 * time.Millisecond
	childConcurrency = 4
)

// killMidKind runs e's full load in a child process (this test binary
// re-executed with -test.run=^name$) on e's map, the calls of operation
// pace slowed down, and kills it with SIGKILL — no deferred code, no
// flush — once HighLevel holds at least atLeast records of kind: the
// writes of that kind are under way. It fails when the child ended on its
// own, or when no write was left without its outcome. The ledger is
// open again for the parent on return; the count of the kind at the kill
// is returned.
func killMidKind(t *testing.T, e *env, name, pace string, kind hltest.Kind, atLeast int) int {
	t.Helper()
	ctx := context.Background()
	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	data, err := e.m.Marshal()
	require.NoError(t, err)
	mapPath := filepath.Join(t.TempDir(), "map.yaml")
	require.NoError(t, os.WriteFile(mapPath, data, 0o600))
	require.NoError(t, e.ledger.Close())

	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), childHL+"="+e.hl.URL, childPBN+"="+e.pbn.URL, childToken+"="+e.pbn.Token(),
		childLedger+"="+e.path, childMap+"="+mapPath, childPace+"="+pace)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	loc := hltest.DefaultLocationID
	deadline := time.Now().Add(3 * time.Minute)
	for e.hl.Count(loc, kind) < atLeast {
		select {
		case <-done:
			t.Fatalf("the child ended before the kill, %d %s written:\n%s", e.hl.Count(loc, kind), kind, out.String())
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("the child made no progress: %d %s written", e.hl.Count(loc, kind), kind)
		}
		time.Sleep(time.Millisecond)
	}
	killErr := cmd.Process.Kill()
	<-done
	n := e.hl.Count(loc, kind)
	require.NoError(t, killErr, "the child ended before the kill")
	require.False(t, cmd.ProcessState.Exited(), "the child must end by the kill, not on its own: %s", cmd.ProcessState)
	e.openLedger()
	// The paced worker sleeps between its call and the journal of the
	// outcome: the kill leaves writes HighLevel made that the journal does
	// not know, which the resume must settle by lookup, not repeat.
	pending := 0
	for _, err := range e.ledger.Pending(ctx, true) {
		require.NoError(t, err)
		pending++
	}
	t.Logf("child killed with %d contacts and %d %s written, %d intents without outcome", e.hl.Count(loc, hltest.KindContact), n, kind, pending)
	require.Positive(t, pending, "the kill must land mid-write")
	return n
}

// runHistoryChild is the child side of killMidKind: the parent's map and
// ledger, the parent's simulators, the paced operation slowed down.
func runHistoryChild(t *testing.T) {
	ctx := context.Background()
	src, err := pbn.NewClient(pbn.Options{BaseURL: os.Getenv(childPBN), Token: os.Getenv(childToken), RateLimit: -1})
	require.NoError(t, err)
	window := 20 * time.Millisecond // newEnv's
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Name: hltest.DefaultLocationID, Requests: 100, Window: window, Margin: window / 40})
	require.NoError(t, err)
	pace := os.Getenv(childPace)
	c, err := highlevel.NewClient(highlevel.Options{BaseURL: os.Getenv(childHL), LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), Limiter: lim,
		Retry: highlevel.RetryPolicy{MaxAttempts: 6, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxRetryAfter: time.Second},
		OnCall: func(c highlevel.Call) {
			if c.Operation == pace {
				time.Sleep(paceDelay)
			}
		}})
	require.NoError(t, err)
	m, err := mapping.LoadApproved(os.Getenv(childMap))
	require.NoError(t, err)
	e := &env{t: t, src: src, client: c, path: os.Getenv(childLedger), m: m}
	e.openLedger()
	_, err = e.migration(func(o *pbnhl.Options) { o.Concurrency = childConcurrency }).Load(ctx)
	require.NoError(t, err)
}

// TestMessagesSurviveKill: the full load of a map that sends the
// communication history as conversation messages, its process killed
// with SIGKILL while the messages are being added, then resumed: every
// source message is in HighLevel exactly once — by the marker it carries
// and by the journal's id map, which names that very message — with the
// source's date to the second (read back through the API), one
// conversation per contact, every intent settled; undo removes every
// message and conversation.
func TestMessagesSurviveKill(t *testing.T) {
	if os.Getenv(childHL) != "" {
		runHistoryChild(t)
		return
	}
	e := newMessageEnv(t, envOptions{patients: size(16), seed: 47})
	ctx := context.Background()
	loc := hltest.DefaultLocationID
	all := 0 // every communication of a message channel: a bound on what is written
	for c := range e.pbn.Practice().Communications() {
		if _, ok := messageChannels[c.Channel]; ok {
			all++
		}
	}
	require.GreaterOrEqual(t, all, 12, "enough messages to kill mid-way")
	killed := killMidKind(t, e, "TestMessagesSurviveKill", "conversations.addInbound", hltest.KindMessage, all/4)

	_, err := e.migration(nil).Load(ctx)
	require.NoError(t, err)
	src := sourceMessages(e)
	require.Less(t, killed, len(src), "the child must be killed before the last message")
	t.Logf("%d messages of %d communications of a message channel", len(src), all)

	// Each once, by its marker, and the journal's id map names it.
	byID := map[string]string{} // message id → source key
	seen := map[string]int{}
	for _, msg := range e.hl.Records(loc, hltest.KindMessage) {
		key := messageKey(fmt.Sprint(msg["body"]))
		seen[key]++
		byID[fmt.Sprint(msg["id"])] = key
	}
	for key := range src {
		assert.Equal(t, 1, seen[key], "communication %s: messages in HighLevel", key)
	}
	assert.Len(t, seen, len(src), "no message for anything else")
	mapped := 0
	for mp, err := range e.ledger.IDMap(ctx, rollback.TypeMessage) {
		require.NoError(t, err)
		_, want := src[mp.SourceKey]
		require.True(t, want, "the id map holds an unknown communication %s", mp.SourceKey)
		assert.Equal(t, mp.SourceKey, byID[mp.HighLevelID], "communication %s: the journal's message is the one in HighLevel", mp.SourceKey)
		mapped++
	}
	assert.Equal(t, len(src), mapped, "the journal maps every message")

	// The dates, read back through the API, conversation by conversation.
	perContact := map[string]int{}
	dated := 0
	for _, cv := range e.hl.Records(loc, hltest.KindConversation) {
		perContact[fmt.Sprint(cv["contactId"])]++
		for msg, err := range e.client.Conversations.Messages(ctx, fmt.Sprint(cv["id"]), 100) {
			require.NoError(t, err)
			c, ok := src[messageKey(msg.Body)]
			require.True(t, ok)
			assert.Equal(t, c.At.Unix(), msg.DateAdded.Unix(), "communication %s date", c.ID)
			dated++
		}
	}
	assert.Equal(t, len(src), dated)
	for c, n := range perContact {
		assert.Equal(t, 1, n, "contact %s has %d conversations", c, n)
	}
	assert.Empty(t, e.hl.Notifications(loc), "history sends nothing")
	assertSettled(t, e)

	und, err := e.migration(nil).Undo(ctx, pbnhl.UndoOptions{})
	require.NoError(t, err, "%+v", und)
	for _, c := range und.Compensations {
		assert.NotEqual(t, rollback.StateFailed, c.State, "%s %s: %s", c.Ref.ObjectType, c.Ref.ID, c.Reason)
	}
	assert.Zero(t, e.hl.Count(loc, hltest.KindMessage), "undo removes every message")
	assert.Zero(t, e.hl.Count(loc, hltest.KindConversation), "undo removes every conversation it made")
}

// TestEventsSurviveKill: the full load of a map that writes appointments
// as calendar events, its process killed with SIGKILL while the events
// are being created, then resumed: every source appointment with a time
// is one event exactly — by the marker it carries and by the journal's id
// map, which names that very event — with the source's start and end to
// the second (read back through the API), nobody notified, every intent
// settled; undo removes every event.
func TestEventsSurviveKill(t *testing.T) {
	if os.Getenv(childHL) != "" {
		runHistoryChild(t)
		return
	}
	e, _ := newEventEnv(t, envOptions{patients: size(16), seed: 53}, false)
	ctx := context.Background()
	loc := hltest.DefaultLocationID
	all := 0 // every appointment with a time: a bound on what is written
	for a := range e.pbn.Practice().Appointments() {
		if a.Status != "PtNote" && a.Status != "PtNoteCompleted" && !a.Start.IsZero() {
			all++
		}
	}
	require.GreaterOrEqual(t, all, 12, "enough events to kill mid-way")
	killed := killMidKind(t, e, "TestEventsSurviveKill", "calendars.createAppointment", hltest.KindEvent, all/4)

	_, err := e.migration(nil).Load(ctx)
	require.NoError(t, err)
	src := sourceEvents(e)
	require.Less(t, killed, len(src), "the child must be killed before the last event")
	t.Logf("%d events of %d appointments with a time", len(src), all)

	byID := map[string]string{} // event id → source key
	seen := map[string]int{}
	for _, ev := range e.hl.Records(loc, hltest.KindEvent) {
		key := eventKey(fmt.Sprint(ev["description"]))
		seen[key]++
		byID[fmt.Sprint(ev["id"])] = key
	}
	for key := range src {
		assert.Equal(t, 1, seen[key], "appointment %s: events in HighLevel", key)
	}
	assert.Len(t, seen, len(src), "no event for anything else")
	mapped := 0
	for mp, err := range e.ledger.IDMap(ctx, rollback.TypeEvent) {
		require.NoError(t, err)
		_, want := src[mp.SourceKey]
		require.True(t, want, "the id map holds an unknown appointment %s", mp.SourceKey)
		assert.Equal(t, mp.SourceKey, byID[mp.HighLevelID], "appointment %s: the journal's event is the one in HighLevel", mp.SourceKey)
		mapped++

		// Start and end to the second, through the API.
		got, err := e.client.Calendars.GetAppointment(ctx, mp.HighLevelID)
		require.NoError(t, err)
		a := src[mp.SourceKey]
		assert.Equal(t, a.Start.Unix(), got.StartTime.Unix(), "appointment %s start", mp.SourceKey)
		if a.DurationMinutes > 0 {
			assert.Equal(t, a.Start.Add(time.Duration(a.DurationMinutes)*time.Minute).Unix(), got.EndTime.Unix(), "appointment %s end", mp.SourceKey)
		}
	}
	assert.Equal(t, len(src), mapped, "the journal maps every event")
	assert.Empty(t, e.hl.Notifications(loc), "a migrated appointment never notifies the patient")
	assertSettled(t, e)

	und, err := e.migration(nil).Undo(ctx, pbnhl.UndoOptions{})
	require.NoError(t, err, "%+v", und)
	for _, c := range und.Compensations {
		assert.NotEqual(t, rollback.StateFailed, c.State, "%s %s: %s", c.Ref.ObjectType, c.Ref.ID, c.Reason)
	}
	assert.Zero(t, e.hl.Count(loc, hltest.KindEvent), "undo removes every event")
	assert.Empty(t, e.hl.Notifications(loc))
}
