package highlevel

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/internal/redact"
	"github.com/pbnhl/pbnhl/internal/transport"
)

// Sentinels, matched with errors.Is through the typed errors.
var (
	// ErrNotFound: 404, or HighLevel's 400/422 "… not found".
	ErrNotFound = errors.New("highlevel: not found")
	// ErrUnauthorized: HighLevel refused the access token (401: a wrong,
	// revoked, expired or wrong-scope token, or one of another location),
	// and it could not be refreshed. See *UnauthorizedError.
	ErrUnauthorized = errors.New("highlevel: HighLevel refused the access token (401)")
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
	// ErrNotSent: a streamed request's body (an upload's file) could not
	// be opened, so nothing was sent: no effect in HighLevel, and another
	// attempt would fail the same way (the source is at fault).
	ErrNotSent = errors.New("highlevel: the request body could not be read; nothing was sent")
	// ErrRedirectRefused: HighLevel (or something in between) answered
	// with a redirect the client does not follow: any write, or a read sent
	// to another host, port or scheme. Nothing was sent to the target; a
	// write answered with a redirect was not applied where it was sent.
	ErrRedirectRefused = transport.ErrRedirectRefused
)

// APIError is a non-2xx answer from HighLevel. Its Error and SafeReason
// never quote HighLevel's message text: messages such as "Contact with name
// Jane O'Brien already exists" or `address1 "22273 Park Ave" too long` quote
// patient data, so only the status, the operation, HighLevel's error class,
// the field names and a fixed description of each problem are kept in
// clear. The raw messages are available through RawMessages only.
type APIError struct {
	Operation  string // e.g. "contacts.create"
	Method     string
	Path       string // no query
	StatusCode int
	// ErrorText is HighLevel's error class, the body's "error" (e.g.
	// "Unprocessable Entity", or an OAuth code such as "invalid_grant");
	// anything else there is dropped as free text.
	ErrorText string
	TraceID   string

	// messages are the body's messages (a string, an array of strings, or
	// nested error objects), scrubbed of e-mails, phones, dates and tokens
	// but otherwise as HighLevel wrote them: they may quote patient data.
	messages []string
	problems []problem
}

// problem is one message reduced to what may be shown: the fields it names
// and a fixed description of what is wrong.
type problem struct {
	fields []string
	kind   string // from problemKinds, "" when not recognised
}

// RawMessages returns HighLevel's messages as it wrote them (scrubbed of
// e-mail addresses, phone numbers, dates and tokens only). They MAY CONTAIN
// PATIENT DATA (names, addresses, option values quoted back): never log,
// journal or export them; use SafeReason instead. They are for matching
// HighLevel's wording in code, as NotFound does.
func (e *APIError) RawMessages() []string { return slices.Clone(e.messages) }

