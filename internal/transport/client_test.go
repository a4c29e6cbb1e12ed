package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var fastRetry = RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, MaxRetryAfter: time.Minute}

type staticAuth string

func (s staticAuth) Authorization(context.Context) (string, error) { return "Bearer " + string(s), nil }

func newTestClient(t testing.TB, h http.Handler, mod func(*Options)) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	o := Options{BaseURL: srv.URL, Retry: fastRetry, Auth: staticAuth("tok-secret")}
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	require.NoError(t, err)
	return c, srv
}

// recordSleeps replaces the client's sleep so tests see the waits without
// spending them.
func recordSleeps(c *Client) *[]time.Duration {
	var mu sync.Mutex
	var waits []time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return &waits
}

func TestDoSendsRequest(t *testing.T) {
	var got *http.Request
	var body []byte
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
		w.Header().Set("X-Test", "1")
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"ok":true}`))
	}), func(o *Options) {
		o.UserAgent = "pbnhl-test"
		o.Header = http.Header{"Accept": {"application/json"}}
	})
	resp, err := c.Do(context.Background(), &Request{
		Method: "POST", Path: "/contacts/",
		Query:  url.Values{"locationId": {"loc1"}},
		Header: http.Header{"Version": {"2021-07-28"}},
		Body:   []byte(`{"a":1}`),
	})
	require.NoError(t, err)
	assert.Equal(t, 201, resp.StatusCode)
	assert.Equal(t, `{"ok":true}`, string(resp.Body))
	assert.Equal(t, "1", resp.Header.Get("X-Test"))
	assert.Equal(t, 1, resp.Attempts)
	assert.Equal(t, "POST", got.Method)
	assert.Equal(t, "/contacts/", got.URL.Path)
	assert.Equal(t, "loc1", got.URL.Query().Get("locationId"))
	assert.Equal(t, "Bearer tok-secret", got.Header.Get("Authorization"))
	assert.Equal(t, "2021-07-28", got.Header.Get("Version"))
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	assert.Equal(t, "application/json", got.Header.Get("Accept"))
	assert.Equal(t, "pbnhl-test", got.Header.Get("User-Agent"))
	assert.Equal(t, `{"a":1}`, string(body))
}

func TestValidateBaseURL(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://services.leadconnectorhq.com", "https://services.leadconnectorhq.com", true},
		{"https://services.leadconnectorhq.com/", "https://services.leadconnectorhq.com", true},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", true},
		{"http://localhost:1", "http://localhost:1", true},
		{"http://[::1]:99/", "http://[::1]:99", true},
		{"http://example.com", "", false},
		{"ftp://example.com", "", false},
		{"services.leadconnectorhq.com", "", false},
		{"https://user:pw@example.com", "", false},
		{"https://example.com/?token=x", "", false},
		{"", "", false},
		{"%zz", "", false},
	}
	for _, tt := range tests {
		got, err := ValidateBaseURL(tt.in)
		if !tt.ok {
			assert.Error(t, err, tt.in)
			assert.NotContains(t, errString(err), "pw")
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// failure is what the test server does on every request.
type failure int

const (
	fail500 failure = iota
	fail503
	fail429
	failDrop // close the connection without answering
	failDial // nothing listens
	fail400
	fail404
)

func (f failure) String() string {
	return [...]string{"500", "503", "429", "drop", "dial", "400", "404"}[f]
}

func TestRetryMatrix(t *testing.T) {
	type want struct {
		attempts int   // server hits (0 for dial)
		is       error // errors.Is target, nil for a plain response
		status   int   // final status when no error
	}
	type method struct {
		name string
		m    string
		idem Idempotency
	}
	methods := []method{{"GET", "GET", ByMethod}, {"PUT", "PUT", ByMethod}, {"DELETE", "DELETE", ByMethod}, {"POST", "POST", ByMethod}, {"POST idempotent", "POST", Idempotent}, {"PUT not idempotent", "PUT", NotIdempotent}}
	expect := func(idem bool, f failure) want {
		switch f {
		case fail500, fail503:
			if idem {
				return want{attempts: 3, status: int([...]int{500, 503}[f])}
			}
			return want{attempts: 1, is: ErrOutcomeUnknown}
		case fail429:
			return want{attempts: 3, is: ErrRateLimited}
		case failDrop:
			if idem {
				return want{attempts: 3, is: nil}
			}
			return want{attempts: 1, is: ErrOutcomeUnknown}
		case failDial:
			return want{attempts: 0, is: nil}
		case fail400:
			return want{attempts: 1, status: 400}
		case fail404:
			return want{attempts: 1, status: 404}
		}
		panic("unreachable")
	}
	for _, m := range methods {
		for f := fail500; f <= fail404; f++ {
			t.Run(m.name+"/"+f.String(), func(t *testing.T) {
				var hits atomic.Int32
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					hits.Add(1)
					switch f {
					case fail500:
						w.WriteHeader(500)
					case fail503:
						w.WriteHeader(503)
					case fail429:
						w.WriteHeader(429)
					case failDrop:
						conn, _, err := w.(http.Hijacker).Hijack()
						if err == nil {
							_ = conn.Close()
						}
					case fail400:
						w.WriteHeader(400)
					case fail404:
						w.WriteHeader(404)
					}
				})
				c, srv := newTestClient(t, h, nil)
				if f == failDial {
					srv.Close()
				}
				waits := recordSleeps(c)
				req := &Request{Method: m.m, Path: "/x", Idempotency: m.idem}
				if m.m != "GET" && m.m != "DELETE" {
					req.Body = []byte(`{}`)
				}
				resp, err := c.Do(context.Background(), req)
				w := expect(req.idempotent(), f)
				assert.Equal(t, w.attempts, int(hits.Load()), "server hits")
				switch {
				case f == failDial:
					var te *Error
					require.ErrorAs(t, err, &te, "a dial failure is retried for every method and ends as *Error")
					assert.Equal(t, 3, te.Attempts)
					assert.Len(t, *waits, 2)
				case f == failDrop && req.idempotent():
					var te *Error
					require.ErrorAs(t, err, &te)
					assert.Equal(t, 3, te.Attempts)
				case w.is != nil:
					require.ErrorIs(t, err, w.is)
				default:
					require.NoError(t, err)
					assert.Equal(t, w.status, resp.StatusCode)
					assert.Equal(t, w.attempts, resp.Attempts)
				}
				assert.Len(t, *waits, max(w.attempts-1, 0)+map[bool]int{true: 2}[f == failDial])
			})
		}
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	var hits atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(429)
			return
		}
		w.WriteHeader(200)
	}), nil)
	waits := recordSleeps(c)
	resp, err := c.Do(context.Background(), &Request{Method: "POST", Path: "/x", Body: []byte(`{}`)})
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, []time.Duration{7 * time.Second}, *waits)
}

func TestRetryAfterTooLongGivesUp(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(429)
	}), nil)
	waits := recordSleeps(c)
	_, err := c.Do(context.Background(), &Request{Method: "GET", Path: "/x"})
	var rl *RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.False(t, rl.Daily)
	assert.Equal(t, time.Hour, rl.RetryAfter)
	assert.Empty(t, *waits)
}

func TestDaily429StopsEveryone(t *testing.T) {
	var hits atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("X-RateLimit-Daily-Remaining", "0")
		w.WriteHeader(429)
	}), func(o *Options) {
		o.Limiter = newLimiter(t, 100, time.Second)
	})
	_, err := c.Do(context.Background(), &Request{Method: "GET", Path: "/x"})
	var rl *RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.True(t, rl.Daily)
	assert.ErrorIs(t, err, ErrDailyLimit)
	assert.Equal(t, int32(1), hits.Load(), "a daily 429 is not retried")

	_, err = c.Do(context.Background(), &Request{Method: "GET", Path: "/x"})
	var dl *DailyLimitError
	require.ErrorAs(t, err, &dl)
	assert.Equal(t, int32(1), hits.Load(), "nothing sent while the daily quota is known spent")
}

func TestBurst429PausesTenant(t *testing.T) {
	var hits atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(429)
			return
		}
		w.WriteHeader(200)
	}), func(o *Options) { o.Limiter = newLimiter(t, 100, time.Second) })
	recordSleeps(c)
	l := c.limiter
	before := time.Now()
	// The limiter is paused; the client's own wait is recorded, not spent,
	// so the retry itself waits in the limiter.
	_, err := c.Do(context.Background(), &Request{Method: "GET", Path: "/x"})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(before), 1900*time.Millisecond)
	assert.Equal(t, uint64(2), l.Admitted())
}

func TestBreakerTripsOnServerFailuresOnly(t *testing.T) {
	var status atomic.Int32
	var hits atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(int(status.Load()))
	}), func(o *Options) {
		o.Retry = RetryPolicy{MaxAttempts: 1}
		o.Breaker = NewBreaker(BreakerOptions{Name: "loc1", ConsecutiveFailures: 3, OpenTimeout: time.Hour})
	})
	get := func() error {
		_, err := c.Do(context.Background(), &Request{Method: "GET", Path: "/x"})
		return err
	}
	status.Store(404)
	for range 10 {
		require.NoError(t, get())
	}
	status.Store(429)
	for range 10 {
		require.ErrorIs(t, get(), ErrRateLimited)
	}
	assert.Equal(t, "closed", c.breaker.State(), "4xx and 429 never trip")

	// Cancelled contexts count as nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 10 {
		_, err := c.Do(ctx, &Request{Method: "GET", Path: "/x"})
		require.ErrorIs(t, err, context.Canceled)
	}
	assert.Equal(t, "closed", c.breaker.State())

	status.Store(500)
	for range 3 {
		require.NoError(t, get())
	}
	assert.Equal(t, "open", c.breaker.State())
	n := hits.Load()
	err := get()
	var bo *BreakerOpenError
	require.ErrorAs(t, err, &bo)
	assert.ErrorIs(t, err, ErrBreakerOpen)
	assert.Equal(t, "loc1", bo.Name)
	assert.Equal(t, n, hits.Load(), "an open breaker sends nothing")
}

func TestBreakerIgnoresCancellationInFlight(t *testing.T) {
	release := make(chan struct{})
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}), func(o *Options) {
		o.Breaker = NewBreaker(BreakerOptions{ConsecutiveFailures: 1, OpenTimeout: time.Hour})
	})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	c.onAttempt = nil
	go func() {
		// Cancel once the request is in flight.
		for c.breaker.cb.Counts().Requests == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err := c.Do(ctx, &Request{Method: "GET", Path: "/x"})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "closed", c.breaker.State())
}

func TestCancellationEndsRetryWaitAtOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "50")
		w.WriteHeader(503)
	}), func(o *Options) {
		o.OnAttempt = func(Attempt) { cancel() }
	})
	start := time.Now()
	_, err := c.Do(ctx, &Request{Method: "GET", Path: "/x"})
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 10*time.Second)
}

func TestPostCancelledInFlightIsOutcomeUnknown(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{})
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
	}), nil)
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	_, err := c.Do(ctx, &Request{Method: "POST", Path: "/x", Body: []byte(`{}`)})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.ErrorIs(t, err, context.Canceled)
}

func TestResponseTooLarge(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("a"), 2048))
	}), func(o *Options) { o.MaxResponseBytes = 1024 })
	_, err := c.Do(context.Background(), &Request{Method: "GET", Path: "/x"})
	require.ErrorIs(t, err, ErrResponseTooLarge)

	c2, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("a"), 1024))
	}), func(o *Options) { o.MaxResponseBytes = 1024 })
	resp, err := c2.Do(context.Background(), &Request{Method: "GET", Path: "/x"})
	require.NoError(t, err)
	assert.Len(t, resp.Body, 1024)
}

type rotatingAuth struct {
	mu        sync.Mutex
	tok       string
	refreshes int
}

func (a *rotatingAuth) Authorization(context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return "Bearer " + a.tok, nil
}

func (a *rotatingAuth) Refresh(_ context.Context, rejected string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if rejected == "Bearer "+a.tok {
		a.refreshes++
		a.tok = "fresh"
	}
	return nil
}

func TestRefreshOnceOn401(t *testing.T) {
	var hits atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Authorization") != "Bearer fresh" {
			w.WriteHeader(401)
			return
		}
		w.WriteHeader(200)
	}), nil)
	a := &rotatingAuth{tok: "stale"}
	c.auth = a
	resp, err := c.Do(context.Background(), &Request{Method: "POST", Path: "/x", Body: []byte(`{}`)})
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 1, a.refreshes)
	assert.Equal(t, int32(2), hits.Load())

	// A 401 that survives the refresh is returned, not looped on.
	c2, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
	}), nil)
	a2 := &rotatingAuth{tok: "stale"}
	c2.auth = a2
	resp, err = c2.Do(context.Background(), &Request{Method: "GET", Path: "/x"})
	require.NoError(t, err)
	assert.Equal(t, 401, resp.StatusCode)
	assert.Equal(t, 1, a2.refreshes)
}

func TestSecretsNeverInErrorsOrLogs(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	secrets := []string{"tok-secret", "jane.doe@example.com", "5551234567", "1984-03-07"}
	query := url.Values{"email": {secrets[1]}, "number": {secrets[2]}, "dob": {secrets[3]}, "locationId": {"loc1"}}
	for _, f := range []failure{fail500, failDrop, failDial, fail429} {
		c, srv := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch f {
			case fail500:
				w.WriteHeader(500)
			case fail429:
				w.WriteHeader(429)
			case failDrop:
				conn, _, _ := w.(http.Hijacker).Hijack()
				_ = conn.Close()
			}
		}), func(o *Options) { o.Logger = logger })
		if f == failDial {
			srv.Close()
		}
		recordSleeps(c)
		for _, m := range []string{"GET", "POST"} {
			_, err := c.Do(context.Background(), &Request{Op: "test", Method: m, Path: "/contacts/search/duplicate", Query: query})
			if f == fail500 && m == "GET" {
				require.NoError(t, err, "a final 5xx of a GET is a response for the connector to decode")
				continue
			}
			require.Error(t, err)
			for _, s := range secrets {
				assert.NotContains(t, err.Error(), s, "%s %s", m, f)
			}
		}
	}
	require.NotEmpty(t, buf.String())
	for _, s := range secrets {
		assert.NotContains(t, buf.String(), s)
	}
}

func TestDoRejectsRelativePath(t *testing.T) {
	c, _ := newTestClient(t, http.NotFoundHandler(), nil)
	_, err := c.Do(context.Background(), &Request{Method: "GET", Path: "x"})
	require.Error(t, err)
}

func TestRegistrySharesTenants(t *testing.T) {
	r, err := NewRegistry(LimiterOptions{Limit: 10, Window: time.Second}, BreakerOptions{})
	require.NoError(t, err)
	a, b := r.Tenant("loc1"), r.Tenant("loc1")
	assert.Same(t, a, b)
	assert.NotSame(t, a, r.Tenant("loc2"))
	assert.Equal(t, "loc1", a.Breaker.Name())
	_, err = NewRegistry(LimiterOptions{}, BreakerOptions{})
	assert.Error(t, err)
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                              0,
		"5":                             5 * time.Second,
		" 1.5 ":                         1500 * time.Millisecond,
		"-1":                            0,
		"abc":                           0,
		"Thu, 01 Jan 2026 00:00:30 GMT": 30 * time.Second,
		"Wed, 31 Dec 2025 00:00:30 GMT": 0,
		"99999999999":                   0,
	}
	for in, want := range tests {
		assert.Equal(t, want, ParseRetryAfter(in, now), in)
	}
}

func TestParseRateLimitHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("X-RateLimit-Max", "100")
	h.Set("X-RateLimit-Remaining", "42")
	h.Set("X-RateLimit-Interval-Milliseconds", "10000")
	h.Set("X-RateLimit-Daily-Remaining", "199000")
	h.Set("X-RateLimit-Limit-Daily", "200000")
	h.Set("Retry-After", "3")
	o := ParseRateLimitHeaders(h, time.Now())
	assert.Equal(t, Observation{Max: 100, Remaining: 42, Interval: 10 * time.Second, DailyRemaining: 199000, DailyLimit: 200000, RetryAfter: 3 * time.Second}, o)
	assert.Equal(t, NoObservation, ParseRateLimitHeaders(http.Header{"X-Ratelimit-Max": {"x"}}, time.Now()))
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for n := 1; n <= 10; n++ {
		d := p.Backoff(n)
		full := min(100*time.Millisecond<<(n-1), time.Second)
		assert.GreaterOrEqual(t, d, full/2, "n=%d", n)
		assert.LessOrEqual(t, d, full, "n=%d", n)
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "1", "1.5", "Thu, 01 Jan 2026 00:00:30 GMT", "-0", "1e308", "NaN", "+Inf"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d := ParseRetryAfter(s, now)
		if d < 0 {
			t.Fatalf("negative duration %s for %q", d, s)
		}
	})
}

func FuzzParseRateLimitHeaders(f *testing.F) {
	f.Add("100", "5", "10000", "0", "2")
	f.Add("", "-3", "x", "99999999999999999999", "")
	f.Fuzz(func(t *testing.T, mx, rem, iv, daily, ra string) {
		h := http.Header{}
		h.Set("X-RateLimit-Max", mx)
		h.Set("X-RateLimit-Remaining", rem)
		h.Set("X-RateLimit-Interval-Milliseconds", iv)
		h.Set("X-RateLimit-Daily-Remaining", daily)
		h.Set("Retry-After", ra)
		o := ParseRateLimitHeaders(h, time.Now())
		if o.Max < -1 || o.Remaining < -1 || o.DailyRemaining < -1 || o.Interval < 0 || o.RetryAfter < 0 {
			t.Fatalf("out of range: %+v", o)
		}
	})
}

func BenchmarkDoOverhead(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte(`{"contact":{"id":"abc"}}`))
	}))
	defer srv.Close()
	l, _ := NewLimiter(LimiterOptions{Limit: 1 << 30, Window: time.Second})
	c, err := New(Options{BaseURL: srv.URL, Auth: staticAuth("t"), Limiter: l, Breaker: NewBreaker(BreakerOptions{})})
	require.NoError(b, err)
	req := &Request{Method: "GET", Path: "/contacts/abc", Header: http.Header{"Version": {"2021-07-28"}}}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Do(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCustomAuthHeader(t *testing.T) {
	var got http.Header
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
	}), func(o *Options) {
		o.Auth = AuthFunc(func(context.Context) (string, error) { return "key-123", nil })
		o.AuthHeader = "X-API-Key"
	})
	_, err := c.Do(context.Background(), &Request{Method: "GET", Path: "/x"})
	require.NoError(t, err)
	assert.Equal(t, "key-123", got.Get("X-API-Key"))
	assert.Empty(t, got.Get("Authorization"))

	// NoAuth skips the authenticator (token endpoints).
	_, err = c.Do(context.Background(), &Request{Method: "GET", Path: "/x", NoAuth: true})
	require.NoError(t, err)
	assert.Empty(t, got.Get("X-API-Key"))
}

func TestRequestTimeoutBoundsEachAttempt(t *testing.T) {
	_, err := New(Options{BaseURL: "https://api.example.com", RequestTimeout: -time.Second})
	require.Error(t, err)

	var calls atomic.Int32
	release := make(chan struct{})
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if calls.Add(1) == 1 {
			// The first attempt gets no answer in time.
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}), func(o *Options) {
		o.RequestTimeout = 100 * time.Millisecond
		o.HTTPClient = &http.Client{} // no timeout of its own
	})
	// Registered after the server's Close, so it runs first: a blocked
	// handler is released before Close waits for it, whatever fails.
	t.Cleanup(func() { close(release) })
	start := time.Now()
	resp, err := c.Do(context.Background(), &Request{Method: http.MethodGet, Path: "/x"})
	require.NoError(t, err, "the idempotent read is retried after its first attempt is cut off")
	assert.Equal(t, 2, resp.Attempts)
	assert.Less(t, time.Since(start), 2*time.Second)

	calls.Store(0)
	_, err = c.Do(context.Background(), &Request{Method: http.MethodPost, Path: "/x", Body: []byte(`{}`)})
	require.ErrorIs(t, err, ErrOutcomeUnknown, "a write cut off may have been applied")
	assert.Contains(t, err.Error(), "request timeout (100ms)")
	assert.EqualValues(t, 1, calls.Load())
}

// TestUnopenableBodyIsNotSent: a streamed body that cannot be opened (an
// upload's file missing from the source) ends the call at once with a
// BodyError — one attempt, nothing sent, not an unknown outcome, and not a
// failure the breaker holds against the server.
func TestUnopenableBodyIsNotSent(t *testing.T) {
	var hits atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
	}), func(o *Options) {
		o.Breaker = NewBreaker(BreakerOptions{Name: "loc1", ConsecutiveFailures: 2, OpenTimeout: time.Hour})
	})
	waits := recordSleeps(c)
	missing := errors.New("document 7: not found")
	var opens atomic.Int32
	for range 5 {
		_, err := c.Do(context.Background(), &Request{Method: "POST", Path: "/medias/upload-file",
			OpenBody: func() (io.ReadCloser, error) { opens.Add(1); return nil, missing }})
		var be *BodyError
		require.ErrorAs(t, err, &be)
		assert.ErrorIs(t, err, missing)
		assert.NotErrorIs(t, err, ErrOutcomeUnknown)
	}
	assert.EqualValues(t, 5, opens.Load(), "one attempt per call: a retry would open the same missing body")
	assert.Empty(t, *waits, "no backoff")
	assert.Zero(t, hits.Load(), "nothing reached the server")
	assert.Equal(t, "closed", c.breaker.State(), "the source's fault never opens the breaker")
}
