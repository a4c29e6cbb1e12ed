package highlevel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parsedUpload is a multipart upload as the server received it.
type parsedUpload struct {
	fields      map[string]string
	fileName    string
	contentType string
	sum         [32]byte
	size        int
}

func parseUpload(t *testing.T, r recorded) parsedUpload {
	t.Helper()
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/form-data", mt)
	mr := multipart.NewReader(bytes.NewReader(r.Body), params["boundary"])
	out := parsedUpload{fields: map[string]string{}}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		data, err := io.ReadAll(p)
		require.NoError(t, err)
		if p.FormName() == "file" {
			out.fileName, out.contentType = p.FileName(), p.Header.Get("Content-Type")
			out.sum, out.size = sha256.Sum256(data), len(data)
			continue
		}
		out.fields[p.FormName()] = string(data)
	}
	return out
}

func TestMediaUpload(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("POST /medias/upload-file", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"fileId":"m1","url":"https://assets.example/m1.pdf"}`)
	})
	content := bytes.Repeat([]byte("%PDF-1.4 x-ray report\n"), 1000)
	got, err := ts.client.Media.Upload(context.Background(), MediaUpload{Name: "périapical x-ray.pdf", Content: bytes.NewReader(content), ParentID: "fold1"})
	require.NoError(t, err)
	assert.Equal(t, &UploadedFile{FileID: "m1", URL: "https://assets.example/m1.pdf"}, got)

	r := ts.last()
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "Bearer "+testToken, r.Header.Get("Authorization"))
	assert.Equal(t, Version20210728, r.Header.Get("Version"))
	assert.Empty(t, r.Query)
	up := parseUpload(t, r)
	assert.Equal(t, "périapical x-ray.pdf", up.fileName)
	assert.Equal(t, "application/pdf", up.contentType)
	assert.Equal(t, sha256.Sum256(content), up.sum)
	assert.Equal(t, map[string]string{"name": "périapical x-ray.pdf", "parentId": "fold1"}, up.fields)
}

func TestMediaUploadSniffsContentType(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("POST /medias/upload-file", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"fileId":"m2","url":"u"}`)
	})
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	_, err := ts.client.Media.Upload(context.Background(), MediaUpload{Name: "scan", Content: bytes.NewReader(png)})
	require.NoError(t, err)
	assert.Equal(t, "image/png", parseUpload(t, ts.last()).contentType)
}

func TestMediaUploadURL(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("POST /medias/upload-file", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"fileId":"m3","url":"https://files.example/a.jpg"}`)
	})
	got, err := ts.client.Media.UploadURL(context.Background(), "https://files.example/a.jpg", "")
	require.NoError(t, err)
	assert.Equal(t, "m3", got.FileID)
	up := parseUpload(t, ts.last())
	assert.Equal(t, map[string]string{"hosted": "true", "fileUrl": "https://files.example/a.jpg"}, up.fields)
	assert.Zero(t, up.size)

	_, err = ts.client.Media.UploadURL(context.Background(), "/relative.jpg", "")
	assert.Error(t, err)
}

// Files over 25 MB are refused before anything is sent, whether the size is
// known up front or found while reading.
func TestMediaUploadTooLarge(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()

	_, err := ts.client.Media.Upload(ctx, MediaUpload{Name: "big.bin", Content: bytes.NewReader(make([]byte, MaxUploadBytes+1))})
	assert.ErrorIs(t, err, ErrFileTooLarge)

	// An unsized reader is read up to the limit only.
	src := &countingReader{r: io.LimitReader(zeroReader{}, 40<<20)}
	_, err = ts.client.Media.Upload(ctx, MediaUpload{Name: "big.bin", Content: src})
	assert.ErrorIs(t, err, ErrFileTooLarge)
	assert.LessOrEqual(t, src.n, int64(MaxUploadBytes+32<<10))

	f, err := os.Create(filepath.Join(t.TempDir(), "big.bin"))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxUploadBytes+1))
	defer f.Close()
	_, err = ts.client.Media.Upload(ctx, MediaUpload{Name: "patient-name.bin", Content: f})
	require.ErrorIs(t, err, ErrFileTooLarge)
	assert.NotContains(t, err.Error(), "patient-name", "file names stay out of errors")

	assert.Empty(t, ts.requests())
}

// Exactly the limit is allowed.
func TestMediaUploadAtLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 25 MB")
	}
	ts := newTestServer(t)
	ts.handle("POST /medias/upload-file", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"fileId":"m4","url":"u"}`)
	})
	_, err := ts.client.Media.Upload(context.Background(), MediaUpload{Name: "max.bin", Content: bytes.NewReader(make([]byte, MaxUploadBytes))})
	require.NoError(t, err)
	assert.Equal(t, MaxUploadBytes, parseUpload(t, ts.last()).size)
}

// An upload is a POST: a 5xx is not retried and the outcome is unknown.
func TestMediaUploadNotRetried(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("POST /medias/upload-file", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 502, `{"statusCode":502,"message":"bad gateway"}`)
	})
	_, err := ts.client.Media.Upload(context.Background(), MediaUpload{Name: "a.txt", Content: strings.NewReader("hello")})
	assert.ErrorIs(t, err, ErrOutcomeUnknown)
	assert.Len(t, ts.requests(), 1)
}

