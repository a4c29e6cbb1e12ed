package hltest

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RateLimit configures HighLevel's per-location limits. The zero value means
// HighLevel's defaults: 100 requests per 10 seconds and 200,000 per day.
type RateLimit struct {
	// Max requests per Window (burst). Default 100.
	Max int
	// Window of the burst limit. Default 10s.
	Window time.Duration
	// Daily requests per location per UTC day. Default 200,000.
	Daily int
	// Sliding counts the burst over the last Window before each request;
	// otherwise windows are fixed, starting at the first request after the
	// previous window ended. A client must stay under both.
	Sliding bool
	// Disabled turns limiting off; the headers are still sent.
	Disabled bool
	// RetryAfter adds a Retry-After header (seconds) to limit refusals.
	// Whether HighLevel sends one is unconfirmed, so it is off by default:
	// clients must work from the X-RateLimit-* headers alone.
	RetryAfter bool
}

func (rl RateLimit) withDefaults() RateLimit {
	if rl.Max <= 0 {
		rl.Max = 100
	}
	if rl.Window <= 0 {
		rl.Window = 10 * time.Second
	}
	if rl.Daily <= 0 {
		rl.Daily = 200_000
	}
	return rl
}

// bucket is one location's limiter state.
type bucket struct {
	mu sync.Mutex
	// fixed window
	windowStart time.Time
	count       int
	// sliding window: accepted request times, oldest first
	stamps []time.Time
	// daily
	day       int64
	dailyUsed int
}

type verdict struct {
	allowed        bool
	daily          bool // refused by the daily limit
	remaining      int
	dailyRemaining int
	resetIn        time.Duration
}

func dayNumber(t time.Time) int64 { return t.UTC().Unix() / 86400 }

func (b *bucket) take(now time.Time, rl RateLimit) verdict {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := dayNumber(now); d != b.day {
		b.day, b.dailyUsed = d, 0
	}
	if rl.Disabled {
		return verdict{allowed: true, remaining: rl.Max, dailyRemaining: rl.Daily}
	}
	used := b.burstUsed(now, rl)
	v := verdict{remaining: rl.Max - used, dailyRemaining: rl.Daily - b.dailyUsed}
	switch {
	case b.dailyUsed >= rl.Daily:
		v.daily = true
		v.dailyRemaining = 0
		v.resetIn = time.Unix((b.day+1)*86400, 0).Sub(now)
		return v
	case used >= rl.Max:
		v.remaining = 0
		v.resetIn = b.burstReset(now, rl)
		return v
	}
	b.dailyUsed++
	if rl.Sliding {
		b.stamps = append(b.stamps, now)
	} else {
		b.count++
	}
	v.allowed = true
	v.remaining--
	v.dailyRemaining--
	return v
}

// burstUsed returns how many requests count against the burst at now.
func (b *bucket) burstUsed(now time.Time, rl RateLimit) int {
	if rl.Sliding {
		cut := 0
		for cut < len(b.stamps) && !b.stamps[cut].After(now.Add(-rl.Window)) {
			cut++
		}
		if cut > 0 {
			b.stamps = append(b.stamps[:0], b.stamps[cut:]...)
		}
		return len(b.stamps)
	}
	if b.windowStart.IsZero() || !now.Before(b.windowStart.Add(rl.Window)) {
		b.windowStart, b.count = now, 0
	}
	return b.count
}

func (b *bucket) burstReset(now time.Time, rl RateLimit) time.Duration {
	if rl.Sliding {
		if len(b.stamps) == 0 {
			return 0
		}
		return b.stamps[0].Add(rl.Window).Sub(now)
	}
	return b.windowStart.Add(rl.Window).Sub(now)
}

// setRateHeaders writes the five X-RateLimit-* headers HighLevel sends.
func setRateHeaders(h http.Header, rl RateLimit, v verdict) {
	h["X-Ratelimit-Limit-Daily"] = []string{strconv.Itoa(rl.Daily)}
	h["X-Ratelimit-Daily-Remaining"] = []string{strconv.Itoa(max(v.dailyRemaining, 0))}
	h["X-Ratelimit-Interval-Milliseconds"] = []string{strconv.FormatInt(rl.Window.Milliseconds(), 10)}
	h["X-Ratelimit-Max"] = []string{strconv.Itoa(rl.Max)}
	h["X-Ratelimit-Remaining"] = []string{strconv.Itoa(max(v.remaining, 0))}
}
