package pbnhl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// mediaTarget uploads each source document (attachments, form PDFs, x-ray
// exports) into the location's media library (map target media) and links
// it to its contact with a note naming the file and its media URL.
//
// The content is streamed from the source straight into the upload
// (practicebynumbers OpenDocument → highlevel Upload's pipe): memory stays
// constant whatever the file's size, and an attempt HighLevel refused
// before reading it reopens the document. A file over HighLevel's 25 MB
// cap is an invalid record with its reason, never sent and never silently
// skipped.
//
// Media files carry no description, so a file's identity is a tag in its
// name ("consent [pbnhl-<migration>-doc<key>].pdf"): after an unknown
// outcome the upload is found again by listing the library with that tag
// as query, and a resume or re-run uploads nothing twice (the id map holds
// the document's key, the journal its size and content hash). The note is
// a note record of its own (source key "document-<key>"), so its identity,
// settling and undo are the note target's. Undo deletes the uploaded file
// (rollback's TypeMedia) and the note.
//
// Calls per document: one upload and one note; a resumed document whose
// file exists but whose note does not costs one list more (its URL).
type mediaTarget struct{ writer }

func (mediaTarget) kind() mapping.TargetKind { return mapping.TargetMedia }
func (mediaTarget) group() loadGroup         { return loadNotes }

// tally: the upload and the note; the bytes the upload sends.
func (mediaTarget) tally(p *mapping.Payload, t *callTally) {
	t.calls += 2
	if d, err := documentOf(p); err == nil && d.Size > 0 && d.Size <= highlevel.MaxUploadBytes {
		t.bytes += d.Size
	}
}

// document is what a media payload says about its source document.
type document struct {
	ID          pbn.Key `json:"documentId"`
	Name        string  `json:"name"`
	Kind        string  `json:"kind,omitempty"`
	Date        string  `json:"date,omitempty"`
	Size        int64   `json:"size,omitempty"`
	ContentType string  `json:"contentType,omitempty"`
	SHA256      string  `json:"sha256,omitempty"`
	// Upload is the name the file gets in the media library (with its
	// identity tag).
	Upload string `json:"upload"`
}

// documentOf reads a media payload. The source key is the document id.
func documentOf(p *mapping.Payload) (document, error) {
	var d document
	id, err := pbn.ParseKey(p.SourceKey)
	if err != nil || id == pbn.NoKey {
		return d, errors.New("the document id (source key) is empty or not a valid id")
	}
	d.ID = id
	for _, v := range p.Fields {
		switch v.Key {
		case "name":
			d.Name = strings.TrimSpace(v.Text)
		case "kind":
			d.Kind = v.Text
		case "date":
			d.Date = v.Text
		case "contentType":
			d.ContentType = v.Text
		case "sha256":
			d.SHA256 = strings.ToLower(v.Text)
		case "size":
			if v.Text != "" {
				n, err := strconv.ParseInt(strings.TrimSpace(v.Text), 10, 64)
				if err != nil || n < 0 {
					return d, errors.New("the document size is not a number of bytes")
				}
				d.Size = n
			}
		}
	}
	if d.Name == "" {
		d.Name = "document-" + p.SourceKey
	}
	return d, nil
}

// mediaTag is the identity a file carries in its name.
func mediaTag(mid, key string) string { return "pbnhl-" + mid + "-doc" + key }

// uploadName puts the tag before the extension, so the file still opens
// as its type: "x-ray.pdf" → "x-ray [pbnhl-m1-doc42].pdf".
func uploadName(name, tag string) string {
	ext := path.Ext(name)
	if len(ext) > 8 || strings.ContainsAny(ext, " []") {
		ext = ""
	}
	return strings.TrimSuffix(name, ext) + " [" + tag + "]" + ext
}

// tagOf reads the identity tag of a file name: its migration and
// document key (ok false when the name carries none).
func tagOf(name string) (mid, key string, ok bool) {
	i := strings.LastIndex(name, " [pbnhl-")
	if i < 0 {
		return "", "", false
	}
	rest := name[i+len(" [pbnhl-"):]
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return "", "", false
	}
	// A migration id has no "-doc"; the key is what follows it.
	mid, key, ok = strings.Cut(rest[:end], "-doc")
	return mid, key, ok && key != ""
}

