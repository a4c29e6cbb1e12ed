package pbntest

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// DefaultToken is the bearer token a simulator accepts when Options.Token is
// empty.
const DefaultToken = "pbntest-token"

// DefaultPatients is the size of the practice a simulator generates when
// neither Options.Patients nor Options.Practice is set.
const DefaultPatients = 1000

// Options configure a simulator.
type Options struct {
	// Seed and Patients describe the generated practice (see NewPractice);
	// Practice, when set, is served instead.
	Seed     int64
	Patients int
	Practice *Practice

	// Token is the bearer token every request must carry (DefaultToken if
	// empty).
	Token string

	// Faults are injected into responses; the zero value injects none.
	Faults Faults

	// RateLimit is the sustained requests per second the server accepts
	// before answering 429 with Retry-After; 0 means unlimited. RateBurst
	// defaults to RateLimit rounded up.
	RateLimit float64
	RateBurst int

	// Now is the server clock. The default starts one hour after the
	// practice's AsOf and advances with real time, so every change stamp
	// Mutate writes is later than every generated one. WallClock is the
	// choice of a simulator that may be restarted.
	Now func() time.Time

	// NotBefore is the earliest time the clock may read: a simulator that
	// replaces another one passes a time at or after the last serverTime
	// the other handed out, so a client's watermark is never in the
	// simulator's future.
	NotBefore time.Time

	// Logger receives one line per request (method, path, status; never
	// query values or tokens). Nil discards.
	Logger *slog.Logger
}

// Faults describe seeded, reproducible failures. Rates are probabilities in
// [0, 1] per request.
type Faults struct {
	// Seed of the fault sequence (Options.Seed if zero).
	Seed int64
	// ServerErrors answers 500, 502 or 503 with the contract's error body.
	ServerErrors float64
	// TooManyRequests answers 429 rate_limited with Retry-After.
	TooManyRequests float64
	// RetryAfter is sent with injected 429s (whole seconds, minimum 1).
	RetryAfter time.Duration
	// Latency is added to a SlowRequests fraction of requests.
	Latency      time.Duration
	SlowRequests float64
	// Disconnects closes the connection without any response (the client
	// sees a transport error, as when a proxy drops it).
	Disconnects float64
}

// Simulator is the PbN REST API of CONTRACT.md over a generated practice,
// with change simulation ([Simulator.Mutate]) and fault injection. Serve its
// [Simulator.Handler] on any listener, or use [NewServer] for an httptest
// server on loopback.
type Simulator struct {
	opts    Options
	st      *store
	handler http.Handler
	limiter *rate.Limiter

	clockMu sync.Mutex
	// floor is the earliest the clock may read next: past the last
	// mutation's stamp, and never before a time already handed out.
	floor time.Time

	faultMu  sync.Mutex
	faultRNG rng

	mutations atomic.Int64
	requests  atomic.Int64
	byStatus  sync.Map // int -> *atomic.Int64
}

// New builds a simulator (not listening).
func New(opts Options) (*Simulator, error) {
	p := opts.Practice
	if p == nil {
		n := opts.Patients
		if n == 0 {
			n = DefaultPatients
		}
		var err error
		if p, err = NewPractice(opts.Seed, n); err != nil {
			return nil, err
		}
	}
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	for name, r := range map[string]float64{"ServerErrors": opts.Faults.ServerErrors, "TooManyRequests": opts.Faults.TooManyRequests,
		"SlowRequests": opts.Faults.SlowRequests, "Disconnects": opts.Faults.Disconnects} {
		if r < 0 || r > 1 || math.IsNaN(r) {
			return nil, fmt.Errorf("pbntest: Faults.%s must be in [0, 1], got %v", name, r)
		}
	}
	if opts.RateLimit < 0 {
		return nil, fmt.Errorf("pbntest: RateLimit must not be negative")
	}
	if opts.Now == nil {
		start := time.Now()
		base := p.asOf.Add(time.Hour)
		opts.Now = func() time.Time { return base.Add(time.Since(start)) }
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	fseed := opts.Faults.Seed
	if fseed == 0 {
		fseed = p.seed
	}
	s := &Simulator{opts: opts, st: newStore(p), faultRNG: newRNG(fseed, domFaults),
		floor: opts.NotBefore.UTC().Truncate(time.Second)}
	if !opts.NotBefore.IsZero() && s.floor.Before(opts.NotBefore) {
		s.floor = s.floor.Add(time.Second) // a floor between seconds rounds up
	}
	if opts.RateLimit > 0 {
		burst := opts.RateBurst
		if burst <= 0 {
			burst = int(math.Ceil(opts.RateLimit))
		}
		s.limiter = rate.NewLimiter(rate.Limit(opts.RateLimit), burst)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/inventory", s.inventory)
	mux.HandleFunc("GET /v1/deletions", s.deletions)
	mux.HandleFunc("GET /v1/documents/{id}/content", s.documentContent)
	mux.HandleFunc("GET /v1/{entity}", s.list)
	mux.HandleFunc("GET /v1/{entity}/{id}", s.get)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			writeError(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "only GET is supported")
			return
		}
		writeError(w, r, http.StatusNotFound, "not_found", "no such path")
	})
	s.handler = s.middleware(mux)
	return s, nil
}

