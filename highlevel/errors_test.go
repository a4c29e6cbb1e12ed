package highlevel

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAPIErrorDecoding(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		is       []error
		isNot    []error
		messages []string
		trace    string
	}{
		{"string message", 400, `{"statusCode":400,"message":"Bad things"}`, nil, []error{ErrNotFound}, []string{"Bad things"}, ""},
		{"array message", 422, `{"statusCode":422,"message":["property locationId should not exist","email must be an email"],"error":"Unprocessable Entity","traceId":"t-1"}`,
			[]error{ErrValidation}, []error{ErrNotFound}, []string{"property locationId should not exist", "email must be an email"}, "t-1"},
		{"404", 404, `{"statusCode":404,"message":"Not Found"}`, []error{ErrNotFound}, nil, []string{"Not Found"}, ""},
		{"400 not found", 400, `{"statusCode":400,"message":"Contact with id abc not found"}`, []error{ErrNotFound}, nil, []string{"Contact with id abc not found"}, ""},
		{"401", 401, `{"statusCode":401,"message":"The token is not authorized for this scope.","error":"Unauthorized"}`, []error{ErrUnauthorized}, []error{ErrForbidden}, []string{"The token is not authorized for this scope."}, ""},
		{"403", 403, `{"statusCode":403,"message":"The token does not have access to this location.","error":"Forbidden"}`, []error{ErrForbidden}, nil, []string{"The token does not have access to this location."}, ""},
		{"not JSON", 502, `<html>bad gateway</html>`, nil, []error{ErrNotFound}, nil, ""},
		{"PHI in message is scrubbed", 400, `{"statusCode":400,"message":"email jane@example.com is invalid"}`, nil, nil, []string{"email [REDACTED] is invalid"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := newAPIError("contacts.get", "GET", "/contacts/abc", tt.status, nil, []byte(tt.body))
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.status, ae.StatusCode)
			assert.Equal(t, tt.messages, ae.RawMessages())
			assert.Equal(t, tt.trace, ae.TraceID)
			for _, target := range tt.is {
				assert.ErrorIs(t, err, target)
			}
			for _, target := range tt.isNot {
				assert.NotErrorIs(t, err, target)
			}
			assert.Contains(t, err.Error(), "contacts.get")
			assert.NotContains(t, err.Error(), "jane@example.com")
		})
	}
}

func TestDuplicateContactError(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("POST /contacts/{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, `{"statusCode":400,"message":"This location does not allow duplicated contacts.","meta":{"contactId":"c-existing","contactName":"Jane Secretname","matchingField":"email"}}`)
	})
	_, err := ts.client.Contacts.Create(context.Background(), ContactInput{Email: "jane@example.com"})
	var de *DuplicateContactError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "c-existing", de.ContactID)
	assert.Equal(t, "email", de.MatchingField)
	assert.ErrorIs(t, err, ErrDuplicateContact)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 400, ae.StatusCode)
	assert.NotContains(t, err.Error(), "Secretname")
	assert.NotContains(t, err.Error(), "jane@example.com")
	assert.Len(t, ts.requests(), 1, "a 400 is never retried")
}

