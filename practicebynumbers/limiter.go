package practicebynumbers

import (
	"fmt"
	"time"

	"github.com/pbnhl/pbnhl/internal/transport"
)

// LimiterOptions configure a [Limiter].
type LimiterOptions struct {
	// Name identifies the practice in errors and logs (an id, never a
	// secret). Default "pbn".
	Name string
	// Requests is the most requests in any span of Window (default
	// [DefaultRateLimit] per [DefaultRateWindow]). Negative disables
	// client-side pacing; the server's 429 + Retry-After is still honoured.
	Requests int
	Window   time.Duration
	// BreakerFailures is how many consecutive 5xx or transport failures
	// open the circuit breaker (default 5); it then fails fast for
	// BreakerOpenTimeout (default 30s).
	BreakerFailures    uint32
	BreakerOpenTimeout time.Duration
}

// Limiter paces and guards one practice (one PbN token): a sliding-log rate
// limiter, adapting to 429 + Retry-After and the X-RateLimit-* headers, and
// a circuit breaker. A [Client] makes its own unless [Options].Limiter gives
// one: give the same Limiter to every Client of a practice (several
// processes' worth of workers, a reader beside a reconciler) so that
// together they stay under the practice's limit and trip one breaker.
type Limiter struct {
	name    string
	limiter *transport.Limiter // nil when pacing is disabled
	breaker *transport.Breaker
}

// NewLimiter returns a Limiter.
func NewLimiter(o LimiterOptions) (*Limiter, error) {
	if o.Name == "" {
		o.Name = "pbn"
	}
	l := &Limiter{name: o.Name, breaker: transport.NewBreaker(transport.BreakerOptions{
		Name: o.Name, ConsecutiveFailures: o.BreakerFailures, OpenTimeout: o.BreakerOpenTimeout,
	})}
	if o.Requests < 0 {
		return l, nil
	}
	if o.Requests == 0 {
		o.Requests = DefaultRateLimit
	}
	if o.Window <= 0 {
		o.Window = DefaultRateWindow
	}
	tl, err := transport.NewLimiter(transport.LimiterOptions{Limit: o.Requests, Window: o.Window})
	if err != nil {
		return nil, fmt.Errorf("practicebynumbers: %w", err)
	}
	l.limiter = tl
	return l, nil
}

// Name returns the practice name given in [LimiterOptions].
func (l *Limiter) Name() string { return l.name }

// Limit returns the effective limit and window (after what the server's
// headers said), or 0 and 0 when pacing is disabled.
func (l *Limiter) Limit() (int, time.Duration) {
	if l.limiter == nil {
		return 0, 0
	}
	return l.limiter.Limit()
}

// Admitted returns how many requests the limiter has let through (0 when
// pacing is disabled).
func (l *Limiter) Admitted() uint64 {
	if l.limiter == nil {
		return 0
	}
	return l.limiter.Admitted()
}

// BreakerState returns "closed", "open" or "half-open".
func (l *Limiter) BreakerState() string { return l.breaker.State() }
