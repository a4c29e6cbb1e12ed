package practicebynumbers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/internal/transport"
)

const testToken = "s3cret-token-value"

// contractServer is a small, strict implementation of CONTRACT.md's REST
// side over a fixture, for testing the client without pbntest.
type contractServer struct {
	*httptest.Server
	mu       sync.Mutex
	rows     map[string][]json.RawMessage // entity → records in id order
	docs     map[int64][]byte
	fail     []int // statuses to answer before serving, consumed in order
	requests []*http.Request
	now      time.Time
}

type rowMeta struct {
	ID        int64     `json:"id"`
	PatientID int64     `json:"patientId"`
	UpdatedAt time.Time `json:"updatedAt"`
	DeletedAt time.Time `json:"deletedAt"`
}

func newContractServer(t testing.TB, f fixture) *contractServer {
	t.Helper()
	s := &contractServer{rows: map[string][]json.RawMessage{}, docs: map[int64][]byte{7001: []byte("%PDF-1.4 stream")},
		now: ts("2026-11-30T09:00:00Z")}
	add := func(e string, v any) {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		var raws []json.RawMessage
		require.NoError(t, json.Unmarshal(b, &raws))
		s.rows[e] = raws
	}
	add("offices", f.Offices)
	add("staff", f.Staff)
	add("custom_properties", f.CustomProperties)
	add("cohorts", f.Cohorts)
	add("patients", f.Patients)
	add("insurance_carriers", f.InsuranceCarriers)
	add("coverages", f.Coverages)
	add("appointments", f.Appointments)
	add("procedures", f.Procedures)
	add("treatment_plans", f.TreatmentPlans)
	add("communications", f.Communications)
	add("form_submissions", f.FormSubmissions)
	add("documents", f.Documents)
	add("kpi_definitions", f.KPIDefinitions)
	add("kpi_values", f.KPIValues)
	add("automations", f.Automations)
	add("deletions", f.Deletions)
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", "r-"+strconv.Itoa(status))
	if status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "0")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg, "requestId": "r-1"}})
}

