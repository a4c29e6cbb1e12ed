package hltest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const provider = "61d6d1f9cdac7612faf80753"

func conversationServer(t *testing.T, opts Options) (*Server, *tclient, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	opts.Clock = clk.Now
	opts.Locations = []Location{{ID: loc, Token: DefaultToken, ConversationProviders: []string{provider}}}
	s, tc := newTestServer(t, opts)
	tc.version = "2021-04-15"
	return s, tc, clk
}

func createConversationFor(t *testing.T, tc *tclient, contactID string) string {
	t.Helper()
	b := tc.do("POST", "/conversations/", map[string]any{"locationId": loc, "contactId": contactID}).must(t, 201)
	assert.Equal(t, true, b["success"])
	return obj(t, b["conversation"])["id"].(string)
}

// TestConversationCreateAndSearch: POST /conversations/ and GET
// /conversations/search (apps/conversations.json create-conversation,
// search-conversation). A second conversation for a contact is the 400
// live HighLevel answers, and search lags creation (highlevel-api-docs
// issue #5 records both).
func TestConversationCreateAndSearch(t *testing.T) {
	s, tc, clk := conversationServer(t, Options{SearchLag: 2 * time.Second})
	ada := createContactID(t, tc, "ada@x.com")
	bob := createContactID(t, tc, "bob@x.com")
	cv := createConversationFor(t, tc, ada)

	dup := tc.do("POST", "/conversations/", map[string]any{"locationId": loc, "contactId": ada}).must(t, 400)
	assert.Equal(t, "Conversation with the contact id:"+ada+" already exists!", dup["message"])
	tc.do("POST", "/conversations/", map[string]any{"locationId": loc, "contactId": "contact0000000000099"}).must(t, 400)
	tc.do("POST", "/conversations/", map[string]any{"locationId": loc}).must(t, 422)
	tc.do("POST", "/conversations/", map[string]any{"locationId": "otherLocation00000001", "contactId": ada}).must(t, 403)

	search := func(q string) []any {
		return tc.do("GET", "/conversations/search?locationId="+loc+q, nil).must(t, 200)["conversations"].([]any)
	}
	assert.Empty(t, search("&contactId="+ada), "search lags creation")
	clk.Advance(2 * time.Second)
	hits := search("&contactId=" + ada)
	require.Len(t, hits, 1)
	row := obj(t, hits[0])
	assert.Equal(t, cv, row["id"])
	assert.Equal(t, "TYPE_EMAIL", row["type"])
	assert.Equal(t, "ada@x.com", row["email"])
	assert.Len(t, search("&query=ADA@x"), 1)
	assert.Empty(t, search("&contactId="+bob))
	createConversationFor(t, tc, bob)
	clk.Advance(2 * time.Second)
	assert.Len(t, search(""), 2)
	assert.Len(t, search("&limit=1"), 1)
	tc.do("GET", "/conversations/search?locationId="+loc+"&limit=500", nil).must(t, 422)
	tc.do("GET", "/conversations/search?locationId="+loc+"&page=2", nil).must(t, 422)
	tc.do("GET", "/conversations/search?locationId=otherLocation00000001", nil).must(t, 403)

	got := tc.do("GET", "/conversations/"+cv, nil).must(t, 200)
	assert.Equal(t, ada, got["contactId"])
	assert.Equal(t, float64(2), got["type"], "TYPE_EMAIL is the spec's second conversation type")

	// Deleting the conversation removes its messages (the API deletes no
	// message by itself).
	msg := tc.do("POST", "/conversations/messages/inbound", map[string]any{"type": "SMS", "conversationId": cv,
		"contactId": ada, "message": "hi"}).must(t, 200)["messageId"].(string)
	assert.Equal(t, map[string]any{"success": true}, tc.do("DELETE", "/conversations/"+cv, nil).must(t, 200))
	tc.do("GET", "/conversations/messages/"+msg, nil).must(t, 400)
	tc.do("GET", "/conversations/"+cv, nil).must(t, 400)
	assert.Equal(t, 0, s.Count(loc, KindMessage))
	// The contact may have a conversation again.
	createConversationFor(t, tc, ada)
}

