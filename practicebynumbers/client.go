package practicebynumbers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/internal/transport"
)

// Defaults of [Options].
const (
	DefaultPageSize   = 500
	MaxPageSize       = 1000
	DefaultRateLimit  = 20
	DefaultRateWindow = time.Second
	// DefaultMaxDocumentBytes is Options.MaxDocumentBytes when unset:
	// 1 GiB, above scanned charts and CBCT exports.
	DefaultMaxDocumentBytes int64 = 1 << 30
)

// Options configure a [Client].
type Options struct {
	// BaseURL is the API root (the contract's paths are below it, e.g.
	// {BaseURL}/v1/patients). Required: PbN has no public host. https is
	// required except for loopback hosts.
	BaseURL string
	// Token is sent as "Authorization: Bearer <token>". It never appears in
	// logs or errors.
	Token string
	// HTTPClient overrides the default pooled client.
	HTTPClient *http.Client
	// Logger receives redacted per-request records (operation, path without
	// query, status, duration). Nil discards.
	Logger *slog.Logger
	// UserAgent is sent on every request.
	UserAgent string
	// RateLimit is the most requests in any RateWindow for this tenant
	// (default 20 per second); negative disables client-side pacing (the
	// server's 429 + Retry-After is still honoured).
	RateLimit  int
	RateWindow time.Duration
	// MaxAttempts is the number of attempts of a request, the first
	// included (default 5). Every operation is a GET, so 5xx, transport
	// errors and 429 are all retried.
	MaxAttempts int
	// RetryBaseDelay is the first backoff (default 500ms), doubled per retry
	// up to 30s; Retry-After, when sent, is honoured instead.
	RetryBaseDelay time.Duration
	// BreakerFailures is how many consecutive 5xx or transport failures
	// open the circuit breaker (default 5); it then fails fast for
	// BreakerOpenTimeout (default 30s).
	BreakerFailures    uint32
	BreakerOpenTimeout time.Duration
	// Limiter, when set, paces and guards this Client together with every
	// other Client given the same Limiter (one per practice); RateLimit,
	// RateWindow, BreakerFailures and BreakerOpenTimeout must then be zero.
	Limiter *Limiter
	// PageSize is the default list page size (default 500, at most 1000).
	PageSize int
	// MaxResponseBytes limits a JSON response (default 16 MiB).
	MaxResponseBytes int64
	// MaxDocumentBytes limits one document's content, which is streamed,
	// never held in memory (default [DefaultMaxDocumentBytes]; negative:
	// no limit). It guards against a runaway stream, not a policy on
	// what to migrate. The HTTP client's Timeout (2 minutes for the
	// default one) bounds a whole download, body included: give an
	// HTTPClient with a longer one for large documents on slow links.
	MaxDocumentBytes int64
}

// Client speaks the PbN REST contract (CONTRACT.md). It is safe for
// concurrent use; share one per practice so that its rate limiter and
// breaker see all the traffic.
type Client struct {
	t        *transport.Client
	base     string
	lim      *Limiter
	retry    transport.RetryPolicy
	pageSize int
	maxDoc   int64
}

type bearer string

func (b bearer) Authorization(context.Context) (string, error) { return string(b), nil }