// mediaNoteKey is the source key of the note linking document key.
func mediaNoteKey(key string) string { return "document-" + key }

func (mediaTarget) write(ctx context.Context, ph *phase, o *mapping.Object, tr *tracker, j *job) error {
	p := &j.p
	c := ph.m.opts.Client
	d, contactID, ok, err := inputUnderContact(ctx, ph, o, tr, j, func(p *mapping.Payload, _ string) (document, error) {
		d, err := documentOf(p)
		if err == nil && d.Size > highlevel.MaxUploadBytes {
			err = errors.New(tooLargeReason(d.Size))
		}
		if err == nil {
			err = documentFileThere(ctx, ph.m.opts.Source, d.ID)
		}
		return d, err
	})
	if !ok {
		return err
	}
	tag := mediaTag(ph.mid, p.SourceKey)
	d.Upload = uploadName(d.Name, tag)
	body, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("pbnhl: %s: %w", o.Name, err)
	}
	var url string // the file's URL, for the note
	src := ph.m.opts.Source
	id, exists, err := ph.put(ctx, o, tr, rollback.TypeMedia, p.SourceKey, j.modified, contactID, body,
		func(ctx context.Context) (string, error) {
			f, err := c.Media.Upload(ctx, highlevel.MediaUpload{Name: d.Upload, ContentType: d.ContentType, Size: d.Size,
				Open: func() (io.ReadCloser, error) {
					rc, err := src.OpenDocument(ctx, d.ID)
					if err != nil {
						return nil, err
					}
					return &countedBody{ReadCloser: rc, n: &tr.bytes}, nil
				}})
			if errors.Is(err, highlevel.ErrFileTooLarge) {
				// The source's size was wrong or missing: nothing was stored.
				return "", &highlevel.APIError{Operation: "medias.upload", Method: "POST", Path: "/medias/upload-file",
					StatusCode: 413, ErrorText: "file over the 25 MB upload limit"}
			}
			if err != nil {
				return "", err
			}
			url = f.URL
			return f.FileID, nil
		},
		func(ctx context.Context, nb time.Time) (string, bool, error) {
			f, err := ph.m.findMedia(ctx, ph.idx, tag, nb)
			if f != nil {
				url = f.URL
				return f.ID, true, err
			}
			return "", false, err
		}, nil)
	if err != nil || !exists {
		return err
	}
	return ph.m.linkDocument(ctx, ph, o, tr, j, contactID, d, id, url, tag)
}

// errNoDocumentFile is the reason of a document an export lists without
// its file.
var errNoDocumentFile = errors.New("the export has no file for this document (its documents folder lacks it): add the file and run again")

// documentFileThere is nil when the source can give the document's file,
// or cannot tell before reading it (the API); an export folder without
// the file makes the record invalid — known before any call — rather
// than a refusal after one.
func documentFileThere(ctx context.Context, src pbn.Source, id pbn.Key) error {
	df, ok := src.(pbn.DocumentFiles)
	if !ok {
		return nil
	}
	there, err := df.HasDocumentFile(ctx, id)
	if err != nil || there {
		return nil // a stat that failed: the upload's own open says why
	}
	return errNoDocumentFile
}

// tooLargeReason says why a document is refused (no file name: it may be
// patient data).
func tooLargeReason(size int64) string {
	if size > 0 {
		return fmt.Sprintf("the file is %.1f MB, over HighLevel's 25 MB upload limit; move it by hand", float64(size)/(1<<20))
	}
	return "the file is over HighLevel's 25 MB upload limit; move it by hand"
}

