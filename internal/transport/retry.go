package transport

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy is when and how long to wait before trying again.
//
// What is retried, explicitly:
//   - 429 Too Many Requests: any method (the server did not process it),
//     after Retry-After if given, else after the backoff; the whole tenant's
//     limiter pauses too. A daily-quota 429 is not retried.
//   - a connection that could not be established (dial error): any method,
//     nothing was sent.
//   - other transport errors and 5xx: idempotent requests only. A
//     non-idempotent request ends with *OutcomeUnknownError instead.
//   - 401 once, when the Authenticator can refresh (see [Refresher]).
//
// Nothing else is retried; a cancelled context ends any wait at once.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included.
	// Default 5; 1 disables retries.
	MaxAttempts int
	// BaseDelay is the backoff before the first retry; it doubles each
	// time, with equal jitter (a random delay in [d/2, d]). Default 500ms.
	BaseDelay time.Duration
	// MaxDelay caps the backoff. Default 30s.
	MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After honoured by waiting; a longer
	// one ends the call with a *RateLimitError carrying it. Default 2m.
	MaxRetryAfter time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 2 * time.Minute
	}
	return p
}

// Backoff returns the wait before retry number n (1-based).
func (p RetryPolicy) Backoff(n int) time.Duration {
	p = p.withDefaults()
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	half := d / 2
	return half + rand.N(d-half+1)
}

// ParseRetryAfter reads a Retry-After value: delta seconds (fractions
// accepted) or an HTTP date. It returns 0 for an absent, invalid or past value.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if !(secs > 0 && secs <= 7*24*3600) { // also rejects NaN
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// ParseRateLimitHeaders reads the X-RateLimit-* headers HighLevel sends
// (X-RateLimit-Max, -Remaining, -Interval-Milliseconds, -Daily-Remaining,
// -Limit-Daily)
// and Retry-After. It is the default [Options.RateLimitHeaders].
func ParseRateLimitHeaders(h http.Header, now time.Time) Observation {
	o := NoObservation
	o.Max = headerInt(h, "X-RateLimit-Max")
	o.Remaining = headerInt(h, "X-RateLimit-Remaining")
	o.DailyRemaining = headerInt(h, "X-RateLimit-Daily-Remaining")
	o.DailyLimit = headerInt(h, "X-RateLimit-Limit-Daily")
	if ms := headerInt(h, "X-RateLimit-Interval-Milliseconds"); ms > 0 {
		o.Interval = time.Duration(ms) * time.Millisecond
	}
	o.RetryAfter = ParseRetryAfter(h.Get("Retry-After"), now)
	return o
}

func headerInt(h http.Header, k string) int {
	v := strings.TrimSpace(h.Get(k))
	if v == "" {
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return -1
	}
	return n
}
