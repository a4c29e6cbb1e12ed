package rollback

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
//
// Their undo is not built in: the package that writes conversations
// supplies it (pbnhl.UndoKinds, through HighLevelTarget.WithKinds). A
// target without it reports them as irreversible, before any call.
const (
	TypeConversation = "conversation"
	TypeMessage      = "conversation_message"
)