// WallClock is a server clock for a simulator that may be restarted: the
// wall clock, but never earlier than one hour after the practice's AsOf (so
// every Mutate stamp is later than every generated one). Unlike the
// default, which counts from the simulator's start, it does not begin again
// when the process does. A simulator on WallClock whose mutations are at
// least a second apart never leads the wall clock by more than
// RestartMargin; so one that waits RestartMargin after its predecessor
// stopped before it answers never hands out a serverTime older than one its
// predecessor handed out (as long as the wall clock does not step back).
func WallClock(p *Practice) func() time.Time {
	earliest := p.AsOf().Add(time.Hour)
	return func() time.Time {
		if t := time.Now().UTC(); t.After(earliest) {
			return t
		}
		return earliest
	}
}

// RestartMargin is how far a WallClock simulator's clock can lead the wall
// clock: a Mutate moves the clock one second past its stamp, and with
// mutations at least a second apart the wall clock has caught up with the
// previous one's by then.
const RestartMargin = time.Second

// Practice returns the generated practice behind the simulator (without
// the changes Mutate made).
func (s *Simulator) Practice() *Practice { return s.st.p }

// Handler returns the simulator's HTTP handler.
func (s *Simulator) Handler() http.Handler { return s.handler }

// Token returns the bearer token the simulator accepts.
func (s *Simulator) Token() string { return s.opts.Token }

// Now returns the server clock (second precision, UTC). It never runs
// backwards, even if Options.Now does, and reads at least one second past
// the stamp of the last Mutate.
func (s *Simulator) Now() time.Time {
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	t := s.opts.Now().UTC().Truncate(time.Second)
	if t.Before(s.floor) {
		t = s.floor
	}
	s.floor = t
	return t
}

// Requests returns how many requests were served, in total and per status
// (-1 counts injected disconnects).
func (s *Simulator) Requests() (total int64, byStatus map[int]int64) {
	byStatus = map[int]int64{}
	s.byStatus.Range(func(k, v any) bool {
		byStatus[k.(int)] = v.(*atomic.Int64).Load()
		return true
	})
	return s.requests.Load(), byStatus
}

// Server is a Simulator listening on a loopback httptest server.
type Server struct {
	*Simulator
	// URL is the base URL to give the client (http://127.0.0.1:port).
	URL string
	ts  *httptest.Server
}

// NewServer starts a simulator on 127.0.0.1. Close it when done.
func NewServer(opts Options) (*Server, error) {
	sim, err := New(opts)
	if err != nil {
		return nil, err
	}
	ts := httptest.NewServer(sim.Handler())
	return &Server{Simulator: sim, URL: ts.URL, ts: ts}, nil
}

// Close shuts the server down.
func (s *Server) Close() { s.ts.Close() }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.ts.Client() }

