package rollback

// TypeEvent is a calendar appointment (a map object of target
// calendar_event). On a create Intent.TargetID is the contact and the
// outcome id the event; payloads are highlevel.AppointmentInput.Body (a
// create) or AppointmentUpdate.Body (an update), before-images the
// highlevel.Appointment read before the write. Events are deleted and
// read by id alone.
//
// Their undo (delete, the change check's read, restore) is not built in:
// the package that writes events supplies it (pbnhl.UndoKinds, through
// HighLevelTarget.WithKinds). A target without it reports an event as
// irreversible, before any call.
const TypeEvent = "calendar_event"
