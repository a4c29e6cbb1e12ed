package hltest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults used when Options leave them empty. They are shaped like real
// HighLevel ids and Private Integration tokens.
const (
	DefaultLocationID = "hlsimLocation0000001"
	DefaultCompanyID  = "hlsimCompany00000001"
	DefaultToken      = "pit-00000000-0000-4000-8000-000000000001"
)

// Versions are the values of the Version header HighLevel accepts.
var Versions = []string{"2021-07-28", "2021-04-15", "2023-02-21", "v3"}

// maxBody bounds request bodies (HighLevel's media limit is 25 MB).
const maxBody = 26 << 20

// Location is one HighLevel sub-account.
type Location struct {
	ID string
	// Token is the location's Private Integration token (Bearer).
	Token string
	Name  string
	// AllowDuplicates is the location's "Allow Duplicate Contact" setting.
	AllowDuplicates bool
	// DuplicateOrder is the match order for duplicates and upsert: "email",
	// "phone". Default: email, then phone.
	DuplicateOrder []string
	// ExternalIDFields are the contact custom field keys (e.g.
	// "contact.pbn_patient_id") that the duplicate report checks. Default:
	// every contact field whose key ends in "_id".
	ExternalIDFields []string
	// AllowDuplicateOpportunities lets a contact have several opportunities
	// in one pipeline (HighLevel's default refuses the second).
	AllowDuplicateOpportunities bool
	// ConversationProviders are the conversation provider ids installed in
	// the location; a message naming any other is refused (conversations.go).
	ConversationProviders []string
}

// User is a HighLevel user (staff member).
type User struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	FirstName   string   `json:"firstName"`
	LastName    string   `json:"lastName"`
	Email       string   `json:"email"`
	Phone       string   `json:"phone,omitempty"`
	Type        string   `json:"type,omitempty"` // "account" or "agency"
	Role        string   `json:"role,omitempty"` // "admin" or "user"
	LocationIDs []string `json:"locationIds,omitempty"`
	Deleted     bool     `json:"deleted,omitempty"`
}

// OAuthClient is a marketplace app allowed to use /oauth/token.
type OAuthClient struct {
	ID, Secret  string
	RedirectURI string // when set, authorization_code must send the same
}

// Options configure a Server. The zero value is a usable HighLevel with one
// location (DefaultLocationID, DefaultToken).
type Options struct {
	Locations []Location
	CompanyID string
	Users     []User
	RateLimit RateLimit
	// SearchLag delays when a write becomes visible to search endpoints.
	SearchLag time.Duration
	Faults    []FaultRule
	// Seed makes ids and fault draws deterministic. Zero means 1.
	Seed uint64
	// Clock returns the current time; tests use it to move time forward.
	Clock        func() time.Time
	OAuthClients []OAuthClient
	// Tokens are bearer tokens accepted besides each Location's Token,
	// each with the app its requests count against (see Token).
	Tokens []Token
	// AccessTokenTTL is the lifetime of OAuth access tokens (default 24h).
	AccessTokenTTL time.Duration
	// RequestLogLimit keeps at most this many entries (default 200,000, a
	// location's daily quota; the oldest tenth is dropped when full).
	RequestLogLimit int
	// RequestLogTo, when set, receives one JSON line per request
	// (method, route template, status, duration, location id, fault: no
	// path, query, headers or bodies; see reqlog.go), uncapped and
	// buffered: call FlushRequestLog or Close. Served counts exactly
	// either way.
	RequestLogTo io.Writer
}

// RequestRecord is one served request. Path has no query string, so no
// search term or email ever lands in it.
type RequestRecord struct {
	Method     string        `json:"method"`
	Path       string        `json:"path"`
	Route      string        `json:"route"`
	Status     int           `json:"status"`
	Time       time.Time     `json:"time"`
	Duration   time.Duration `json:"duration"`
	LocationID string        `json:"locationId,omitempty"`
	// Fault names an injected fault: "5xx", "429", "drop", "lost-5xx",
	// "lost-reset", "latency", "apply-late" (Status 0: the client got no
	// answer; the write was applied later).
	Fault string `json:"fault,omitempty"`
}