func (s *contractServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Clone(context.Background()))
	var fail int
	if len(s.fail) > 0 {
		fail, s.fail = s.fail[0], s.fail[1:]
	}
	s.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		writeErr(w, 401, "unauthorized", "bad token")
		return
	}
	if fail != 0 {
		writeErr(w, fail, "unavailable", "injected")
		return
	}
	if r.Method != http.MethodGet {
		writeErr(w, 405, "method_not_allowed", "GET only")
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v1/"), "/")
	if parts[0] == "inventory" {
		counts := map[string]int{}
		for _, e := range Entities() {
			counts[string(e)] = len(s.rows[string(e)])
		}
		var defs []json.RawMessage = s.rows["custom_properties"]
		_ = json.NewEncoder(w).Encode(map[string]any{"counts": counts, "customProperties": defs, "serverTime": s.now})
		return
	}
	rows, ok := s.rows[parts[0]]
	if !ok {
		writeErr(w, 404, "not_found", "no such entity")
		return
	}
	if len(parts) >= 2 {
		id, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil || id <= 0 {
			writeErr(w, 400, "invalid_parameter", "id")
			return
		}
		if len(parts) == 3 && parts[0] == "documents" && parts[2] == "content" {
			body, ok := s.docs[id]
			if !ok {
				writeErr(w, 404, "not_found", "document")
				return
			}
			w.Header().Set("Content-Type", "application/pdf")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			_, _ = w.Write(body)
			return
		}
		for _, raw := range rows {
			var m rowMeta
			_ = json.Unmarshal(raw, &m)
			if m.ID == id {
				_, _ = w.Write(raw)
				return
			}
		}
		writeErr(w, 404, "not_found", parts[0]+" "+parts[1]+" not found")
		return
	}
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeErr(w, 400, "invalid_parameter", "limit")
			return
		}
		limit = n
	}
	var since time.Time
	if v := q.Get("updated_since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeErr(w, 400, "invalid_parameter", "updated_since")
			return
		}
		since = t
	}
	var pid int64
	if v := q.Get("patient_id"); v != "" {
		e, _ := ParseEntity(parts[0])
		if !e.PatientOwned() {
			writeErr(w, 400, "invalid_parameter", "patient_id")
			return
		}
		pid, _ = strconv.ParseInt(v, 10, 64)
	}
	var after int64
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(strings.TrimPrefix(v, "c"), 10, 64)
		if err != nil || !strings.HasPrefix(v, "c") {
			writeErr(w, 400, "invalid_parameter", "cursor")
			return
		}
		after = n
	}
	out := []json.RawMessage{}
	var next string
	for i, raw := range rows {
		var m rowMeta
		_ = json.Unmarshal(raw, &m)
		if parts[0] == "deletions" {
			m.ID, m.UpdatedAt = int64(i+1), m.DeletedAt // position as the cursor key
		}
		if m.ID <= after {
			continue
		}
		if len(out) == limit {
			next = fmt.Sprintf("c%d", after)
			break
		}
		after = m.ID
		if !since.IsZero() && m.UpdatedAt.Before(since) || pid != 0 && m.PatientID != pid {
			continue
		}
		out = append(out, raw)
	}
	resp := map[string]any{"data": out, "serverTime": s.now}
	if next != "" {
		resp["nextCursor"] = next
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func newTestClient(t testing.TB, url string, mod func(*Options)) *Client {
	t.Helper()
	o := Options{BaseURL: url, Token: testToken, RetryBaseDelay: time.Millisecond, RateLimit: 1000}
	if mod != nil {
		mod(&o)
	}
	c, err := NewClient(o)
	require.NoError(t, err)
	return c
}

func TestClientReadsEveryEntityLikeTheReader(t *testing.T) {
	want := newFixture()
	srv := newContractServer(t, want)
	c := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 1 }) // one record per page: pagination everywhere
	got := readAll(t, c)
	assert.Equal(t, want, got)

	// The same records through the CSV path.
	dir := t.TempDir()
	writeFixture(t, dir, want, nil, true, true)
	r, err := OpenExport(dir, ExportOptions{})
	require.NoError(t, err)
	assert.Equal(t, got, readAll(t, r), "Client and ExportReader yield identical records")
}

func TestClientRequests(t *testing.T) {
	ctx := context.Background()
	srv := newContractServer(t, newFixture())
	c := newTestClient(t, srv.URL, func(o *Options) { o.UserAgent = "pbnhl-test" })

	since := ts("2024-06-01T00:00:00Z")
	var ids []int64
	for p, err := range c.Patients(ctx, ListOptions{UpdatedSince: since, PageSize: 7}) {
		require.NoError(t, err)
		ids = append(ids, keyNum(p.ID))
	}
	assert.Equal(t, []int64{102}, ids)
	req := srv.requests[len(srv.requests)-1]
	assert.Equal(t, "/v1/patients", req.URL.Path)
	assert.Equal(t, "7", req.URL.Query().Get("limit"))
	assert.Equal(t, "2024-06-01T00:00:00Z", req.URL.Query().Get("updated_since"))
	assert.Equal(t, "Bearer "+testToken, req.Header.Get("Authorization"))
	assert.Equal(t, "application/json", req.Header.Get("Accept"))
	assert.Equal(t, "pbnhl-test", req.Header.Get("User-Agent"))

	ids = nil
	for a, err := range c.Communications(ctx, ListOptions{PatientID: "101"}) {
		require.NoError(t, err)
		ids = append(ids, keyNum(a.ID))
	}
	assert.Equal(t, []int64{1, 2}, ids)
	assert.Equal(t, "101", srv.requests[len(srv.requests)-1].URL.Query().Get("patient_id"))
	assert.Equal(t, strconv.Itoa(DefaultPageSize), srv.requests[len(srv.requests)-1].URL.Query().Get("limit"))

	n := len(srv.requests)
	for _, err := range c.Cohorts(ctx, ListOptions{PatientID: "1"}) {
		require.ErrorContains(t, err, "not patient-owned")
	}
	for _, err := range c.Cohorts(ctx, ListOptions{PageSize: 1001}) {
		require.ErrorContains(t, err, "PageSize")
	}
	assert.Len(t, srv.requests, n, "refused locally, nothing sent")

	p, err := Get[Patient](ctx, c, "101")
	require.NoError(t, err)
	assert.Equal(t, "Jack", p.PreferredName)
	assert.Equal(t, "/v1/patients/101", srv.requests[len(srv.requests)-1].URL.Path)
	_, err = Get[Appointment](ctx, c, "4242")
	require.ErrorIs(t, err, ErrNotFound)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "not_found", ae.Code)
	assert.Equal(t, "appointments 4242 not found", ae.Message)
	assert.NotContains(t, err.Error(), "4242 not found", "the server's message is kept, not printed")
	_, err = Get[Patient](ctx, c, "")
	require.Error(t, err)

	inv, err := c.Inventory(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(2), inv.Counts[EntityPatients])
	assert.Len(t, inv.Counts, len(Entities()))
	assert.Len(t, inv.CustomProperties, 3)
	assert.Equal(t, ts("2026-11-30T09:00:00Z"), inv.ServerTime)

	rc, err := c.OpenDocument(ctx, "7001")
	require.NoError(t, err)
	body, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, "%PDF-1.4 stream", string(body))
	assert.Equal(t, "Bearer "+testToken, srv.requests[len(srv.requests)-1].Header.Get("Authorization"))
	_, err = c.OpenDocument(ctx, "7002")
	require.ErrorIs(t, err, ErrNotFound)
}

func TestClientErrorsAndRetries(t *testing.T) {
	ctx := context.Background()
	srv := newContractServer(t, newFixture())

	t.Run("401 is not retried and leaks no token", func(t *testing.T) {
		var logs bytes.Buffer
		c := newTestClient(t, srv.URL, func(o *Options) {
			o.Token = "wrong-token-zzz"
			o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
		n := len(srv.requests)
		for _, err := range c.Offices(ctx, ListOptions{}) {
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, 401, ae.StatusCode)
			assert.NotContains(t, err.Error(), "wrong-token-zzz")
			// The message says what is wrong and what to check.
			assert.ErrorIs(t, err, ErrUnauthorized)
			assert.NotErrorIs(t, err, ErrNotFound)
			assert.Contains(t, err.Error(), "Practice by Numbers refused the API token (401): check the token")
		}
		assert.Len(t, srv.requests, n+1)
		assert.NotContains(t, logs.String(), "wrong-token-zzz")
	})

	t.Run("429 and 5xx are retried", func(t *testing.T) {
		c := newTestClient(t, srv.URL, nil)
		srv.mu.Lock()
		srv.fail = []int{429, 503, 500}
		srv.mu.Unlock()
		offices := collect(t, c.Offices(ctx, ListOptions{}))
		assert.Len(t, offices, 2)
		srv.mu.Lock()
		srv.fail = []int{429, 502}
		srv.mu.Unlock()
		rc, err := c.OpenDocument(ctx, "7001")
		require.NoError(t, err)
		require.NoError(t, rc.Close())
	})

	t.Run("persistent 5xx ends with an error and opens the breaker", func(t *testing.T) {
		c := newTestClient(t, srv.URL, func(o *Options) { o.MaxAttempts = 2; o.BreakerFailures = 3; o.BreakerOpenTimeout = time.Hour })
		srv.mu.Lock()
		srv.fail = slices.Repeat([]int{500}, 4)
		srv.mu.Unlock()
		for _, err := range c.Staff(ctx, ListOptions{}) {
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, 500, ae.StatusCode)
		}
		for _, err := range c.Staff(ctx, ListOptions{}) {
			require.Error(t, err) // third failure trips it
		}
		n := len(srv.requests)
		for _, err := range c.Staff(ctx, ListOptions{}) {
			require.ErrorIs(t, err, transport.ErrBreakerOpen)
		}
		_, err := c.OpenDocument(ctx, "7001")
		require.ErrorIs(t, err, transport.ErrBreakerOpen)
		assert.Len(t, srv.requests, n, "an open breaker sends nothing")
		srv.mu.Lock()
		srv.fail = nil
		srv.mu.Unlock()
	})

	t.Run("cancellation", func(t *testing.T) {
		c := newTestClient(t, srv.URL, nil)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		for _, err := range c.Patients(cctx, ListOptions{}) {
			require.ErrorIs(t, err, context.Canceled)
		}
		_, err := c.OpenDocument(cctx, "7001")
		require.ErrorIs(t, err, context.Canceled)
	})

	t.Run("a repeated cursor ends the iteration", func(t *testing.T) {
		loop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"data":[{"id":1}],"nextCursor":"same"}`))
		}))
		defer loop.Close()
		c := newTestClient(t, loop.URL, nil)
		var n int
		var last error
		for _, err := range c.Cohorts(ctx, ListOptions{}) {
			n++
			last = err
		}
		assert.Equal(t, 3, n, "two records, then the error")
		require.ErrorContains(t, last, "repeated its cursor")
	})

	t.Run("malformed JSON", func(t *testing.T) {
		bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"data":[{"id":1,"birthDate":"13/13/1990 secret"}]}`))
		}))
		defer bad.Close()
		c := newTestClient(t, bad.URL, nil)
		for _, err := range c.Patients(ctx, ListOptions{}) {
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "secret")
		}
	})
}