// SafeReason describes the refusal without any value HighLevel quoted:
// "HTTP 422 contacts.create Unprocessable Entity: address1: too long;
// allergies: invalid option". It keeps the status, the operation,
// HighLevel's error class, the field names it recognises (HighLevel
// property names, custom field ids and keys, the property HighLevel's
// nested errors name) and, per message, one of a fixed set of
// descriptions; a message it cannot describe is counted as withheld.
func (e *APIError) SafeReason() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d %s", e.StatusCode, e.Operation)
	if e.ErrorText != "" {
		b.WriteString(" " + e.ErrorText)
	}
	var items []string
	withheld := 0
	for _, p := range e.problems {
		var it string
		switch {
		case len(p.fields) > 0 && p.kind != "":
			it = strings.Join(p.fields, ", ") + ": " + p.kind
		case len(p.fields) > 0:
			it = strings.Join(p.fields, ", ")
		case p.kind != "":
			it = p.kind
		default:
			withheld++
			continue
		}
		if !slices.Contains(items, it) {
			items = append(items, it)
		}
	}
	if withheld > 0 {
		items = append(items, fmt.Sprintf("%d message(s) withheld (may quote patient data)", withheld))
	}
	if len(items) > 0 {
		b.WriteString(": " + strings.Join(items, "; "))
	}
	return b.String()
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("highlevel: %s %s: %s", e.Method, e.Path, e.SafeReason())
	if e.TraceID != "" {
		s += " (traceId " + e.TraceID + ")"
	}
	return s
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
	for _, m := range e.messages {
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

// UnauthorizedError is HighLevel refusing the access token with a 401, after
// a refresh when the token source can refresh (OAuth). Its text says what
// to check; it never holds the token.
type UnauthorizedError struct {
	Operation  string
	LocationID string    // the location the client works in
	API        *APIError // HighLevel's 401 answer
	// RefreshErr is why renewing the token failed (an OAuth refresh
	// refused, or no refresh token); nil for a static token.
	RefreshErr error
}

func (e *UnauthorizedError) Error() string {
	s := fmt.Sprintf("highlevel: %s: HighLevel refused the access token (401): check the token and that it belongs to location %s",
		e.Operation, e.LocationID)
	if e.LocationID == "" {
		s = fmt.Sprintf("highlevel: %s: HighLevel refused the access token (401): check the token and its location", e.Operation)
	}
	if e.RefreshErr != nil {
		s += fmt.Sprintf("; refreshing it failed: %v", e.RefreshErr)
	}
	return s
}

// Is matches ErrUnauthorized.
func (e *UnauthorizedError) Is(target error) bool { return target == ErrUnauthorized }

// Unwrap returns the 401 *APIError and the refresh failure.
func (e *UnauthorizedError) Unwrap() []error {
	var errs []error
	if e.API != nil {
		errs = append(errs, e.API)
	}
	if e.RefreshErr != nil {
		errs = append(errs, e.RefreshErr)
	}
	return errs
}

// CircuitOpenError: see ErrCircuitOpen. Nothing was sent.
type CircuitOpenError struct {
	Operation string
	Limiter   string // the limiter's name (the location)
	// RetryAt is when the breaker lets a call through again (see RetryAt).
	RetryAt time.Time
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
	Errors     json.RawMessage `json:"errors"`
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
		var ms []message
		collectMessages(eb.Message, "", &ms, 0)
		collectMessages(eb.Errors, "", &ms, 0)
		if len(ms) == 0 && eb.ErrorDescription != "" {
			ms = append(ms, message{text: eb.ErrorDescription})
		}
		for _, m := range ms {
			e.messages = append(e.messages, redact.String(m.text))
			e.problems = append(e.problems, describe(m))
		}
		e.ErrorText = errorClass(eb.Error)
		e.TraceID = safeID(eb.TraceID)
	}
	if e.TraceID == "" && h != nil {
		e.TraceID = safeID(h.Get("traceId"))
	}
	if eb.Meta != nil && eb.Meta.ContactID != "" && status == http.StatusBadRequest {
		return &DuplicateContactError{ContactID: safeID(eb.Meta.ContactID), MatchingField: safeField(eb.Meta.MatchingField), API: e}
	}
	return e
}

// message is one error message and the property it is about, when the
// body's structure says so (nested errors).
type message struct {
	field string
	text  string
}

// collectMessages gathers the messages of every shape HighLevel uses: a
// string, an array of strings, and nested error objects ({"property":…,
// "constraints":{…}}, {"field":…,"message":…}, {"<field>":["…"]}).
func collectMessages(raw json.RawMessage, field string, out *[]message, depth int) {
	if len(raw) == 0 || depth > 8 {
		return
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return
	}
	walkMessages(v, field, out, depth)
}

func walkMessages(v any, field string, out *[]message, depth int) {
	if depth > 8 {
		return
	}
	switch t := v.(type) {
	case string:
		*out = append(*out, message{field: field, text: t})
	case []any:
		for _, x := range t {
			walkMessages(x, field, out, depth+1)
		}
	case map[string]any:
		f := field
		for _, k := range []string{"property", "field", "path", "param", "key"} {
			if s, ok := t[k].(string); ok && s != "" {
				f = s
				break
			}
		}
		found := false
		for _, k := range []string{"message", "msg", "messages", "constraints", "errors", "children"} {
			x, ok := t[k]
			if !ok {
				continue
			}
			found = true
			if c, isMap := x.(map[string]any); isMap && k == "constraints" {
				// {"isEmail":"email must be an email"}: keys name the
				// validator, not the property.
				for _, ck := range slices.Sorted(maps.Keys(c)) {
					walkMessages(c[ck], f, out, depth+1)
				}
				continue
			}
			walkMessages(x, f, out, depth+1)
		}
		if found {
			return
		}
		// {"email":["…"], "address1":"…"}: keys are property names.
		for _, k := range slices.Sorted(maps.Keys(t)) {
			walkMessages(t[k], k, out, depth+1)
		}
	}
}

