package transport

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newLimiter(t testing.TB, limit int, window time.Duration) *Limiter {
	t.Helper()
	l, err := NewLimiter(LimiterOptions{Limit: limit, Window: window})
	require.NoError(t, err)
	return l
}

// fakeClock drives a limiter's notion of now in tests that only inspect
// nextSlot and Observe (no waiting).
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestNewLimiterRejectsBadOptions(t *testing.T) {
	for _, o := range []LimiterOptions{{}, {Limit: 1}, {Window: time.Second}, {Limit: -1, Window: time.Second}, {Limit: 1, Window: time.Second, Margin: -1}} {
		_, err := NewLimiter(o)
		assert.Error(t, err, "%+v", o)
	}
}

// maxInSpan returns the largest number of times in any half-open span
// [t, t+w) of the sorted slice ts.
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

func TestLimiterNeverExceedsAnyWindowAndStaysFull(t *testing.T) {
	const (
		limit   = 20
		window  = 200 * time.Millisecond
		workers = 32
		gens    = 10
	)
	l := newLimiter(t, limit, window)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var mu sync.Mutex
	var grants []time.Time
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				g, err := l.Wait(ctx)
				if err != nil {
					return
				}
				mu.Lock()
				grants = append(grants, g.At)
				n := len(grants)
				mu.Unlock()
				if n >= limit*gens+limit {
					cancel()
					return
				}
			}
		}()
	}
	wg.Wait()

	slices.SortFunc(grants, func(a, b time.Time) int { return a.Compare(b) })
	require.GreaterOrEqual(t, len(grants), limit*gens)
	assert.LessOrEqual(t, maxInSpan(grants, window), limit, "more than %d admissions in some %s span", limit, window)

	// Utilisation: admissions in the first gens windows after the first
	// admission, against the most any such span may hold.
	end := grants[0].Add(gens * window)
	in := 0
	for _, g := range grants {
		if g.Before(end) {
			in++
		}
	}
	util := float64(in) / float64(gens*limit)
	t.Logf("utilisation %.3f (%d of %d in %s)", util, in, gens*limit, gens*window)
	assert.GreaterOrEqual(t, util, 0.95)
}

func TestLimiterSlidingLogSemantics(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_000_000, 0)}
	l := newLimiter(t, 3, 10*time.Second)
	l.now = clk.now
	admit := func() {
		t.Helper()
		require.False(t, l.nextSlot(clk.t).After(clk.t), "should admit at %s", clk.t)
		l.push(clk.t)
	}
	admit()
	clk.advance(4 * time.Second)
	admit()
	admit()
	// Three in the window: next slot is exactly 10 s after the first.
	assert.Equal(t, time.Unix(1_000_010, 0), l.nextSlot(clk.t))
	clk.advance(6 * time.Second)
	admit()
	// Next is 10 s after the second admission (t=4).
	assert.Equal(t, time.Unix(1_000_014, 0), l.nextSlot(clk.t))
}

func TestLimiterMarginLengthensSpacing(t *testing.T) {
	l, err := NewLimiter(LimiterOptions{Limit: 1, Window: time.Second, Margin: 100 * time.Millisecond})
	require.NoError(t, err)
	t0 := time.Unix(0, 0)
	l.push(t0)
	assert.Equal(t, t0.Add(1100*time.Millisecond), l.nextSlot(t0))
}

func TestLimiterObserveAdapts(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	tests := []struct {
		name      string
		obs       Observation
		ownBefore int // admissions in the window before the observed one
		wantLimit int
		wantWin   time.Duration
		wantFree  int // admissions possible right now afterwards
	}{
		{"no headers", NoObservation, 4, 10, 10 * time.Second, 5},
		{"remaining consistent with our traffic", Observation{Max: 10, Remaining: 5, DailyRemaining: -1}, 4, 10, 10 * time.Second, 5},
		{"foreign traffic of 3 is booked", Observation{Max: 10, Remaining: 2, DailyRemaining: -1}, 4, 10, 10 * time.Second, 2},
		{"server limit lower", Observation{Max: 8, Remaining: 3, DailyRemaining: -1}, 4, 8, 10 * time.Second, 3},
		{"server limit higher is ignored", Observation{Max: 50, Remaining: 45, DailyRemaining: -1}, 4, 10, 10 * time.Second, 5},
		{"longer interval lengthens window", Observation{Max: -1, Remaining: -1, DailyRemaining: -1, Interval: 20 * time.Second}, 4, 10, 20 * time.Second, 5},
		{"shorter interval is ignored", Observation{Max: -1, Remaining: -1, DailyRemaining: -1, Interval: time.Second}, 4, 10, 10 * time.Second, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &fakeClock{t: t0}
			l := newLimiter(t, 10, 10*time.Second)
			l.now = clk.now
			for range tt.ownBefore {
				l.push(clk.t)
			}
			g := Grant{At: clk.t}
			l.push(clk.t)
			clk.advance(100 * time.Millisecond)
			l.Observe(g, tt.obs, 0)
			lim, win := l.Limit()
			assert.Equal(t, tt.wantLimit, lim)
			assert.Equal(t, tt.wantWin, win)
			free := 0
			for !l.nextSlot(clk.t).After(clk.t) && free < 100 {
				l.push(clk.t)
				free++
			}
			assert.Equal(t, tt.wantFree, free)
		})
	}
}