// Server is an in-process HighLevel API v2.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234 (empty until started).
	URL string

	ts     *httptest.Server
	opts   Options
	clock  func() time.Time
	ids    *ids
	router *router
	rl     RateLimit
	st     atomic.Pointer[state]
	faults atomic.Pointer[[]FaultRule]

	logMu sync.Mutex
	log   []RequestRecord
	reqs  *reqLog // exact counter and the RequestLogTo stream

	// late counts apply-late writes still held.
	late     sync.WaitGroup
	lateHeld atomic.Int64
}

// NewServer starts a simulator on a loopback port. Close it when done.
func NewServer(opts Options) *Server {
	s := NewUnstartedServer(opts)
	s.ts = httptest.NewServer(s)
	s.URL = s.ts.URL
	return s
}

// NewUnstartedServer returns a simulator that is not listening; serve
// Handler() yourself (examples/hlsim does).
func NewUnstartedServer(opts Options) *Server {
	if len(opts.Locations) == 0 {
		opts.Locations = []Location{{ID: DefaultLocationID, Token: DefaultToken, Name: "Simulated Practice"}}
	}
	for i := range opts.Locations {
		if len(opts.Locations[i].DuplicateOrder) == 0 {
			opts.Locations[i].DuplicateOrder = []string{"email", "phone"}
		}
	}
	if opts.CompanyID == "" {
		opts.CompanyID = DefaultCompanyID
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.AccessTokenTTL <= 0 {
		opts.AccessTokenTTL = 24 * time.Hour
	}
	if opts.RequestLogLimit <= 0 {
		opts.RequestLogLimit = 200_000
	}
	s := &Server{
		opts:  opts,
		clock: func() time.Time { return opts.Clock().UTC() },
		ids:   newIDs(opts.Seed),
		rl:    opts.RateLimit.withDefaults(),
		reqs:  newReqLog(opts.RequestLogTo),
	}
	s.router = s.routes()
	s.st.Store(s.newState())
	faults := slices.Clone(opts.Faults)
	s.faults.Store(&faults)
	return s
}

// Handler returns the simulator as an http.Handler.
func (s *Server) Handler() http.Handler { return s }

// Close shuts the listener down (a no-op for an unstarted server), then
// waits for held apply-late writes to land.
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.Close()
	}
	s.late.Wait()
	_ = s.reqs.flush()
}

// WaitApplied blocks until every write held by an apply-late fault has
// been applied.
func (s *Server) WaitApplied() { s.late.Wait() }

// HeldWrites returns how many writes an apply-late fault holds right now.
func (s *Server) HeldWrites() int { return int(s.lateHeld.Load()) }

// Client returns an *http.Client for the loopback server.
func (s *Server) Client() *http.Client {
	if s.ts != nil {
		return s.ts.Client()
	}
	return http.DefaultClient
}

// SetFaults replaces the fault rules at runtime; no rules turns faults off.
func (s *Server) SetFaults(rules ...FaultRule) {
	r := slices.Clone(rules)
	s.faults.Store(&r)
}

// Reset forgets every record, token issued by OAuth, rate-limit counter
// and logged request, keeping the configured locations and users.
func (s *Server) Reset() {
	s.st.Store(s.newState())
	s.logMu.Lock()
	s.log = nil
	s.logMu.Unlock()
}

// call is one request being served.
type call struct {
	s      *Server
	r      *http.Request
	route  *route
	params []string // values, in route parameter order
	p      *principal
	loc    *location // the token's location; nil for agency tokens
	st     *state
	body   []byte
	now    time.Time
	query  map[string][]string
}

func (c *call) param(name string) string {
	for i, n := range c.route.params {
		if n == name {
			return c.params[i]
		}
	}
	return ""
}

