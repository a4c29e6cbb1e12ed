package highlevel

import (
	"errors"
	"time"
)

// RetryAt says when the client will let a call it refused without sending
// it (ErrCircuitOpen, or ErrRateLimited once its own attempts at the burst
// limit ran out) through again, so that a caller that must not drop the
// call repeats it when the client decides rather than on a schedule of its
// own: the end of the breaker's cooldown, HighLevel's Retry-After, or now
// when the limiter paces the next attempt by itself. ok is false for any
// other error, the daily limit included (see ErrDailyLimit).
func RetryAt(err error) (at time.Time, ok bool) {
	var co *CircuitOpenError
	if errors.As(err, &co) {
		return co.RetryAt, true
	}
	var rl *RateLimitError
	if errors.As(err, &rl) && !rl.Daily {
		if rl.RetryAfter > 0 {
			return time.Now().Add(rl.RetryAfter), true
		}
		return time.Now(), true
	}
	return time.Time{}, false
}
