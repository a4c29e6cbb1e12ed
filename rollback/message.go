package rollback

import (
	"context"
	"fmt"
)

// Conversation history (a map object of target conversation_message).
//
// TypeConversation is a contact's conversation the migration created:
// Intent.TargetID is the contact, the outcome id the conversation, the
// payload {"locationId","contactId"}. A contact has one conversation; one
// it had before the migration is journaled adopted and never deleted.
//
// TypeMessage is a message added to a conversation
// (highlevel.MessageInput.Body): Intent.TargetID is the conversation and
// Intent.RelatedID that same conversation when the migration created it,
// empty when the contact had it before. HighLevel's API deletes no single
// message and edits none: Undo deletes a message by deleting the
// conversation the migration created for it (the conversation's other
// messages, all this migration's, go with it and are then found gone), and
// reports a message written into a conversation the contact already had
// as irreversible. A message that still exists is as written.
const (
	TypeConversation = "conversation"
	TypeMessage      = "conversation_message"
)

// deleteMessage deletes the conversation the migration created for the
// message (see TypeMessage).
func (h *HighLevelTarget) deleteMessage(ctx context.Context, ref Ref) error {
	if ref.RelatedID == "" {
		return fmt.Errorf("%w: HighLevel deletes no single message, and message %s is in a conversation the contact had before the migration", ErrIrreversible, ref.ID)
	}
	return hlErr(h.c.Conversations.Delete(ctx, ref.RelatedID))
}

// conversationKind and messageKind: neither can be changed through
// HighLevel's API (a conversation holds only its contact; a message has
// no edit), so one that exists is as written and its digest is the
// written one.
var (
	conversationKind = recordKind{types: []string{TypeConversation},
		remove: func(h *HighLevelTarget, ctx context.Context, ref Ref) error {
			return h.c.Conversations.Delete(ctx, ref.ID)
		},
		exists: func(h *HighLevelTarget, ctx context.Context, ref Ref) error {
			_, err := h.c.Conversations.Get(ctx, ref.ID)
			return hlErr(err)
		}}
	messageKind = recordKind{types: []string{TypeMessage},
		remove: (*HighLevelTarget).deleteMessage,
		exists: func(h *HighLevelTarget, ctx context.Context, ref Ref) error {
			_, err := h.c.Conversations.Message(ctx, ref.ID)
			return hlErr(err)
		}}
)
