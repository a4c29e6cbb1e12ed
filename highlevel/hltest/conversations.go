package hltest

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Conversations and their messages (apps/conversations.json, Version
// 2021-04-15).
//
// A contact has at most one conversation: a second create is refused with
// the 400 live HighLevel gives ("Conversation with the contact id:<id>
// already exists!", highlevel-api-docs issue #5), and search lags creation
// by Options.SearchLag as it does live (same issue). Messages are written
// with POST /conversations/messages/inbound and /outbound (an external
// call); neither sends anything. A message keeps the date it was given
// (dateAdded is the body's date), which is what a migration writing
// history relies on. A conversationProviderId must be one the location
// declares (Location.ConversationProviders): anything else is the 400
// "Invalid conversationProviderId" HighLevel answers (highlevel-api-docs
// issue #107).

// conversationTypes is the spec's conversation type enum; the numeric type
// of GET /conversations/{conversationId} is the 1-based position.
var conversationTypes = []string{"TYPE_PHONE", "TYPE_EMAIL", "TYPE_FB_MESSENGER", "TYPE_REVIEW", "TYPE_GROUP_SMS"}

// inboundTypes are ProcessMessageBodyDto's types, with the messageType
// each is listed as.
var inboundTypes = map[string]string{
	"SMS": "TYPE_SMS", "RCS": "TYPE_RCS", "Email": "TYPE_EMAIL", "WhatsApp": "TYPE_WHATSAPP", "GMB": "TYPE_GMB",
	"IG": "TYPE_INSTAGRAM", "FB": "TYPE_FACEBOOK", "Custom": "TYPE_CUSTOM_SMS", "WebChat": "TYPE_WEBCHAT",
	"Live_Chat": "TYPE_LIVE_CHAT", "Call": "TYPE_CALL", "IVR_Call": "TYPE_IVR_CALL", "Campaign_Call": "TYPE_CAMPAIGN_CALL",
	"Campaign_VoiceMail": "TYPE_CAMPAIGN_VOICEMAIL", "TIKTOK": "TYPE_TIKTOK", "ALL_IN_ONE_CHAT": "TYPE_LIVE_CHAT",
	"FORM_SUBMISSION": "TYPE_FORM_SUBMISSION",
}

// messageTypeNumbers are the numeric message types (GetMessageResponseDto
// .type) HighLevel sends for calls, SMS and e-mail; the numbering of the
// other kinds is not documented, so they are 0.
var messageTypeNumbers = map[string]int{"TYPE_CALL": 1, "TYPE_SMS": 2, "TYPE_EMAIL": 3}

var callStatuses = []string{"pending", "completed", "answered", "busy", "no-answer", "failed", "canceled", "voicemail"}

var callDTO = newDTO(
	field{name: "to", kind: kString},
	field{name: "from", kind: kString},
	field{name: "status", kind: kString, enum: callStatuses},
)

var createConversationDTO = newDTO(
	field{name: "locationId", kind: kString, required: true},
	field{name: "contactId", kind: kString, required: true},
)

// inboundMessageDTO is ProcessMessageBodyDto. conversationProviderId is
// documented as required, but live HighLevel takes messages of its own
// channels without one (highlevel-api-docs issue #107 and pull request
// #24); only type Custom needs it (issue #70).
var inboundMessageDTO = newDTO(
	field{name: "type", kind: kString, required: true, enum: sortedKeys(inboundTypes)},
	field{name: "attachments", kind: kStrings},
	field{name: "message", kind: kString},
	field{name: "conversationId", kind: kString, required: true},
	field{name: "contactId", kind: kString, required: true},
	field{name: "conversationProviderId", kind: kString},
	field{name: "html", kind: kString},
	field{name: "subject", kind: kString},
	field{name: "emailFrom", kind: kString},
	field{name: "emailTo", kind: kString},
	field{name: "emailCc", kind: kStrings},
	field{name: "emailBcc", kind: kStrings},
	field{name: "emailMessageId", kind: kString},
	field{name: "altId", kind: kString},
	// Documented as an object; HighLevel takes "inbound" or "outbound".
	field{name: "direction", kind: kString, enum: []string{"inbound", "outbound"}},
	field{name: "date", kind: kString},
	field{name: "call", kind: kObject, nested: callDTO},
)

// outboundMessageDTO is ProcessOutboundMessageBodyDto: an external
// outbound call, from a provider (conversationProviderId required, as the
// spec says; no public record shows live HighLevel taking a call without).
var outboundMessageDTO = newDTO(
	field{name: "type", kind: kString, required: true, enum: []string{"Call"}},
	field{name: "attachments", kind: kStrings},
	field{name: "conversationId", kind: kString, required: true},
	field{name: "conversationProviderId", kind: kString, required: true},
	field{name: "altId", kind: kString},
	field{name: "date", kind: kString},
	field{name: "call", kind: kObject, nested: callDTO},
)

type conversation struct {
	meta
	contactID string
	typ       string // one of conversationTypes
	unread    int
	last      *message // the latest message by date; nil before the first
}

type message struct {
	meta
	conversationID, contactID, providerID, messageType, direction string
	body, html, subject, altID, emailMessageID                    string
	attachments                                                   []string
	callTo, callFrom, callStatus                                  string
	// date is the message's date as given (dateAdded), not when it was
	// written.
	date time.Time
}

func (m *message) json(locationID string) map[string]any {
	out := map[string]any{"id": m.id, "type": messageTypeNumbers[m.messageType], "messageType": m.messageType,
		"locationId": locationID, "contactId": m.contactID, "conversationId": m.conversationID,
		"dateAdded": iso(m.date), "direction": m.direction, "status": "delivered", "source": "api",
		"contentType": "text/plain", "attachments": nonNil(m.attachments)}
	if m.body != "" {
		out["body"] = m.body
	} else if m.html != "" {
		out["body"] = m.html
	}
	if m.html != "" {
		out["contentType"] = "text/html"
	}
	if m.providerID != "" {
		out["conversationProviderId"] = m.providerID
	}
	if m.callStatus != "" {
		out["meta"] = map[string]any{"callStatus": m.callStatus}
	}
	return out
}

// inspectJSON adds what the API keeps but GetMessageResponseDto does not
// show (subject, call parties, the provider's ids).
func (m *message) inspectJSON(locationID string) map[string]any {
	out := m.json(locationID)
	for k, v := range map[string]string{"subject": m.subject, "altId": m.altID, "emailMessageId": m.emailMessageID,
		"callTo": m.callTo, "callFrom": m.callFrom} {
		if v != "" {
			out[k] = v
		}
	}
	out["dateWritten"] = iso(m.added)
	return out
}

// searchJSON is ConversationSchema (GET /conversations/search).
func (cv *conversation) searchJSON(l *location) map[string]any {
	out := map[string]any{"id": cv.id, "contactId": cv.contactID, "locationId": l.cfg.ID, "type": cv.typ,
		"unreadCount": cv.unread, "fullName": "", "contactName": "", "email": "", "phone": "",
		"dateAdded": cv.added.UnixMilli(), "dateUpdated": cv.updated.UnixMilli()}
	if ct, ok := l.contacts.get(cv.contactID); ok {
		out["fullName"], out["contactName"] = ct.fullName(), ct.fullName()
		out["email"], out["phone"] = ct.f["email"], ct.f["phone"]
	}
	if cv.last != nil {
		out["lastMessageBody"] = cv.last.body
		out["lastMessageType"] = cv.last.messageType
		out["lastMessageDirection"] = cv.last.direction
		out["lastMessageDate"] = cv.last.date.UnixMilli()
	}
	return out
}

// createJSON is ConversationCreateResponseDto.
func (cv *conversation) createJSON(locationID string) map[string]any {
	return map[string]any{"id": cv.id, "dateUpdated": iso(cv.updated), "dateAdded": iso(cv.added), "deleted": false,
		"contactId": cv.contactID, "locationId": locationID, "lastMessageDate": iso(cv.lastDate())}
}

// json is GetConversationByIdResponse.
func (cv *conversation) json(locationID string) map[string]any {
	return map[string]any{"id": cv.id, "contactId": cv.contactID, "locationId": locationID, "deleted": false,
		"inbox": true, "type": slices.Index(conversationTypes, cv.typ) + 1, "unreadCount": cv.unread, "starred": false}
}

func (cv *conversation) lastDate() time.Time {
	if cv.last != nil {
		return cv.last.date
	}
	return cv.added
}

// inspectJSON is the conversation as Records and Dump show it.
func (cv *conversation) inspectJSON(l *location) map[string]any {
	out := cv.json(l.cfg.ID)
	out["typeName"] = cv.typ
	out["dateAdded"] = iso(cv.added)
	out["lastMessageDate"] = iso(cv.lastDate())
	return out
}

func (s *Server) conversationRoutes(add func(method, pattern string, h handler, query ...string) *route) {
	none := []string{}
	add("POST", "/conversations/", s.createConversation).query = none
	add("GET", "/conversations/search", s.searchConversations, "locationId", "contactId", "assignedTo", "followers",
		"mentions", "query", "sort", "startAfterDate", "id", "limit", "lastMessageType", "lastMessageAction",
		"lastMessageDirection", "status", "sortBy", "sortScoreProfile", "scoreProfile", "scoreProfileMin",
		"scoreProfileMax", "startDate", "endDate")
	add("GET", "/conversations/{conversationId}", s.getConversation).query = none
	add("DELETE", "/conversations/{conversationId}", s.deleteConversation).query = none
	add("POST", "/conversations/messages/inbound", s.inboundMessage).query = none
	add("POST", "/conversations/messages/outbound", s.outboundMessage).query = none
	add("GET", "/conversations/{conversationId}/messages", s.listMessages, "lastMessageId", "limit", "type")
	add("GET", "/conversations/messages/{id}", s.getMessage).query = none
}

func (s *Server) createConversation(c *call) (response, *apiError) {
	m, err := createConversationDTO.decode(c.body)
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
	if l.convOf[ct.id] != nil {
		return fail(errBadRequest("Conversation with the contact id:%s already exists!", ct.id))
	}
	typ := "TYPE_PHONE"
	if ct.f["phone"] == "" && ct.f["email"] != "" {
		typ = "TYPE_EMAIL"
	}
	cv := &conversation{meta: s.newMeta(l, c.now), contactID: ct.id, typ: typ}
	l.conversations.put(cv)
	l.convOf[ct.id] = cv
	return created(map[string]any{"success": true, "conversation": cv.createJSON(l.cfg.ID)})
}

func (s *Server) conversationFor(c *call, id string) (*conversation, *apiError) {
	return find(c, c.loc, c.loc.conversations, id, func(string) *apiError { return errBadRequest("Conversation not found") })
}

func (s *Server) getConversation(c *call) (response, *apiError) {
	c.loc.mu.RLock()
	defer c.loc.mu.RUnlock()
	cv, err := s.conversationFor(c, c.param("conversationId"))
	if err != nil {
		return fail(err)
	}
	return ok(cv.json(c.loc.cfg.ID))
}

// deleteConversation removes a conversation with its messages: the API has
// no message delete, so this is how written messages are undone.
func (s *Server) deleteConversation(c *call) (response, *apiError) {
	l := c.loc
	l.mu.Lock()
	defer l.mu.Unlock()
	cv, err := s.conversationFor(c, c.param("conversationId"))
	if err != nil {
		return fail(err)
	}
	l.dropConversation(cv)
	return ok(map[string]any{"success": true})
}

func (l *location) dropConversation(cv *conversation) {
	for _, msg := range l.messagesOf.list(cv.id) {
		l.messages.remove(msg.id)
	}
	delete(l.messagesOf, cv.id)
	delete(l.convOf, cv.contactID)
	l.conversations.remove(cv.id)
}

// dropConversationOf deletes a contact's conversation and its messages:
// they die with the contact, as its notes and tasks do.
func (l *location) dropConversationOf(contactID string) {
	if cv := l.convOf[contactID]; cv != nil {
		l.dropConversation(cv)
	}
}

// searchConversations is GET /conversations/search. Filters modelled:
// contactId, id, query (contact name, email or phone), lastMessageType,
// lastMessageDirection, status (read/unread), assignedTo (never matches:
// conversations are not assigned here), sort and startAfterDate (by last
// message date), startDate/endDate, limit (default 20, at most 100).
func (s *Server) searchConversations(c *call) (response, *apiError) {
	l, err := c.scope(c.q("locationId"))
	if err != nil {
		return fail(err)
	}
	limit := 20
	if v := c.q("limit"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 || n > 100 {
			return fail(errUnprocessable("limit must not be greater than 100"))
		}
		limit = n
	}
	var after, from, to int64
	for k, dst := range map[string]*int64{"startAfterDate": &after, "startDate": &from, "endDate": &to} {
		if v := c.q(k); v != "" {
			n, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil {
				return fail(errUnprocessable(k + " must be a number"))
			}
			*dst = n
		}
	}
	asc := c.q("sort") == "asc"
	query := strings.ToLower(c.q("query"))
	l.mu.RLock()
	defer l.mu.RUnlock()
	var hits []*conversation
	consider := func(cv *conversation) bool {
		if c.now.Before(cv.visibleAt) || !cv.matches(c, l, query) {
			return true
		}
		d := cv.lastDate().UnixMilli()
		if (from != 0 && d < from) || (to != 0 && d > to) {
			return true
		}
		hits = append(hits, cv)
		return true
	}
	if id := c.q("contactId"); id != "" {
		// A contact has one conversation: the lookup a migration makes per
		// patient costs no scan.
		if cv := l.convOf[id]; cv != nil {
			consider(cv)
		}
	} else {
		l.conversations.each(consider)
	}
	slices.SortStableFunc(hits, func(a, b *conversation) int {
		x, y := a.lastDate().UnixMilli(), b.lastDate().UnixMilli()
		if asc {
			return int(clampSign(x - y))
		}
		return int(clampSign(y - x))
	})
	total := len(hits)
	if after != 0 {
		i := slices.IndexFunc(hits, func(cv *conversation) bool {
			d := cv.lastDate().UnixMilli()
			return (asc && d > after) || (!asc && d < after)
		})
		if i < 0 {
			i = len(hits)
		}
		hits = hits[i:]
	}
	out := []map[string]any{}
	for _, cv := range hits[:min(limit, len(hits))] {
		out = append(out, cv.searchJSON(l))
	}
	return ok(map[string]any{"conversations": out, "total": total})
}

func clampSign(d int64) int64 {
	switch {
	case d < 0:
		return -1
	case d > 0:
		return 1
	}
	return 0
}

func (cv *conversation) matches(c *call, l *location, query string) bool {
	if v := c.q("contactId"); v != "" && cv.contactID != v {
		return false
	}
	if v := c.q("id"); v != "" && cv.id != v {
		return false
	}
	if c.q("assignedTo") != "" {
		return false
	}
	switch c.q("status") {
	case "unread":
		if cv.unread == 0 {
			return false
		}
	case "read":
		if cv.unread > 0 {
			return false
		}
	case "starred":
		return false
	}
	if v := c.q("lastMessageType"); v != "" && (cv.last == nil || cv.last.messageType != v) {
		return false
	}
	if v := c.q("lastMessageDirection"); v != "" && (cv.last == nil || cv.last.direction != v) {
		return false
	}
	if query != "" {
		ct, ok := l.contacts.get(cv.contactID)
		if !ok {
			return false
		}
		phoneQ := digits(query)
		if !strings.Contains(strings.ToLower(ct.fullName()), query) && !strings.Contains(strings.ToLower(ct.f["email"]), query) &&
			(phoneQ == "" || !strings.Contains(digits(ct.f["phone"]), phoneQ)) {
			return false
		}
	}
	return true
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// addMessage validates the common part of inbound and outbound bodies and
// stores the message.
func (s *Server) addMessage(c *call, m map[string]any, direction string) (response, *apiError) {
	l := c.loc
	if l == nil {
		return fail(errLocationAccess)
	}
	date := c.now
	if v := str(m, "date"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fail(errUnprocessable("date must be a valid ISO 8601 date string"))
		}
		date = t.UTC()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	cv, err := s.conversationFor(c, str(m, "conversationId"))
	if err != nil {
		return fail(err)
	}
	if v := str(m, "contactId"); v != "" && v != cv.contactID {
		return fail(errBadRequest("Contact %s is not the contact of conversation %s", v, cv.id))
	}
	typ := str(m, "type")
	provider := str(m, "conversationProviderId")
	switch {
	case provider != "" && !slices.Contains(l.cfg.ConversationProviders, provider):
		return fail(errBadRequest("Invalid conversationProviderId"))
	case provider == "" && typ == "Custom":
		return fail(errBadRequest("conversationProviderId is required for custom providers"))
	}
	if d := str(m, "direction"); d != "" {
		direction = d
	}
	msg := &message{meta: s.newMeta(l, c.now), conversationID: cv.id, contactID: cv.contactID, providerID: provider,
		messageType: inboundTypes[typ], direction: direction, body: str(m, "message"), html: str(m, "html"),
		subject: str(m, "subject"), altID: str(m, "altId"), emailMessageID: str(m, "emailMessageId"),
		attachments: strs(m, "attachments"), date: date}
	if call, ok := m["call"].(map[string]any); ok {
		msg.callTo, msg.callFrom, msg.callStatus = str(call, "to"), str(call, "from"), str(call, "status")
	}
	l.messages.put(msg)
	l.messagesOf.add(cv.id, msg)
	if cv.last == nil || !msg.date.Before(cv.last.date) {
		cv.last = msg
	}
	if direction == "inbound" {
		cv.unread++
	}
	s.touch(&cv.meta, c.now)
	out := map[string]any{"success": true, "conversationId": cv.id, "messageId": msg.id,
		"message": "Message added successfully", "contactId": cv.contactID, "dateAdded": iso(msg.date)}
	if msg.emailMessageID != "" {
		out["emailMessageId"] = msg.emailMessageID
	}
	return ok(out)
}

func (s *Server) inboundMessage(c *call) (response, *apiError) {
	m, err := inboundMessageDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	// The endpoint adds inbound messages; direction can be set explicitly.
	return s.addMessage(c, m, "inbound")
}

func (s *Server) outboundMessage(c *call) (response, *apiError) {
	m, err := outboundMessageDTO.decode(c.body)
	if err != nil {
		return fail(err)
	}
	return s.addMessage(c, m, "outbound")
}

// listMessages is GET /conversations/{conversationId}/messages: newest
// first by date, limit (default 20, at most 100) per page, lastMessageId
// the cursor of the next page, type a comma-separated messageType filter.
func (s *Server) listMessages(c *call) (response, *apiError) {
	limit := 20
	if v := c.q("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return fail(errUnprocessable("limit must not be greater than 100"))
		}
		limit = n
	}
	var types []string
	if v := c.q("type"); v != "" {
		types = strings.Split(v, ",")
	}
	l := c.loc
	l.mu.RLock()
	defer l.mu.RUnlock()
	cv, err := s.conversationFor(c, c.param("conversationId"))
	if err != nil {
		return fail(err)
	}
	all := l.messagesOf.list(cv.id)
	slices.SortStableFunc(all, func(a, b *message) int {
		if c := b.date.Compare(a.date); c != 0 {
			return c
		}
		return int(clampSign(int64(b.seq) - int64(a.seq)))
	})
	if types != nil {
		all = slices.DeleteFunc(all, func(m *message) bool { return !slices.Contains(types, m.messageType) })
	}
	if v := c.q("lastMessageId"); v != "" {
		i := slices.IndexFunc(all, func(m *message) bool { return m.id == v })
		if i < 0 {
			return fail(errBadRequest("Message with id %s not found in this conversation", v))
		}
		all = all[i+1:]
	}
	page := all[:min(limit, len(all))]
	out := []map[string]any{}
	last := ""
	for _, msg := range page {
		out = append(out, msg.json(l.cfg.ID))
		last = msg.id
	}
	return ok(map[string]any{"lastMessageId": last, "nextPage": len(all) > len(page), "messages": out})
}

func (s *Server) getMessage(c *call) (response, *apiError) {
	l := c.loc
	l.mu.RLock()
	defer l.mu.RUnlock()
	msg, err := find(c, l, l.messages, c.param("id"), notFound("Message"))
	if err != nil {
		return fail(err)
	}
	return ok(msg.json(l.cfg.ID))
}
