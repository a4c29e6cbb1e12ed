package pbnhl_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// searchOutage answers HighLevel's record searches 503 while down, and
// passes everything else on.
type searchOutage struct {
	next   http.Handler
	down   atomic.Bool
	failed atomic.Int64
}

func (s *searchOutage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.down.Load() && r.Method == http.MethodPost && strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), "/records/search") {
		s.failed.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"statusCode":503,"message":"Service Unavailable"}`))
		return
	}
	s.next.ServeHTTP(w, r)
}

// TestPhaseNeverSucceedsWithUnknownIntent reproduces the soak's finding in
// process: a treatment record's create is answered 502 but applied by
// HighLevel, and the record searches that would settle it fail (an outage
// of the search route longer than the client's retries). The run used to
// end successfully with the intent left unknown, the record's relation
// never made, and undo then refusing it forever. Now the run settles
// every intent of its run before it may succeed, and fails (saying so)
// while one cannot be settled; the next run settles it by lookup and
// finishes in the state of an uninterrupted run, with nothing pending.
func TestPhaseNeverSucceedsWithUnknownIntent(t *testing.T) {
	o := envOptions{patients: size(20), seed: 21}
	want := cachedBaseline(t, o)
	e := newEnv(t, o)
	ctx := context.Background()
	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)

	var creates atomic.Int64
	isCreate := func(method, path string) bool {
		return method == http.MethodPost && strings.HasSuffix(strings.TrimSuffix(path, "/"), "/objects/custom_objects.pbn_treatment/records")
	}
	p := newLateProxy(t, e.hl, "", failThenApply, 50*time.Millisecond, func(int64) bool { return true })
	outage := &searchOutage{next: e.hl}
	p.match = func(method, path string) bool {
		if !isCreate(method, path) {
			return false
		}
		if creates.Add(1) == 2 {
			outage.down.Store(true) // the lookups of this create fail
			return true
		}
		return false
	}
	outage.next = p
	srv := httptest.NewServer(outage)
	t.Cleanup(srv.Close)
	retarget(t, e, srv.URL)

	t.Cleanup(pbnhl.SetLookupBudget(time.Second)) // the outage outlasts it
	_, err = e.migration(inflightOptions).Load(ctx)
	require.Error(t, err, "a run must not succeed while an intent of it is unknown")
	assert.Contains(t, err.Error(), "settled")
	require.Positive(t, outage.failed.Load())
	p.wg.Wait()
	require.EqualValues(t, 1, p.applied.Load(), "the create was applied despite its 502")

	outage.down.Store(false)
	_, err = e.migration(inflightOptions).Load(ctx)
	require.NoError(t, err)
	assert.Empty(t, e.identityDuplicates())
	sameState(t, want, e.fingerprint())
	assertSettled(t, e)
}

// outageAfter answers every request 503 for a while once a treatment
// record create arrives: enough failures in a row to open the client's
// circuit breaker.
type outageAfter struct {
	next  http.Handler
	until atomic.Int64 // unix nanos; 0: not started
	once  atomic.Bool
}

func (o *outageAfter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), "/objects/custom_objects.pbn_treatment/records") &&
		o.once.CompareAndSwap(false, true) {
		o.until.Store(time.Now().Add(300 * time.Millisecond).UnixNano())
	}
	if u := o.until.Load(); u != 0 && time.Now().UnixNano() < u {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"statusCode":503,"message":"Service Unavailable"}`))
		return
	}
	o.next.ServeHTTP(w, r)
}

// TestOpenBreakerDropsNoRecord: HighLevel fails for a moment while the
// treatment records load, the client's circuit breaker opens and refuses
// every call for longer than a write used to be retried (the soak's lost
// treatment records: journaled "refused before processing", counted as
// rejected, the run exiting 0 without them). The run must wait for the
// breaker and end in the state of an uninterrupted run.
func TestOpenBreakerDropsNoRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out an 11s breaker cooldown")
	}
	o := envOptions{patients: size(20), seed: 21}
	want := cachedBaseline(t, o)
	e := newEnv(t, o)
	ctx := context.Background()
	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)

	out := &outageAfter{next: e.hl}
	srv := httptest.NewServer(out)
	t.Cleanup(srv.Close)
	// The old give-up came after about 10s of refusals: the breaker stays
	// open longer.
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Name: hltest.DefaultLocationID, Requests: 1000, Window: time.Second,
		Margin: -1, BreakerFailures: 3, BreakerCooldown: 11 * time.Second})
	require.NoError(t, err)
	c, err := highlevel.NewClient(highlevel.Options{BaseURL: srv.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), Limiter: lim,
		Retry: highlevel.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxRetryAfter: time.Second}})
	require.NoError(t, err)
	e.client = c

	_, err = e.migration(inflightOptions).Load(ctx)
	require.NoError(t, err)
	require.NotZero(t, out.until.Load(), "the outage happened")
	assert.Empty(t, e.identityDuplicates())
	sameState(t, want, e.fingerprint())
	assertSettled(t, e)
}
