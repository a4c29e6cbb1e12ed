package highlevel

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// arrivals records when requests reach a plain (non-validating) server.
type arrivals struct {
	mu sync.Mutex
	ts []time.Time
}

func (a *arrivals) add() {
	a.mu.Lock()
	a.ts = append(a.ts, time.Now())
	a.mu.Unlock()
}

func (a *arrivals) sorted() []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := slices.Clone(a.ts)
	slices.SortFunc(out, func(x, y time.Time) int { return x.Compare(y) })
	return out
}

// maxInSpan is the most times of ts (sorted) in any half-open span of w.
func maxInSpan(ts []time.Time, w time.Duration) int {
	best, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

func plainServer(tb testing.TB, arr *arrivals) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if arr != nil {
			arr.add()
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"contact":{"id":"c1","firstName":"Rosa","tags":["a"],"dateAdded":"2021-07-02T05:18:26.704Z","customFields":[{"id":"f1","value":"PBN-1"}]}}`)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// TestLimiterEndToEnd runs many goroutines through one client with a scaled
// window and checks, on the server's side, that no window ever holds more
// than the limit and that the limiter keeps it full.
func TestLimiterEndToEnd(t *testing.T) {
	const (
		limit  = 30
		window = time.Second
		// The default margin, as users get it: it must absorb the time between
		// admission and arrival, which on a loaded 2-core CI machine under
		// -race reached several hundred milliseconds at 50 ms (38 in a span).
		margin  = 250 * time.Millisecond
		windows = 3
		workers = 24
	)
	var arr arrivals
	srv := plainServer(t, &arr)
	lim, err := NewLimiter(LimiterOptions{Requests: limit, Window: window, Margin: margin})
	require.NoError(t, err)
	c, err := NewClient(Options{BaseURL: srv.URL, LocationID: "l", Auth: StaticToken("t"), Limiter: lim})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := c.Contacts.Get(ctx, "c1"); err != nil && ctx.Err() == nil {
					t.Error(err)
					return
				}
				if lim.Admitted() >= limit*(windows+1) {
					cancel()
				}
			}
		}()
	}
	wg.Wait()
	ts := arr.sorted()
	require.GreaterOrEqual(t, len(ts), limit*windows)
	assert.LessOrEqual(t, maxInSpan(ts, window), limit, "server saw more than %d requests in some %s span", limit, window)
	end := ts[0].Add(windows * window)
	in := 0
	for _, x := range ts {
		if x.Before(end) {
			in++
		}
	}
	util := float64(in) / float64(windows*limit)
	t.Logf("server-side: %d of %d possible in the first %d windows (%.1f%%)", in, windows*limit, windows, 100*util)
	assert.GreaterOrEqual(t, util, 0.95)
}

// BenchmarkClientOverhead measures a full Contacts.Get (limiter, breaker,
// retry bookkeeping, resty, JSON decoding) against a local handler.
func BenchmarkClientOverhead(b *testing.B) {
	srv := plainServer(b, nil)
	lim, err := NewLimiter(LimiterOptions{Requests: 1 << 30, Window: time.Second, Margin: -1})
	require.NoError(b, err)
	c, err := NewClient(Options{BaseURL: srv.URL, LocationID: "l", Auth: StaticToken("t"), Limiter: lim})
	require.NoError(b, err)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Contacts.Get(ctx, "c1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawHTTPBaseline is the same exchange with bare net/http and
// encoding/json, to read the client's overhead against.
func BenchmarkRawHTTPBaseline(b *testing.B) {
	srv := plainServer(b, nil)
	hc := srv.Client()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/contacts/c1", nil)
		req.Header.Set("Authorization", "Bearer t")
		req.Header.Set("Version", Version20210728)
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out contactEnvelope
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := jsonUnmarshal(body, &out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLimiterUtilisation saturates a scaled limiter (20 per 100ms,
// margin 2.5ms) through the client and reports how full it kept the window
// and the most requests the server saw in any window. At this scale the
// loopback and scheduling jitter of a loaded machine is a large fraction of
// the window; at HighLevel's 10s the 250ms default margin dwarfs it.
func BenchmarkLimiterUtilisation(b *testing.B) {
	const (
		limit  = 20
		window = 100 * time.Millisecond
	)
	var arr arrivals
	srv := plainServer(b, &arr)
	// The default margin is 2.5% of the window; keep that ratio.
	lim, err := NewLimiter(LimiterOptions{Requests: limit, Window: window, Margin: window / 40})
	require.NoError(b, err)
	c, err := NewClient(Options{BaseURL: srv.URL, LocationID: "l", Auth: StaticToken("t"), Limiter: lim})
	require.NoError(b, err)
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Contacts.Get(context.Background(), "c1"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	ts := arr.sorted()
	if len(ts) > limit {
		span := ts[len(ts)-1].Sub(ts[0])
		ideal := time.Duration((len(ts)-1)/limit) * window
		b.ReportMetric(float64(ideal)/float64(span), "utilisation")
		b.ReportMetric(float64(maxInSpan(ts, window)), "max/window")
		b.ReportMetric(float64(len(ts))/span.Seconds(), "req/s")
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
