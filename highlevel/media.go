package highlevel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"sync/atomic"
)

// MaxUploadBytes is HighLevel's limit on an uploaded file (25 MB).
const MaxUploadBytes = 25 << 20

// ErrFileTooLarge: a file is over MaxUploadBytes. Nothing was sent.
var ErrFileTooLarge = errors.New("highlevel: file exceeds the 25 MB upload limit")

// MediaUpload is a file to upload.
type MediaUpload struct {
	// Name is the file name shown in the media library; its extension
	// gives the content type when ContentType is empty. Required.
	Name string
	// Open opens the content afresh for each attempt (a 429 or a refused
	// connection is retried with the content read again from the start).
	// What it returns is closed after the attempt. Open or Content is
	// required; Open wins.
	Open func() (io.ReadCloser, error)
	// Content is read to the end (at most MaxUploadBytes), once: an
	// attempt that would need it again fails.
	Content io.Reader
	// Size is the content's length when known (0: unknown): a Size over
	// MaxUploadBytes is refused before anything is sent.
	Size int64
	// ContentType defaults from Name's extension, then from the content.
	ContentType string
	// ParentID is a media folder id.
	ParentID string
}

// UploadedFile is HighLevel's answer to an upload.
type UploadedFile struct {
	FileID string `json:"fileId"`
	URL    string `json:"url"`
}

var (
	opMediaUpload = operation{name: "medias.upload", method: http.MethodPost, version: Version20210728}
	opMediaList   = operation{name: "medias.list", method: http.MethodGet, version: Version20210728}
	opMediaDelete = operation{name: "medias.delete", method: http.MethodDelete, version: Version20210728}
)

// Upload uploads a file to the location's media library (POST
// /medias/upload-file, multipart). The multipart body is streamed through
// a pipe as the content is read: memory stays constant whatever the
// file's size. A file over MaxUploadBytes is refused with ErrFileTooLarge
// — before anything is sent when its size is known, else when the
// content passes the limit (the body is then cut short, so HighLevel
// stores nothing). An upload is a POST: a network failure or 5xx is not
// retried and gives an error matching ErrOutcomeUnknown (HighLevel may
// hold the file).
func (s *MediaService) Upload(ctx context.Context, f MediaUpload) (*UploadedFile, error) {
	op := opMediaUpload.name
	if strings.TrimSpace(f.Name) == "" {
		return nil, fmt.Errorf("highlevel: %s: a file name is required", op)
	}
	if f.Content == nil && f.Open == nil {
		return nil, fmt.Errorf("highlevel: %s: no content", op)
	}
	size, sized := f.Size, f.Size > 0
	if !sized && f.Open == nil {
		size, sized = knownSize(f.Content)
	}
	if sized && size > MaxUploadBytes {
		return nil, fmt.Errorf("highlevel: %s: %w (%d bytes)", op, ErrFileTooLarge, size)
	}
	open := f.Open
	if open == nil {
		var used atomic.Bool
		open = func() (io.ReadCloser, error) {
			if used.Swap(true) {
				return nil, errors.New("the content was already sent (give Open to allow another attempt)")
			}
			return io.NopCloser(f.Content), nil
		}
	}
	// One boundary for every attempt: the Content-Type header names it.
	boundary := multipart.NewWriter(io.Discard).Boundary()
	var tooLarge atomic.Bool
	stream := func() (io.ReadCloser, error) {
		content, err := open()
		if err != nil {
			return nil, err
		}
		// The first 512 bytes are read before the request starts: they
		// settle the content type when the name does not, and a file that
		// cannot be read at all fails here without a request (one the
		// server would see cut short).
		head := make([]byte, 512)
		n, err := io.ReadFull(content, head)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			content.Close()
			return nil, fmt.Errorf("reading the file: %w", err)
		}
		pr, pw := io.Pipe()
		go func() {
			defer content.Close()
			pw.CloseWithError(writeUpload(pw, boundary, f, head[:n], content, &tooLarge))
		}()
		return pr, nil
	}
	var out UploadedFile
	err := s.client.do(ctx, call{op: opMediaUpload, path: "/medias/upload-file", open: stream,
		ctype: "multipart/form-data; boundary=" + boundary}, &out)
	if tooLarge.Load() {
		return nil, fmt.Errorf("highlevel: %s: %w (more than %d bytes)", op, ErrFileTooLarge, MaxUploadBytes)
	}
	if err != nil {
		return nil, err
	}
	if out.FileID == "" && out.URL == "" {
		return nil, &DecodeError{Operation: op, Err: errors.New("no fileId or url in response")}
	}
	return &out, nil
}