// NewClient returns a Client for opts.BaseURL.
func NewClient(opts Options) (*Client, error) {
	if opts.BaseURL == "" {
		return nil, errors.New("practicebynumbers: Options.BaseURL is required (PbN has no default host)")
	}
	if opts.PageSize < 0 || opts.PageSize > MaxPageSize {
		return nil, fmt.Errorf("practicebynumbers: PageSize must be 1..%d", MaxPageSize)
	}
	c := &Client{
		pageSize: opts.PageSize,
		retry: transport.RetryPolicy{MaxAttempts: opts.MaxAttempts, BaseDelay: opts.RetryBaseDelay,
			MaxDelay: 30 * time.Second, MaxRetryAfter: 2 * time.Minute},
	}
	if c.pageSize == 0 {
		c.pageSize = DefaultPageSize
	}
	switch c.maxDoc = opts.MaxDocumentBytes; {
	case c.maxDoc == 0:
		c.maxDoc = DefaultMaxDocumentBytes
	case c.maxDoc < 0:
		c.maxDoc = -1
	}
	if c.retry.MaxAttempts <= 0 {
		c.retry.MaxAttempts = 5
	}
	if c.retry.BaseDelay <= 0 {
		c.retry.BaseDelay = 500 * time.Millisecond
	}
	base, err := transport.ValidateBaseURL(opts.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("practicebynumbers: %w", err)
	}
	c.base = base
	lim := opts.Limiter
	if lim == nil {
		u, _ := url.Parse(base)
		lim, err = NewLimiter(LimiterOptions{Name: "pbn:" + u.Host, Requests: opts.RateLimit, Window: opts.RateWindow,
			BreakerFailures: opts.BreakerFailures, BreakerOpenTimeout: opts.BreakerOpenTimeout})
		if err != nil {
			return nil, err
		}
	} else if opts.RateLimit != 0 || opts.RateWindow != 0 || opts.BreakerFailures != 0 || opts.BreakerOpenTimeout != 0 {
		return nil, errors.New("practicebynumbers: Options.Limiter replaces RateLimit, RateWindow, BreakerFailures and BreakerOpenTimeout; set those in LimiterOptions")
	}
	c.lim = lim
	var auth transport.Authenticator
	if opts.Token != "" {
		auth = bearer("Bearer " + opts.Token)
	}
	c.t, err = transport.New(transport.Options{
		BaseURL:          base,
		HTTPClient:       opts.HTTPClient,
		UserAgent:        opts.UserAgent,
		Header:           http.Header{"Accept": {"application/json"}},
		Auth:             auth,
		Limiter:          lim.limiter,
		Breaker:          lim.breaker,
		Retry:            c.retry,
		MaxResponseBytes: opts.MaxResponseBytes,
		Logger:           opts.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("practicebynumbers: %w", err)
	}
	return c, nil
}

// Limiter returns the client's limiter and breaker, to share them with
// another Client of the same practice ([Options].Limiter).
func (c *Client) Limiter() *Limiter { return c.lim }

// APIError is a non-2xx answer of the server. Error() holds the status, the
// error code and the request id only: the server's message is kept in
// Message but never printed, in case a server puts values in it.
type APIError struct {
	Op         string // "list patients", "get appointments", ...
	StatusCode int
	Code       string // "not_found", "invalid_parameter", "unauthorized", ...
	Message    string
	RequestID  string
}

// ErrUnauthorized: Practice by Numbers refused the API token (401). The
// error's text says what to check; it never holds the token.
var ErrUnauthorized = errors.New("practicebynumbers: Practice by Numbers refused the API token (401)")

func (e *APIError) Error() string {
	if e.StatusCode == http.StatusUnauthorized {
		s := fmt.Sprintf("practicebynumbers: %s: Practice by Numbers refused the API token (401): check the token and that it is the practice's API token for this server", e.Op)
		if e.RequestID != "" {
			s += " (request " + e.RequestID + ")"
		}
		return s
	}
	s := fmt.Sprintf("practicebynumbers: %s: HTTP %d", e.Op, e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.RequestID != "" {
		s += " (request " + e.RequestID + ")"
	}
	return s
}

// Is matches [ErrNotFound] for a 404 and [ErrUnauthorized] for a 401.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	}
	return false
}

func apiError(op string, resp *transport.Response) error {
	e := &APIError{Op: op, StatusCode: resp.StatusCode}
	var body struct {
		Error struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			RequestID string `json:"requestId"`
		} `json:"error"`
	}
	if json.Unmarshal(resp.Body, &body) == nil {
		e.Code, e.Message, e.RequestID = body.Error.Code, body.Error.Message, body.Error.RequestID
	}
	if e.RequestID == "" {
		e.RequestID = resp.Header.Get("X-Request-Id")
	}
	return e
}

// do sends one GET and returns the body of a 200.
func (c *Client) do(ctx context.Context, op, path string, q url.Values) ([]byte, error) {
	resp, err := c.get(ctx, op, path, q)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// get sends one GET and returns the response of a 200.
func (c *Client) get(ctx context.Context, op, path string, q url.Values) (*transport.Response, error) {
	resp, err := c.t.Do(ctx, &transport.Request{Op: "pbn." + op, Method: http.MethodGet, Path: path, Query: q})
	if err != nil {
		return nil, fmt.Errorf("practicebynumbers: %s: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(op, resp)
	}
	return resp, nil
}

// List streams every record of entity R, page by page (cursor pagination),
// under opts. The iteration ends at the first error, which it yields.
func List[R Record](ctx context.Context, c *Client, opts ListOptions) iter.Seq2[R, error] {
	e := EntityOf[R]()
	return list[R](ctx, c, e, opts, e.PatientOwned())
}

func list[R any](ctx context.Context, c *Client, e Entity, opts ListOptions, patientOwned bool) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		var zero R
		op := "list " + string(e)
		if opts.PatientID != NoKey && !patientOwned {
			yield(zero, fmt.Errorf("practicebynumbers: %s: %s are not patient-owned: PatientID filter not allowed", op, e))
			return
		}
		size := opts.PageSize
		if size == 0 {
			size = c.pageSize
		}
		if size < 1 || size > MaxPageSize {
			yield(zero, fmt.Errorf("practicebynumbers: %s: PageSize must be 1..%d", op, MaxPageSize))
			return
		}
		q := url.Values{"limit": {strconv.Itoa(size)}}
		if !opts.UpdatedSince.IsZero() {
			q.Set("updated_since", opts.UpdatedSince.UTC().Format(time.RFC3339Nano))
		}
		if opts.PatientID != NoKey {
			q.Set("patient_id", string(opts.PatientID))
		}
		path := "/v1/" + string(e)
		seen := 0 // records of this scan, for RowError.Line
		for pages := 1; ; pages++ {
			body, err := c.do(ctx, op, path, q)
			if err != nil {
				yield(zero, err)
				return
			}
			next, stopped, err := decodePage(body, func(rec R, rowErr *RowError) bool {
				seen++
				if rowErr != nil {
					rowErr.File, rowErr.Line = path, seen
					return yield(zero, rowErr)
				}
				normalize(&rec)
				return yield(rec, nil)
			})
			if stopped {
				return
			}
			if err != nil {
				yield(zero, fmt.Errorf("practicebynumbers: %s: page %d: malformed JSON: %w", op, pages, err))
				return
			}
			if next == "" {
				return
			}
			if next == q.Get("cursor") {
				// A server that hands back the cursor it was given would
				// make this loop forever.
				yield(zero, fmt.Errorf("practicebynumbers: %s: page %d: server repeated its cursor", op, pages))
				return
			}
			q.Set("cursor", next)
		}
	}
}

// decodePage walks one list page ({"data": [...], "nextCursor": ...}, members
// in any order), handing each record to each as it is decoded, or a
// *RowError (without File and Line) for a record that does not decode; the
// page goes on after it. It returns the next cursor ("" on the last page),
// whether each asked to stop, and an error for a page that is not valid
// JSON of the contract's shape, which ends the scan.
func decodePage[R any](body []byte, each func(R, *RowError) bool) (next string, stopped bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", false, pageErr(err, "not a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", false, pageErr(err, "")
		}
		switch key, _ := t.(string); {
		case strings.EqualFold(key, "data"):
			t, err := dec.Token()
			if err != nil {
				return "", false, pageErr(err, "")
			}
			if t == nil {
				continue // "data": null
			}
			if t != json.Delim('[') {
				return "", false, errors.New(`member "data" is not an array`)
			}
			for dec.More() {
				start := dec.InputOffset()
				var rec R
				err := dec.Decode(&rec)
				if err != nil {
					if fatalDecodeErr(err) {
						return "", false, pageErr(err, "")
					}
					// The decoder read the whole value before it failed to
					// store it: retry leniently from the record's bytes.
					raw := bytes.TrimLeft(body[start:dec.InputOffset()], " \t\r\n,")
					if rowErr := decodeRecord(raw, &rec); rowErr != nil {
						if !each(rec, rowErr) {
							return "", true, nil
						}
						continue
					}
				}
				if !each(rec, nil) {
					return "", true, nil
				}
			}
			if _, err := dec.Token(); err != nil { // ]
				return "", false, pageErr(err, "")
			}
		case strings.EqualFold(key, "nextCursor"):
			var cur *string
			if err := dec.Decode(&cur); err != nil {
				return "", false, pageErr(err, `member "nextCursor" is not a string`)
			}
			next = ""
			if cur != nil {
				next = *cur
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return "", false, pageErr(err, "")
			}
		}
	}
	if _, err := dec.Token(); err != nil { // }
		return "", false, pageErr(err, "")
	}
	return next, false, nil
}

// fatalDecodeErr reports an error after which a json.Decoder is out of step
// (malformed JSON), as opposed to a value it read but could not store.
func fatalDecodeErr(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// pageErr describes a malformed page without quoting it.
func pageErr(err error, what string) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("syntax error at offset %d", se.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("truncated")
	case what != "":
		return errors.New(what)
	}
	return errors.New("invalid JSON")
}

// jsonErr keeps the offset and type of a JSON error but drops the text of
// a syntax error's context, which may quote values.
func jsonErr(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("syntax error at offset %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		kind, _, _ := strings.Cut(te.Value, " ") // "number 123" would quote the value
		return fmt.Errorf("member %q: cannot decode a JSON %s", te.Field, kind)
	}
	var ve *ValueError
	if errors.As(err, &ve) {
		return ve
	}
	return errors.New("invalid JSON")
}

// Get fetches one record of entity R by id; a missing record is an error
// matching [ErrNotFound].
func Get[R Record](ctx context.Context, c *Client, id Key) (R, error) {
	var rec R
	e := EntityOf[R]()
	op := "get " + string(e)
	if id == NoKey {
		return rec, fmt.Errorf("practicebynumbers: %s: id is empty", op)
	}
	body, err := c.do(ctx, op, "/v1/"+string(e)+"/"+url.PathEscape(string(id)), nil)
	if err != nil {
		return rec, err
	}
	if rowErr := decodeRecord(body, &rec); rowErr != nil {
		rowErr.File = "/v1/" + string(e) + "/" + url.PathEscape(string(id))
		return rec, fmt.Errorf("practicebynumbers: %s %s: %w", op, id, rowErr)
	}
	normalize(&rec)
	return rec, nil
}

// Offices streams /v1/offices.
func (c *Client) Offices(ctx context.Context, opts ListOptions) iter.Seq2[Office, error] {
	return List[Office](ctx, c, opts)
}

// Staff streams /v1/staff.
func (c *Client) Staff(ctx context.Context, opts ListOptions) iter.Seq2[Staff, error] {
	return List[Staff](ctx, c, opts)
}

// Patients streams /v1/patients.
func (c *Client) Patients(ctx context.Context, opts ListOptions) iter.Seq2[Patient, error] {
	return List[Patient](ctx, c, opts)
}

// Appointments streams /v1/appointments.
func (c *Client) Appointments(ctx context.Context, opts ListOptions) iter.Seq2[Appointment, error] {
	return List[Appointment](ctx, c, opts)
}

// Procedures streams /v1/procedures.
func (c *Client) Procedures(ctx context.Context, opts ListOptions) iter.Seq2[Procedure, error] {
	return List[Procedure](ctx, c, opts)
}

// TreatmentPlans streams /v1/treatment_plans.
func (c *Client) TreatmentPlans(ctx context.Context, opts ListOptions) iter.Seq2[TreatmentPlan, error] {
	return List[TreatmentPlan](ctx, c, opts)
}

// InsuranceCarriers streams /v1/insurance_carriers.
func (c *Client) InsuranceCarriers(ctx context.Context, opts ListOptions) iter.Seq2[InsuranceCarrier, error] {
	return List[InsuranceCarrier](ctx, c, opts)
}

// Coverages streams /v1/coverages.
func (c *Client) Coverages(ctx context.Context, opts ListOptions) iter.Seq2[Coverage, error] {
	return List[Coverage](ctx, c, opts)
}

// Communications streams /v1/communications.
func (c *Client) Communications(ctx context.Context, opts ListOptions) iter.Seq2[Communication, error] {
	return List[Communication](ctx, c, opts)
}

// FormSubmissions streams /v1/form_submissions.
func (c *Client) FormSubmissions(ctx context.Context, opts ListOptions) iter.Seq2[FormSubmission, error] {
	return List[FormSubmission](ctx, c, opts)
}

// Documents streams /v1/documents (metadata; see [Client.OpenDocument]).
func (c *Client) Documents(ctx context.Context, opts ListOptions) iter.Seq2[Document, error] {
	return List[Document](ctx, c, opts)
}

// CustomProperties streams /v1/custom_properties.
func (c *Client) CustomProperties(ctx context.Context, opts ListOptions) iter.Seq2[CustomPropertyDefinition, error] {
	return List[CustomPropertyDefinition](ctx, c, opts)
}

// KPIDefinitions streams /v1/kpi_definitions.
func (c *Client) KPIDefinitions(ctx context.Context, opts ListOptions) iter.Seq2[KPIDefinition, error] {
	return List[KPIDefinition](ctx, c, opts)
}

// KPIValues streams /v1/kpi_values.
func (c *Client) KPIValues(ctx context.Context, opts ListOptions) iter.Seq2[KPIValue, error] {
	return List[KPIValue](ctx, c, opts)
}

// Cohorts streams /v1/cohorts.
func (c *Client) Cohorts(ctx context.Context, opts ListOptions) iter.Seq2[Cohort, error] {
	return List[Cohort](ctx, c, opts)
}

// Automations streams /v1/automations.
func (c *Client) Automations(ctx context.Context, opts ListOptions) iter.Seq2[Automation, error] {
	return List[Automation](ctx, c, opts)
}

// Deletions streams /v1/deletions; UpdatedSince filters on DeletedAt.
func (c *Client) Deletions(ctx context.Context, opts ListOptions) iter.Seq2[Deletion, error] {
	return list[Deletion](ctx, c, "deletions", opts, false)
}

// Inventory fetches /v1/inventory: counts per entity (every entity present,
// 0 included) and the custom property catalogue.
//
// ServerTime is the server's clock when it answered: the answer's
// serverTime member, else its HTTP Date header (second precision), else
// zero. Taken before a full scan, it is the watermark of the next delta
// (ListOptions.UpdatedSince): see "Deltas" in the package documentation.
func (c *Client) Inventory(ctx context.Context) (Inventory, error) {
	const op = "inventory"
	resp, err := c.get(ctx, op, "/v1/inventory", nil)
	if err != nil {
		return Inventory{}, err
	}
	var wire struct {
		Counts           map[Entity]int64  `json:"counts"`
		CustomProperties []json.RawMessage `json:"customProperties"`
		ServerTime       time.Time         `json:"serverTime"`
	}
	if err := json.Unmarshal(resp.Body, &wire); err != nil {
		return Inventory{}, fmt.Errorf("practicebynumbers: inventory: malformed JSON: %w", jsonErr(err))
	}
	inv := Inventory{Counts: wire.Counts, ServerTime: utc(wire.ServerTime)}
	if inv.ServerTime.IsZero() {
		if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			inv.ServerTime = utc(t)
		}
	}
	if inv.Counts == nil {
		inv.Counts = make(map[Entity]int64, len(allEntities))
	}
	for _, e := range allEntities {
		if _, ok := inv.Counts[e]; !ok {
			inv.Counts[e] = 0
		}
	}
	for i, raw := range wire.CustomProperties {
		var def CustomPropertyDefinition
		if rowErr := decodeRecord(raw, &def); rowErr != nil {
			rowErr.File, rowErr.Line = "/v1/inventory customProperties", i+1
			return Inventory{}, fmt.Errorf("practicebynumbers: inventory: %w", rowErr)
		}
		normalize(&def)
		inv.CustomProperties = append(inv.CustomProperties, def)
	}
	return inv, nil
}

// OpenDocument streams the content of document id
// (GET /v1/documents/{id}/content). The body is not buffered: the caller
// reads and closes it. It goes through the same limiter, retry policy and
// breaker as every other request: before the first byte, 429 (after
// Retry-After), 5xx and transport errors are retried; an open breaker fails
// it fast; a body that breaks off while read counts as a failure for the
// breaker. A missing document matches [ErrNotFound]. A document larger than
// Options.MaxDocumentBytes fails with an error matching [ErrTooLarge] —
// before the first byte when the server declares its length, else from
// Read once the limit is passed.
func (c *Client) OpenDocument(ctx context.Context, id Key) (io.ReadCloser, error) {
	const op = "open document"
	if id == NoKey {
		return nil, fmt.Errorf("practicebynumbers: %s: id is empty", op)
	}
	resp, err := c.t.Stream(ctx, &transport.Request{Op: "pbn." + op, Method: http.MethodGet,
		Path: "/v1/documents/" + url.PathEscape(string(id)) + "/content", Header: http.Header{"Accept": {"*/*"}}}, c.maxDoc)
	if err != nil {
		if errors.Is(err, transport.ErrResponseTooLarge) {
			return nil, fmt.Errorf("practicebynumbers: document %s: %w: %w", id, ErrTooLarge, err)
		}
		return nil, fmt.Errorf("practicebynumbers: %s %s: %w", op, id, err)
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return nil, apiError(op, &transport.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body})
	}
	return &documentBody{ReadCloser: resp.Body, id: id}, nil
}

// ErrTooLarge reports a document over Options.MaxDocumentBytes.
var ErrTooLarge = errors.New("practicebynumbers: document larger than MaxDocumentBytes")

// documentBody names the document in read errors.
type documentBody struct {
	io.ReadCloser
	id Key
}

func (d *documentBody) Read(p []byte) (int, error) {
	n, err := d.ReadCloser.Read(p)
	switch {
	case err == nil || err == io.EOF:
	case errors.Is(err, transport.ErrResponseTooLarge):
		err = fmt.Errorf("practicebynumbers: document %s: %w: %w", d.id, ErrTooLarge, err)
	default:
		err = fmt.Errorf("practicebynumbers: document %s: %w", d.id, err)
	}
	return n, err
}

var _ Source = (*Client)(nil)

// utc returns t in UTC, truncated to the second (the contract's precision).
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Second)
}

func nilIDs(s []Key) []Key {
	if len(s) == 0 {
		return nil
	}
	return s
}

func nilMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// normalize gives a decoded record the same shape the CSV reader gives it:
// times in UTC at second precision, empty slices and maps nil.
func normalize(rec any) {
	switch r := rec.(type) {
	case *Office:
		r.CreatedAt, r.UpdatedAt, r.Custom = utc(r.CreatedAt), utc(r.UpdatedAt), nilMap(r.Custom)
	case *Staff:
		r.CreatedAt, r.UpdatedAt, r.Custom = utc(r.CreatedAt), utc(r.UpdatedAt), nilMap(r.Custom)
		r.OfficeIDs = nilIDs(r.OfficeIDs)
	case *Patient:
		r.CreatedAt, r.UpdatedAt, r.Custom = utc(r.CreatedAt), utc(r.UpdatedAt), nilMap(r.Custom)
		r.CohortIDs = nilIDs(r.CohortIDs)
	case *Appointment:
		r.CreatedAt, r.UpdatedAt, r.Custom = utc(r.CreatedAt), utc(r.UpdatedAt), nilMap(r.Custom)
		r.Start = utc(r.Start)
	case *Procedure:
		r.CreatedAt, r.UpdatedAt, r.Custom = utc(r.CreatedAt), utc(r.UpdatedAt), nilMap(r.Custom)
	case *TreatmentPlan:
		r.CreatedAt, r.UpdatedAt, r.Custom = utc(r.CreatedAt), utc(r.UpdatedAt), nilMap(r.Custom)
		r.ProcedureIDs = nilIDs(r.ProcedureIDs)
	case *InsuranceCarrier:
		r.CreatedAt, r.UpdatedAt, r.Custom = utc(r.CreatedAt), utc(r.UpdatedAt), nilMap(r.Custom)
	case *Coverage:
		r.CreatedAt, r.UpdatedAt, r.Custom = utc(r.CreatedAt), utc(r.UpdatedAt), nilMap(r.Custom)
	case *Communication:
		r.CreatedAt, r.UpdatedAt, r.Custom = utc(r.CreatedAt), utc(r.UpdatedAt), nilMap(r.Custom)
		r.At = utc(r.At)
	case *FormSubmission:
		r.CreatedAt, r.UpdatedAt, r.Custom = utc(r.CreatedAt), utc(r.UpdatedAt), nilMap(r.Custom)
		r.SubmittedAt = utc(r.SubmittedAt)
		r.DocumentIDs = nilIDs(r.DocumentIDs)
		if len(r.Fields) == 0 {
			r.Fields = nil
		}
	case *Document:
		r.CreatedAt, r.UpdatedAt, r.Custom = utc(r.CreatedAt), utc(r.UpdatedAt), nilMap(r.Custom)
	case *CustomPropertyDefinition:
		r.CreatedAt, r.UpdatedAt, r.Custom = utc(r.CreatedAt), utc(r.UpdatedAt), nilMap(r.Custom)
		if len(r.Options) == 0 {
			r.Options = nil
		}
	case *KPIDefinition:
		r.CreatedAt, r.UpdatedAt, r.Custom = utc(r.CreatedAt), utc(r.UpdatedAt), nilMap(r.Custom)
	case *KPIValue:
		r.CreatedAt, r.UpdatedAt, r.Custom = utc(r.CreatedAt), utc(r.UpdatedAt), nilMap(r.Custom)
	case *Cohort:
		r.CreatedAt, r.UpdatedAt, r.Custom = utc(r.CreatedAt), utc(r.UpdatedAt), nilMap(r.Custom)
	case *Automation:
		r.CreatedAt, r.UpdatedAt, r.Custom = utc(r.CreatedAt), utc(r.UpdatedAt), nilMap(r.Custom)
	case *Deletion:
		r.DeletedAt = utc(r.DeletedAt)
	}
}
