package mapping

import (
	"errors"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
)

// messageTypes are the message types HighLevel's inbound endpoint takes
// (ProcessMessageBodyDto.type), by their lower-case spelling.
var messageTypes = func() map[string]string {
	m := map[string]string{}
	for _, t := range []string{"SMS", "Email", "WhatsApp", "GMB", "IG", "FB", "Custom", "WebChat", "Live_Chat", "Call"} {
		m[strings.ToLower(t)] = t
	}
	return m
}()

// Message builds the conversation message of a message payload (target
// conversation_message) for its contact's conversation. Fields: "type"
// (SMS, Email, Call, … — a map's values table turns source channels into
// them), "direction" (inbound or outbound), "date" (RFC 3339, required:
// history keeps its original time), "message", "subject" and "provider"
// (the conversationProviderId; required for type Custom, optional for
// HighLevel's own channels). Errors name fields, never values.
func (in Inputs) Message(p *Payload, conversationID, contactID string) (highlevel.MessageInput, error) {
	msg := highlevel.MessageInput{ConversationID: conversationID, ContactID: contactID}
	if p.Target != TargetMessage {
		return msg, wrongTarget(p, TargetMessage)
	}
	for _, v := range p.Fields {
		switch v.Key {
		case "type":
			t, ok := messageTypes[strings.ToLower(strings.TrimSpace(v.Text))]
			if !ok {
				return msg, errors.New("type is not a HighLevel message type (SMS, Email, Call, WhatsApp, GMB, IG, FB, Custom, WebChat, Live_Chat)")
			}
			msg.Type = t
		case "direction":
			d := strings.ToLower(strings.TrimSpace(v.Text))
			if d != "inbound" && d != "outbound" {
				return msg, errors.New("direction is neither inbound nor outbound")
			}
			msg.Direction = d
		case "date":
			d, err := time.Parse(time.RFC3339, v.Text)
			if err != nil {
				return msg, errors.New("date is not an RFC 3339 time")
			}
			msg.Date = d
		case "message":
			msg.Message = v.Text
		case "subject":
			msg.Subject = v.Text
		case "provider":
			msg.ProviderID = strings.TrimSpace(v.Text)
		}
	}
	if msg.ProviderID == "" {
		msg.ProviderID = in.ConversationProvider
	}
	switch {
	case msg.Type == "":
		return msg, errors.New("type is empty")
	case msg.Date.IsZero():
		return msg, errors.New("date is empty: a history message keeps its original time")
	case msg.Type == "Custom" && msg.ProviderID == "":
		return msg, errors.New("provider is empty: a Custom message needs its conversation provider id")
	}
	return msg, nil
}
