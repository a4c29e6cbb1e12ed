package pbnhl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// messageTarget adds communication history to its contact's conversation
// (map target conversation_message): POST /conversations/messages/inbound
// with the source's date (HighLevel keeps it as the message's dateAdded),
// type (SMS, Email, Call, …) and direction, which records the message and
// sends nothing. The map chooses, per channel, which communications take
// this target (its filters), so a later history policy can choose per
// object and per age.
//
// A contact has one conversation. The first message of a contact looks it
// up (one search); when the contact has none, the migration creates it,
// journaled (rollback.TypeConversation, keyed by the contact's id), and
// Undo deletes it with its messages — HighLevel's API deletes no single
// message. Messages written into a conversation the contact had before
// the migration cannot be undone: the undo report lists them as
// irreversible. A message's identity is the marker line at the end of its
// text, found by listing the conversation's messages (no search lag). A
// message cannot be edited through the API: a source message changed
// after its write stays as first written.
//
// Calls: one per message, plus two per contact whose conversation is
// looked up and created.
type messageTarget struct{ writer }

func (messageTarget) kind() mapping.TargetKind { return mapping.TargetMessage }
func (messageTarget) group() loadGroup         { return loadNotes }

// prepare takes the conversation provider of messages whose map sets none
// (Options.ConversationProvider; no call).
func (messageTarget) prepare(_ context.Context, m *Migration, p *prepared) error {
	p.inputs.ConversationProvider = m.opts.ConversationProvider
	return nil
}

// tally counts one call per message and, once per contact, the lookup
// and create of its conversation (an upper bound for a contact whose
// conversation an earlier run created).
func (messageTarget) tally(p *mapping.Payload, t *callTally) {
	t.calls++
	l, ok := p.Link(mapping.LinkContact)
	if !ok {
		return
	}
	seen := tallyState(t, mapping.TargetMessage, func() map[string]bool { return map[string]bool{} })
	if !seen[l.Key] {
		seen[l.Key] = true
		t.calls += 2
	}
}

// conversationSeen is an in-memory index type: the conversations the
// contacts had before the migration (found by search, never journaled),
// so a run searches once per contact.
const conversationSeen = "conversation.seen"

// conversationLocks serialise the lookup and create of one contact's
// conversation between the phase's workers (striped: bounded memory).
var conversationLocks [64]sync.Mutex

func conversationLock(contactID string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(contactID))
	return &conversationLocks[h.Sum32()%uint32(len(conversationLocks))]
}

func (messageTarget) write(ctx context.Context, ph *phase, o *mapping.Object, tr *tracker, j *job) error {
	p := &j.p
	c := ph.m.opts.Client
	in, contactID, ok, err := inputUnderContact(ctx, ph, o, tr, j, func(p *mapping.Payload, contactID string) (highlevel.MessageInput, error) {
		return ph.p.inputs.Message(p, "", contactID) // the conversation is set once known
	})
	if !ok {
		return err
	}
	if err := ph.idx.load(ctx, rollback.TypeMessage); err != nil {
		return err
	}
	if _, done := ph.idx.get(rollback.TypeMessage, p.SourceKey); done {
		// Written before; HighLevel edits no message, so a changed source
		// message is not sent again.
		tr.existing.Add(1)
		return nil
	}
	convID, ours, err := ph.conversationOf(ctx, o, j.modified, contactID)
	if err != nil {
		return err
	}
	if convID == "" {
		tr.rejected.Add(1) // the conversation was refused; journaled with its reason
		return nil
	}
	in.ConversationID = convID
	mk, body, err := markedBody(ph, o, rollback.TypeMessage, p.SourceKey, &in.Message, func() ([]byte, error) { return in.Body() })
	if err != nil {
		return err
	}
	related := ""
	if ours {
		related = convID // Undo deletes the message with this conversation
	}
	digest := rollback.Digest(body)
	if ph.dry {
		tr.written.Add(1)
		tr.calls.Add(1)
		ph.idx.set(rollback.TypeMessage, p.SourceKey, "dry-run:"+p.SourceKey, digest)
		ph.collect(o, rollback.TypeMessage, p.SourceKey, "", rollback.OpCreate, body)
		return nil
	}
	res, err := ph.m.journaledCall(ctx, ph.run, write{op: rollback.OpCreate, objType: rollback.TypeMessage, key: p.SourceKey,
		entity: o.Source, modified: j.modified, target: convID, related: related, payload: body,
		call: func(ctx context.Context) (string, error) {
			r, err := c.Conversations.AddInbound(ctx, in)
			if err != nil {
				return "", err
			}
			return r.MessageID, nil
		},
		find: func(ctx context.Context, _ time.Time) (string, bool, error) {
			return ph.m.findMessage(ctx, ph.idx, convID, mk)
		}})
	tr.calls.Add(int64(res.calls))
	if err != nil {
		return err
	}
	if res.rejected {
		tr.rejected.Add(1)
		return nil
	}
	ph.idx.set(rollback.TypeMessage, p.SourceKey, res.id, digest)
	tr.written.Add(1)
	ph.collect(o, rollback.TypeMessage, p.SourceKey, res.id, rollback.OpCreate, body)
	return nil
}