// problemKinds maps wording HighLevel (and its class-validator DTOs) use to
// the fixed description SafeReason shows; the first match wins.
var problemKinds = []struct{ phrase, kind string }{
	{"already exist", "already exists"},
	{"duplicate", "duplicate"},
	{"not found", "not found"},
	{"does not exist", "not found"},
	{"should not exist", "property not allowed"},
	{"not allowed", "not allowed"},
	{"too long", "too long"},
	{"shorter than", "too long"},
	{"maxlength", "too long"},
	{"max length", "too long"},
	{"too short", "too short"},
	{"longer than", "too short"},
	{"invalid option", "invalid option"},
	{"one of the following", "invalid option"},
	{"must be one of", "invalid option"},
	{"not a valid option", "invalid option"},
	{"should not be empty", "missing"},
	{"must not be empty", "missing"},
	{"is required", "missing"},
	{"required", "missing"},
	{"must be an email", "not an e-mail address"},
	{"invalid email", "not an e-mail address"},
	{"phone", "invalid phone number"},
	{"date", "invalid date"},
	{"must be a", "wrong type or format"},
	{"must be an", "wrong type or format"},
	{"format", "wrong format"},
	{"invalid", "invalid value"},
	{"not authorized", "not authorized"},
	{"unauthorized", "not authorized"},
	{"scope", "not authorized"},
	{"does not have access", "no access"},
	{"forbidden", "no access"},
	{"too many requests", "rate limited"},
	{"rate limit", "rate limited"},
}

// knownFields are HighLevel property names recognised anywhere in a
// message (compared case-insensitively).
var knownFields = map[string]string{}

func init() {
	for _, f := range []string{
		"firstName", "lastName", "name", "email", "phone", "address1", "address", "city", "state",
		"postalCode", "country", "dateOfBirth", "website", "timezone", "dnd", "dndSettings", "tags", "source",
		"companyName", "customFields", "customField", "customFieldId", "locationId", "contactId", "businessId",
		"pipelineId", "pipelineStageId", "status", "monetaryValue", "assignedTo", "title", "body", "dueDate",
		"completed", "userId", "gender", "additionalEmails", "additionalPhones", "externalId", "fieldKey",
		"dataType", "options", "picklistOptions", "properties", "objectKey", "schemaKey", "associationId",
		"firstObjectKey", "secondObjectKey", "recordId", "followers", "owners", "description",
		"key", "id", "ids", "parentId", "model", "fieldValue", "type", "noteId", "taskId", "opportunityId",
	} {
		knownFields[strings.ToLower(f)] = f
	}
}