func (c *call) q(name string) string {
	if v := c.query[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// scope checks that the token may act on locationID and returns it.
func (c *call) scope(locationID string) (*location, *apiError) {
	if c.loc == nil || locationID != c.loc.cfg.ID {
		return nil, errLocationAccess
	}
	return c.loc, nil
}

// response is what a handler returns; status 0 means 200.
type response struct {
	status int
	body   any
}

func ok(body any) (response, *apiError)      { return response{http.StatusOK, body}, nil }
func created(body any) (response, *apiError) { return response{http.StatusCreated, body}, nil }
func fail(err *apiError) (response, *apiError) {
	return response{}, err
}

// ServeHTTP serves one request: route, auth, Version, rate limit, faults,
// handler, response.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := &call{s: s, r: r, now: s.clock(), st: s.st.Load()}
	rec := RequestRecord{Method: r.Method, Path: r.URL.Path, Time: c.now}
	recorded := false
	logRequest := func() {
		if !recorded {
			recorded = true
			rec.Duration = time.Since(start)
			s.record(rec)
		}
	}
	defer logRequest()

	rt, params := s.router.match(r.Method, r.URL.Path)
	if rt == nil {
		rec.Status = s.writeError(w, &apiError{status: http.StatusNotFound,
			message: "Cannot " + r.Method + " " + r.URL.Path, label: "Not Found"}, s.fullVerdict())
		return
	}
	c.route, c.params = rt, params
	rec.Route = rt.name()
	if r.URL.RawQuery != "" {
		c.query = r.URL.Query()
	}

	v := s.fullVerdict()
	if !rt.public {
		if err := s.authenticate(c); err != nil {
			rec.Status = s.writeError(w, err, v)
			return
		}
		if c.loc != nil {
			rec.LocationID = c.loc.cfg.ID
		}
		// Limits count per app per location or company (ratelimit.go).
		if b := c.st.limits.of(c.p); b != nil {
			v = b.take(c.now, s.rl)
			if !v.allowed {
				rec.Status = s.writeError(w, &apiError{status: http.StatusTooManyRequests,
					message: msgTooManyRequests, label: "Too Many Requests"}, v)
				return
			}
		}
	}

	fr, hasFault := faultFor(*s.faults.Load(), r.Method, rt.pattern)
	if hasFault {
		if d := fr.Latency.delay(s.ids); d > 0 {
			rec.Fault = "latency"
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
			}
		}
		switch {
		case fr.DropRate > 0 && s.ids.float() < fr.DropRate:
			rec.Fault, rec.Status = "drop", 0
			logRequest() // before the client can see the dropped connection
			abort(w)
			return
		case fr.ServerErrorRate > 0 && s.ids.float() < fr.ServerErrorRate:
			rec.Fault = "5xx"
			codes := []int{500, 502, 503, 504}
			code := codes[int(s.ids.float()*4)%4]
			rec.Status = s.writeError(w, &apiError{status: code, message: http.StatusText(code)}, v)
			return
		case fr.TooManyRequestsRate > 0 && s.ids.float() < fr.TooManyRequestsRate:
			rec.Fault = "429"
			rec.Status = s.writeError(w, &apiError{status: http.StatusTooManyRequests,
				message: msgTooManyRequests, label: "Too Many Requests"}, v)
			return
		}
	}

	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				rec.Status = s.writeError(w, &apiError{status: http.StatusRequestEntityTooLarge,
					message: "request entity too large", label: "Payload Too Large"}, v)
				return
			}
			rec.Status = s.writeError(w, errBadRequest("could not read the request body"), v)
			return
		}
		c.body = body
	}
	if msgs := rt.checkQuery(c.query); len(msgs) > 0 {
		rec.Status = s.writeError(w, errUnprocessable(msgs...), v)
		return
	}

	if hasFault && fr.ApplyLateRate > 0 && r.Method != http.MethodGet && r.Method != http.MethodHead &&
		s.ids.float() < fr.ApplyLateRate {
		rec.Fault, rec.Status = "apply-late", 0
		s.applyLate(w, c, fr.lateDelay(), start, logRequest)
		return
	}

	resp, apiErr := rt.h(c)

	if hasFault && fr.LostResponseRate > 0 && s.ids.float() < fr.LostResponseRate {
		if fr.LostAs == LostAsReset {
			rec.Fault, rec.Status = "lost-reset", 0
			logRequest() // before the client can see the reset
			abort(w)
			return
		}
		rec.Fault = "lost-5xx"
		rec.Status = s.writeError(w, &apiError{status: http.StatusBadGateway, message: "Bad Gateway"}, v)
		return
	}
	if apiErr != nil {
		rec.Status = s.writeError(w, apiErr, v)
		return
	}
	rec.Status = s.writeJSON(w, resp.status, resp.body, v)
}