func TestLimiterPauseAfter429(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_000_000, 0)}
	l := newLimiter(t, 10, 10*time.Second)
	l.now = clk.now
	l.Observe(Grant{At: clk.t}, Observation{Max: -1, Remaining: -1, DailyRemaining: -1, Throttled: true}, 3*time.Second)
	assert.Equal(t, clk.t.Add(3*time.Second), l.nextSlot(clk.t))
}

func TestLimiterDailyExhaustion(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_000_000, 0)}
	l, err := NewLimiter(LimiterOptions{Limit: 10, Window: time.Second, DailyProbeInterval: time.Minute})
	require.NoError(t, err)
	l.now = clk.now
	l.Observe(Grant{At: clk.t}, Observation{Max: -1, Remaining: -1, DailyRemaining: 0, Throttled: true}, 0)

	_, err = l.Wait(context.Background())
	var de *DailyLimitError
	require.ErrorAs(t, err, &de)
	assert.ErrorIs(t, err, ErrDailyLimit)
	assert.Equal(t, clk.t.Add(time.Minute), de.RetryAt)

	clk.advance(time.Minute)
	_, err = l.Wait(context.Background())
	require.NoError(t, err, "one probe after the interval")
	_, err = l.Wait(context.Background())
	require.ErrorAs(t, err, &de, "still exhausted until a response says otherwise")
	assert.Equal(t, clk.t.Add(time.Second), de.RetryAt, "while the probe is in flight, ask again shortly, not after the probe interval")
	clk.advance(30 * time.Second)
	_, err = l.Wait(context.Background())
	require.ErrorIs(t, err, ErrDailyLimit, "a probe without a response holds the others until the interval ends")
	clk.advance(30 * time.Second)
	_, err = l.Wait(context.Background())
	require.NoError(t, err, "a probe that never answered: another after the interval")

	// A refused probe with Retry-After: the others wait exactly that.
	l.Observe(Grant{At: clk.t}, Observation{Max: -1, Remaining: -1, DailyRemaining: 0, RetryAfter: 2 * time.Second}, 0)
	_, err = l.Wait(context.Background())
	require.ErrorAs(t, err, &de)
	assert.Equal(t, clk.t.Add(2*time.Second), de.RetryAt)

	l.Observe(Grant{At: clk.t}, Observation{Max: -1, Remaining: -1, DailyRemaining: 5000}, 0)
	_, err = l.Wait(context.Background())
	require.NoError(t, err)
}

// An answered request that spent the last of the daily quota says nothing
// of when it returns: the next request goes at once as the probe, so that
// HighLevel's refusal (Retry-After) sets the wait, not the probe interval
// (TestDailyLimitPausesByDefault paused ten minutes when the last answer
// before the limit was a 200). The others poll while it is in flight.
func TestLimiterDailyExhaustedByAnAnswer(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_000_000, 0)}
	l, err := NewLimiter(LimiterOptions{Limit: 10, Window: time.Second, DailyProbeInterval: 10 * time.Minute})
	require.NoError(t, err)
	l.now = clk.now
	l.Observe(Grant{At: clk.t}, Observation{Max: -1, Remaining: -1, DailyRemaining: 0}, 0)

	g, err := l.Wait(context.Background())
	require.NoError(t, err, "the probe goes at once")
	_, err = l.Wait(context.Background())
	var de *DailyLimitError
	require.ErrorAs(t, err, &de, "the others wait for the probe's answer")
	assert.Equal(t, clk.t.Add(time.Second), de.RetryAt)

	l.Observe(g, Observation{Max: -1, Remaining: -1, DailyRemaining: 0, RetryAfter: 90 * time.Second, Throttled: true}, 0)
	_, err = l.Wait(context.Background())
	require.ErrorAs(t, err, &de)
	assert.Equal(t, clk.t.Add(90*time.Second), de.RetryAt, "HighLevel's Retry-After, not the ten-minute interval")
}

func TestLimiterDailyExhaustionFailsQueuedWaiters(t *testing.T) {
	l := newLimiter(t, 1, time.Hour)
	_, err := l.Wait(context.Background())
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() {
		_, err := l.Wait(context.Background())
		errc <- err
	}()
	waitForWaiters(t, l, 1)
	l.Observe(Grant{}, Observation{Max: -1, Remaining: -1, DailyRemaining: 0, Throttled: true}, 0)
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, ErrDailyLimit)
	case <-time.After(10 * time.Second):
		t.Fatal("queued waiter not released by daily exhaustion")
	}
}

