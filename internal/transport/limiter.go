package transport

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// LimiterOptions configure a [Limiter].
type LimiterOptions struct {
	// Limit is the most requests allowed in any span of Window. Required.
	Limit int
	// Window is the length of the span. Required.
	Window time.Duration
	// Margin lengthens the window used for spacing, to absorb jitter between
	// the moment a request leaves the limiter and the moment the server
	// counts it. Zero means none.
	Margin time.Duration
	// DailyProbeInterval is how long the limiter refuses requests after the
	// server refused one for the daily quota without saying when it resets
	// (no Retry-After); after it, one request is let through to probe.
	// Default 10m. A quota spent by an answered request is probed at once:
	// the refusal of the next one carries Retry-After.
	DailyProbeInterval time.Duration
}

// Limiter admits at most Limit requests in any span of Window (a sliding
// log: the (Limit)th previous admission must be at least Window old), in
// FIFO order, and adapts to what the server reports (see [Limiter.Observe]).
// One Limiter per tenant (a HighLevel location, a PbN practice) is shared by
// every goroutine and every client that talks to that tenant.
//
// Admission times are taken under the lock at the moment a caller is
// released, so the guarantee holds for the times requests leave the limiter,
// whatever the scheduling delays of the callers.
type Limiter struct {
	mu      sync.Mutex
	cap     int           // configured limit
	limit   int           // effective limit (≤ cap, lowered by X-RateLimit-Max)
	window  time.Duration // effective window (≥ configured, lengthened by the server's interval)
	margin  time.Duration
	probe   time.Duration
	log     []time.Time // ring of the last admissions (real and phantom), oldest first from head; grows up to size
	size    int         // ring capacity: twice the configured limit
	head    int         // index of the oldest entry once the ring is full
	n       int         // entries in the ring
	pause   time.Time   // nobody is admitted before this (after a 429)
	daily   dailyState
	waiters []*waiter
	now     func() time.Time

	admitted uint64
	dailyRem int // last X-RateLimit-Daily-Remaining seen, -1 before any
	dailyLim int // last X-RateLimit-Limit-Daily seen, 0 before any
}

type dailyState struct {
	exhausted bool
	retryAt   time.Time
	// probeUntil is set while one request probes whether the quota came
	// back: until its response is observed (or the probe interval passes
	// without one) the others are told to ask again shortly, not at
	// probeUntil — the probe usually answers in a round trip, and a
	// caller that pauses until its RetryAt must not sleep the whole
	// interval because it arrived while the probe was in flight.
	probeUntil time.Time
}

// probePoll is how soon a caller refused while a probe is in flight is
// told to ask again.
const probePoll = time.Second

type waiter struct {
	wake chan struct{}
}

// Grant is the admission of one request. Pass it back to [Limiter.Observe]
// with what the server said.
type Grant struct {
	At time.Time
}

// NewLimiter returns a Limiter; it fails if Limit or Window is not positive.
func NewLimiter(o LimiterOptions) (*Limiter, error) {
	if o.Limit <= 0 || o.Window <= 0 {
		return nil, fmt.Errorf("transport: limiter needs a positive limit and window (got %d per %s)", o.Limit, o.Window)
	}
	if o.Margin < 0 {
		return nil, errors.New("transport: negative limiter margin")
	}
	if o.DailyProbeInterval <= 0 {
		o.DailyProbeInterval = 10 * time.Minute
	}
	return &Limiter{
		cap:    o.Limit,
		limit:  o.Limit,
		window: o.Window,
		margin: o.Margin,
		probe:  o.DailyProbeInterval,
		// Twice the limit so that Observe can count our own admissions over
		// a window plus a response's latency. Allocated as it fills, so a
		// huge limit costs nothing until it is used.
		size:     2 * o.Limit,
		log:      make([]time.Time, 0, min(2*o.Limit, 1024)),
		now:      time.Now,
		dailyRem: -1,
	}, nil
}

