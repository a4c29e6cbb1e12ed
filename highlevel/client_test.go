package highlevel

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLimiterSharedBetweenClients(t *testing.T) {
	lim, err := NewLimiter(LimiterOptions{Name: testLocation, Requests: 4, Window: time.Hour})
	require.NoError(t, err)
	a := newTestServer(t, func(o *Options) { o.Limiter = lim })
	b := newTestServer(t, func(o *Options) { o.Limiter = lim })
	for _, ts := range []*testServer{a, b} {
		ts.handle("GET /contacts/c1", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"contact":{"id":"c1"}}`) })
	}
	ctx := context.Background()
	for _, c := range []*Client{a.client, b.client, a.client, b.client} {
		_, err := c.Contacts.Get(ctx, "c1")
		require.NoError(t, err)
	}
	assert.Equal(t, uint64(4), lim.Admitted())
	assert.Same(t, lim, a.client.Limiter())
	// The fifth call, from either client, waits for the shared window.
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	_, err = b.client.Contacts.Get(short, "c1")
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestOnCallReportsEveryAttempt(t *testing.T) {
	var mu sync.Mutex
	var calls []Call
	ts := newTestServer(t, func(o *Options) {
		o.OnCall = func(c Call) {
			mu.Lock()
			calls = append(calls, c)
			mu.Unlock()
		}
	})
	var n atomic.Int32
	ts.handle("GET /contacts/c1", func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			writeJSON(w, 503, `{"statusCode":503,"message":"busy"}`)
			return
		}
		writeJSON(w, 200, `{"contact":{"id":"c1"}}`)
	})
	_, err := ts.client.Contacts.Get(context.Background(), "c1")
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, calls, 2)
	assert.Equal(t, "contacts.get", calls[0].Operation)
	assert.Equal(t, "/contacts/c1", calls[0].Path)
	assert.Equal(t, 503, calls[0].StatusCode)
	assert.Equal(t, 1, calls[0].Attempt)
	assert.Equal(t, 200, calls[1].StatusCode)
	assert.Equal(t, 2, calls[1].Attempt)
}

func TestUserAgentAndDefaults(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("GET /contacts/c1", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"contact":{"id":"c1"}}`) })
	_, err := ts.client.Contacts.Get(context.Background(), "c1")
	require.NoError(t, err)
	assert.Equal(t, defaultUserAgent, ts.last().Header.Get("User-Agent"))

	ts2 := newTestServer(t, func(o *Options) { o.UserAgent = "migrator/2" })
	ts2.handle("GET /contacts/c1", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"contact":{"id":"c1"}}`) })
	_, err = ts2.client.Contacts.Get(context.Background(), "c1")
	require.NoError(t, err)
	assert.Equal(t, "migrator/2", ts2.last().Header.Get("User-Agent"))
}

func TestResponseSizeLimit(t *testing.T) {
	ts := newTestServer(t, func(o *Options) { o.MaxResponseBytes = 64 })
	ts.handle("GET /contacts/c1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"contact":{"id":"c1","firstName":"a very long name that does not fit in sixty-four bytes"}}`)
	})
	_, err := ts.client.Contacts.Get(context.Background(), "c1")
	require.ErrorIs(t, err, ErrResponseTooLarge)
}

func TestRequestTimeoutOption(t *testing.T) {
	base := Options{BaseURL: "http://127.0.0.1:1", LocationID: "loc1", Auth: StaticToken("pit-x")}
	c, err := NewClient(base)
	require.NoError(t, err)
	assert.Equal(t, DefaultRequestTimeout, c.RequestTimeout())
	assert.Equal(t, 60*time.Second, c.RequestTimeout())

	c, err = NewClient(base, WithRequestTimeout(5*time.Second))
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, c.RequestTimeout())
	c, err = NewClient(base, WithRequestTimeout(MaxRequestTimeout))
	require.NoError(t, err)
	assert.Equal(t, 10*time.Minute, c.RequestTimeout())

	for _, d := range []time.Duration{0, -time.Second, MaxRequestTimeout + time.Second} {
		_, err := NewClient(base, WithRequestTimeout(d))
		assert.Error(t, err, "WithRequestTimeout(%s) must be refused", d)
	}
	o := base
	o.RequestTimeout = 11 * time.Minute
	_, err = NewClient(o)
	assert.Error(t, err)
	o.RequestTimeout = -1
	_, err = NewClient(o)
	assert.Error(t, err)
}

// TestRequestTimeoutCutsAttempts: a server slower than the timeout ends a
// create as an unknown outcome and a read as a transport error after its
// retries, each attempt cut at the timeout, even with a caller's
// http.Client that has no timeout of its own.
func TestRequestTimeoutCutsAttempts(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := NewClient(Options{BaseURL: srv.URL, LocationID: "loc1", Auth: StaticToken("pit-x"),
		HTTPClient: &http.Client{}, Retry: RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}},
		WithRequestTimeout(150*time.Millisecond))
	require.NoError(t, err)

	start := time.Now()
	_, err = c.Contacts.Create(context.Background(), ContactInput{FirstName: "A"})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	assert.Contains(t, err.Error(), "request timeout")
	assert.Less(t, time.Since(start), 2*time.Second)

	start = time.Now()
	_, err = c.Contacts.Get(context.Background(), "c1")
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown)
	assert.Contains(t, err.Error(), "request timeout")
	el := time.Since(start)
	assert.GreaterOrEqual(t, el, 300*time.Millisecond, "two attempts of 150ms")
	assert.Less(t, el, 2*time.Second)
}
