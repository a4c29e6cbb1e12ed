package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/pbnhl/pbnhl/internal/redact"
)

// DefaultMaxResponseBytes is the response body limit when none is set.
const DefaultMaxResponseBytes int64 = 16 << 20

// Authenticator supplies the Authorization header value of each attempt.
type Authenticator interface {
	Authorization(ctx context.Context) (string, error)
}

// AuthFunc adapts a function to Authenticator.
type AuthFunc func(ctx context.Context) (string, error)

// Authorization implements Authenticator.
func (f AuthFunc) Authorization(ctx context.Context) (string, error) { return f(ctx) }

// Refresher is implemented by Authenticators that can obtain a new
// credential. On a 401 the client calls Refresh once with the header value
// that was rejected, then retries the request once. Implementations must
// refresh at most once for many concurrent callers presenting the same
// rejected value. A Refresher whose credential turns out to be fixed returns
// an error matching [ErrCannotRefresh]: the 401 answer is then returned as
// is. Any other error ends the call with a *[RefreshError].
type Refresher interface {
	Refresh(ctx context.Context, rejected string) error
}

// Options configure a [Client].
type Options struct {
	// BaseURL is the API root, e.g. https://services.leadconnectorhq.com.
	// Plain http is refused except on loopback hosts. Required.
	BaseURL string
	// HTTPClient overrides the default client (pooled keep-alive
	// connections, 2 minute timeout). Its CheckRedirect is replaced (on a
	// copy) by the client's redirect policy.
	HTTPClient *http.Client
	// RequestTimeout, when positive, bounds every attempt of Do (sending,
	// waiting and reading the answer), whatever HTTPClient's own Timeout;
	// the default client then also times out after it instead of 2 minutes.
	// An attempt cut off is a transport error: retried when idempotent, an
	// unknown outcome otherwise. Zero leaves only HTTPClient's Timeout.
	RequestTimeout time.Duration
	// UserAgent is sent on every request.
	UserAgent string
	// Header is added to every request (for example Accept).
	Header http.Header
	// Auth, when set, provides the credential header's value.
	Auth Authenticator
	// AuthHeader names the header Auth's value goes in. Default
	// "Authorization"; an API-key scheme may use another ("X-API-Key").
	AuthHeader string
	// Limiter, when set, admits every attempt (retries included).
	Limiter *Limiter
	// Breaker, when set, guards every attempt.
	Breaker *Breaker
	// Retry is the retry policy; zero values take the defaults.
	Retry RetryPolicy
	// MaxResponseBytes limits response bodies. Default 16 MiB.
	MaxResponseBytes int64
	// Logger receives one debug record per attempt and warnings for retries,
	// through a redacting handler. Nil discards.
	Logger *slog.Logger
	// RateLimitHeaders reads the server's rate-limit headers. Default
	// ParseRateLimitHeaders (HighLevel's X-RateLimit-* names).
	RateLimitHeaders func(http.Header, time.Time) Observation
	// OnAttempt, when set, is called after every attempt (for metrics such
	// as calls per record). It must be fast and must not block.
	OnAttempt func(Attempt)
}

// Attempt describes one HTTP exchange for [Options.OnAttempt].
type Attempt struct {
	Op         string
	Method     string
	Path       string // no query string
	Number     int    // 1 for the first attempt
	StatusCode int    // 0 after a transport error
	Err        error  // transport error, redacted
	Duration   time.Duration
}

// Idempotency says whether a request may be repeated after a failure that
// leaves its outcome unknown.
type Idempotency int

const (
	// ByMethod: GET, HEAD, OPTIONS, PUT and DELETE are idempotent.
	ByMethod Idempotency = iota
	// Idempotent marks a safe POST (a search, for example).
	Idempotent
	// NotIdempotent marks a method-idempotent request that is not.
	NotIdempotent
)

// Request is one API call.
type Request struct {
	// Op names the operation in logs (for example "contacts.create").
	Op     string
	Method string
	// Path is the escaped path below the base URL, starting with "/".
	Path  string
	Query url.Values
	// Header is added to the client's headers (Version, for example).
	Header http.Header
	// Body is sent as is; ContentType defaults to application/json.
	Body        []byte
	ContentType string
	// OpenBody, when set (and Body is nil), opens the body afresh for each
	// attempt and streams it: a large upload is never held in memory. The
	// transport closes what it returns.
	OpenBody    func() (io.ReadCloser, error)
	Idempotency Idempotency
	// NoAuth skips the Authenticator (token endpoints).
	NoAuth bool
}