// Limit returns the effective limit and window.
func (l *Limiter) Limit() (int, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit, l.window
}

// Admitted returns how many requests the limiter has admitted.
func (l *Limiter) Admitted() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.admitted
}

// DailyRemaining returns the last daily remaining count the server
// reported, and false before any response carried one.
func (l *Limiter) DailyRemaining() (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dailyRem, l.dailyRem >= 0
}

// DailyLimit returns the last whole-day quota the server reported
// (X-RateLimit-Limit-Daily), and false before any response carried one.
func (l *Limiter) DailyLimit() (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dailyLim, l.dailyLim > 0
}

// at returns the i-th most recent entry (0 = newest). i < l.n.
func (l *Limiter) at(i int) time.Time {
	idx := (l.head + l.n - 1 - i) % len(l.log)
	return l.log[idx]
}

func (l *Limiter) push(t time.Time) {
	if l.n < l.size {
		// Not full yet: head is 0 and the entries are log[:n].
		l.log = append(l.log, t)
		l.n++
		return
	}
	l.log[l.head] = t
	l.head = (l.head + 1) % len(l.log)
}

// nextSlot returns the earliest time a request may be admitted.
func (l *Limiter) nextSlot(now time.Time) time.Time {
	t := now
	if l.pause.After(t) {
		t = l.pause
	}
	if l.n >= l.limit {
		if free := l.at(l.limit - 1).Add(l.window + l.margin); free.After(t) {
			t = free
		}
	}
	return t
}

// Wait blocks until the request may be sent, ctx is done, or the daily quota
// is known to be exhausted (a *[DailyLimitError]). Waiters are served in
// arrival order. Cancellation returns at once with ctx.Err().
func (l *Limiter) Wait(ctx context.Context) (Grant, error) {
	if err := ctx.Err(); err != nil {
		return Grant{}, err
	}
	w := &waiter{wake: make(chan struct{}, 1)}
	l.mu.Lock()
	l.waiters = append(l.waiters, w)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		now := l.now()
		if err := l.dailyCheck(now); err != nil {
			l.remove(w)
			l.mu.Unlock()
			return Grant{}, err
		}
		var wait time.Duration
		isHead := l.waiters[0] == w
		if isHead {
			slot := l.nextSlot(now)
			if !slot.After(now) {
				l.push(now)
				l.admitted++
				l.remove(w)
				l.mu.Unlock()
				return Grant{At: now}, nil
			}
			wait = slot.Sub(now)
		}
		l.mu.Unlock()

		var timerC <-chan time.Time
		if isHead {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			timerC = timer.C
		}
		select {
		case <-ctx.Done():
			l.mu.Lock()
			l.remove(w)
			l.mu.Unlock()
			return Grant{}, ctx.Err()
		case <-w.wake:
		case <-timerC:
		}
		if timer != nil {
			timer.Stop()
		}
		l.mu.Lock()
	}
}

// remove drops w from the queue and wakes the new head. Called with mu held.
func (l *Limiter) remove(w *waiter) {
	for i, x := range l.waiters {
		if x == w {
			copy(l.waiters[i:], l.waiters[i+1:])
			l.waiters[len(l.waiters)-1] = nil
			l.waiters = l.waiters[:len(l.waiters)-1]
			if i == 0 {
				l.wakeHead()
			}
			return
		}
	}
}

func (l *Limiter) wakeHead() {
	if len(l.waiters) > 0 {
		select {
		case l.waiters[0].wake <- struct{}{}:
		default:
		}
	}
}