func waitForWaiters(t *testing.T, l *Limiter, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l.mu.Lock()
		got := len(l.waiters)
		l.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d waiters queued, want %d", got, n)
		}
		time.Sleep(time.Millisecond) // polling a condition, not synchronising on time
	}
}

func TestLimiterCancellationEndsWaitAtOnce(t *testing.T) {
	l := newLimiter(t, 1, time.Hour)
	_, err := l.Wait(context.Background())
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := l.Wait(ctx)
		errc <- err
	}()
	// A second waiter queued behind the first must become head.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	errc2 := make(chan error, 1)
	go func() {
		waitForWaiters(t, l, 1)
		_, err := l.Wait(ctx2)
		errc2 <- err
	}()
	waitForWaiters(t, l, 2)
	start := time.Now()
	cancel()
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, context.Canceled)
		assert.Less(t, time.Since(start), 5*time.Second)
	case <-time.After(10 * time.Second):
		t.Fatal("cancelled wait did not return")
	}
	l.mu.Lock()
	assert.Len(t, l.waiters, 1)
	l.mu.Unlock()
	cancel2()
	require.ErrorIs(t, <-errc2, context.Canceled)
	l.mu.Lock()
	assert.Empty(t, l.waiters)
	l.mu.Unlock()

	// An already-cancelled context never queues.
	_, err = l.Wait(ctx)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestLimiterFIFO(t *testing.T) {
	l := newLimiter(t, 1, 20*time.Millisecond)
	_, err := l.Wait(context.Background())
	require.NoError(t, err)
	order := make(chan int, 5)
	var wg sync.WaitGroup
	for i := range 5 {
		waitForWaiters(t, l, i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := l.Wait(context.Background())
			assert.NoError(t, err)
			order <- i
		}()
		waitForWaiters(t, l, i+1)
	}
	wg.Wait()
	close(order)
	var got []int
	for i := range order {
		got = append(got, i)
	}
	assert.Equal(t, []int{0, 1, 2, 3, 4}, got)
}

func BenchmarkLimiterUtilisation(b *testing.B) {
	const (
		limit  = 20
		window = 100 * time.Millisecond
	)
	l := newLimiter(b, limit, window)
	var mu sync.Mutex
	var grants []time.Time
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			g, err := l.Wait(context.Background())
			if err != nil {
				b.Error(err)
				return
			}
			mu.Lock()
			grants = append(grants, g.At)
			mu.Unlock()
		}
	})
	b.StopTimer()
	slices.SortFunc(grants, func(a, b time.Time) int { return a.Compare(b) })
	if len(grants) > limit {
		span := grants[len(grants)-1].Sub(grants[0])
		ideal := time.Duration((len(grants)-1)/limit) * window
		if span > 0 {
			b.ReportMetric(float64(ideal)/float64(span), "utilisation")
		}
		b.ReportMetric(float64(maxInSpan(grants, window)), "max/window")
	}
}

func TestLimiterHugeLimitAllocatesLazily(t *testing.T) {
	l := newLimiter(t, 1<<30, time.Second)
	for range 5000 {
		_, err := l.Wait(context.Background())
		require.NoError(t, err)
	}
	assert.Equal(t, uint64(5000), l.Admitted())
	assert.Less(t, cap(l.log), 1<<20)
}

func TestLimiterRingWraps(t *testing.T) {
	clk := &fakeClock{t: time.Unix(0, 0)}
	l := newLimiter(t, 3, time.Second)
	l.now = clk.now
	for i := range 20 {
		require.False(t, l.nextSlot(clk.t).After(clk.t), "admission %d", i)
		l.push(clk.t)
		clk.advance(400 * time.Millisecond)
	}
	assert.Equal(t, 6, l.n)
	// The three most recent are at 6.8s, 7.2s, 7.6s: the next slot is 7.8s.
	assert.Equal(t, time.Unix(0, 0).Add(7800*time.Millisecond), l.nextSlot(clk.t.Add(-400*time.Millisecond)))
}

func TestLimiterDailyRemaining(t *testing.T) {
	l := newLimiter(t, 10, time.Second)
	_, ok := l.DailyRemaining()
	assert.False(t, ok)
	l.Observe(Grant{}, Observation{Max: -1, Remaining: -1, DailyRemaining: 199_321}, 0)
	n, ok := l.DailyRemaining()
	assert.True(t, ok)
	assert.Equal(t, 199_321, n)
	l.Observe(Grant{}, NoObservation, 0)
	n, _ = l.DailyRemaining()
	assert.Equal(t, 199_321, n, "a response without the header keeps the last value")
}
