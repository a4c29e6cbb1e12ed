package practicebynumbers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/internal/transport"
)

func TestLimiterSharedBetweenClients(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`{"data":[{"id":1}]}`))
	}))
	defer srv.Close()
	lim, err := NewLimiter(LimiterOptions{Name: "practice-7", Requests: 4, Window: time.Hour})
	require.NoError(t, err)
	a := newTestClient(t, srv.URL, func(o *Options) { o.RateLimit, o.Limiter = 0, lim })
	b := newTestClient(t, srv.URL, func(o *Options) { o.RateLimit, o.Limiter = 0, lim })
	assert.Same(t, lim, a.Limiter())
	ctx := context.Background()
	for _, c := range []*Client{a, b, a, b} {
		for _, err := range c.Cohorts(ctx, ListOptions{}) {
			require.NoError(t, err)
		}
	}
	assert.Equal(t, uint64(4), lim.Admitted())
	// The fifth request, from either client, waits for the shared window
	// (an hour): it cannot be sent before the deadline.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	for _, err := range b.Cohorts(short, ListOptions{}) {
		require.ErrorIs(t, err, context.DeadlineExceeded)
	}
	_, err = a.OpenDocument(short, "1")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, int32(4), hits.Load())
}

func TestBreakerSharedBetweenClients(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	lim, err := NewLimiter(LimiterOptions{Requests: -1, BreakerFailures: 2, BreakerOpenTimeout: time.Hour})
	require.NoError(t, err)
	a := newTestClient(t, srv.URL, func(o *Options) { o.RateLimit, o.Limiter, o.MaxAttempts = 0, lim, 2 })
	b := newTestClient(t, srv.URL, func(o *Options) { o.RateLimit, o.Limiter = 0, lim })
	_, err = Get[Patient](context.Background(), a, "1")
	require.Error(t, err)
	assert.Equal(t, "open", lim.BreakerState())
	_, err = Get[Patient](context.Background(), b, "1")
	require.ErrorIs(t, err, transport.ErrBreakerOpen, "the other client fails fast")
	_, err = b.OpenDocument(context.Background(), "1")
	require.ErrorIs(t, err, transport.ErrBreakerOpen)
	assert.Equal(t, int32(2), hits.Load())
}

func TestLimiterOptionsConflict(t *testing.T) {
	lim, err := NewLimiter(LimiterOptions{})
	require.NoError(t, err)
	n, w := lim.Limit()
	assert.Equal(t, DefaultRateLimit, n)
	assert.Equal(t, DefaultRateWindow, w)
	_, err = NewClient(Options{BaseURL: "http://127.0.0.1:1", Limiter: lim, RateLimit: 5})
	require.ErrorContains(t, err, "Options.Limiter replaces")
	off, err := NewLimiter(LimiterOptions{Requests: -1})
	require.NoError(t, err)
	n, _ = off.Limit()
	assert.Zero(t, n)
	assert.Zero(t, off.Admitted())
}