type statusRecorder struct {
	http.ResponseWriter
	status  int
	counted bool
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Simulator) count(status int) {
	v, _ := s.byStatus.LoadOrStore(status, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

var requestSeq atomic.Int64

func (s *Simulator) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		w = rec
		s.requests.Add(1)
		w.Header().Set("X-Request-Id", fmt.Sprintf("r-%d", requestSeq.Add(1)))
		defer func() {
			if !rec.counted {
				s.count(rec.status)
			}
			s.opts.Logger.Debug("pbntest request", "method", r.Method, "path", r.URL.Path, "status", rec.status)
		}()
		if !s.authorised(r) {
			writeError(w, r, http.StatusUnauthorized, "unauthorized", "missing or invalid bearer token")
			return
		}
		slow, status := s.drawFault()
		if slow > 0 {
			t := time.NewTimer(slow)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		switch status {
		case statusDisconnect:
			if hj, ok := rec.ResponseWriter.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					// Counted before the close: a client that sees the
					// dropped connection must find it in Requests already.
					rec.status = statusDisconnect
					s.count(statusDisconnect)
					rec.counted = true
					_ = conn.Close()
					return
				}
			}
			writeError(w, r, http.StatusServiceUnavailable, "unavailable", "server error (injected)")
			return
		case http.StatusTooManyRequests:
			w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(s.opts.Faults.RetryAfter)))
			writeError(w, r, status, "rate_limited", "rate limit exceeded (injected)")
			return
		case 0:
		default:
			code := "internal"
			if status != http.StatusInternalServerError {
				code = "unavailable"
			}
			writeError(w, r, status, code, "server error (injected)")
			return
		}
		if s.limiter != nil {
			w.Header().Set("X-RateLimit-Limit", strconv.Itoa(s.limiter.Burst()))
			if !s.limiter.Allow() {
				wait := time.Duration(float64(time.Second) / float64(s.limiter.Limit()))
				w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(wait)))
				w.Header().Set("X-RateLimit-Remaining", "0")
				writeError(w, r, http.StatusTooManyRequests, "rate_limited", "rate limit exceeded")
				return
			}
			w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(0, int(s.limiter.Tokens()))))
		}
		next.ServeHTTP(w, r)
	})
}

func retrySeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

func (s *Simulator) authorised(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.Token)) == 1
}

// statusDisconnect is the pseudo status of an injected dropped connection
// (counted under it in Requests).
const statusDisconnect = -1

// drawFault decides, from the seeded sequence, whether this request is slow
// and whether it fails.
func (s *Simulator) drawFault() (slow time.Duration, status int) {
	f := s.opts.Faults
	if f.ServerErrors == 0 && f.TooManyRequests == 0 && f.SlowRequests == 0 && f.Disconnects == 0 {
		return 0, 0
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	r := &s.faultRNG
	if r.float() < f.SlowRequests {
		slow = f.Latency
	}
	x := r.float()
	switch {
	case x < f.ServerErrors:
		status = pick(r, []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable})
	case x < f.ServerErrors+f.TooManyRequests:
		status = http.StatusTooManyRequests
	}
	// Drawn only when enabled, so enabling nothing else keeps the sequence.
	if f.Disconnects > 0 && r.float() < f.Disconnects {
		status = statusDisconnect
	}
	return slow, status
}