func (r *Request) idempotent() bool {
	switch r.Idempotency {
	case Idempotent:
		return true
	case NotIdempotent:
		return false
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// Response is a completed HTTP exchange, whatever its status.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	Attempts   int
}

// Client sends requests under the retry policy, limiter and breaker. It is
// safe for concurrent use.
type Client struct {
	base      string
	rc        *resty.Client
	ua        string
	header    http.Header
	auth      Authenticator
	authHdr   string
	limiter   *Limiter
	breaker   *Breaker
	retry     RetryPolicy
	maxBody   int64
	timeout   time.Duration // per attempt of Do; 0: none of its own
	log       *slog.Logger
	rlHeaders func(http.Header, time.Time) Observation
	onAttempt func(Attempt)
	sleep     func(context.Context, time.Duration) error
}

// New returns a Client.
func New(o Options) (*Client, error) {
	base, err := ValidateBaseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	hc := o.HTTPClient
	if o.RequestTimeout < 0 {
		return nil, errors.New("transport: RequestTimeout must not be negative")
	}
	if hc == nil {
		hc = DefaultHTTPClient()
		if o.RequestTimeout > 0 {
			hc.Timeout = o.RequestTimeout
		}
	}
	authHdr := o.AuthHeader
	if authHdr == "" {
		authHdr = "Authorization"
	}
	// A copy, so the caller's client keeps its own policy: this one gets
	// the redirect policy (redirect.go), whatever CheckRedirect it had.
	own := *hc
	own.CheckRedirect = redirectPolicy(authHdr)
	hc = &own
	rc := resty.NewWithClient(hc).SetLogger(discardLogger{}).SetDisableWarn(true)
	c := &Client{
		base:      base,
		rc:        rc,
		ua:        o.UserAgent,
		header:    o.Header.Clone(),
		auth:      o.Auth,
		authHdr:   authHdr,
		limiter:   o.Limiter,
		breaker:   o.Breaker,
		retry:     o.Retry.withDefaults(),
		maxBody:   o.MaxResponseBytes,
		timeout:   o.RequestTimeout,
		rlHeaders: o.RateLimitHeaders,
		onAttempt: o.OnAttempt,
		sleep:     sleepCtx,
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	if c.rlHeaders == nil {
		c.rlHeaders = ParseRateLimitHeaders
	}
	h := slog.DiscardHandler
	if o.Logger != nil {
		h = o.Logger.Handler()
	}
	c.log = slog.New(redact.NewHandler(h))
	return c, nil
}

// DefaultHTTPClient returns an http.Client with a connection pool sized for
// concurrent API calls (the standard library keeps only 2 idle connections
// per host) and a 2 minute overall timeout.
func DefaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 64
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: t, Timeout: 2 * time.Minute}
}

// ValidateBaseURL checks that raw is an absolute http(s) URL, https unless
// the host is a loopback address, and returns it without a trailing slash.
func ValidateBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("transport: base URL %q is not an absolute URL", redact.URL(raw))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("transport: base URL must not carry user info, query or fragment")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopback(u.Hostname()) {
			return "", fmt.Errorf("transport: refusing plain http to non-loopback host %q; use https", u.Hostname())
		}
	default:
		return "", fmt.Errorf("transport: unsupported base URL scheme %q", u.Scheme)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// IsLoopback reports whether host names the local machine.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// BaseURL returns the validated base URL.
func (c *Client) BaseURL() string { return c.base }

// Do sends r under the retry policy and returns the final response, whatever
// its status: turning 4xx/5xx bodies into API errors is the caller's job.
// Errors are typed: *OutcomeUnknownError, *RateLimitError, *DailyLimitError,
// *BreakerOpenError, *ResponseTooLargeError, *RedirectError, *Error, or a wrapped context
// error. None carries a token, a body or a query value.
func (c *Client) Do(ctx context.Context, r *Request) (*Response, error) {
	if !strings.HasPrefix(r.Path, "/") {
		return nil, fmt.Errorf("transport: path %q must start with /", r.Path)
	}
	return c.attempts(ctx, r, func(n int, adm admission) exchanged {
		resp, err := c.send(ctx, r, adm.authz)
		if err != nil {
			var tooLarge *ResponseTooLargeError
			if errors.As(err, &tooLarge) {
				// The server answered; only the answer was refused.
				adm.report(outcomeSuccess)
				return exchanged{err: err, stop: true}
			}
			return exchanged{err: err}
		}
		resp.Attempts = n
		return exchanged{status: resp.StatusCode, resp: resp, obs: c.rlHeaders(resp.Header, time.Now())}
	})
}

