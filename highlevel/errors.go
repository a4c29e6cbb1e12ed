package highlevel

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/internal/redact"
	"github.com/pbnhl/pbnhl/internal/transport"
)

// Sentinels, matched with errors.Is through the typed errors.
var (
	// ErrNotFound: 404, or HighLevel's 400/422 "… not found".
	ErrNotFound = errors.New("highlevel: not found")
	// ErrUnauthorized: 401 (bad, expired or wrong-scope token, missing or
	// invalid Version header).
	ErrUnauthorized = errors.New("highlevel: unauthorized")
	// ErrForbidden: 403 (e.g. a token for another location).
	ErrForbidden = errors.New("highlevel: forbidden")
	// ErrValidation: 422 (a write DTO refused a property or value).
	ErrValidation = errors.New("highlevel: validation failed")
	// ErrDuplicateContact: the location refuses duplicate contacts and one
	// matched; see *DuplicateContactError for the existing contact's id.
	ErrDuplicateContact = errors.New("highlevel: duplicate contact")
	// ErrRateLimited: HighLevel kept answering 429 (see *RateLimitError).
	ErrRateLimited = errors.New("highlevel: rate limited")
	// ErrDailyLimit: the location's daily quota is spent; pause until it
	// resets instead of retrying.
	ErrDailyLimit = errors.New("highlevel: daily rate limit exhausted")
	// ErrOutcomeUnknown: a non-idempotent call (a create) failed in a way
	// that does not tell whether HighLevel applied it (network failure after
	// sending, or a 5xx). It was not retried: look the record up by its
	// external id before trying again.
	ErrOutcomeUnknown = errors.New("highlevel: outcome unknown")
	// ErrCircuitOpen: too many consecutive server or network failures for
	// this location; calls fail fast without being sent until the breaker's
	// cooldown has passed.
	ErrCircuitOpen = errors.New("highlevel: circuit breaker open")
	// ErrResponseTooLarge: a response body exceeded Options.MaxResponseBytes.
	ErrResponseTooLarge = errors.New("highlevel: response too large")
)

// APIError is a non-2xx answer from HighLevel. Messages are redacted of
// e-mail addresses, phone numbers, dates and tokens; Path has no query.
type APIError struct {
	Operation  string // e.g. "contacts.create"
	Method     string
	Path       string
	StatusCode int
	Messages   []string // the body's message, a string or an array of strings
	ErrorText  string   // the body's "error", e.g. "Unprocessable Entity"
	TraceID    string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "highlevel: %s: %s %s: %d", e.Operation, e.Method, e.Path, e.StatusCode)
	if e.ErrorText != "" {
		fmt.Fprintf(&b, " %s", e.ErrorText)
	}
	if len(e.Messages) > 0 {
		fmt.Fprintf(&b, ": %s", strings.Join(e.Messages, "; "))
	}
	if e.TraceID != "" {
		fmt.Fprintf(&b, " (traceId %s)", e.TraceID)
	}
	return b.String()
}

// Is matches ErrNotFound, ErrUnauthorized, ErrForbidden and ErrValidation
// from the status (and HighLevel's 400 "… not found").
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.NotFound()
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrValidation:
		return e.StatusCode == http.StatusUnprocessableEntity
	}
	return false
}

// NotFound reports a 404 or a 400/422 whose message says "not found".
func (e *APIError) NotFound() bool {
	if e.StatusCode == http.StatusNotFound {
		return true
	}
	if e.StatusCode != http.StatusBadRequest && e.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, m := range e.Messages {
		if strings.Contains(strings.ToLower(m), "not found") {
			return true
		}
	}
	return false
}

// DuplicateContactError is HighLevel refusing to create a contact because
// the location does not allow duplicates and one matched. Its text never
// includes the contact's name.
type DuplicateContactError struct {
	ContactID     string // the existing contact
	MatchingField string // "email" or "phone"
	API           *APIError
}

func (e *DuplicateContactError) Error() string {
	return fmt.Sprintf("highlevel: %s: duplicate contact: existing contact %s matches on %s",
		e.API.Operation, e.ContactID, e.MatchingField)
}

// Is matches ErrDuplicateContact.
func (e *DuplicateContactError) Is(target error) bool { return target == ErrDuplicateContact }

// Unwrap returns the *APIError.
func (e *DuplicateContactError) Unwrap() error { return e.API }

// RateLimitError reports a call refused for rate limiting. Daily tells the
// daily quota (pause until reset) from the burst window (already waited out
// and retried up to the policy's limit).
type RateLimitError struct {
	Operation  string
	Daily      bool
	RetryAfter time.Duration // what HighLevel asked for, zero if unknown
	RetryAt    time.Time     // for Daily: when the client will try again; zero if unknown
	API        *APIError     // the 429 answer, nil when refused without sending
}