// writeUpload writes the multipart body of an upload to w as content is
// read, head being the file's first bytes already read. Past MaxUploadBytes it stops with an error (the body is cut
// short) and sets tooLarge.
func writeUpload(w io.Writer, boundary string, f MediaUpload, head []byte, content io.Reader, tooLarge *atomic.Bool) error {
	mw := multipart.NewWriter(w)
	if err := mw.SetBoundary(boundary); err != nil {
		return err
	}
	n := len(head)
	ctype := f.ContentType
	if ctype == "" {
		ctype = mime.TypeByExtension(strings.ToLower(path.Ext(f.Name)))
	}
	if ctype == "" {
		ctype = http.DetectContentType(head)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": "file", "filename": f.Name}))
	h.Set("Content-Type", ctype)
	part, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := part.Write(head); err != nil {
		return err
	}
	rest, err := io.Copy(part, io.LimitReader(content, MaxUploadBytes+1-int64(n)))
	if err != nil {
		return fmt.Errorf("reading the file: %w", err)
	}
	if int64(n)+rest > MaxUploadBytes {
		tooLarge.Store(true)
		return ErrFileTooLarge
	}
	if err := writeFields(mw, "name", f.Name, "parentId", f.ParentID); err != nil {
		return err
	}
	return mw.Close()
}

// UploadURL adds a file that is already hosted elsewhere (hosted=true with
// fileUrl); name is optional.
func (s *MediaService) UploadURL(ctx context.Context, fileURL, name string) (*UploadedFile, error) {
	op := opMediaUpload.name
	u, err := url.Parse(fileURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("highlevel: %s: the file URL must be an absolute http(s) URL", op)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := writeFields(w, "hosted", "true", "fileUrl", fileURL, "name", name); err != nil {
		return nil, fmt.Errorf("highlevel: %s: %w", op, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("highlevel: %s: %w", op, err)
	}
	return s.send(ctx, buf.Bytes(), w.FormDataContentType())
}

// writeFields writes name/value pairs, skipping empty values.
func writeFields(w *multipart.Writer, kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		if err := w.WriteField(kv[i], kv[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func (s *MediaService) send(ctx context.Context, body []byte, ctype string) (*UploadedFile, error) {
	var out UploadedFile
	if err := s.client.do(ctx, call{op: opMediaUpload, path: "/medias/upload-file", raw: body, ctype: ctype}, &out); err != nil {
		return nil, err
	}
	if out.FileID == "" && out.URL == "" {
		return nil, &DecodeError{Operation: opMediaUpload.name, Err: errors.New("no fileId or url in response")}
	}
	return &out, nil
}

// knownSize returns the remaining size of readers that know it.
func knownSize(r io.Reader) (int64, bool) {
	switch x := r.(type) {
	case interface{ Len() int }: // bytes.Reader, strings.Reader, bytes.Buffer
		return int64(x.Len()), true
	case *os.File:
		st, err := x.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return 0, false
		}
		pos, err := x.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, false
		}
		return st.Size() - pos, true
	}
	return 0, false
}

// MediaFile is a file of the media library.
type MediaFile struct {
	ID          string
	Name        string
	URL         string
	ParentID    string
	ContentType string
	Size        int64
	CreatedAt   Timestamp
	UpdatedAt   Timestamp
}

// UnmarshalJSON reads a file, whose id HighLevel sends as "_id" (and
// sometimes "id").
func (f *MediaFile) UnmarshalJSON(b []byte) error {
	var w struct {
		ID          string    `json:"_id"`
		AltID       string    `json:"id"`
		Name        string    `json:"name"`
		URL         string    `json:"url"`
		ParentID    string    `json:"parentId"`
		ContentType string    `json:"contentType"`
		Size        float64   `json:"size"`
		CreatedAt   Timestamp `json:"createdAt"`
		UpdatedAt   Timestamp `json:"updatedAt"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.ID == "" {
		w.ID = w.AltID
	}
	*f = MediaFile{ID: w.ID, Name: w.Name, URL: w.URL, ParentID: w.ParentID, ContentType: w.ContentType,
		Size: int64(w.Size), CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
	return nil
}

// MediaListOptions filter List.
type MediaListOptions struct {
	// Query matches file names (finding an upload whose answer was lost).
	Query string
	// ParentID lists one folder.
	ParentID string
	// PageSize is the limit of each call. Default 100.
	PageSize int
}

// List iterates over the location's files, oldest first (GET
// /medias/files with offset and limit).
func (s *MediaService) List(ctx context.Context, o MediaListOptions) iter.Seq2[*MediaFile, error] {
	size := pageSize(o.PageSize)
	return pages(size, func(offset int) ([]*MediaFile, *float64, error) {
		q := url.Values{
			"altType": {"location"}, "altId": {s.client.locationID}, "type": {"file"},
			"sortBy": {"createdAt"}, "sortOrder": {"asc"},
			"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(size)},
		}
		if o.Query != "" {
			q.Set("query", o.Query)
		}
		if o.ParentID != "" {
			q.Set("parentId", o.ParentID)
		}
		var out struct {
			Files []*MediaFile `json:"files"`
		}
		err := s.client.do(ctx, call{op: opMediaList, path: "/medias/files", query: q}, &out)
		return out.Files, nil, err // the endpoint reports no total
	})
}

// Delete deletes a file of the media library (DELETE /medias/{id}).
func (s *MediaService) Delete(ctx context.Context, id string) error {
	if err := requireID(opMediaDelete.name, "file id", id); err != nil {
		return err
	}
	var out succeded
	err := s.client.do(ctx, call{op: opMediaDelete, path: pathf("/medias/%s", id),
		query: url.Values{"altType": {"location"}, "altId": {s.client.locationID}}}, &out)
	if err != nil {
		return err
	}
	return out.check(opMediaDelete.name)
}