// exchanged is what one attempt's exchange (Do's or Stream's) produced.
type exchanged struct {
	status int         // the answer's status for the attempt record; 0 without one
	resp   *Response   // a buffered answer: decide applies the retry policy
	obs    Observation // its rate-limit headers
	err    error       // no answer (a transport error): failed applies the policy
	// stop: the exchange ended the call itself (a streamed 2xx, an answer
	// too large); the loop returns resp and err as they are.
	stop bool
}

// attempts is the one attempt loop of Do and Stream: admit (breaker,
// limiter, credential), exchange, record the attempt, then the retry
// policy — failed for a transport error, decide for a buffered answer —
// until an answer is final. It returns the final answer with decide's
// error (a 401 refused after a refresh carries both), or nil and the
// error that ended the call.
func (c *Client) attempts(ctx context.Context, r *Request, exchange func(n int, adm admission) exchanged) (*Response, error) {
	idem := r.idempotent()
	refreshed := false
	for n := 1; ; n++ {
		adm, err := c.admit(ctx, r)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		x := exchange(n, adm)
		c.record(ctx, r, n, x.status, x.err, time.Since(start))
		switch {
		case x.stop:
			return x.resp, x.err
		case x.err != nil:
			if err := c.failed(ctx, r, idem, n, x.err, adm.report); err != nil {
				return nil, err
			}
			continue
		}
		v := c.decide(ctx, r, idem, n, x.resp, x.obs, adm.grant, adm.authz, &refreshed, adm.report)
		switch {
		case v.retry:
			n -= v.refund
			continue
		case v.abandoned:
			return nil, v.err
		}
		return x.resp, v.err
	}
}

// verdict is what decide makes of one buffered answer.
type verdict struct {
	retry  bool
	refund int   // 1 when the retry follows a credential refresh, not a failure
	err    error // the final error when not retrying
	// abandoned: the wait before a retry ended (context done); the answer
	// is not the final one, so none is returned.
	abandoned bool
}

// decide applies the retry policy to a buffered answer (any status of Do,
// a non-2xx of Stream): a 429 waits and retries, or ends with a
// *RateLimitError; a 5xx retries idempotent requests and makes the outcome
// of the others unknown; a 401 refreshes a refreshable credential once.
// It reports the outcome to the breaker and the answer to the limiter.
func (c *Client) decide(ctx context.Context, r *Request, idem bool, attempt int, resp *Response, obs Observation,
	grant Grant, authz string, refreshed *bool, report func(outcome)) verdict {
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		report(outcomeSuccess)
		obs.Throttled = true
		daily := obs.DailyRemaining == 0
		wait := obs.RetryAfter
		if wait <= 0 {
			wait = c.retry.Backoff(attempt)
		}
		if c.limiter != nil {
			c.limiter.Observe(grant, obs, wait)
		}
		if daily || attempt >= c.retry.MaxAttempts || obs.RetryAfter > c.retry.MaxRetryAfter {
			return verdict{err: &RateLimitError{Method: r.Method, Path: r.Path, Daily: daily, RetryAfter: obs.RetryAfter, Response: resp}}
		}
		if err := c.backoff(ctx, r, attempt, wait, "429"); err != nil {
			return verdict{err: err, abandoned: true}
		}
		return verdict{retry: true}
	case resp.StatusCode >= 500:
		report(outcomeFailure)
		if c.limiter != nil {
			c.limiter.Observe(grant, obs, 0)
		}
		if !idem {
			return verdict{err: &OutcomeUnknownError{Method: r.Method, Path: r.Path, Response: resp}}
		}
		if attempt >= c.retry.MaxAttempts || obs.RetryAfter > c.retry.MaxRetryAfter {
			return verdict{}
		}
		if err := c.backoff(ctx, r, attempt, obs.RetryAfter, "server error"); err != nil {
			return verdict{err: err, abandoned: true}
		}
		return verdict{retry: true}
	}
	report(outcomeSuccess)
	if c.limiter != nil {
		c.limiter.Observe(grant, obs, 0)
	}
	if resp.StatusCode == http.StatusUnauthorized && !*refreshed && authz != "" {
		if rf, ok := c.auth.(Refresher); ok {
			*refreshed = true
			if err := rf.Refresh(ctx, authz); err != nil {
				if errors.Is(err, ErrCannotRefresh) {
					// A fixed credential: the 401 is the final answer.
					return verdict{}
				}
				return verdict{err: &RefreshError{Method: r.Method, Path: r.Path, Response: resp, Err: err}}
			}
			c.log.LogAttrs(ctx, slog.LevelInfo, "credential refreshed after 401, retrying",
				slog.String("op", r.Op), slog.String("method", r.Method), slog.String("path", r.Path))
			return verdict{retry: true, refund: 1}
		}
	}
	return verdict{}
}

// failed applies the retry policy to a transport error (no answer): a
// cancelled context ends the call (the breaker ignores it); a request that
// may have been sent and is not idempotent has an unknown outcome; others
// wait and retry within the budget. A nil error means retry.
func (c *Client) failed(ctx context.Context, r *Request, idem bool, attempt int, err error, report func(outcome)) error {
	var re *RedirectError
	if errors.As(err, &re) {
		// The server answered (with a redirect it may not have): a
		// definite refusal, not an unknown outcome, and nothing to retry.
		report(outcomeSuccess)
		re.Method, re.Path = r.Method, r.Path
		return re
	}
	var be *BodyError
	if errors.As(err, &be) {
		// Nothing left this process: the server is not at fault and a
		// retry would open the same missing body.
		report(outcomeIgnored)
		return be
	}
	if ctx.Err() != nil {
		report(outcomeIgnored)
		if !idem {
			return &OutcomeUnknownError{Method: r.Method, Path: r.Path, Err: err}
		}
		return &Error{Method: r.Method, Path: r.Path, Attempts: attempt, Err: err}
	}
	report(outcomeFailure)
	if !idem && !isDialError(err) {
		return &OutcomeUnknownError{Method: r.Method, Path: r.Path, Err: err}
	}
	if attempt >= c.retry.MaxAttempts {
		return &Error{Method: r.Method, Path: r.Path, Attempts: attempt, Err: err}
	}
	return c.backoff(ctx, r, attempt, 0, "transport error")
}

// admission is what one attempt goes out with: the limiter's grant, the
// Authorization value and the breaker's outcome report.
type admission struct {
	grant  Grant
	authz  string
	report func(outcome)
}

// admit lets one attempt out: the breaker must be closed (or half-open with a
// free probe), the limiter must admit it, and the credential must be ready.
func (c *Client) admit(ctx context.Context, r *Request) (admission, error) {
	if c.breaker != nil && c.breaker.open() {
		return admission{}, c.breaker.openError()
	}
	a := admission{report: func(outcome) {}}
	if c.limiter != nil {
		g, err := c.limiter.Wait(ctx)
		if err != nil {
			return admission{}, c.waitErr(r, err)
		}
		a.grant = g
	}
	if c.auth != nil && !r.NoAuth {
		z, err := c.auth.Authorization(ctx)
		if err != nil {
			return admission{}, fmt.Errorf("%s %s: authorization: %w", r.Method, r.Path, err)
		}
		a.authz = z
	}
	if c.breaker != nil {
		rep, err := c.breaker.allow()
		if err != nil {
			return admission{}, err
		}
		a.report = rep
	}
	return a, nil
}

func (c *Client) waitErr(r *Request, err error) error {
	var daily *DailyLimitError
	if errors.As(err, &daily) {
		return err
	}
	return fmt.Errorf("%s %s: waiting for the rate limiter: %w", r.Method, r.Path, err)
}

// backoff waits before the next attempt: d if positive, else the policy's
// backoff.
func (c *Client) backoff(ctx context.Context, r *Request, attempt int, d time.Duration, why string) error {
	if d <= 0 {
		d = c.retry.Backoff(attempt)
	}
	c.log.LogAttrs(ctx, slog.LevelWarn, "retrying",
		slog.String("op", r.Op), slog.String("method", r.Method), slog.String("path", r.Path),
		slog.String("reason", why), slog.Int("attempt", attempt), slog.Duration("wait", d))
	if err := c.sleep(ctx, d); err != nil {
		return fmt.Errorf("%s %s: waiting to retry: %w", r.Method, r.Path, err)
	}
	return nil
}

func (c *Client) record(ctx context.Context, r *Request, n, status int, err error, d time.Duration) {
	if c.onAttempt != nil {
		c.onAttempt(Attempt{Op: r.Op, Method: r.Method, Path: r.Path, Number: n, StatusCode: status, Err: err, Duration: d})
	}
	if !c.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("op", r.Op), slog.String("method", r.Method), slog.String("path", r.Path),
		slog.Int("attempt", n), slog.Int("status", status), slog.Duration("duration", d),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "http attempt", attrs...)
}

// send performs one HTTP exchange and reads the body under the size limit.
// Errors never contain the URL.
func (c *Client) send(ctx context.Context, r *Request, authz string) (*Response, error) {
	actx := ctx
	if c.timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel() // after the body is read
	}
	raw, err := c.open(actx, r, authz)
	if err != nil {
		return nil, c.timedOut(ctx, actx, err)
	}
	defer raw.Body.Close()
	body, err := io.ReadAll(io.LimitReader(raw.Body, c.maxBody+1))
	if err != nil {
		return nil, c.timedOut(ctx, actx, stripURL(err))
	}
	if int64(len(body)) > c.maxBody {
		return nil, &ResponseTooLargeError{Method: r.Method, Path: r.Path, Limit: c.maxBody}
	}
	return &Response{StatusCode: raw.StatusCode, Header: raw.Header, Body: body}, nil
}

// timedOut names an attempt cut off by RequestTimeout (the attempt's
// context ended, the caller's did not).
func (c *Client) timedOut(ctx, actx context.Context, err error) error {
	if ctx.Err() == nil && actx.Err() != nil {
		return fmt.Errorf("no complete answer within the request timeout (%s): %w", c.timeout, err)
	}
	return err
}

// openStream performs one exchange whose body is streamed from
// r.OpenBody. It goes to the http.Client directly: resty reads an
// io.Reader body whole to make it replayable, which a large upload must
// not be (OpenBody makes each attempt's body afresh instead).
func (c *Client) openStream(ctx context.Context, r *Request, h http.Header, u string) (*http.Response, error) {
	body, err := r.OpenBody()
	if err != nil {
		return nil, &BodyError{Method: r.Method, Path: r.Path, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u, body)
	if err != nil {
		body.Close()
		return nil, stripURL(err)
	}
	req.Header = h.Clone()
	ct := r.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	req.Header.Set("Content-Type", ct)
	resp, err := c.rc.GetClient().Do(req) // closes body
	if err != nil {
		return nil, stripURL(err)
	}
	return resp, nil
}

// open performs one exchange and returns the response with its body unread.
// Errors never contain the URL.
func (c *Client) open(ctx context.Context, r *Request, authz string) (*http.Response, error) {
	req := c.rc.R().SetContext(ctx).SetDoNotParseResponse(true)
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	for k, vs := range r.Header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	}
	if authz != "" {
		req.Header.Set(c.authHdr, authz)
	}
	if r.Body != nil {
		ct := r.ContentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
		req.SetBody(r.Body)
	}
	u := c.base + r.Path
	if len(r.Query) > 0 {
		u += "?" + r.Query.Encode()
	}
	if r.Body == nil && r.OpenBody != nil {
		return c.openStream(ctx, r, req.Header, u)
	}
	rr, err := req.Execute(r.Method, u)
	if err != nil {
		if rr != nil && rr.RawResponse != nil && rr.RawResponse.Body != nil {
			rr.RawResponse.Body.Close()
		}
		return nil, stripURL(err)
	}
	return rr.RawResponse, nil
}

// stripURL drops the *url.Error wrapper, whose text holds the full URL and
// so any query value (an e-mail, a phone number, an OAuth code).
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// isDialError reports a failure to connect: the request was never written.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// discardLogger silences resty's own logging, which may print URLs.
type discardLogger struct{}

func (discardLogger) Errorf(string, ...any) {}
func (discardLogger) Warnf(string, ...any)  {}
func (discardLogger) Debugf(string, ...any) {}