type apiError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"requestId,omitempty"`
}

func writeError(w http.ResponseWriter, _ *http.Request, status int, code, msg string) {
	writeJSON(w, status, map[string]apiError{"error": {Code: code, Message: msg, RequestID: w.Header().Get("X-Request-Id")}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v) // the client went away; nothing to do
}

type listResponse struct {
	Data       any       `json:"data"`
	NextCursor string    `json:"nextCursor,omitempty"`
	ServerTime time.Time `json:"serverTime"`
}

type badParam string

func (b badParam) Error() string { return string(b) }

func parseLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, badParam("limit must be an integer in 1..1000")
	}
	return n, nil
}

func parseSince(r *http.Request) (time.Time, error) {
	v := r.URL.Query().Get("updated_since")
	if v == "" {
		return time.Time{}, nil
	}
	// A '+' offset sent unescaped arrives as a space: accept it.
	v = strings.ReplaceAll(v, " ", "+")
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, badParam("updated_since must be an RFC 3339 timestamp with offset")
	}
	return t.UTC(), nil
}

// A cursor names the scan it belongs to (entity and filters) and where to
// resume, so a cursor replayed with other filters is refused.
func encodeCursor(scope string, pos int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1|" + scope + "|" + strconv.FormatInt(pos, 10)))
}

func decodeCursor(c, scope string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, badParam("cursor is malformed")
	}
	rest, ok := strings.CutPrefix(string(b), "v1|"+scope+"|")
	if !ok {
		return 0, badParam("cursor does not belong to this listing (entity or filters changed)")
	}
	pos, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || pos < 0 {
		return 0, badParam("cursor is malformed")
	}
	return pos, nil
}

func (s *Simulator) list(w http.ResponseWriter, r *http.Request) {
	e, err := pbn.ParseEntity(r.PathValue("entity"))
	if err != nil || string(e) != r.PathValue("entity") {
		writeError(w, r, http.StatusNotFound, "not_found", "unknown entity")
		return
	}
	serverTime := s.Now()
	q := listQuery{entity: e}
	if q.limit, err = parseLimit(r); err != nil {
		writeError(w, r, http.StatusBadRequest, "invalid_parameter", err.Error())
		return
	}
	if q.since, err = parseSince(r); err != nil {
		writeError(w, r, http.StatusBadRequest, "invalid_parameter", err.Error())
		return
	}
	if v := r.URL.Query().Get("patient_id"); v != "" {
		if !e.PatientOwned() {
			writeError(w, r, http.StatusBadRequest, "invalid_parameter", "patient_id is only allowed on patient-owned entities")
			return
		}
		if q.patientID, err = strconv.ParseInt(v, 10, 64); err != nil || q.patientID < 1 {
			writeError(w, r, http.StatusBadRequest, "invalid_parameter", "patient_id must be a positive integer")
			return
		}
	}
	scope := fmt.Sprintf("%s|%d|%d", e, q.since.Unix(), q.patientID)
	if q.after, err = decodeCursor(r.URL.Query().Get("cursor"), scope); err != nil {
		writeError(w, r, http.StatusBadRequest, "invalid_parameter", err.Error())
		return
	}
	page, next := s.st.list(q)
	resp := listResponse{Data: page, ServerTime: serverTime}
	if page == nil {
		resp.Data = []any{}
	}
	if next != 0 {
		resp.NextCursor = encodeCursor(scope, next)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Simulator) get(w http.ResponseWriter, r *http.Request) {
	e, err := pbn.ParseEntity(r.PathValue("entity"))
	if err != nil || string(e) != r.PathValue("entity") {
		writeError(w, r, http.StatusNotFound, "not_found", "unknown entity")
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		writeError(w, r, http.StatusBadRequest, "invalid_parameter", "id must be a positive integer")
		return
	}
	s.st.mu.RLock()
	rec, ok := s.st.get(e, id)
	s.st.mu.RUnlock()
	if !ok {
		writeError(w, r, http.StatusNotFound, "not_found", fmt.Sprintf("%s %d not found", e, id))
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Simulator) deletions(w http.ResponseWriter, r *http.Request) {
	limit, err := parseLimit(r)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "invalid_parameter", err.Error())
		return
	}
	since, err := parseSince(r)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "invalid_parameter", err.Error())
		return
	}
	var entity pbn.Entity
	if v := r.URL.Query().Get("entity"); v != "" {
		if entity, err = pbn.ParseEntity(v); err != nil {
			writeError(w, r, http.StatusBadRequest, "invalid_parameter", "unknown entity")
			return
		}
	}
	scope := fmt.Sprintf("deletions|%d|%s", since.Unix(), entity)
	offset, err := decodeCursor(r.URL.Query().Get("cursor"), scope)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "invalid_parameter", err.Error())
		return
	}
	serverTime := s.Now()
	page, next := s.st.deletionsPage(int(min(offset, math.MaxInt32)), limit, since, entity)
	resp := listResponse{Data: page, ServerTime: serverTime}
	if page == nil {
		resp.Data = []pbn.Deletion{}
	}
	if next != 0 {
		resp.NextCursor = encodeCursor(scope, int64(next))
	}
	writeJSON(w, http.StatusOK, resp)
}

// Inventory returns the live counts (after every Mutate) and the custom
// property catalogue, as GET /v1/inventory does.
func (s *Simulator) Inventory() pbn.Inventory {
	return pbn.Inventory{Counts: s.st.counts(), CustomProperties: s.st.p.CustomProperties(), ServerTime: s.Now()}
}

// Deletions returns the deletions feed so far, in feed order.
func (s *Simulator) Deletions() []pbn.Deletion {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	return append([]pbn.Deletion(nil), s.st.deletions...)
}

func (s *Simulator) inventory(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Inventory())
}

func (s *Simulator) documentContent(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		writeError(w, r, http.StatusBadRequest, "invalid_parameter", "id must be a positive integer")
		return
	}
	s.st.mu.RLock()
	rec, ok := s.st.get(pbn.EntityDocuments, id)
	s.st.mu.RUnlock()
	if !ok {
		writeError(w, r, http.StatusNotFound, "not_found", fmt.Sprintf("documents %d not found", id))
		return
	}
	d := rec.(pbn.Document)
	ct := d.MimeType
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.FormatInt(d.Size, 10))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, s.st.p.DocumentContent(d)); err != nil && !errors.Is(err, http.ErrHandlerTimeout) {
		s.opts.Logger.Debug("pbntest document stream ended early", "document_id", id)
	}
}
