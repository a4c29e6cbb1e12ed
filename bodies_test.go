package pbnhl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/rollback"
)

// bodyRecorder keeps the body of every POST and PUT that reaches the
// simulator, as received.
type bodyRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen map[string]bool // canonical JSON, locationId removed
	raw  map[string]bool // the bytes sent, the leading locationId cut out
}

func (r *bodyRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && (req.Method == http.MethodPost || req.Method == http.MethodPut) {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(b))
		r.mu.Lock()
		r.seen[canonicalBody(b)] = true
		r.raw[unlocated(b)] = true
		r.mu.Unlock()
	}
	return r.base.RoundTrip(req)
}

// canonicalBody is b with its top-level "locationId" removed (the
// client's location, which the services add to a create) and its keys
// sorted.
func canonicalBody(b []byte) string {
	var v map[string]any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	delete(v, "locationId")
	out, _ := json.Marshal(v)
	return string(out)
}

// unlocated is b without the "locationId" member a create puts first, as
// text: the bytes after it are compared as they were sent.
func unlocated(b []byte) string {
	const pre = `{"locationId":"` + hltest.DefaultLocationID + `"`
	s := string(b)
	if !strings.HasPrefix(s, pre) {
		return s
	}
	rest := strings.TrimPrefix(s[len(pre):], ",")
	return "{" + rest
}

// TestJournaledBodyIsTheBodySent: for every target, the payload the
// ledger journals for a create, a link or an update is, byte for byte,
// the body HighLevel received (less the location id the client puts
// first), so journal, digest and request cannot drift apart. The bodies
// come from the highlevel inputs' Body (or MarshalJSON) methods, which
// the services use themselves.
func TestJournaledBodyIsTheBodySent(t *testing.T) {
	day := pbntest.DefaultAsOf.Add(24 * time.Hour) // a fixed source clock, for the delta's mutations
	e := newEnv(t, envOptions{patients: 12, notes: true, now: func() time.Time { return day }})
	rec := &bodyRecorder{base: e.hl.Client().Transport, seen: map[string]bool{}, raw: map[string]bool{}}
	var err error
	e.client, err = highlevel.NewClient(highlevel.Options{BaseURL: e.hl.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), Limiter: e.limit, HTTPClient: &http.Client{Transport: rec}})
	require.NoError(t, err)
	// Communications also become tasks, so every target is written.
	for i := range e.m.Objects {
		if e.m.Objects[i].Name == "communications" {
			o := e.m.Objects[i]
			o.Name, o.Target = "communication_tasks", mapping.TargetTask
			o.Fields = []mapping.Field{
				{Template: "{channel} {direction}", To: "title", Required: true},
				{Template: "{subject} — {body}", To: "body", Transform: mapping.Chain{{Name: "collapse"}}},
				{From: "at", To: "dueDate", Transform: mapping.Chain{{Name: "timestamp"}}, Required: true},
			}
			e.m.Objects = append(e.m.Objects, o)
			break
		}
	}
	// Appointments also become calendar events (in calendars made by
	// hand, the schema plan's manual step) and communications conversation
	// messages: the targets the default map does not write.
	events, _ := eventObject(t, e)
	e.m.Objects = append(e.m.Objects, events, messageObject())
	require.NoError(t, e.m.Approve("test", time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)))
	ctx := context.Background()
	for _, c := range events.Calendars {
		_, err := e.client.Calendars.Create(ctx, highlevel.CalendarInput{Name: c.Name, SlotDuration: 30, SlotDurationUnit: "mins"})
		require.NoError(t, err)
	}
	_, err = e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	_, err = e.migration(func(o *pbnhl.Options) { o.AcceptInvalid = true }).Load(ctx)
	require.NoError(t, err)

	checked := map[string]int{}
	for en, err := range e.ledger.Entries(ctx, rollback.EntryFilter{Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		require.NoError(t, err)
		if en.Op != rollback.OpCreate && en.Op != rollback.OpLink {
			continue
		}
		if en.ObjectType == rollback.TypeContactBusiness || en.ObjectType == pbnhl.TypeMigration {
			continue // one bulk call links many contacts; the custom value is not a target
		}
		if en.ObjectType == rollback.TypeMedia {
			// A multipart upload sends the file; the journal keeps the
			// document's description (size, SHA-256), which the media
			// target's tests check.
			continue
		}
		payload, err := e.ledger.Payload(ctx, en)
		require.NoError(t, err)
		typ := en.ObjectType
		if strings.HasPrefix(typ, rollback.RecordTypePrefix) {
			typ = rollback.RecordTypePrefix + "*"
		}
		if assert.True(t, rec.raw[string(payload)], "%s %s: the journaled body was not sent as is", en.ObjectType, en.Op) {
			checked[typ]++
		}
	}
	t.Logf("creates checked: %v", checked)
	for _, typ := range []string{rollback.TypeContact, rollback.TypeBusiness, rollback.TypeOpportunity, rollback.TypeNote,
		rollback.TypeTask, rollback.RecordTypePrefix + "*", rollback.TypeRelation, rollback.TypeEvent, rollback.TypeMessage} {
		assert.Positive(t, checked[typ], "no %s checked", typ)
	}

	// Updates: a delta over changed records journals each update's body.
	e.pbn.MutateWith(pbntest.MutateOptions{Update: 40})
	rep, err := e.migration(func(o *pbnhl.Options) { o.AcceptInvalid = true }).Delta(ctx)
	require.NoError(t, err)
	updated := map[string]int{}
	for en, err := range e.ledger.Entries(ctx, rollback.EntryFilter{Runs: []rollback.RunID{rep.Run}, Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		require.NoError(t, err)
		if en.Op != rollback.OpUpdate {
			continue
		}
		payload, err := e.ledger.Payload(ctx, en)
		require.NoError(t, err)
		typ := en.ObjectType
		if strings.HasPrefix(typ, rollback.RecordTypePrefix) {
			typ = rollback.RecordTypePrefix + "*"
		}
		if assert.True(t, rec.raw[string(payload)], "%s update: the journaled body was not sent as is", en.ObjectType) {
			updated[typ]++
		}
	}
	t.Logf("updates checked: %v", updated)
	for _, typ := range []string{rollback.TypeContact, rollback.TypeOpportunity, rollback.TypeNote, rollback.TypeTask, rollback.RecordTypePrefix + "*"} {
		assert.Positive(t, updated[typ], "no %s update checked", typ)
	}
}