// conversationOf is the contact's conversation and whether this migration
// created it: from the id map, else from a search (the contact had one
// before: not ours, never journaled), else created through a journaled
// call. "" when HighLevel refused the create.
func (ph *phase) conversationOf(ctx context.Context, o *mapping.Object, modified time.Time, contactID string) (string, bool, error) {
	for _, typ := range []string{rollback.TypeConversation, conversationSeen} {
		if err := ph.idx.load(ctx, typ); err != nil {
			return "", false, err
		}
	}
	mu := conversationLock(contactID)
	mu.Lock()
	defer mu.Unlock()
	if r, ok := ph.idx.get(rollback.TypeConversation, contactID); ok {
		return r.id, true, nil
	}
	if r, ok := ph.idx.get(conversationSeen, contactID); ok {
		return r.id, false, nil
	}
	if ph.dry {
		return "dry-run:conversation:" + contactID, true, nil
	}
	c := ph.m.opts.Client
	id, found, err := ph.m.contactConversation(ctx, contactID)
	if err != nil {
		return "", false, fmt.Errorf("pbnhl: %s: look up the contact's conversation: %w", o.Name, err)
	}
	if found {
		ph.idx.set(conversationSeen, contactID, id, "")
		return id, false, nil
	}
	body, err := json.Marshal(map[string]string{"locationId": c.LocationID(), "contactId": contactID})
	if err != nil {
		return "", false, err
	}
	res, err := ph.m.journaledCall(ctx, ph.run, write{op: rollback.OpCreate, objType: rollback.TypeConversation, key: contactID,
		entity: o.Source, modified: modified, target: contactID, payload: body,
		call: func(ctx context.Context) (string, error) {
			cv, err := c.Conversations.Create(ctx, contactID)
			if err != nil {
				return "", err
			}
			return cv.ID, nil
		},
		find: func(ctx context.Context, _ time.Time) (string, bool, error) {
			return ph.m.contactConversation(ctx, contactID)
		}})
	if err != nil {
		return "", false, err
	}
	if res.rejected {
		return "", false, nil
	}
	ph.idx.set(rollback.TypeConversation, contactID, res.id, rollback.Digest(body))
	return res.id, true, nil
}

// contactConversation finds the contact's conversation (one search).
func (m *Migration) contactConversation(ctx context.Context, contactID string) (string, bool, error) {
	cs, err := m.opts.Client.Conversations.Search(ctx, highlevel.ConversationSearch{ContactID: contactID, Limit: 1})
	if err != nil {
		return "", false, err
	}
	for _, cv := range cs {
		if cv.ContactID == contactID {
			return cv.ID, true, nil
		}
	}
	return "", false, nil
}

// findMessage finds the conversation's message carrying the marker,
// skipping mapped ones: the list is read directly (no search lag).
func (m *Migration) findMessage(ctx context.Context, idx *idIndex, convID, mk string) (string, bool, error) {
	ids, err := m.messagesWithMarker(ctx, idx, convID, mk, true)
	if err != nil || len(ids) == 0 {
		return "", false, err
	}
	return ids[0], true, nil
}

