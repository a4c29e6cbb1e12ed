package rollback

// TypeMedia is a file uploaded to the location's media library (a source
// document): Intent.TargetID is the contact it belongs to, the outcome id
// the file id, the payload the upload's description with "upload", the
// file name it was given. Undo deletes the file (DELETE /medias/{id}); a
// file is never updated, so there is no before-image to restore.
//
// Its undo (the delete and the change check: the file still in the
// library) is not built in: the package that uploads files supplies it
// (pbnhl.UndoKinds, through HighLevelTarget.WithKinds). A target without
// it reports a file as irreversible, before any call.
const TypeMedia = "media"
