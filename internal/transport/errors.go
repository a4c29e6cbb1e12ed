package transport

import (
	"errors"
	"fmt"
	"time"
)

// Sentinels matched with errors.Is through the typed errors below.
var (
	// ErrOutcomeUnknown: a non-idempotent request failed in a way that does
	// not tell whether the server applied it (transport error after the
	// request may have been written, or a 5xx). It is never retried here.
	ErrOutcomeUnknown = errors.New("outcome unknown")
	// ErrRateLimited: the server kept answering 429.
	ErrRateLimited = errors.New("rate limited")
	// ErrDailyLimit: the daily quota is exhausted; wait for the reset.
	ErrDailyLimit = errors.New("daily rate limit exhausted")
	// ErrBreakerOpen: the tenant's circuit breaker is open; nothing was sent.
	ErrBreakerOpen = errors.New("circuit breaker open")
	// ErrResponseTooLarge: the response body exceeded the configured limit.
	ErrResponseTooLarge = errors.New("response too large")
	// ErrCannotRefresh is what a [Refresher] returns when its credential
	// cannot be renewed (a fixed token): the 401 stands as the answer.
	ErrCannotRefresh = errors.New("credential cannot be refreshed")
)

// RefreshError reports a 401 after which renewing the credential failed.
// Response is the 401 answer; Err why the refresh failed (it never holds
// the credential).
type RefreshError struct {
	Method, Path string
	Response     *Response
	Err          error
}

func (e *RefreshError) Error() string {
	return fmt.Sprintf("%s %s: 401 and the credential could not be refreshed: %v", e.Method, e.Path, e.Err)
}

// Unwrap returns the refresh failure.
func (e *RefreshError) Unwrap() error { return e.Err }

// BodyError reports a request whose body could not be opened (a streamed
// upload's source file is missing or unreadable): nothing was sent, so the
// outcome is known (no effect), the server is not at fault (the breaker does
// not count it) and another attempt would fail the same way.
type BodyError struct {
	Method, Path string
	Err          error
}

func (e *BodyError) Error() string {
	return fmt.Sprintf("%s %s: the request body could not be opened, nothing was sent: %v", e.Method, e.Path, e.Err)
}

// Unwrap returns the error that opening the body gave.
func (e *BodyError) Unwrap() error { return e.Err }

// OutcomeUnknownError reports a non-idempotent request whose effect is
// unknown. Response is set when the server answered (a 5xx).
type OutcomeUnknownError struct {
	Method, Path string
	Response     *Response // nil after a transport error
	Err          error     // the transport error, or nil after a 5xx
}

func (e *OutcomeUnknownError) Error() string {
	if e.Response != nil {
		return fmt.Sprintf("%s %s: outcome unknown: server answered %d", e.Method, e.Path, e.Response.StatusCode)
	}
	return fmt.Sprintf("%s %s: outcome unknown: %v", e.Method, e.Path, e.Err)
}

// Is matches ErrOutcomeUnknown.
func (e *OutcomeUnknownError) Is(target error) bool { return target == ErrOutcomeUnknown }

// Unwrap returns the transport error (which may be a context error).
func (e *OutcomeUnknownError) Unwrap() error { return e.Err }

// RateLimitError reports a request refused for rate limiting after the retry
// budget was spent, or a Retry-After longer than the policy accepts.
type RateLimitError struct {
	Method, Path string
	Daily        bool          // the daily quota is exhausted (not the burst window)
	RetryAfter   time.Duration // what the server asked for, zero if it did not say
	Response     *Response
}

func (e *RateLimitError) Error() string {
	kind := "burst"
	if e.Daily {
		kind = "daily"
	}
	s := fmt.Sprintf("%s %s: %s rate limit (429)", e.Method, e.Path, kind)
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(", retry after %s", e.RetryAfter)
	}
	return s
}

// Is matches ErrRateLimited, and ErrDailyLimit when Daily.
func (e *RateLimitError) Is(target error) bool {
	return target == ErrRateLimited || (e.Daily && target == ErrDailyLimit)
}

// DailyLimitError is returned without sending when the limiter knows the
// daily quota is exhausted.
type DailyLimitError struct {
	RetryAt time.Time // when the limiter will let a probe request through
}

func (e *DailyLimitError) Error() string {
	return "daily rate limit exhausted; next attempt allowed at " + e.RetryAt.UTC().Format(time.RFC3339)
}

// Is matches ErrDailyLimit and ErrRateLimited.
func (e *DailyLimitError) Is(target error) bool {
	return target == ErrDailyLimit || target == ErrRateLimited
}

// BreakerOpenError reports a request refused without sending because the
// circuit breaker is open (or half-open and already probing).
type BreakerOpenError struct {
	Name string
	// RetryAt is when the breaker lets a call through again: the end of
	// its cooldown, or shortly when half-open with its probes in flight.
	RetryAt time.Time
}

func (e *BreakerOpenError) Error() string {
	return fmt.Sprintf("circuit breaker %q open: too many server or network failures", e.Name)
}

// Is matches ErrBreakerOpen.
func (e *BreakerOpenError) Is(target error) bool { return target == ErrBreakerOpen }

// ResponseTooLargeError reports a body over the configured limit.
type ResponseTooLargeError struct {
	Method, Path string
	Limit        int64
}

func (e *ResponseTooLargeError) Error() string {
	return fmt.Sprintf("%s %s: response body larger than %d bytes", e.Method, e.Path, e.Limit)
}

// Is matches ErrResponseTooLarge.
func (e *ResponseTooLargeError) Is(target error) bool { return target == ErrResponseTooLarge }

// Error is a transport failure (no HTTP response) of an idempotent request,
// after retries. Err never carries the URL's query.
type Error struct {
	Method, Path string
	Attempts     int
	Err          error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %v (after %d attempts)", e.Method, e.Path, e.Err, e.Attempts)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }
