package highlevel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/internal/transport"
)

// DefaultBaseURL is HighLevel's production API root.
const DefaultBaseURL = "https://services.leadconnectorhq.com"

// Version header values, as the official specs declare them per operation.
const (
	// Version20210728 is declared by contacts, businesses, objects,
	// associations, custom fields, locations, opportunities, users, medias
	// and the OAuth location-token endpoint.
	Version20210728 = "2021-07-28"
	// Version20210415 is declared by calendars and conversations.
	Version20210415 = "2021-04-15"
)

const defaultUserAgent = "pbnhl-highlevel/1 (+https://github.com/pbnhl/pbnhl)"

// Options configure a [Client].
type Options struct {
	// BaseURL defaults to DefaultBaseURL. Plain http is refused except on
	// loopback (for simulators such as hltest).
	BaseURL string
	// LocationID is the sub-account every call works in. Required.
	LocationID string
	// Auth supplies the bearer token: StaticToken for a Private Integration
	// Token, or an *OAuth. Required.
	Auth TokenSource
	// Logger receives redacted records (operation, method, path, status,
	// attempt, duration; never tokens, bodies or query values). Nil
	// discards.
	Logger *slog.Logger
	// HTTPClient overrides the pooled default client. Its CheckRedirect is
	// replaced (on a copy) by the transport's redirect policy; a Timeout of
	// its own shorter than RequestTimeout cuts attempts earlier.
	HTTPClient *http.Client
	// RequestTimeout bounds every HTTP attempt, from sending to the end of
	// the answer (see [WithRequestTimeout]). Zero means
	// DefaultRequestTimeout; it must be at most MaxRequestTimeout.
	RequestTimeout time.Duration
	// Limiter paces and guards the location. Share one between Clients of
	// the same location; nil creates one with DefaultLimits.
	Limiter *Limiter
	// Retry tunes the retry policy; zero values take the defaults (5
	// attempts, 500ms doubling backoff capped at 30s, Retry-After honoured
	// up to 2 minutes).
	Retry RetryPolicy
	// UserAgent overrides the default User-Agent.
	UserAgent string
	// MaxResponseBytes limits response bodies. Default 16 MiB.
	MaxResponseBytes int64
	// OnCall, when set, is called after every HTTP attempt (retries
	// included), for metrics such as calls per record. It must not block.
	OnCall func(Call)
}

// Request timeout bounds.
const (
	// DefaultRequestTimeout bounds an attempt when nothing is set.
	DefaultRequestTimeout = 60 * time.Second
	// MaxRequestTimeout is the longest accepted: a write cut off after it
	// is an unknown outcome that a migration may look up only once it can
	// no longer be in flight, so a longer bound only delays recovery.
	MaxRequestTimeout = 10 * time.Minute
)

// Option adjusts the Options given to [NewClient].
type Option func(*Options) error

// WithRequestTimeout bounds every HTTP attempt of the client (sending,
// waiting, reading the answer) at d: more than 0 and at most
// MaxRequestTimeout, else NewClient fails. An attempt cut off is retried
// when the call is idempotent and is an unknown outcome otherwise. The
// default is DefaultRequestTimeout (60s).
func WithRequestTimeout(d time.Duration) Option {
	return func(o *Options) error {
		if d <= 0 || d > MaxRequestTimeout {
			return fmt.Errorf("highlevel: request timeout %s: must be more than 0 and at most %s", d, MaxRequestTimeout)
		}
		o.RequestTimeout = d
		return nil
	}
}

// RetryPolicy tunes retries. What is retried is fixed by the rules in the
// package documentation; this only says how often and how long.
type RetryPolicy struct {
	MaxAttempts   int           // total attempts, the first included; 1 disables retries
	BaseDelay     time.Duration // first backoff, doubled each retry, equal jitter
	MaxDelay      time.Duration // backoff cap
	MaxRetryAfter time.Duration // longest Retry-After waited out; longer ends the call with *RateLimitError
}

// Call describes one HTTP attempt, for Options.OnCall.
type Call struct {
	Operation  string // e.g. "contacts.create"
	Method     string
	Path       string // without query
	Attempt    int
	StatusCode int // 0 when no response arrived
	Duration   time.Duration
}

// Client is a HighLevel API v2 client for one location. It is safe for
// concurrent use; all goroutines share its limiter.
type Client struct {
	locationID string
	timeout    time.Duration
	http       *transport.Client
	limiter    *Limiter

	Contacts      *ContactsService
	Businesses    *BusinessesService
	CustomFields  *CustomFieldsService
	Objects       *ObjectsService
	Associations  *AssociationsService
	Opportunities *OpportunitiesService
	Pipelines     *PipelinesService
	Users         *UsersService
	Media         *MediaService
	CustomValues  *CustomValuesService  // customvalues.go
	Locations     *LocationsService     // locations.go
	Calendars     *CalendarsService     // calendars.go
	Conversations *ConversationsService // conversations.go
}

