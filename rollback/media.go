package rollback

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pbnhl/pbnhl/highlevel"
)

// TypeMedia is a file uploaded to the location's media library (a source
// document): Intent.TargetID is the contact it belongs to, the outcome id
// the file id, the payload the upload's description with "upload", the
// file name it was given. Undo deletes the file (DELETE /medias/{id}); a
// file is never updated, so there is no before-image to restore.
const TypeMedia = "media"

// mediaKind: a file is deleted by id; its change check is mediaDigest.
var mediaKind = recordKind{types: []string{TypeMedia},
	remove: func(h *HighLevelTarget, ctx context.Context, ref Ref) error {
		return h.c.Media.Delete(ctx, ref.ID)
	},
	digest: (*HighLevelTarget).mediaDigest}

// mediaDigest is the change check of an uploaded file. HighLevel has no
// read of one file and nothing about a file can be changed that Undo
// would restore, so the check is that it still exists: the library is
// searched for the name the upload gave it (one list call), the file
// matched by id. A file gone matches ErrNotFound.
func (h *HighLevelTarget) mediaDigest(ctx context.Context, ref Ref, written []byte) (string, error) {
	var w struct {
		Upload string `json:"upload"`
	}
	_ = json.Unmarshal(written, &w)
	q := w.Upload
	// The identity tag ("[pbnhl-...]") is the part a search matches best.
	if i, j := strings.LastIndex(q, "["), strings.LastIndex(q, "]"); i >= 0 && j > i {
		q = q[i+1 : j]
	}
	for f, err := range h.c.Media.List(ctx, highlevel.MediaListOptions{Query: q}) {
		if err != nil {
			return "", hlErr(err)
		}
		if f.ID == ref.ID {
			return Digest(written), nil
		}
	}
	return "", fmt.Errorf("%s %s: %w", ref.ObjectType, ref.ID, ErrNotFound)
}