func (l *Limiter) wakeAll() {
	for _, w := range l.waiters {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

func (l *Limiter) dailyCheck(now time.Time) error {
	if !l.daily.exhausted {
		return nil
	}
	if now.Before(l.daily.retryAt) {
		return &DailyLimitError{RetryAt: l.daily.retryAt}
	}
	if now.Before(l.daily.probeUntil) {
		return &DailyLimitError{RetryAt: now.Add(min(probePoll, l.daily.probeUntil.Sub(now)))}
	}
	// Let one probe through; the next Observe clears or renews the state.
	// Without one (the probe failed before a response) another probe goes
	// after the probe interval.
	l.daily.probeUntil = now.Add(l.probe)
	return nil
}

// Observation is what a response said about the server's rate limits. A
// negative count means the header was absent.
type Observation struct {
	Max            int           // X-RateLimit-Max: the server's burst limit
	Remaining      int           // X-RateLimit-Remaining: left in the current burst window
	Interval       time.Duration // X-RateLimit-Interval-Milliseconds
	DailyRemaining int           // X-RateLimit-Daily-Remaining
	DailyLimit     int           // X-RateLimit-Limit-Daily: the whole day's quota (0 or less: absent)
	RetryAfter     time.Duration // Retry-After, zero when absent
	Throttled      bool          // the response was a 429
}

// NoObservation is an Observation with every header absent.
var NoObservation = Observation{Max: -1, Remaining: -1, DailyRemaining: -1, DailyLimit: -1}

// Observe adapts the limiter to a response of the request admitted by g:
//   - a server limit lower than ours lowers ours, a longer interval lengthens
//     our window (never the other way, beyond the configured values);
//   - if the server counts more requests in its window than we admitted
//     (another process shares the quota), the difference is recorded as
//     phantom admissions now, so that we slow down by exactly that much;
//   - a daily remaining of 0 makes Wait fail fast with *DailyLimitError;
//   - a burst 429 pauses every waiter until Retry-After (or pause) has passed.
func (l *Limiter) Observe(g Grant, o Observation, pause time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	changed := false
	if o.Max > 0 {
		lim := min(o.Max, l.cap)
		if lim != l.limit {
			l.limit = lim
			changed = true
		}
	}
	if o.DailyRemaining >= 0 {
		l.dailyRem = o.DailyRemaining
	}
	if o.DailyLimit > 0 {
		l.dailyLim = o.DailyLimit
	}
	if o.Interval > l.window {
		l.window = o.Interval
		changed = true
	}
	switch {
	case o.DailyRemaining == 0:
		retry := o.RetryAfter
		switch {
		case retry > 0:
		case o.Throttled:
			// Refused without saying until when: probe after the
			// interval.
			retry = l.probe
		default:
			// An answered request spent the last of the quota. It says
			// nothing of when the quota returns; HighLevel's refusal of
			// the next one does (Retry-After): that one goes at once, as
			// the probe, instead of everyone guessing the interval.
			retry = 0
		}
		l.daily = dailyState{exhausted: true, retryAt: now.Add(retry)}
		l.wakeAll()
		return
	case o.DailyRemaining > 0:
		l.daily = dailyState{}
	}
	if o.Throttled {
		if pause <= 0 {
			pause = l.window
		}
		if until := now.Add(pause); until.After(l.pause) {
			l.pause = until
			changed = true
		}
	}
	if o.Remaining >= 0 && !g.At.IsZero() {
		max := l.limit
		if o.Max > 0 {
			max = o.Max
		}
		serverUsed := max - o.Remaining
		// Our admissions the server may have counted: everything from one
		// window (plus the margin, for requests that travelled slower than
		// this one) before this request was admitted until now. An upper
		// bound of our share, so the estimate of foreign traffic is a lower
		// bound.
		from := g.At.Add(-l.window - l.margin)
		ours, complete := 0, false
		for i := 0; i < l.n; i++ {
			if !l.at(i).After(from) {
				complete = true
				break
			}
			ours++
		}
		if complete || l.n < l.size {
			if foreign := min(serverUsed-ours, l.limit); foreign > 0 {
				for range foreign {
					l.push(now)
				}
				changed = true
			}
		}
	}
	if changed {
		l.wakeHead()
	}
}