// TestMessagesKeepTheirDate: POST /conversations/messages/inbound and
// /outbound (ProcessMessageBodyDto, ProcessOutboundMessageBodyDto), GET
// /conversations/{conversationId}/messages and GET
// /conversations/messages/{id}. "date: Date of the inbound message" is
// the message's dateAdded, whenever it was written.
func TestMessagesKeepTheirDate(t *testing.T) {
	s, tc, clk := conversationServer(t, Options{})
	ada := createContactID(t, tc, "ada@x.com")
	cv := createConversationFor(t, tc, ada)
	inbound := func(date string, extra map[string]any) map[string]any {
		b := map[string]any{"type": "SMS", "conversationId": cv, "contactId": ada, "conversationProviderId": provider,
			"message": "m " + date, "date": date}
		for k, v := range extra {
			b[k] = v
		}
		return tc.do("POST", "/conversations/messages/inbound", b).must(t, 200)
	}
	first := inbound("2019-04-01T10:00:00-04:00", nil)
	assert.Equal(t, "2019-04-01T14:00:00.000Z", first["dateAdded"])
	assert.Equal(t, cv, first["conversationId"])
	assert.Equal(t, ada, first["contactId"])
	older := inbound("2018-01-02T09:00:00Z", map[string]any{"direction": "outbound"})
	mail := inbound("2020-06-01T08:00:00Z", map[string]any{"type": "Email", "message": "", "html": "<p>x</p>", "subject": "S"})
	call := tc.do("POST", "/conversations/messages/outbound", map[string]any{"type": "Call", "conversationId": cv,
		"conversationProviderId": provider, "date": "2021-01-01T00:00:00Z",
		"call": map[string]any{"to": "+15550001", "from": "+15550002", "status": "completed"}}).must(t, 200)

	m := tc.do("GET", "/conversations/messages/"+first["messageId"].(string), nil).must(t, 200)
	assert.Equal(t, "2019-04-01T14:00:00.000Z", m["dateAdded"])
	assert.Equal(t, "inbound", m["direction"])
	assert.Equal(t, "TYPE_SMS", m["messageType"])
	assert.Equal(t, float64(2), m["type"])
	assert.Equal(t, provider, m["conversationProviderId"])
	c := tc.do("GET", "/conversations/messages/"+call["messageId"].(string), nil).must(t, 200)
	assert.Equal(t, "outbound", c["direction"])
	assert.Equal(t, "TYPE_CALL", c["messageType"])
	assert.Equal(t, map[string]any{"callStatus": "completed"}, c["meta"])
	e := tc.do("GET", "/conversations/messages/"+mail["messageId"].(string), nil).must(t, 200)
	assert.Equal(t, "text/html", e["contentType"])
	assert.Equal(t, "outbound", tc.do("GET", "/conversations/messages/"+older["messageId"].(string), nil).must(t, 200)["direction"],
		"direction can be set explicitly")

	// Newest first by date, whatever the order they were written in.
	page := tc.do("GET", "/conversations/"+cv+"/messages?limit=3", nil).must(t, 200)
	ids := func(b map[string]any) []string {
		var out []string
		for _, x := range b["messages"].([]any) {
			out = append(out, obj(t, x)["id"].(string))
		}
		return out
	}
	assert.Equal(t, []string{call["messageId"].(string), mail["messageId"].(string), first["messageId"].(string)}, ids(page))
	assert.Equal(t, true, page["nextPage"])
	assert.Equal(t, first["messageId"], page["lastMessageId"])
	next := tc.do("GET", "/conversations/"+cv+"/messages?limit=3&lastMessageId="+page["lastMessageId"].(string), nil).must(t, 200)
	assert.Equal(t, []string{older["messageId"].(string)}, ids(next))
	assert.Equal(t, false, next["nextPage"])
	calls := tc.do("GET", "/conversations/"+cv+"/messages?type=TYPE_CALL", nil).must(t, 200)
	assert.Equal(t, []string{call["messageId"].(string)}, ids(calls))
	tc.do("GET", "/conversations/"+cv+"/messages?limit=0", nil).must(t, 422)
	tc.do("GET", "/conversations/conversation00000099/messages", nil).must(t, 400)

	// The conversation's last message is the latest by date.
	hits := tc.do("GET", "/conversations/search?locationId="+loc+"&contactId="+ada, nil).must(t, 200)["conversations"].([]any)
	require.Len(t, hits, 1)
	assert.Equal(t, "TYPE_CALL", obj(t, hits[0])["lastMessageType"])

	// Inspection shows when each message was written beside its date.
	recs := s.Records(loc, KindMessage)
	require.Len(t, recs, 4)
	assert.Equal(t, "2019-04-01T14:00:00.000Z", recs[0]["dateAdded"])
	assert.Equal(t, iso(clk.Now()), recs[0]["dateWritten"])
	assert.Equal(t, "S", recs[2]["subject"])
	assert.Equal(t, 1, s.Count(loc, KindConversation))

	// A message without a date is dated when it is written.
	assert.Equal(t, iso(clk.Now()), inbound("", nil)["dateAdded"])
	tc.do("POST", "/conversations/messages/inbound", map[string]any{"type": "SMS", "conversationId": cv, "contactId": ada,
		"date": "01/02/2019"}).must(t, 422)
}