// applyLate holds a write and applies it delay after it arrived, in the
// background, whether or not the client is still there; the object is
// stamped with the time it was applied. A client still waiting then sees
// its connection reset: the write landed, its answer never will.
func (s *Server) applyLate(w http.ResponseWriter, c *call, delay time.Duration, arrived time.Time, logRequest func()) {
	ctx := c.r.Context()
	// The handler runs after ServeHTTP may have returned: it must not
	// touch the live request.
	c.r = c.r.Clone(context.Background())
	applied := make(chan struct{})
	s.late.Add(1)
	s.lateHeld.Add(1)
	go func() {
		defer s.late.Done()
		defer close(applied)
		t := time.NewTimer(time.Until(arrived.Add(delay)))
		<-t.C
		c.now = s.clock()
		_, _ = c.route.h(c)
		s.lateHeld.Add(-1)
	}()
	select {
	case <-applied:
		logRequest() // before the client can see the reset
		abort(w)
	case <-ctx.Done():
	}
}

// abort drops the connection: a TCP reset when the connection can be
// hijacked, otherwise net/http's own abort.
func abort(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (s *Server) fullVerdict() verdict {
	return verdict{allowed: true, remaining: s.rl.Max, dailyRemaining: s.rl.Daily}
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (s *Server) writeJSON(w http.ResponseWriter, status int, body any, v verdict) int {
	if status == 0 {
		status = http.StatusOK
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := json.NewEncoder(buf).Encode(body); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"statusCode":500,"message":"Internal server error"}`)
	}
	h := w.Header()
	setRateHeaders(h, s.rl, v)
	h["Content-Type"] = []string{"application/json; charset=utf-8"}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return status
}

func (s *Server) writeError(w http.ResponseWriter, e *apiError, v verdict) int {
	if s.rl.RetryAfter && e.status == http.StatusTooManyRequests && v.resetIn > 0 {
		secs := int((v.resetIn + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", itoa(secs))
	}
	return s.writeJSON(w, e.status, e.body(s.ids.uuid()), v)
}

func (s *Server) record(rec RequestRecord) {
	s.reqs.add(&rec)
	s.logMu.Lock()
	if len(s.log) >= s.opts.RequestLogLimit {
		n := copy(s.log, s.log[len(s.log)/10+1:])
		s.log = s.log[:n]
	}
	s.log = append(s.log, rec)
	s.logMu.Unlock()
}

// RequestLog returns a copy of the requests served so far, oldest first.
func (s *Server) RequestLog() []RequestRecord {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return slices.Clone(s.log)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// checkVersion validates the Version header.
func checkVersion(r *http.Request) *apiError {
	v := r.Header.Get("Version")
	if v == "" {
		return errUnauthorized(msgVersionMissing)
	}
	if !slices.Contains(Versions, v) {
		return errUnauthorized(msgVersionInvalid)
	}
	return nil
}

// bearer extracts the token of an Authorization: Bearer header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