type service struct{ client *Client }

// The service types group the operations of one API area. Their methods
// live in the file of that area.
type (
	// ContactsService: contacts, their tags, notes and tasks.
	ContactsService service
	// BusinessesService: businesses (companies) and contact links.
	BusinessesService service
	// CustomFieldsService: location custom fields and Custom Fields V2.
	CustomFieldsService service
	// ObjectsService: custom object schemas and records.
	ObjectsService service
	// AssociationsService: association definitions and relations.
	AssociationsService service
	// OpportunitiesService: opportunities.
	OpportunitiesService service
	// PipelinesService: opportunity pipelines.
	PipelinesService service
	// UsersService: users of the location.
	UsersService service
	// MediaService: the media library.
	MediaService service
)

// NewClient returns a Client. Options given after o are applied to it in
// order.
func NewClient(o Options, opts ...Option) (*Client, error) {
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	switch {
	case o.RequestTimeout == 0:
		o.RequestTimeout = DefaultRequestTimeout
	case o.RequestTimeout < 0 || o.RequestTimeout > MaxRequestTimeout:
		return nil, fmt.Errorf("highlevel: Options.RequestTimeout %s: must be more than 0 and at most %s", o.RequestTimeout, MaxRequestTimeout)
	}
	if o.LocationID == "" {
		return nil, errors.New("highlevel: Options.LocationID is required")
	}
	if o.Auth == nil {
		return nil, errors.New("highlevel: Options.Auth is required (StaticToken or *OAuth)")
	}
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	if o.UserAgent == "" {
		o.UserAgent = defaultUserAgent
	}
	lim := o.Limiter
	if lim == nil {
		var err error
		lim, err = NewLimiter(LimiterOptions{Name: o.LocationID})
		if err != nil {
			return nil, err
		}
	}
	c := &Client{locationID: o.LocationID, limiter: lim, timeout: o.RequestTimeout}
	var onAttempt func(transport.Attempt)
	if f := o.OnCall; f != nil {
		onAttempt = func(a transport.Attempt) {
			f(Call{Operation: a.Op, Method: a.Method, Path: a.Path, Attempt: a.Number, StatusCode: a.StatusCode, Duration: a.Duration})
		}
	}
	t, err := transport.New(transport.Options{
		BaseURL:          o.BaseURL,
		HTTPClient:       o.HTTPClient,
		RequestTimeout:   o.RequestTimeout,
		UserAgent:        o.UserAgent,
		Header:           http.Header{"Accept": {"application/json"}},
		Auth:             bearer{o.Auth},
		Limiter:          lim.limiter,
		Breaker:          lim.breaker,
		Retry:            transport.RetryPolicy(o.Retry),
		MaxResponseBytes: o.MaxResponseBytes,
		Logger:           o.Logger,
		OnAttempt:        onAttempt,
	})
	if err != nil {
		return nil, fmt.Errorf("highlevel: %w", err)
	}
	c.http = t
	c.Contacts = (*ContactsService)(&service{c})
	c.Businesses = (*BusinessesService)(&service{c})
	c.CustomFields = (*CustomFieldsService)(&service{c})
	c.Objects = (*ObjectsService)(&service{c})
	c.Associations = (*AssociationsService)(&service{c})
	c.Opportunities = (*OpportunitiesService)(&service{c})
	c.Pipelines = (*PipelinesService)(&service{c})
	c.Users = (*UsersService)(&service{c})
	c.Media = (*MediaService)(&service{c})
	c.CustomValues = (*CustomValuesService)(&service{c})
	c.Locations = (*LocationsService)(&service{c})
	c.Calendars = (*CalendarsService)(&service{c})
	c.Conversations = (*ConversationsService)(&service{c})
	return c, nil
}

// LocationID returns the location the client works in.
func (c *Client) LocationID() string { return c.locationID }

// RequestTimeout returns the bound of every HTTP attempt (Options.RequestTimeout
// or [WithRequestTimeout], DefaultRequestTimeout when unset): no attempt
// of this client waits longer than that for its answer.
func (c *Client) RequestTimeout() time.Duration { return c.timeout }

// Limiter returns the client's limiter (to share it with another Client).
func (c *Client) Limiter() *Limiter { return c.limiter }