// linkDocument writes the contact note naming the file and its media URL.
func (m *Migration) linkDocument(ctx context.Context, ph *phase, o *mapping.Object, tr *tracker, j *job, contactID string,
	d document, mediaID, url, tag string) error {
	key := mediaNoteKey(j.p.SourceKey)
	// The notes' index is loaded here, not only when the map has a note
	// object (a map folding its messages has none): else a resumed run
	// would not see the document notes an earlier run wrote.
	if err := ph.idx.load(ctx, rollback.TypeNote); err != nil {
		return err
	}
	if _, ok := ph.idx.get(rollback.TypeNote, key); ok {
		// Counted once already, by put, as the document's file: the note
		// is part of the same record.
		return nil
	}
	if url == "" && !ph.dry {
		// Uploaded by an earlier, interrupted run: its URL is read back.
		f, err := m.findMedia(ctx, nil, tag, time.Time{})
		tr.calls.Add(1)
		if err != nil {
			return fmt.Errorf("pbnhl: %s: find the uploaded file: %w", o.Name, err)
		}
		if f != nil {
			url = f.URL
		}
	}
	in := highlevel.NoteInput{Body: documentNote(d, mediaID, url), UserID: j.p.AssignedTo}
	mk := marker(ph.mid, rollback.TypeNote, key)
	in.Body = withMarker(in.Body, mk)
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("pbnhl: %s: %w", o.Name, err)
	}
	c := m.opts.Client
	// The note is counted in the document's progress line: its calls, not
	// a second record.
	ntr := m.counter(tr.phase, o.Name)
	_, _, err = ph.put(ctx, o, ntr, rollback.TypeNote, key, j.modified, contactID, body,
		func(ctx context.Context) (string, error) {
			n, err := c.Contacts.CreateNote(ctx, contactID, in)
			if err != nil {
				return "", err
			}
			return n.ID, nil
		},
		func(ctx context.Context, nb time.Time) (string, bool, error) {
			return m.findNote(ctx, ph.idx, contactID, mk, nb, "")
		}, nil)
	tr.calls.Add(ntr.calls.Load())
	if ntr.rejected.Load() > 0 {
		tr.rejected.Add(1)
	}
	return err
}

// documentNote is the note's text: what the file is and where it is.
func documentNote(d document, mediaID, url string) string {
	var b strings.Builder
	b.WriteString("Document: " + d.Name)
	var about []string
	if d.Kind != "" {
		about = append(about, d.Kind)
	}
	if d.Date != "" {
		about = append(about, "dated "+d.Date)
	}
	if len(about) > 0 {
		b.WriteString(" (" + strings.Join(about, ", ") + ")")
	}
	if url != "" {
		b.WriteString("\nFile: " + url)
	}
	b.WriteString("\nMedia library id: " + mediaID)
	return b.String()
}

// countedBody adds what is read to the tracker's byte count.
type countedBody struct {
	io.ReadCloser
	n interface{ Add(int64) int64 }
}

