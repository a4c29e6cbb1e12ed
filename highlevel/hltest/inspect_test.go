package hltest

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/internal/golden"
)

// TestDumpGolden builds a small, deterministic state (seed + fake clock)
// and compares Dump with testdata/dump.golden.json.
func TestDumpGolden(t *testing.T) {
	clk := newFakeClock()
	s, tc := newTestServer(t, Options{Seed: 7, Clock: clk.Now, Users: []User{{ID: "user0000000000000001", Name: "Dr A", Email: "a@x.com"}}})
	ext := createField(t, tc, map[string]any{"name": "pbn_patient_id", "dataType": "TEXT"})
	b := obj(t, tc.do("POST", "/businesses/", map[string]any{"locationId": loc, "name": "Main St Dental"}).must(t, 201)["buiseness"])
	c := obj(t, tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "firstName": "Ada", "lastName": "L", "email": "ada@x.com",
		"assignedTo": "user0000000000000001", "customFields": []any{map[string]any{"id": ext["id"], "field_value": "p-1"}}}).must(t, 201)["contact"])
	tc.do("POST", "/contacts/bulk/business", map[string]any{"locationId": loc, "ids": []string{c["id"].(string)}, "businessId": b["id"]}).must(t, 200)
	tc.do("POST", "/contacts/"+c["id"].(string)+"/notes", map[string]any{"body": "hello"}).must(t, 201)
	createSchema(t, tc, "custom_objects.appointment")
	tc.do("POST", "/objects/custom_objects.appointment/records", map[string]any{"locationId": loc, "properties": map[string]any{"name": "Exam"}}).must(t, 201)
	p := createPipeline(t, tc, "Cases")
	tc.do("POST", "/opportunities/", map[string]any{"locationId": loc, "pipelineId": p["id"], "name": "Crown", "status": "open", "contactId": c["id"]}).must(t, 201)
	// Calendars and conversations (Version 2021-04-15): an appointment
	// written with toNotify:false and one without (a Notification), and a
	// message dated before it was written.
	cal := tc.as(tc.token)
	cal.version = "2021-04-15"
	calID := obj(t, cal.do("POST", "/calendars/", map[string]any{"locationId": loc, "name": "Hygiene"}).must(t, 200)["calendar"])["id"]
	for i, notify := range []bool{false, true} {
		cal.do("POST", "/calendars/events/appointments", map[string]any{"calendarId": calID, "locationId": loc, "contactId": c["id"],
			"startTime": clk.Now().Add(time.Duration(i+1) * time.Hour).Format(time.RFC3339), "toNotify": notify}).must(t, 200)
	}
	cv := obj(t, cal.do("POST", "/conversations/", map[string]any{"locationId": loc, "contactId": c["id"]}).must(t, 201)["conversation"])
	cal.do("POST", "/conversations/messages/inbound", map[string]any{"type": "SMS", "conversationId": cv["id"], "contactId": c["id"],
		"message": "see you", "date": "2019-04-01T10:00:00Z"}).must(t, 200)

	var buf bytes.Buffer
	require.NoError(t, s.Dump(&buf))
	golden.AssertJSON(t, "testdata/dump.golden.json", buf.Bytes())
}

func TestResetAndRequestLog(t *testing.T) {
	s, tc := newTestServer(t, Options{})
	tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "firstName": "A", "email": "secret@x.com"}).must(t, 201)
	tc.do("GET", "/contacts/search/duplicate?locationId="+loc+"&email=secret@x.com", nil).must(t, 200)
	tc.do("GET", "/nowhere", nil).must(t, 404)
	log := s.RequestLog()
	require.Len(t, log, 3)
	assert.Equal(t, RequestRecord{Method: "POST", Path: "/contacts/", Route: "POST /contacts/", Status: 201, LocationID: loc},
		RequestRecord{Method: log[0].Method, Path: log[0].Path, Route: log[0].Route, Status: log[0].Status, LocationID: log[0].LocationID})
	assert.Equal(t, "/contacts/search/duplicate", log[1].Path, "no query string (emails) in the log")
	assert.Equal(t, 404, log[2].Status)
	assert.False(t, log[0].Time.IsZero())

	s.Reset()
	assert.Empty(t, s.RequestLog())
	assert.Equal(t, 0, s.Count(loc, KindContact))
	// The email is free again, and the token still works.
	tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "email": "secret@x.com"}).must(t, 201)
	assert.Equal(t, 0, s.Count("unknownLocation00001", KindContact))
	assert.Nil(t, s.Contacts("unknownLocation00001"))
}

func TestRequestLogLimit(t *testing.T) {
	s, tc := newTestServer(t, Options{RequestLogLimit: 10})
	for range 25 {
		tc.do("GET", "/contacts/?locationId="+loc, nil).must(t, 200)
	}
	assert.LessOrEqual(t, len(s.RequestLog()), 10)
	assert.NotEmpty(t, s.RequestLog())
}
