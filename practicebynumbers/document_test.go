package practicebynumbers

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/internal/transport"
)

// Document downloads count for the practice's breaker like any request:
// 5xx answers and bodies that break off trip it, and then every request
// of the practice fails fast.
func TestOpenDocumentBreakerAccounting(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/v1/documents/1/content":
			w.WriteHeader(http.StatusBadGateway)
		case "/v1/documents/2/content":
			w.Header().Set("Content-Length", "1000")
			_, _ = w.Write([]byte("%PDF-1.4 partial"))
			w.(http.Flusher).Flush()
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
		default:
			_, _ = w.Write([]byte(`{"data":[]}`))
		}
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, func(o *Options) {
		o.MaxAttempts, o.BreakerFailures, o.BreakerOpenTimeout = 1, 2, time.Hour
	})
	_, err := c.OpenDocument(context.Background(), "1")
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadGateway, ae.StatusCode)
	assert.Equal(t, "closed", c.Limiter().BreakerState())

	body, err := c.OpenDocument(context.Background(), "2")
	require.NoError(t, err)
	_, err = io.ReadAll(body)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "document 2")
	body.Close()
	assert.Equal(t, "open", c.Limiter().BreakerState())

	for _, err := range c.Cohorts(context.Background(), ListOptions{}) {
		require.ErrorIs(t, err, transport.ErrBreakerOpen)
	}
	assert.Equal(t, int32(2), hits.Load(), "nothing sent once open")
}

func TestOpenDocumentSizeLimit(t *testing.T) {
	content := bytes.Repeat([]byte{0xFF}, 5000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/documents/1/content" {
			w.Header().Set("Content-Length", strconv.Itoa(len(content)))
		} else {
			w.(http.Flusher).Flush() // no declared length
		}
		_, _ = w.Write(content)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, func(o *Options) { o.MaxDocumentBytes = 4000 })
	_, err := c.OpenDocument(context.Background(), "1")
	require.ErrorIs(t, err, ErrTooLarge, "declared length over the limit: nothing handed over")

	body, err := c.OpenDocument(context.Background(), "2")
	require.NoError(t, err)
	got, err := io.ReadAll(body)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Len(t, got, 4000)
	body.Close()

	c = newTestClient(t, srv.URL, func(o *Options) { o.MaxDocumentBytes = -1 })
	body, err = c.OpenDocument(context.Background(), "2")
	require.NoError(t, err)
	got, err = io.ReadAll(body)
	require.NoError(t, err)
	assert.Equal(t, content, got)
	body.Close()
}