var (
	// quoted: text between quotes of any kind, HighLevel's way of echoing a
	// value back; removed before anything else is looked at.
	quoted = regexp.MustCompile("'[^']*'|\"[^\"]*\"|`[^`]*`|“[^”]*”|‘[^’]*’")
	// identifier: what a property name looks like.
	identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$`)
	// hlID: a HighLevel id (custom field ids among them): 20-24 letters and
	// digits, with both.
	hlID = regexp.MustCompile(`^[A-Za-z0-9]{20,24}$`)
	// nonLetters: what separates words for problemKinds.
	nonLetters = regexp.MustCompile(`[^a-z]+`)
	// word splits a message into words.
	word = regexp.MustCompile(`[A-Za-z0-9_.\[\]]+`)
)

// pathRoots are the first segments of a dotted property path that are
// recognised as one (customFields.0.value, properties.allergies).
var pathRoots = map[string]bool{"customfields": true, "customfield": true, "properties": true, "contact": true,
	"opportunity": true, "business": true, "custom_objects": true, "meta": true}

// describe reduces a message to the fields it names and a fixed
// description; no word of the message is kept unless it is a field name.
func describe(m message) problem {
	text := quoted.ReplaceAllString(m.text, " ")
	lower := " " + nonLetters.ReplaceAllString(strings.ToLower(text), " ")
	var p problem
	for _, k := range problemKinds {
		if strings.Contains(lower, " "+k.phrase) {
			p.kind = k.kind
			break
		}
	}
	add := func(f string) {
		if f != "" && !slices.Contains(p.fields, f) {
			p.fields = append(p.fields, f)
		}
	}
	add(safeField(m.field))
	words := word.FindAllString(text, -1)
	for i, w := range words {
		w = strings.Trim(w, ".[]")
		switch {
		case knownFields[strings.ToLower(w)] != "":
			add(knownFields[strings.ToLower(w)])
		case isPath(w):
			add(w)
		case isID(w):
			add(w)
		case i > 0 && isFieldKeyword(words[i-1]) && identifier.MatchString(w) && !stopWords[strings.ToLower(w)]:
			// "for field allergies", "property foo should not exist".
			add(w)
		}
	}
	return p
}

func isFieldKeyword(w string) bool {
	switch strings.ToLower(strings.Trim(w, ".[]")) {
	case "field", "fields", "property", "properties", "key", "fieldkey":
		return true
	}
	return false
}

var stopWords = map[string]bool{"with": true, "is": true, "for": true, "the": true, "of": true, "a": true, "an": true,
	"must": true, "should": true, "not": true, "has": true, "was": true, "value": true, "in": true, "and": true, "or": true,
	"to": true, "does": true, "cannot": true, "can": true, "be": true, "are": true, "id": true, "name": true}

func isPath(w string) bool {
	i := strings.IndexByte(w, '.')
	return i > 0 && identifier.MatchString(w) && pathRoots[strings.ToLower(w[:i])] && len(w) <= 80
}

func isID(w string) bool {
	if !hlID.MatchString(w) {
		return false
	}
	return strings.ContainsAny(w, "0123456789") && strings.IndexFunc(w, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }) >= 0
}

// safeField keeps f when it looks like a property name (nested errors name
// the property they are about), else drops it.
func safeField(f string) string {
	if f == "" || len(f) > 80 || !identifier.MatchString(f) {
		return ""
	}
	return f
}

// safeID keeps an id or trace id when it holds no spaces or quotes.
func safeID(s string) string {
	if len(s) > 100 || strings.ContainsFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == ':' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) {
		return ""
	}
	return s
}

// errorClass keeps the body's "error" when it is an HTTP status text
// ("Unprocessable Entity") or an OAuth error code ("invalid_grant"), the
// only shapes HighLevel uses there; anything else could be free text.
func errorClass(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	for code := 100; code < 600; code++ {
		if t := http.StatusText(code); t != "" && strings.EqualFold(t, s) {
			return t
		}
	}
	if oauthCode.MatchString(s) {
		return s
	}
	return ""
}

var oauthCode = regexp.MustCompile(`^[a-z]+(_[a-z]+)+$`)

// transportErr converts the transport's errors into this package's.
func transportErr(k call, err error) error {
	op := k.op.name
	var (
		ou *transport.OutcomeUnknownError
		rl *transport.RateLimitError
		dl *transport.DailyLimitError
		bo *transport.BreakerOpenError
		re *transport.RefreshError
		be *transport.BodyError
	)
	switch {
	case errors.As(err, &be):
		return fmt.Errorf("highlevel: %s: %w: %w", op, ErrNotSent, be.Err)
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
		return &CircuitOpenError{Operation: op, Limiter: bo.Name, RetryAt: bo.RetryAt}
	case errors.As(err, &re):
		e := &UnauthorizedError{Operation: op, RefreshErr: re.Err}
		if re.Response != nil {
			if ae, ok := newAPIError(op, k.op.method, k.path, re.Response.StatusCode, re.Response.Header, re.Response.Body).(*APIError); ok {
				e.API = ae
			}
		}
		return e
	case errors.Is(err, transport.ErrResponseTooLarge):
		return fmt.Errorf("highlevel: %s: %w (%v)", op, ErrResponseTooLarge, err)
	}
	return fmt.Errorf("highlevel: %s: %w", op, err)
}
