package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStreamHandsOverTheBodyUnread(t *testing.T) {
	release := make(chan struct{})
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "Bearer tok-secret", r.Header.Get("Authorization"))
		_, _ = w.Write([]byte("first;"))
		w.(http.Flusher).Flush()
		<-release // the rest is sent only once the caller holds the stream
		_, _ = w.Write([]byte("second"))
	}), nil)
	resp, err := c.Stream(context.Background(), &Request{Op: "doc", Method: "GET", Path: "/doc"}, 0)
	require.NoError(t, err)
	close(release)
	defer resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "first;second", string(b))
}

func TestStreamRetriesBeforeHandingOver(t *testing.T) {
	var n atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			w.WriteHeader(503)
		case 2:
			w.Header().Set("Retry-After", "0.01")
			w.WriteHeader(429)
		default:
			_, _ = w.Write([]byte("content"))
		}
	}), func(o *Options) {
		lim, err := NewLimiter(LimiterOptions{Limit: 1000, Window: time.Second})
		require.NoError(t, err)
		o.Limiter = lim
		o.Retry.MaxAttempts = 5
	})
	waits := recordSleeps(c)
	resp, err := c.Stream(context.Background(), &Request{Method: "GET", Path: "/doc"}, 0)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "content", string(b))
	assert.Equal(t, 3, resp.Attempts)
	assert.Equal(t, uint64(3), c.limiter.Admitted(), "the limiter admits every attempt")
	require.Len(t, *waits, 2)
	assert.Equal(t, 10*time.Millisecond, (*waits)[1], "Retry-After honoured")
}

func TestStreamNotIdempotentIsNotRetried(t *testing.T) {
	var n atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(502)
	}), nil)
	_, err := c.Stream(context.Background(), &Request{Method: "POST", Path: "/export", Body: []byte(`{}`)}, 0)
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	assert.Equal(t, int32(1), n.Load())
}

func TestStreamBreakerAccounting(t *testing.T) {
	t.Run("5xx answers trip it", func(t *testing.T) {
		c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
		}), func(o *Options) {
			o.Breaker = NewBreaker(BreakerOptions{ConsecutiveFailures: 2, OpenTimeout: time.Hour})
			o.Retry.MaxAttempts = 1
		})
		for range 2 {
			resp, err := c.Stream(context.Background(), &Request{Method: "GET", Path: "/doc"}, 0)
			require.NoError(t, err)
			assert.Equal(t, 500, resp.StatusCode)
		}
		_, err := c.Stream(context.Background(), &Request{Method: "GET", Path: "/doc"}, 0)
		require.ErrorIs(t, err, ErrBreakerOpen)
	})
	t.Run("a body that breaks off counts as a failure", func(t *testing.T) {
		c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			_, _ = w.Write([]byte("partial"))
			w.(http.Flusher).Flush()
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}), func(o *Options) {
			o.Breaker = NewBreaker(BreakerOptions{ConsecutiveFailures: 2, OpenTimeout: time.Hour})
		})
		for range 2 {
			resp, err := c.Stream(context.Background(), &Request{Method: "GET", Path: "/doc"}, 0)
			require.NoError(t, err, "the headers were fine")
			assert.Equal(t, "closed", c.breaker.State(), "not judged before the body ends")
			_, err = io.ReadAll(resp.Body)
			require.Error(t, err)
			resp.Body.Close()
		}
		assert.Equal(t, "open", c.breaker.State())
	})
	t.Run("a complete body, an early close and a cancelled read are not failures", func(t *testing.T) {
		c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("abc"))
			w.(http.Flusher).Flush()
			if r.URL.Path == "/slow" {
				<-r.Context().Done()
			}
		}), func(o *Options) {
			o.Breaker = NewBreaker(BreakerOptions{ConsecutiveFailures: 1, OpenTimeout: time.Hour})
		})
		resp, err := c.Stream(context.Background(), &Request{Method: "GET", Path: "/doc"}, 0)
		require.NoError(t, err)
		_, err = io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())

		resp, err = c.Stream(context.Background(), &Request{Method: "GET", Path: "/slow"}, 0)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())

		ctx, cancel := context.WithCancel(context.Background())
		resp, err = c.Stream(ctx, &Request{Method: "GET", Path: "/slow"}, 0)
		require.NoError(t, err)
		buf := make([]byte, 3)
		_, err = io.ReadFull(resp.Body, buf)
		require.NoError(t, err)
		cancel()
		_, err = io.ReadAll(resp.Body)
		require.ErrorIs(t, err, context.Canceled)
		resp.Body.Close()
		assert.Equal(t, "closed", c.breaker.State())
	})
}

func TestStreamSizeCap(t *testing.T) {
	payload := bytes.Repeat([]byte("x"), 10_000)
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Get("declared") == "1" {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		} else {
			w.(http.Flusher).Flush() // chunked: the length is not known up front
		}
		_, _ = w.Write(payload[:n])
	}), nil)
	get := func(n int, declared bool, limit int64) (*StreamResponse, error) {
		q := map[string][]string{"n": {strconv.Itoa(n)}}
		if declared {
			q["declared"] = []string{"1"}
		}
		return c.Stream(context.Background(), &Request{Method: "GET", Path: "/doc", Query: q}, limit)
	}

	_, err := get(5000, true, 4096)
	var tl *ResponseTooLargeError
	require.ErrorAs(t, err, &tl, "a declared length over the cap fails before the body")
	assert.Equal(t, int64(4096), tl.Limit)

	resp, err := get(5000, false, 4096)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.ErrorIs(t, err, ErrResponseTooLarge)
	assert.Len(t, b, 4096, "exactly the cap is delivered, not a byte more")
	_, err = resp.Body.Read(make([]byte, 10))
	require.ErrorIs(t, err, ErrResponseTooLarge, "sticky")
	resp.Body.Close()

	for _, n := range []int{4096, 0, 1} {
		resp, err = get(n, false, 4096)
		require.NoError(t, err)
		b, err = io.ReadAll(resp.Body)
		require.NoError(t, err, "%d bytes fit the cap", n)
		assert.Len(t, b, n)
		resp.Body.Close()
	}

	resp, err = get(10_000, false, -1)
	require.NoError(t, err)
	b, err = io.ReadAll(resp.Body)
	require.NoError(t, err, "no cap")
	assert.Len(t, b, 10_000)
	resp.Body.Close()
}

func TestStreamErrorAnswersAreBuffered(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		_, _ = w.Write([]byte(`{"error":{"code":"not_found"}}`))
	}), nil)
	resp, err := c.Stream(context.Background(), &Request{Method: "GET", Path: "/doc", Query: map[string][]string{"q": {"secret@example.com"}}}, 0)
	require.NoError(t, err)
	assert.Equal(t, 404, resp.StatusCode)
	b, _ := io.ReadAll(resp.Body)
	assert.Contains(t, string(b), "not_found")
}

func TestStreamTransportErrorsCarryNoQuery(t *testing.T) {
	c, srv := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), nil)
	srv.Close()
	_, err := c.Stream(context.Background(), &Request{Method: "GET", Path: "/doc", Query: map[string][]string{"q": {"secret@example.com"}}}, 0)
	require.Error(t, err)
	var te *Error
	require.True(t, errors.As(err, &te))
	assert.Equal(t, fastRetry.MaxAttempts, te.Attempts)
	assert.False(t, strings.Contains(err.Error(), "secret"))
}