// messagesWithMarker lists the conversation's messages carrying mk (not
// mapped in idx, when given).
func (m *Migration) messagesWithMarker(ctx context.Context, idx *idIndex, convID, mk string, first bool) ([]string, error) {
	var ids []string
	for msg, err := range m.opts.Client.Conversations.Messages(ctx, convID, 100) {
		if err != nil {
			if errors.Is(err, highlevel.ErrNotFound) {
				return nil, nil // no conversation: no message
			}
			return nil, err
		}
		if rollback.HasLine(msg.Body, mk) && (idx == nil || !idx.has(rollback.TypeMessage, msg.ID)) {
			ids = append(ids, msg.ID)
			if first {
				break
			}
		}
	}
	return ids, nil
}

func (messageTarget) owns(typ string) bool {
	return typ == rollback.TypeMessage || typ == rollback.TypeConversation
}

func (messageTarget) read(ctx context.Context, c *highlevel.Client, typ, id, _ string) (any, error) {
	if typ == rollback.TypeConversation {
		return c.Conversations.Get(ctx, id)
	}
	return c.Conversations.Message(ctx, id)
}

// remove deletes a conversation; HighLevel's API deletes no single
// message (Undo removes them with the conversation the migration made).
func (messageTarget) remove(ctx context.Context, c *highlevel.Client, typ, id, _ string) error {
	if typ == rollback.TypeConversation {
		return c.Conversations.Delete(ctx, id)
	}
	return fmt.Errorf("pbnhl: HighLevel deletes no single message (%s)", id)
}

// messageUndo is the undo of conversations and messages (UndoKinds).
// Neither can be changed through HighLevel's API (a conversation holds
// only its contact; a message has no edit), so one that exists (the
// target's read) is as written and there is nothing to restore.
type messageUndo struct{ c *highlevel.Client }

func (messageTarget) undoKind(c *highlevel.Client) rollback.RecordKind { return messageUndo{c} }

func (messageUndo) Types() []string { return []string{rollback.TypeConversation, rollback.TypeMessage} }

// Delete deletes a conversation the migration created; a message goes
// with the conversation the migration created for it (Ref.RelatedID: its
// other messages, all this migration's, go with it and are then found
// gone). A message written into a conversation the contact had before
// is irreversible: HighLevel's API deletes no single message.
func (u messageUndo) Delete(ctx context.Context, ref rollback.Ref) error {
	id := ref.ID
	if ref.ObjectType == rollback.TypeMessage {
		if ref.RelatedID == "" {
			return fmt.Errorf("%w: HighLevel deletes no single message, and message %s is in a conversation the contact had before the migration", rollback.ErrIrreversible, ref.ID)
		}
		id = ref.RelatedID
	}
	return messageTarget{}.remove(ctx, u.c, rollback.TypeConversation, id, "")
}

func (u messageUndo) Exists(ctx context.Context, ref rollback.Ref) error {
	_, err := messageTarget{}.read(ctx, u.c, ref.ObjectType, ref.ID, "")
	return err
}

// settle finds what a create intent made: the contact's conversation, or
// the conversation's message carrying the create's marker.
func (messageTarget) settle(ctx context.Context, s lookupScope, e rollback.Entry, payload []byte) (string, bool, error) {
	if e.ObjectType == rollback.TypeConversation {
		return s.m.contactConversation(ctx, e.TargetID)
	}
	mk, err := s.intentMarker(ctx, e, payload, "message")
	if err != nil {
		return "", false, err
	}
	return s.m.findMessage(ctx, s.idx, e.TargetID, mk)
}

// matches lists the conversation's messages carrying sk's marker line.
func (messageTarget) matches(ctx context.Context, s lookupScope, sk sweepKey) ([]string, int, error) {
	if sk.typ != rollback.TypeMessage {
		return noTarget{}.matches(ctx, s, sk)
	}
	ids, err := s.m.messagesWithMarker(ctx, nil, sk.parent, marker(s.mid, sk.typ, sk.key), false)
	return ids, 1, err
}

// resend: not re-created. HighLevel's API deletes no single message, so
// a message is missing only with its whole conversation, which the
// journal created (or found) once per contact: re-creating one message
// would need its conversation back first.
func (messageTarget) resend(resendScope, string, []byte) (resent, error) {
	return resent{}, fmt.Errorf("%w: a message goes missing only with its conversation, which repair does not re-create", errNoResend)
}