// TestMessageProviderAndShape: an unknown conversationProviderId is the
// 400 "Invalid conversationProviderId" live HighLevel answers
// (highlevel-api-docs issue #107); HighLevel's own channels need no
// provider (same issue, pull request #24), a Custom message does (issue
// #70); bodies are strict whitelists of the documented DTOs.
func TestMessageProviderAndShape(t *testing.T) {
	s, tc, _ := conversationServer(t, Options{})
	ada := createContactID(t, tc, "ada@x.com")
	bob := createContactID(t, tc, "bob@x.com")
	cv := createConversationFor(t, tc, ada)
	body := func(extra map[string]any) map[string]any {
		b := map[string]any{"type": "SMS", "conversationId": cv, "contactId": ada, "message": "hi"}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	bad := tc.do("POST", "/conversations/messages/inbound", body(map[string]any{"conversationProviderId": "unknownProvider00001"})).must(t, 400)
	assert.Equal(t, "Invalid conversationProviderId", bad["message"])
	tc.do("POST", "/conversations/messages/outbound", map[string]any{"type": "Call", "conversationId": cv,
		"conversationProviderId": "unknownProvider00001"}).must(t, 400)
	tc.do("POST", "/conversations/messages/inbound", body(map[string]any{"type": "Custom"})).must(t, 400)
	tc.do("POST", "/conversations/messages/inbound", body(map[string]any{"type": "Custom", "conversationProviderId": provider})).must(t, 200)
	tc.do("POST", "/conversations/messages/inbound", body(nil)).must(t, 200)
	assert.Equal(t, 2, s.Count(loc, KindMessage))

	tc.do("POST", "/conversations/messages/inbound", body(map[string]any{"contactId": bob})).must(t, 400)
	tc.do("POST", "/conversations/messages/inbound", body(map[string]any{"conversationId": "conversation00000099"})).must(t, 400)
	unknown := tc.do("POST", "/conversations/messages/inbound", body(map[string]any{"locationId": loc})).must(t, 422)
	assert.Equal(t, []string{"property locationId should not exist"}, messages(t, unknown))
	tc.do("POST", "/conversations/messages/inbound", body(map[string]any{"type": "Fax"})).must(t, 422)
	tc.do("POST", "/conversations/messages/inbound", body(map[string]any{"direction": "sideways"})).must(t, 422)
	tc.do("POST", "/conversations/messages/inbound", body(map[string]any{"call": map[string]any{"status": "ringing"}})).must(t, 422)
	// The outbound endpoint adds external calls only, and has no message.
	tc.do("POST", "/conversations/messages/outbound", map[string]any{"type": "SMS", "conversationId": cv}).must(t, 422)
	tc.do("POST", "/conversations/messages/outbound", map[string]any{"type": "Call", "conversationId": cv, "message": "x",
		"conversationProviderId": provider}).must(t, 422)
	tc.do("POST", "/conversations/messages/outbound", map[string]any{"type": "Call", "conversationId": cv}).must(t, 422)
	missing := tc.do("POST", "/conversations/messages/inbound", map[string]any{}).must(t, 422)
	assert.Contains(t, messages(t, missing), "conversationId should not be empty")
	assert.Contains(t, messages(t, missing), "contactId should not be empty")
	assert.Equal(t, 2, s.Count(loc, KindMessage))
}

// TestNewRoutesFaultsLimitsAndDump: the fault rules keyed by route, the
// rate limits and the request log cover calendars and conversations as
// every other route; Dump carries their state.
func TestNewRoutesFaultsLimitsAndDump(t *testing.T) {
	t.Run("faults", func(t *testing.T) {
		s, tc, _ := conversationServer(t, Options{})
		ada := createContactID(t, tc, "ada@x.com")
		cv := createConversationFor(t, tc, ada)
		b := map[string]any{"type": "SMS", "conversationId": cv, "contactId": ada, "message": "hi"}
		tc.noSpec = true
		s.SetFaults(FaultRule{Route: "POST /conversations/messages/inbound", ServerErrorRate: 1})
		assert.GreaterOrEqual(t, tc.do("POST", "/conversations/messages/inbound", b).Status, 500)
		assert.Equal(t, 0, s.Count(loc, KindMessage), "a 5xx fault does nothing")
		s.SetFaults(FaultRule{Route: "POST /conversations/messages/inbound", LostResponseRate: 1})
		tc.do("POST", "/conversations/messages/inbound", b).must(t, 502)
		assert.Equal(t, 1, s.Count(loc, KindMessage), "a lost answer: the message was written")
		calID := createCalendar(t, tc, nil)["id"].(string)
		s.SetFaults(FaultRule{Route: "POST /calendars/events/appointments", TooManyRequestsRate: 1})
		tc.do("POST", "/calendars/events/appointments", appt(calID, ada, time.Now().Add(time.Hour), nil)).must(t, 429)
		assert.Equal(t, 0, s.Count(loc, KindEvent))
		log := s.RequestLog()
		assert.Equal(t, "POST /calendars/events/appointments", log[len(log)-1].Route)
		assert.Equal(t, "429", log[len(log)-1].Fault)
	})
	t.Run("limits", func(t *testing.T) {
		_, tc, _ := conversationServer(t, Options{RateLimit: RateLimit{Max: 3, Window: time.Hour, Daily: 100}})
		for range 3 {
			tc.do("GET", "/calendars/?locationId="+loc, nil).must(t, 200)
		}
		res := tc.do("GET", "/conversations/search?locationId="+loc, nil)
		assert.Equal(t, 429, res.Status)
		assert.Equal(t, "0", res.Header.Get("X-RateLimit-Remaining"))
	})
	t.Run("dump and reset", func(t *testing.T) {
		s, tc, clk := conversationServer(t, Options{})
		ada := createContactID(t, tc, "ada@x.com")
		calID := createCalendar(t, tc, nil)["id"].(string)
		tc.do("POST", "/calendars/events/appointments", appt(calID, ada, clk.Now().Add(time.Hour), map[string]any{"toNotify": false})).must(t, 200)
		cv := createConversationFor(t, tc, ada)
		tc.do("POST", "/conversations/messages/inbound", map[string]any{"type": "SMS", "conversationId": cv, "contactId": ada,
			"message": "hi", "date": "2019-01-01T00:00:00Z"}).must(t, 200)
		for _, k := range []Kind{KindCalendar, KindEvent, KindConversation, KindMessage} {
			assert.Equal(t, 1, s.Count(loc, k), k)
		}
		assert.Equal(t, false, s.Records(loc, KindEvent)[0]["toNotify"])
		s.Reset()
		for _, k := range []Kind{KindCalendar, KindEvent, KindNotification, KindConversation, KindMessage} {
			assert.Equal(t, 0, s.Count(loc, k), k)
		}
	})
}
