package highlevel

import (
	"fmt"
	"time"

	"github.com/pbnhl/pbnhl/internal/transport"
)

// HighLevel's documented limits per app and location.
const (
	DefaultBurstLimit  = 100
	DefaultBurstWindow = 10 * time.Second
	DefaultDailyLimit  = 200_000
)

// LimiterOptions configure a [Limiter]. Zero values take the defaults.
type LimiterOptions struct {
	// Name identifies the location in errors and logs (not a secret: the
	// location id is fine). Default "highlevel".
	Name string
	// Requests is the most requests in any span of Window. Default 100.
	Requests int
	// Window is the span. Default 10s.
	Window time.Duration
	// Margin is added to Window when spacing requests, to absorb network
	// jitter between leaving the client and reaching HighLevel. Default
	// 250ms (2.5% of the default window); set a negative value for none.
	Margin time.Duration
	// DailyProbeInterval is how long calls fail fast with a daily
	// *RateLimitError once HighLevel refused one for the daily quota
	// without a Retry-After, before one call probes again. Default 10m.
	// (When an answer reports the quota spent, the next call probes at
	// once: HighLevel's refusal says, by Retry-After, when it returns.)
	DailyProbeInterval time.Duration
	// BreakerFailures is how many consecutive 5xx or network failures open
	// the circuit breaker. Default 5.
	BreakerFailures uint32
	// BreakerCooldown is how long the breaker stays open before one probe.
	// Default 30s.
	BreakerCooldown time.Duration
}

// Limiter paces and guards one location: a sliding-log rate limiter that
// never admits more than Requests in any Window (whether HighLevel counts in
// fixed or sliding windows), adapting to the X-RateLimit-* headers, and a
// circuit breaker. Share one Limiter between every Client of a location.
type Limiter struct {
	name    string
	limiter *transport.Limiter
	breaker *transport.Breaker
}

// NewLimiter returns a Limiter.
func NewLimiter(o LimiterOptions) (*Limiter, error) {
	if o.Name == "" {
		o.Name = "highlevel"
	}
	if o.Requests == 0 {
		o.Requests = DefaultBurstLimit
	}
	if o.Window == 0 {
		o.Window = DefaultBurstWindow
	}
	switch {
	case o.Margin == 0:
		o.Margin = 250 * time.Millisecond
	case o.Margin < 0:
		o.Margin = 0
	}
	l, err := transport.NewLimiter(transport.LimiterOptions{
		Limit: o.Requests, Window: o.Window, Margin: o.Margin, DailyProbeInterval: o.DailyProbeInterval,
	})
	if err != nil {
		return nil, fmt.Errorf("highlevel: %w", err)
	}
	b := transport.NewBreaker(transport.BreakerOptions{
		Name: o.Name, ConsecutiveFailures: o.BreakerFailures, OpenTimeout: o.BreakerCooldown,
	})
	return &Limiter{name: o.Name, limiter: l, breaker: b}, nil
}

// Limit returns the effective limit and window, after what HighLevel's
// headers said.
func (l *Limiter) Limit() (int, time.Duration) { return l.limiter.Limit() }

// Admitted returns how many requests the limiter has let through.
func (l *Limiter) Admitted() uint64 { return l.limiter.Admitted() }

// DailyRemaining returns how many requests HighLevel last said were left
// today for this location (X-RateLimit-Daily-Remaining), and false before
// any response carried the header. Use it to check a run fits the quota.
func (l *Limiter) DailyRemaining() (int, bool) { return l.limiter.DailyRemaining() }

// DailyLimit returns the location's whole-day quota as HighLevel last
// reported it (X-RateLimit-Limit-Daily), and false before any response
// carried the header.
func (l *Limiter) DailyLimit() (int, bool) { return l.limiter.DailyLimit() }

// BreakerState returns "closed", "open" or "half-open".
func (l *Limiter) BreakerState() string { return l.breaker.State() }