func TestMediaUploadBadInput(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	_, err := ts.client.Media.Upload(ctx, MediaUpload{Content: strings.NewReader("x")})
	assert.Error(t, err)
	_, err = ts.client.Media.Upload(ctx, MediaUpload{Name: "a"})
	assert.Error(t, err)
	_, err = ts.client.Media.Upload(ctx, MediaUpload{Name: "a", Content: errReader{}})
	assert.Error(t, err)
	assert.Empty(t, ts.requests())

	ts.handle("POST /medias/upload-file", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{}`) })
	_, err = ts.client.Media.Upload(ctx, MediaUpload{Name: "a", Content: strings.NewReader("x")})
	var de *DecodeError
	assert.ErrorAs(t, err, &de)
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk gone") }

func TestMediaListAndDelete(t *testing.T) {
	runOpCases(t, []opCase{
		{
			name: "list", pattern: "GET /medias/files", status: 200,
			response: `{"files":[{"_id":"m1","name":"consent.pdf","url":"https://assets.example/m1.pdf","altId":"loc-test-1","altType":"location",
				"type":"file","size":2048,"contentType":"application/pdf","createdAt":"2024-01-02T03:04:05.000Z"},{"id":"m2","name":"b.png"}],"total":"2"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				var got []*MediaFile
				for f, err := range c.Media.List(ctx, MediaListOptions{Query: "consent", ParentID: "fold1"}) {
					if err != nil {
						return nil, err
					}
					got = append(got, f)
				}
				return got, nil
			},
			wantQuery: map[string]string{"altType": "location", "altId": testLocation, "type": "file", "sortBy": "createdAt",
				"sortOrder": "asc", "offset": "0", "limit": "100", "query": "consent", "parentId": "fold1"},
			check: func(t *testing.T, got any) {
				l := got.([]*MediaFile)
				require.Len(t, l, 2)
				assert.Equal(t, "m1", l[0].ID)
				assert.Equal(t, int64(2048), l[0].Size)
				assert.Equal(t, "application/pdf", l[0].ContentType)
				assert.Equal(t, 2024, l[0].CreatedAt.Year())
				assert.Equal(t, "m2", l[1].ID, "id when _id is absent")
			},
		},
		{
			name: "delete", pattern: "DELETE /medias/m1", status: 200, response: `{"success":true}`,
			call:      func(ctx context.Context, c *Client) (any, error) { return nil, c.Media.Delete(ctx, "m1") },
			wantQuery: map[string]string{"altType": "location", "altId": testLocation},
		},
	})
	ts := newTestServer(t)
	assert.Error(t, ts.client.Media.Delete(context.Background(), ""))
	assert.Empty(t, ts.requests())
}

// The multipart body is streamed as the content is read: uploading 20 MB
// allocates a small fraction of it on the client side (the server here
// hashes the body as it arrives and keeps nothing).
func TestMediaUploadStreamsInConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 20 MB")
	}
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if p.FormName() == "file" {
				n, _ := io.Copy(io.Discard, p)
				got.Store(n)
			}
		}
		writeJSON(w, 200, `{"fileId":"m9","url":"u"}`)
	}))
	defer srv.Close()
	c, err := NewClient(Options{BaseURL: srv.URL, LocationID: testLocation, Auth: StaticToken(testToken)})
	require.NoError(t, err)
	const size = 20 << 20
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = c.Media.Upload(context.Background(), MediaUpload{Name: "pano.bin", Size: size,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(io.LimitReader(zeroReader{}, size)), nil }})
	require.NoError(t, err)
	runtime.ReadMemStats(&after)
	assert.EqualValues(t, size, got.Load())
	// Both ends run in this process; a buffered body alone would be 20 MB.
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(size/2), "the body must not be buffered")
}

// With Open, an attempt refused before HighLevel read it (429) is sent
// again with the content reopened from the start.
func TestMediaUploadReopensOnRetry(t *testing.T) {
	ts := newTestServer(t)
	var n atomic.Int32
	ts.handle("POST /medias/upload-file", func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			writeJSON(w, 429, `{"statusCode":429,"message":"Too many requests"}`)
			return
		}
		writeJSON(w, 200, `{"fileId":"m5","url":"u"}`)
	})
	content := []byte("%PDF-1.4 consent form")
	opens := 0
	got, err := ts.client.Media.Upload(context.Background(), MediaUpload{Name: "consent.pdf",
		Open: func() (io.ReadCloser, error) { opens++; return io.NopCloser(bytes.NewReader(content)), nil }})
	require.NoError(t, err)
	assert.Equal(t, "m5", got.FileID)
	assert.Equal(t, 2, opens)
	assert.Equal(t, sha256.Sum256(content), parseUpload(t, ts.last()).sum)
}

// A declared size over the cap is refused before the content is opened.
func TestMediaUploadDeclaredSizeTooLarge(t *testing.T) {
	ts := newTestServer(t)
	_, err := ts.client.Media.Upload(context.Background(), MediaUpload{Name: "ct.dcm", Size: MaxUploadBytes + 1,
		Open: func() (io.ReadCloser, error) { t.Fatal("opened"); return nil, nil }})
	assert.ErrorIs(t, err, ErrFileTooLarge)
	assert.Empty(t, ts.requests())
}