// bearer adapts a TokenSource to the transport, including the refresh after
// a 401 when the source supports it.
type bearer struct{ src TokenSource }

func (b bearer) Authorization(ctx context.Context) (string, error) {
	tok, err := b.src.Token(ctx)
	if err != nil {
		return "", err
	}
	return "Bearer " + tok, nil
}

func (b bearer) Refresh(ctx context.Context, rejected string) error {
	r, ok := b.src.(refresher)
	if !ok {
		// A static token: HighLevel's 401 is the answer (an *UnauthorizedError).
		return transport.ErrCannotRefresh
	}
	return r.refreshRejected(ctx, trimBearer(rejected))
}

func trimBearer(h string) string {
	const p = "Bearer "
	if len(h) > len(p) && h[:len(p)] == p {
		return h[len(p):]
	}
	return h
}

// operation is one documented API operation.
type operation struct {
	name    string // "contacts.create", used in logs and errors
	method  string
	version string // Version header; empty sends none
	// idempotent marks a POST that only reads (searches), which may be
	// retried after a transport error or 5xx.
	idempotent bool
}

// call describes one request: the operation, its concrete escaped path,
// query and JSON body.
type call struct {
	op    operation
	path  string
	query url.Values
	body  any    // marshalled to JSON when non-nil
	raw   []byte // sent as is when body is nil (form or multipart)
	ctype string // content type of raw
	// open streams the body instead of raw: called once per attempt.
	open func() (io.ReadCloser, error)
}

// do sends c and decodes a 2xx response into out (when non-nil). Any other
// outcome is a typed error (see errors.go).
func (c *Client) do(ctx context.Context, k call, out any) error {
	req := &transport.Request{
		Op:          k.op.name,
		Method:      k.op.method,
		Path:        k.path,
		Query:       k.query,
		ContentType: k.ctype,
		Body:        k.raw,
		OpenBody:    k.open,
	}
	if k.op.version != "" {
		req.Header = http.Header{"Version": {k.op.version}}
	}
	if k.op.idempotent {
		req.Idempotency = transport.Idempotent
	}
	if k.body != nil {
		b, err := json.Marshal(k.body)
		if err != nil {
			return fmt.Errorf("highlevel: %s: encoding request: %w", k.op.name, err)
		}
		req.Body = b
		req.ContentType = "application/json"
	}
	resp, err := c.http.Do(ctx, req)
	if err != nil {
		err = transportErr(k, err)
		var ue *UnauthorizedError
		if errors.As(err, &ue) {
			ue.LocationID = c.locationID
		}
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		err := newAPIError(k.op.name, k.op.method, k.path, resp.StatusCode, resp.Header, resp.Body)
		if ae, ok := err.(*APIError); ok && resp.StatusCode == http.StatusUnauthorized {
			return &UnauthorizedError{Operation: k.op.name, LocationID: c.locationID, API: ae}
		}
		return err
	}
	if out == nil || len(bytes.TrimSpace(resp.Body)) == 0 {
		if out != nil {
			return &DecodeError{Operation: k.op.name, Err: errors.New("empty response body")}
		}
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return &DecodeError{Operation: k.op.name, Err: err}
	}
	return nil
}

// DecodeError reports a 2xx response whose body could not be decoded. The
// body itself is never included.
type DecodeError struct {
	Operation string
	Err       error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("highlevel: %s: decoding response: %s", e.Operation, decodeErrText(e.Err))
}

// Unwrap returns the JSON error.
func (e *DecodeError) Unwrap() error { return e.Err }

// decodeErrText keeps JSON error messages free of values: a syntax error
// quotes offending bytes of the body, and a type error's Value holds the
// JSON value itself for numbers ("number 5551234567"). Only the offset, the
// Go field path, the JSON kind and the Go type are kept.
func decodeErrText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at offset %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		kind, _, _ := strings.Cut(te.Value, " ")
		// The path holds map keys too; keep it only if it reads as one.
		field := safeField(te.Field)
		if field == "" {
			field = "?"
		}
		return fmt.Sprintf("field %q at offset %d: cannot decode a JSON %s into %s", field, te.Offset, kind, te.Type)
	}
	return "malformed body"
}

// pathf builds an escaped path from a format with %s verbs; each argument is
// path-escaped, so an id can never change the route.
func pathf(format string, ids ...string) string {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = url.PathEscape(id)
	}
	return fmt.Sprintf(format, args...)
}

// requireID rejects an empty id before a request is built (an empty id
// would address the collection instead of a record).
func requireID(op, what, id string) error {
	if id == "" {
		return fmt.Errorf("highlevel: %s: empty %s", op, what)
	}
	return nil
}