func TestNewClientOptions(t *testing.T) {
	_, err := NewClient(Options{})
	require.ErrorContains(t, err, "BaseURL is required")
	_, err = NewClient(Options{BaseURL: "http://pbn.example.com"})
	require.ErrorContains(t, err, "https")
	_, err = NewClient(Options{BaseURL: "https://pbn.example.com", PageSize: 5000})
	require.Error(t, err)
	c, err := NewClient(Options{BaseURL: "https://pbn.example.com/api/", RateLimit: -1})
	require.NoError(t, err)
	assert.Nil(t, c.Limiter().limiter)
}

// TestClientPacesRequests checks that the per-tenant limiter keeps any span
// of the window under the limit (scaled window, generous margins).
func TestClientPacesRequests(t *testing.T) {
	var mu sync.Mutex
	var stamps []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		stamps = append(stamps, time.Now())
		mu.Unlock()
		_, _ = w.Write([]byte(`{"data":[]}`))
	}))
	defer srv.Close()
	const limit, window = 5, 200 * time.Millisecond
	c := newTestClient(t, srv.URL, func(o *Options) { o.RateLimit, o.RateWindow = limit, window })
	var wg sync.WaitGroup
	var errs atomic.Int32
	start := time.Now()
	for range 15 {
		wg.Go(func() {
			for _, err := range c.Cohorts(context.Background(), ListOptions{}) {
				if err != nil {
					errs.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	require.Zero(t, errs.Load())
	require.Len(t, stamps, 15)
	// 15 requests at 5 per window: the 11th cannot leave before two full
	// windows. A lower bound only, so a slow machine cannot make it flaky.
	assert.GreaterOrEqual(t, elapsed, 2*window)
}

var _ = errors.New

// TestOpenDocumentHonoursRetryAfter: the streamed download waits at least
// what the server asked before trying again (a lower bound only).
func TestOpenDocumentHonoursRetryAfter(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			writeErr(w, http.StatusTooManyRequests, "rate_limited", "slow down")
			return
		}
		_, _ = w.Write([]byte("content"))
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, nil)
	start := time.Now()
	rc, err := c.OpenDocument(context.Background(), "1")
	require.NoError(t, err)
	defer rc.Close()
	assert.GreaterOrEqual(t, time.Since(start), time.Second)
	assert.Equal(t, int32(2), calls.Load())
}
