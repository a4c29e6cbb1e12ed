package highlevel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Conversations and their messages (Version 2021-04-15,
// apps/conversations.json). A contact has one conversation; messages are
// added to it with AddInbound and AddOutboundCall, which record history and
// send nothing. A message keeps the Date it is given as its dateAdded.

// ConversationsService: conversations and their messages.
type ConversationsService service

var (
	opConvCreate        = operation{name: "conversations.create", method: http.MethodPost, version: Version20210415}
	opConvSearch        = operation{name: "conversations.search", method: http.MethodGet, version: Version20210415}
	opConvDelete        = operation{name: "conversations.delete", method: http.MethodDelete, version: Version20210415}
	opConvGet           = operation{name: "conversations.get", method: http.MethodGet, version: Version20210415}
	opMsgInbound        = operation{name: "conversations.addInbound", method: http.MethodPost, version: Version20210415}
	opMsgOutbound       = operation{name: "conversations.addOutboundCall", method: http.MethodPost, version: Version20210415}
	opMsgList           = operation{name: "conversations.messages", method: http.MethodGet, version: Version20210415}
	opMsgGet            = operation{name: "conversations.message", method: http.MethodGet, version: Version20210415}
	maxConversationPage = 100
)

// Conversation is a contact's conversation.
type Conversation struct {
	ID              string    `json:"id"`
	ContactID       string    `json:"contactId"`
	LocationID      string    `json:"locationId"`
	Type            string    `json:"type,omitempty"` // search only: TYPE_PHONE, TYPE_EMAIL, ...
	LastMessageType string    `json:"lastMessageType,omitempty"`
	UnreadCount     int       `json:"unreadCount"`
	DateAdded       Timestamp `json:"dateAdded"`
	DateUpdated     Timestamp `json:"dateUpdated"`
	LastMessageDate Timestamp `json:"lastMessageDate"`
}

// Create creates the conversation of a contact (POST /conversations/). A
// contact that has one already is a 400 (*APIError).
func (s *ConversationsService) Create(ctx context.Context, contactID string) (*Conversation, error) {
	if err := requireID(opConvCreate.name, "contact id", contactID); err != nil {
		return nil, err
	}
	body := map[string]string{"locationId": s.client.locationID, "contactId": contactID}
	var out struct {
		Success      *bool         `json:"success"`
		Conversation *Conversation `json:"conversation"`
	}
	if err := s.client.do(ctx, call{op: opConvCreate, path: "/conversations/", body: body}, &out); err != nil {
		return nil, err
	}
	if out.Success != nil && !*out.Success {
		return nil, notApplied(opConvCreate.name)
	}
	if out.Conversation == nil {
		return nil, &DecodeError{Operation: opConvCreate.name, Err: fmt.Errorf(`no "conversation" in response`)}
	}
	return out.Conversation, nil
}

// ConversationSearch selects conversations of the client's location.
type ConversationSearch struct {
	ContactID string
	// Limit is the page size (default 20, at most 100).
	Limit int
}

// Search returns one page of conversations, latest message first (GET
// /conversations/search). Search lags writes: a conversation just created
// may not be found yet.
func (s *ConversationsService) Search(ctx context.Context, q ConversationSearch) ([]*Conversation, error) {
	if q.Limit < 0 || q.Limit > maxConversationPage {
		return nil, fmt.Errorf("highlevel: %s: limit must be 1 to %d", opConvSearch.name, maxConversationPage)
	}
	v := url.Values{"locationId": {s.client.locationID}}
	if q.ContactID != "" {
		v.Set("contactId", q.ContactID)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var out struct {
		Conversations []*Conversation `json:"conversations"`
	}
	if err := s.client.do(ctx, call{op: opConvSearch, path: "/conversations/search", query: v}, &out); err != nil {
		return nil, err
	}
	return out.Conversations, nil
}

// Get returns a conversation (GET /conversations/{conversationId}). An
// unknown id gives an error matching ErrNotFound.
func (s *ConversationsService) Get(ctx context.Context, id string) (*Conversation, error) {
	if err := requireID(opConvGet.name, "conversation id", id); err != nil {
		return nil, err
	}
	var out struct {
		Conversation
		// Wrapped is the conversation when the answer wraps it (the spec
		// documents it unwrapped; both are read).
		Wrapped *Conversation `json:"conversation"`
	}
	if err := s.client.do(ctx, call{op: opConvGet, path: pathf("/conversations/%s", id)}, &out); err != nil {
		return nil, err
	}
	cv := &out.Conversation
	if cv.ID == "" && out.Wrapped != nil {
		cv = out.Wrapped
	}
	if cv.ID == "" {
		return nil, &DecodeError{Operation: opConvGet.name, Err: fmt.Errorf("no conversation id in response")}
	}
	return cv, nil
}

// Delete deletes a conversation with its messages (DELETE
// /conversations/{conversationId}); the API deletes no single message.
func (s *ConversationsService) Delete(ctx context.Context, id string) error {
	if err := requireID(opConvDelete.name, "conversation id", id); err != nil {
		return err
	}
	var out succeded
	if err := s.client.do(ctx, call{op: opConvDelete, path: pathf("/conversations/%s", id)}, &out); err != nil {
		return err
	}
	return out.check(opConvDelete.name)
}

// CallInfo describes a phone call message.
type CallInfo struct {
	To     string `json:"to,omitempty"`
	From   string `json:"from,omitempty"`
	Status string `json:"status,omitempty"` // completed, answered, busy, no-answer, failed, canceled, voicemail, pending
}

// MessageInput is a message to add with AddInbound. Type ("SMS", "Email",
// "Call", ...), ConversationID and ContactID are required.
type MessageInput struct {
	Type           string
	ConversationID string
	ContactID      string
	// ProviderID is the conversationProviderId: needed for Type "Custom";
	// HighLevel's own channels take none.
	ProviderID  string
	Message     string
	HTML        string
	Subject     string
	Attachments []string
	// Direction "inbound" or "outbound"; empty leaves HighLevel's default.
	Direction string
	// Date is the message's date (its dateAdded); zero is now.
	Date time.Time
	Call *CallInfo
}

type messageBody struct {
	Type           string    `json:"type"`
	ConversationID string    `json:"conversationId"`
	ContactID      string    `json:"contactId,omitempty"`
	ProviderID     string    `json:"conversationProviderId,omitempty"`
	Message        string    `json:"message,omitempty"`
	HTML           string    `json:"html,omitempty"`
	Subject        string    `json:"subject,omitempty"`
	Attachments    []string  `json:"attachments,omitempty"`
	Direction      string    `json:"direction,omitempty"`
	Date           string    `json:"date,omitempty"`
	Call           *CallInfo `json:"call,omitempty"`
}

func messageDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// Body is the exact JSON body AddInbound sends for in.
func (in MessageInput) Body() ([]byte, error) {
	return json.Marshal(messageBody{Type: in.Type, ConversationID: in.ConversationID, ContactID: in.ContactID,
		ProviderID: in.ProviderID, Message: in.Message, HTML: in.HTML, Subject: in.Subject, Attachments: in.Attachments,
		Direction: in.Direction, Date: messageDate(in.Date), Call: in.Call})
}

// OutboundCallInput is an external outbound call to add with
// AddOutboundCall. ConversationID and ProviderID (the calling provider's
// conversationProviderId) are required.
type OutboundCallInput struct {
	ConversationID string
	ProviderID     string
	Attachments    []string
	Date           time.Time
	Call           *CallInfo
}

// Body is the exact JSON body AddOutboundCall sends for in.
func (in OutboundCallInput) Body() ([]byte, error) {
	return json.Marshal(messageBody{Type: "Call", ConversationID: in.ConversationID, ProviderID: in.ProviderID,
		Attachments: in.Attachments, Date: messageDate(in.Date), Call: in.Call})
}

// MessageResult is what adding a message returns.
type MessageResult struct {
	ConversationID string    `json:"conversationId"`
	MessageID      string    `json:"messageId"`
	ContactID      string    `json:"contactId"`
	DateAdded      Timestamp `json:"dateAdded"`
}

func (s *ConversationsService) addMessage(ctx context.Context, op operation, path string, body []byte) (*MessageResult, error) {
	var out struct {
		Success *bool `json:"success"`
		MessageResult
	}
	if err := s.client.do(ctx, call{op: op, path: path, body: json.RawMessage(body)}, &out); err != nil {
		return nil, err
	}
	if out.Success != nil && !*out.Success {
		return nil, notApplied(op.name)
	}
	if out.MessageID == "" {
		return nil, &DecodeError{Operation: op.name, Err: fmt.Errorf("no messageId in response")}
	}
	return &out.MessageResult, nil
}

// AddInbound adds a message to a conversation (POST
// /conversations/messages/inbound). Nothing is sent to the contact. A
// network failure or 5xx gives an error matching ErrOutcomeUnknown.
func (s *ConversationsService) AddInbound(ctx context.Context, in MessageInput) (*MessageResult, error) {
	if in.Type == "" || in.ConversationID == "" || in.ContactID == "" {
		return nil, fmt.Errorf("highlevel: %s: type, conversation id and contact id are required", opMsgInbound.name)
	}
	b, err := in.Body()
	if err != nil {
		return nil, fmt.Errorf("highlevel: %s: %w", opMsgInbound.name, err)
	}
	return s.addMessage(ctx, opMsgInbound, "/conversations/messages/inbound", b)
}

// AddOutboundCall adds an external outbound call to a conversation (POST
// /conversations/messages/outbound).
func (s *ConversationsService) AddOutboundCall(ctx context.Context, in OutboundCallInput) (*MessageResult, error) {
	if in.ConversationID == "" || in.ProviderID == "" {
		return nil, fmt.Errorf("highlevel: %s: conversation id and provider id are required", opMsgOutbound.name)
	}
	b, err := in.Body()
	if err != nil {
		return nil, fmt.Errorf("highlevel: %s: %w", opMsgOutbound.name, err)
	}
	return s.addMessage(ctx, opMsgOutbound, "/conversations/messages/outbound", b)
}

// Message is a conversation message.
type Message struct {
	ID                     string    `json:"id"`
	ConversationID         string    `json:"conversationId"`
	ContactID              string    `json:"contactId"`
	LocationID             string    `json:"locationId"`
	MessageType            string    `json:"messageType"` // TYPE_SMS, TYPE_EMAIL, TYPE_CALL, ...
	Direction              string    `json:"direction"`
	Body                   string    `json:"body,omitempty"`
	ContentType            string    `json:"contentType,omitempty"`
	Status                 string    `json:"status,omitempty"`
	ConversationProviderID string    `json:"conversationProviderId,omitempty"`
	Attachments            []string  `json:"attachments,omitempty"`
	DateAdded              Timestamp `json:"dateAdded"`
}

// Message returns a message (GET /conversations/messages/{id}).
func (s *ConversationsService) Message(ctx context.Context, id string) (*Message, error) {
	if err := requireID(opMsgGet.name, "message id", id); err != nil {
		return nil, err
	}
	var out struct {
		Message
		// Wrapped is the message when the answer wraps it in "message"
		// (the spec documents it unwrapped; both are read).
		Wrapped *Message `json:"message"`
	}
	if err := s.client.do(ctx, call{op: opMsgGet, path: pathf("/conversations/messages/%s", id)}, &out); err != nil {
		return nil, err
	}
	m := &out.Message
	if m.ID == "" && out.Wrapped != nil {
		m = out.Wrapped
	}
	if m.ID == "" {
		return nil, &DecodeError{Operation: opMsgGet.name, Err: fmt.Errorf("no message id in response")}
	}
	return m, nil
}

// messagePage is one page of GET /conversations/{conversationId}/messages.
type messagePage struct {
	LastMessageID string     `json:"lastMessageId"`
	NextPage      bool       `json:"nextPage"`
	Messages      []*Message `json:"messages"`
}

// UnmarshalJSON reads the page as the spec documents it
// ({lastMessageId, nextPage, messages: [...]}) or wrapped in a "messages"
// object ({messages: {lastMessageId, nextPage, messages: [...]}}), the
// shape reported for live answers; which one HighLevel sends is not
// settled by a public record, so both are read.
func (p *messagePage) UnmarshalJSON(b []byte) error {
	var top struct {
		LastMessageID string          `json:"lastMessageId"`
		NextPage      bool            `json:"nextPage"`
		Messages      json.RawMessage `json:"messages"`
	}
	if err := json.Unmarshal(b, &top); err != nil {
		return err
	}
	raw := bytes.TrimSpace(top.Messages)
	if len(raw) > 0 && raw[0] == '{' {
		type page messagePage
		var inner page
		if err := json.Unmarshal(raw, &inner); err != nil {
			return err
		}
		*p = messagePage(inner)
		return nil
	}
	p.LastMessageID, p.NextPage, p.Messages = top.LastMessageID, top.NextPage, nil
	if len(raw) > 0 && string(raw) != "null" {
		return json.Unmarshal(raw, &p.Messages)
	}
	return nil
}

// Messages iterates over a conversation's messages, newest first (GET
// /conversations/{conversationId}/messages, pages of pageSize ≤ 100,
// default 100, chained by lastMessageId).
func (s *ConversationsService) Messages(ctx context.Context, conversationID string, pageSize int) iter.Seq2[*Message, error] {
	if pageSize <= 0 || pageSize > 100 {
		pageSize = 100
	}
	return func(yield func(*Message, error) bool) {
		if err := requireID(opMsgList.name, "conversation id", conversationID); err != nil {
			yield(nil, err)
			return
		}
		last := ""
		for {
			q := url.Values{"limit": {strconv.Itoa(pageSize)}}
			if last != "" {
				q.Set("lastMessageId", last)
			}
			var out messagePage
			if err := s.client.do(ctx, call{op: opMsgList, path: pathf("/conversations/%s/messages", conversationID), query: q}, &out); err != nil {
				yield(nil, err)
				return
			}
			for _, m := range out.Messages {
				if !yield(m, nil) {
					return
				}
			}
			// A page that names no cursor, or the same one, ends the walk
			// rather than looping on it.
			if !out.NextPage || out.LastMessageID == "" || out.LastMessageID == last || len(out.Messages) == 0 {
				return
			}
			last = out.LastMessageID
		}
	}
}