func (e *RateLimitError) Error() string {
	kind := "burst"
	if e.Daily {
		kind = "daily"
	}
	s := fmt.Sprintf("highlevel: %s: %s rate limit", e.Operation, kind)
	switch {
	case !e.RetryAt.IsZero():
		s += ", retry at " + e.RetryAt.UTC().Format(time.RFC3339)
	case e.RetryAfter > 0:
		s += ", retry after " + e.RetryAfter.String()
	}
	return s
}

// Is matches ErrRateLimited, and ErrDailyLimit when Daily.
func (e *RateLimitError) Is(target error) bool {
	return target == ErrRateLimited || (e.Daily && target == ErrDailyLimit)
}

// Unwrap returns the 429 *APIError when there is one.
func (e *RateLimitError) Unwrap() error {
	if e.API == nil {
		return nil
	}
	return e.API
}

// OutcomeUnknownError: see ErrOutcomeUnknown. Err is the network error or,
// after a 5xx, the *APIError.
type OutcomeUnknownError struct {
	Operation    string
	Method, Path string
	Err          error
}

func (e *OutcomeUnknownError) Error() string {
	return fmt.Sprintf("highlevel: %s: %s %s: outcome unknown (the record may exist): %v", e.Operation, e.Method, e.Path, e.Err)
}

// Is matches ErrOutcomeUnknown.
func (e *OutcomeUnknownError) Is(target error) bool { return target == ErrOutcomeUnknown }

// Unwrap returns the cause.
func (e *OutcomeUnknownError) Unwrap() error { return e.Err }

// CircuitOpenError: see ErrCircuitOpen. Nothing was sent.
type CircuitOpenError struct {
	Operation string
	Limiter   string // the limiter's name (the location)
}

func (e *CircuitOpenError) Error() string {
	return fmt.Sprintf("highlevel: %s: circuit breaker for %s is open after repeated server or network failures", e.Operation, e.Limiter)
}

// Is matches ErrCircuitOpen.
func (e *CircuitOpenError) Is(target error) bool { return target == ErrCircuitOpen }

// errorBody is HighLevel's error envelope.
type errorBody struct {
	StatusCode int             `json:"statusCode"`
	Message    json.RawMessage `json:"message"`
	Error      string          `json:"error"`
	TraceID    string          `json:"traceId"`
	// OAuth endpoints answer {"error":"invalid_grant","error_description":…}.
	ErrorDescription string `json:"error_description"`
	Meta             *struct {
		ContactID     string `json:"contactId"`
		MatchingField string `json:"matchingField"`
	} `json:"meta"`
}

// newAPIError decodes an error answer. It returns *DuplicateContactError
// for a duplicate-contact refusal, *APIError otherwise.
func newAPIError(op, method, path string, status int, h http.Header, body []byte) error {
	e := &APIError{Operation: op, Method: method, Path: path, StatusCode: status}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		e.Messages = decodeMessages(eb.Message)
		if len(e.Messages) == 0 && eb.ErrorDescription != "" {
			e.Messages = []string{redact.String(eb.ErrorDescription)}
		}
		e.ErrorText = redact.String(eb.Error)
		e.TraceID = eb.TraceID
	}
	if e.TraceID == "" && h != nil {
		e.TraceID = h.Get("traceId")
	}
	if eb.Meta != nil && eb.Meta.ContactID != "" && status == http.StatusBadRequest {
		return &DuplicateContactError{ContactID: eb.Meta.ContactID, MatchingField: eb.Meta.MatchingField, API: e}
	}
	return e
}

func decodeMessages(raw json.RawMessage) []string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{redact.String(one)}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		for i := range many {
			many[i] = redact.String(many[i])
		}
		return many
	}
	return nil
}

// transportErr converts the transport's errors into this package's.
func transportErr(k call, err error) error {
	op := k.op.name
	var (
		ou *transport.OutcomeUnknownError
		rl *transport.RateLimitError
		dl *transport.DailyLimitError
		bo *transport.BreakerOpenError
	)
	switch {
	case errors.As(err, &ou):
		cause := ou.Err
		if ou.Response != nil {
			cause = newAPIError(op, k.op.method, k.path, ou.Response.StatusCode, ou.Response.Header, ou.Response.Body)
		}
		return &OutcomeUnknownError{Operation: op, Method: k.op.method, Path: k.path, Err: cause}
	case errors.As(err, &rl):
		e := &RateLimitError{Operation: op, Daily: rl.Daily, RetryAfter: rl.RetryAfter}
		if rl.Response != nil {
			if ae, ok := newAPIError(op, k.op.method, k.path, rl.Response.StatusCode, rl.Response.Header, rl.Response.Body).(*APIError); ok {
				e.API = ae
			}
		}
		return e
	case errors.As(err, &dl):
		return &RateLimitError{Operation: op, Daily: true, RetryAt: dl.RetryAt}
	case errors.As(err, &bo):
		return &CircuitOpenError{Operation: op, Limiter: bo.Name}
	case errors.Is(err, transport.ErrResponseTooLarge):
		return fmt.Errorf("highlevel: %s: %w (%v)", op, ErrResponseTooLarge, err)
	}
	return fmt.Errorf("highlevel: %s: %w", op, err)
}