// TestFailureMatrix drives each kind of operation through each failure and
// checks attempts and the error it ends with.
func TestFailureMatrix(t *testing.T) {
	type op struct {
		name    string
		pattern string
		call    func(context.Context, *Client) error
	}
	ops := []op{
		{"create (POST)", "POST /contacts/{$}", func(ctx context.Context, c *Client) error {
			_, err := c.Contacts.Create(ctx, ContactInput{FirstName: "x"})
			return err
		}},
		{"search (read-only POST)", "POST /contacts/search", func(ctx context.Context, c *Client) error {
			_, err := c.Contacts.SearchPage(ctx, ContactSearch{}, SearchCursor{})
			return err
		}},
		{"get (GET)", "GET /contacts/c1", func(ctx context.Context, c *Client) error {
			_, err := c.Contacts.Get(ctx, "c1")
			return err
		}},
		{"update (PUT)", "PUT /contacts/c1", func(ctx context.Context, c *Client) error {
			_, err := c.Contacts.Update(ctx, "c1", ContactUpdate{FirstName: Ptr("x")})
			return err
		}},
		{"delete (DELETE)", "DELETE /contacts/c1", func(ctx context.Context, c *Client) error {
			return c.Contacts.Delete(ctx, "c1")
		}},
	}
	safe := map[string]bool{"search (read-only POST)": true, "get (GET)": true, "update (PUT)": true, "delete (DELETE)": true}
	type failure struct {
		name    string
		handler http.HandlerFunc
		// expectations for unsafe (create) and safe ops
		unsafeHits, safeHits int
		unsafeIs, safeIs     error
	}
	fails := []failure{
		{"503", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 503, `{"statusCode":503,"message":"Service Unavailable"}`)
		}, 1, 3, ErrOutcomeUnknown, nil},
		{"dropped connection", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		}, 1, 3, ErrOutcomeUnknown, nil},
		{"429 burst", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-RateLimit-Daily-Remaining", "5000")
			writeJSON(w, 429, `{"statusCode":429,"message":"Too many requests"}`)
		}, 3, 3, ErrRateLimited, ErrRateLimited},
		{"429 daily", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-RateLimit-Daily-Remaining", "0")
			writeJSON(w, 429, `{"statusCode":429,"message":"Too many requests"}`)
		}, 1, 1, ErrDailyLimit, ErrDailyLimit},
		{"422", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 422, `{"statusCode":422,"message":["bad"],"error":"Unprocessable Entity"}`)
		}, 1, 1, ErrValidation, ErrValidation},
	}
	for _, o := range ops {
		for _, f := range fails {
			t.Run(o.name+"/"+f.name, func(t *testing.T) {
				ts := newTestServer(t)
				var hits atomic.Int32
				ts.handle(o.pattern, func(w http.ResponseWriter, r *http.Request) {
					hits.Add(1)
					f.handler(w, r)
				})
				err := o.call(context.Background(), ts.client)
				require.Error(t, err)
				wantHits, wantIs := f.unsafeHits, f.unsafeIs
				if safe[o.name] {
					wantHits, wantIs = f.safeHits, f.safeIs
				}
				assert.Equal(t, wantHits, int(hits.Load()), "attempts")
				if wantIs != nil {
					assert.ErrorIs(t, err, wantIs)
				}
				if !safe[o.name] && wantIs == ErrOutcomeUnknown {
					var ou *OutcomeUnknownError
					require.ErrorAs(t, err, &ou)
					assert.Equal(t, "contacts.create", ou.Operation)
				}
				if f.name == "503" && safe[o.name] {
					var ae *APIError
					require.ErrorAs(t, err, &ae, "a final 5xx of a safe call is an APIError")
					assert.Equal(t, 503, ae.StatusCode)
				}
				if f.name == "429 daily" {
					var rl *RateLimitError
					require.ErrorAs(t, err, &rl)
					assert.True(t, rl.Daily)
					// The next call fails fast without reaching HighLevel.
					err2 := o.call(context.Background(), ts.client)
					require.ErrorIs(t, err2, ErrDailyLimit)
					assert.Equal(t, 1, int(hits.Load()))
				}
			})
		}
	}
}

func TestOutcomeUnknownAfter5xxCarriesAPIError(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("POST /businesses/{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 502, `{"statusCode":502,"message":"Bad Gateway","traceId":"tr-9"}`)
	})
	_, err := ts.client.Businesses.Create(context.Background(), BusinessInput{Name: "x"})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "tr-9", ae.TraceID)
}

func TestCircuitOpens(t *testing.T) {
	ts := newTestServer(t, func(o *Options) {
		lim, err := NewLimiter(LimiterOptions{Name: "loc-x", BreakerFailures: 2, BreakerCooldown: time.Hour, Requests: 1000, Window: time.Second})
		require.NoError(t, err)
		o.Limiter = lim
		o.Retry.MaxAttempts = 1
	})
	var hits atomic.Int32
	ts.handle("GET /contacts/c1", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		writeJSON(w, 500, `{"statusCode":500,"message":"Internal"}`)
	})
	ts.handle("GET /contacts/c404", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 404, `{"statusCode":404,"message":"Not Found"}`)
	})
	ctx := context.Background()
	for range 5 {
		_, err := ts.client.Contacts.Get(ctx, "c404")
		require.ErrorIs(t, err, ErrNotFound)
	}
	assert.Equal(t, "closed", ts.client.Limiter().BreakerState(), "4xx never trip the breaker")
	for range 2 {
		_, err := ts.client.Contacts.Get(ctx, "c1")
		require.Error(t, err)
	}
	_, err := ts.client.Contacts.Get(ctx, "c1")
	var co *CircuitOpenError
	require.ErrorAs(t, err, &co)
	assert.ErrorIs(t, err, ErrCircuitOpen)
	assert.Equal(t, "loc-x", co.Limiter)
	assert.Equal(t, int32(2), hits.Load())
}

func TestCancellationEndsWaitsAtOnce(t *testing.T) {
	// A limiter allowing one request per hour: the second call waits until
	// its context is cancelled.
	ts := newTestServer(t, func(o *Options) {
		lim, err := NewLimiter(LimiterOptions{Requests: 1, Window: time.Hour})
		require.NoError(t, err)
		o.Limiter = lim
	})
	ts.handle("GET /contacts/c1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"contact":{"id":"c1"}}`)
	})
	_, err := ts.client.Contacts.Get(context.Background(), "c1")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = ts.client.Contacts.Get(ctx, "c1")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 10*time.Second)

	// And a Retry-After wait.
	ts2 := newTestServer(t)
	ts2.handle("GET /contacts/c1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "60")
		writeJSON(w, 429, `{"statusCode":429,"message":"Too many requests"}`)
	})
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	start = time.Now()
	_, err = ts2.client.Contacts.Get(ctx2, "c1")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 10*time.Second)
}

func TestTransportErrorsAreWrapped(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	c, err := NewClient(Options{BaseURL: "http://" + addr, LocationID: "l", Auth: StaticToken("pit-secret"),
		Retry: RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}})
	require.NoError(t, err)
	// Connection refused: nothing was sent, so even a create is retried
	// and ends without "outcome unknown".
	_, err = c.Contacts.Create(context.Background(), ContactInput{Email: "jane@example.com"})
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown)
	var op *net.OpError
	assert.True(t, errors.As(err, &op))
	assert.NotContains(t, err.Error(), "pit-secret")
	assert.NotContains(t, err.Error(), "jane@example.com")
}

func TestDecodeErrors(t *testing.T) {
	ts := newTestServer(t)
	ts.handle("GET /contacts/bad", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"contact":{"id":"x","email":"secret@example.com","tags":"not-a-list"}}`)
	})
	ts.handle("GET /contacts/trunc", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"contact":{"id":"secret@example.com`)
	})
	ts.handle("GET /contacts/empty", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, ``) })
	for _, id := range []string{"bad", "trunc", "empty"} {
		_, err := ts.client.Contacts.Get(context.Background(), id)
		var de *DecodeError
		require.ErrorAs(t, err, &de, id)
		assert.NotContains(t, err.Error(), "secret@example.com")
	}
}

func TestNewClientValidation(t *testing.T) {
	_, err := NewClient(Options{Auth: StaticToken("x")})
	assert.Error(t, err, "location required")
	_, err = NewClient(Options{LocationID: "l"})
	assert.Error(t, err, "auth required")
	_, err = NewClient(Options{LocationID: "l", Auth: StaticToken("x"), BaseURL: "http://example.com"})
	assert.Error(t, err, "plain http to a remote host")
	c, err := NewClient(Options{LocationID: "l", Auth: StaticToken("x")})
	require.NoError(t, err)
	assert.Equal(t, "l", c.LocationID())
	n, w := c.Limiter().Limit()
	assert.Equal(t, DefaultBurstLimit, n)
	assert.Equal(t, DefaultBurstWindow, w)
}