func (c *countedBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// findMedia finds the file carrying tag in its name, created no earlier
// than notBefore and not already mapped (idx nil: any).
func (m *Migration) findMedia(ctx context.Context, idx *idIndex, tag string, notBefore time.Time) (*highlevel.MediaFile, error) {
	for f, err := range m.opts.Client.Media.List(ctx, highlevel.MediaListOptions{Query: tag}) {
		if err != nil {
			return nil, err
		}
		if !strings.Contains(f.Name, "["+tag+"]") || createdBefore(f.CreatedAt, notBefore) {
			continue
		}
		if idx != nil && idx.has(rollback.TypeMedia, f.ID) {
			continue
		}
		return f, nil
	}
	return nil, nil
}

// adopt lists the media library for files tagged by this migration.
func (mediaTarget) adopt(ctx context.Context, sc *adoptScan, o *mapping.Object) error {
	for f, err := range sc.m.opts.Client.Media.List(ctx, highlevel.MediaListOptions{Query: "pbnhl-"}) {
		if err != nil {
			return fmt.Errorf("pbnhl: list media: %w", err)
		}
		mid, key, ok := tagOf(f.Name)
		if !ok || (!sc.anyMark && !sc.marks[mid]) {
			continue
		}
		sc.add(rollback.TypeMedia, key, adopted{id: f.ID, entity: o.Source, created: f.CreatedAt.Time})
	}
	// The notes linking the files to their contacts: listed here when no
	// note object of the map lists them (a map folding its messages has
	// none), else a run after adopt would write them again.
	for i := range sc.m.opts.Map.Objects {
		if x := &sc.m.opts.Map.Objects[i]; x.Target == mapping.TargetNote && !sc.m.opts.Map.Off(x) {
			return nil
		}
	}
	return noteTarget{}.adopt(ctx, sc, o)
}

func (mediaTarget) owns(typ string) bool { return typ == rollback.TypeMedia }

// read: HighLevel has no read of one media file; a file is never updated,
// so no before-image is needed.
func (mediaTarget) read(_ context.Context, _ *highlevel.Client, typ, _, _ string) (any, error) {
	return nil, fmt.Errorf("pbnhl: HighLevel cannot read one %s file", typ)
}

func (mediaTarget) remove(ctx context.Context, c *highlevel.Client, _, id, _ string) error {
	return c.Media.Delete(ctx, id)
}

// mediaUndo is the undo of uploaded files (UndoKinds): the target's own
// remove, and the change check of a file (Digest). A file is never
// updated, so there is nothing to restore.
type mediaUndo struct{ c *highlevel.Client }

func (mediaTarget) undoKind(c *highlevel.Client) rollback.RecordKind { return mediaUndo{c} }

func (mediaUndo) Types() []string { return []string{rollback.TypeMedia} }

func (u mediaUndo) Delete(ctx context.Context, ref rollback.Ref) error {
	return mediaTarget{}.remove(ctx, u.c, ref.ObjectType, ref.ID, "")
}

// Digest is the change check of an uploaded file. HighLevel has no read
// of one file and nothing about a file can be changed that Undo would
// restore, so the check is that it still exists: the library is searched
// for the tag the upload's name carries (one list call), the file matched
// by id. A file gone matches rollback.ErrNotFound.
func (u mediaUndo) Digest(ctx context.Context, ref rollback.Ref, written []byte) (string, error) {
	var w struct {
		Upload string `json:"upload"`
	}
	_ = json.Unmarshal(written, &w)
	q := w.Upload
	// The identity tag ("[pbnhl-...]") is the part a search matches best.
	if i, j := strings.LastIndex(q, "["), strings.LastIndex(q, "]"); i >= 0 && j > i {
		q = q[i+1 : j]
	}
	for f, err := range u.c.Media.List(ctx, highlevel.MediaListOptions{Query: q}) {
		if err != nil {
			return "", err
		}
		if f.ID == ref.ID {
			return rollback.Digest(written), nil
		}
	}
	return "", fmt.Errorf("%s %s: %w", ref.ObjectType, ref.ID, rollback.ErrNotFound)
}

// settle finds the file an upload intent named by its tag.
func (mediaTarget) settle(ctx context.Context, s lookupScope, e rollback.Entry, payload []byte) (string, bool, error) {
	var d document
	if err := json.Unmarshal(payload, &d); err != nil || d.Upload == "" {
		return "", false, fmt.Errorf("%w: the media intent names no file", errNoLookup)
	}
	if err := s.idx.load(ctx, rollback.TypeMedia); err != nil {
		return "", false, err
	}
	f, err := s.m.findMedia(ctx, s.idx, mediaTag(s.mid, e.SourceKey), notBefore(e.IntentAt))
	if err != nil || f == nil {
		return "", false, err
	}
	return f.ID, true, nil
}

// matches lists every file carrying sk's tag (the duplicate sweep).
func (mediaTarget) matches(ctx context.Context, s lookupScope, sk sweepKey) ([]string, int, error) {
	nb := notBefore(sk.since)
	tag := mediaTag(s.mid, sk.key)
	var ids []string
	calls := 0
	for f, err := range s.m.opts.Client.Media.List(ctx, highlevel.MediaListOptions{Query: tag}) {
		calls = 1
		if err != nil {
			return nil, calls, err
		}
		if strings.Contains(f.Name, "["+tag+"]") && !createdBefore(f.CreatedAt, nb) {
			ids = append(ids, f.ID)
		}
	}
	return ids, max(calls, 1), nil
}

// resend: not re-created. The journal holds the upload's size and hash,
// never the file's bytes, and repair does not stream documents from
// Practice by Numbers again (a load does: Undo the run and load again).
func (mediaTarget) resend(resendScope, string, []byte) (resent, error) {
	return resent{}, fmt.Errorf("%w: the journal holds no file bytes, and repair does not re-read documents from the source", errNoResend)
}
