package pbntest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

type page[T any] struct {
	Data       []T       `json:"data"`
	NextCursor string    `json:"nextCursor"`
	ServerTime time.Time `json:"serverTime"`
}

type errBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"requestId"`
	} `json:"error"`
}

func newTestServer(t *testing.T, opts Options) *Server {
	t.Helper()
	srv, err := NewServer(opts)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, srv *Server, token, path string, q url.Values) *http.Response {
	t.Helper()
	u := srv.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func decode[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	var v T
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	return v
}

// listAll pages through an entity and returns every record and the first
// page's serverTime.
func listAll[T any](t *testing.T, srv *Server, e pbn.Entity, q url.Values) ([]T, time.Time) {
	t.Helper()
	var out []T
	var first time.Time
	q = cloneValues(q)
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100_000, "pagination must end")
		resp := do(t, srv, srv.Token(), "/v1/"+string(e), q)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		pg := decode[page[T]](t, resp)
		if pages == 0 {
			first = pg.ServerTime
		}
		out = append(out, pg.Data...)
		if pg.NextCursor == "" {
			return out, first
		}
		q.Set("cursor", pg.NextCursor)
	}
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = slices.Clone(v)
	}
	return out
}

func TestServerAuth(t *testing.T) {
	srv := newTestServer(t, Options{Seed: 1, Patients: 20, Token: "T"})
	for _, tok := range []string{"", "wrong"} {
		resp := do(t, srv, tok, "/v1/patients", nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		body := decode[errBody](t, resp)
		assert.Equal(t, "unauthorized", body.Error.Code)
		assert.NotEmpty(t, body.Error.RequestID)
		assert.NotContains(t, body.Error.Message, "wrong", "the token never echoes back")
	}
	assert.Equal(t, http.StatusOK, do(t, srv, "T", "/v1/patients", nil).StatusCode)
}

func TestServerPaginationMatchesGenerator(t *testing.T) {
	srv := newTestServer(t, Options{Seed: 9, Patients: 150})
	p := srv.Practice()
	q := url.Values{"limit": {"37"}}

	pts, _ := listAll[pbn.Patient](t, srv, pbn.EntityPatients, q)
	assert.Equal(t, normalise(t, collect(p.Patients())), normalise(t, pts))
	appts, _ := listAll[pbn.Appointment](t, srv, pbn.EntityAppointments, q)
	assert.Equal(t, normalise(t, collect(p.Appointments())), normalise(t, appts))
	assert.True(t, slices.IsSortedFunc(appts, func(a, b pbn.Appointment) int { return a.ID.Compare(b.ID) }), "ascending ids")
	forms, _ := listAll[pbn.FormSubmission](t, srv, pbn.EntityFormSubmissions, url.Values{"limit": {"1000"}})
	assert.Equal(t, normalise(t, collect(p.FormSubmissions())), normalise(t, forms))
	staff, _ := listAll[pbn.Staff](t, srv, pbn.EntityStaff, url.Values{"limit": {"5"}})
	assert.Equal(t, normalise(t, p.Staff()), normalise(t, staff))
	kv, _ := listAll[pbn.KPIValue](t, srv, pbn.EntityKPIValues, nil)
	assert.Len(t, kv, len(p.KPIValues()))

	// patient_id filter
	ch, _ := p.Chart(7)
	mine, _ := listAll[pbn.Communication](t, srv, pbn.EntityCommunications, url.Values{"patient_id": {"7"}, "limit": {"3"}})
	assert.Equal(t, normalise(t, ch.Communications), normalise(t, mine))
}

// normalise round-trips through JSON so that generator values and decoded
// values compare equal (time zones, nil vs empty).
func normalise[T any](t *testing.T, v T) T {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out T
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func TestServerBadParameters(t *testing.T) {
	srv := newTestServer(t, Options{Seed: 1, Patients: 30})
	tok := srv.Token()
	first := decode[page[pbn.Patient]](t, do(t, srv, tok, "/v1/patients", url.Values{"limit": {"5"}}))
	require.NotEmpty(t, first.NextCursor)
	for name, tc := range map[string]struct {
		path string
		q    url.Values
		want int
	}{
		"limit zero":          {"/v1/patients", url.Values{"limit": {"0"}}, 400},
		"limit too big":       {"/v1/patients", url.Values{"limit": {"1001"}}, 400},
		"limit not a number":  {"/v1/patients", url.Values{"limit": {"x"}}, 400},
		"bad since":           {"/v1/patients", url.Values{"updated_since": {"yesterday"}}, 400},
		"bad cursor":          {"/v1/patients", url.Values{"cursor": {"!!"}}, 400},
		"cursor other filter": {"/v1/patients", url.Values{"cursor": {first.NextCursor}, "updated_since": {"2020-01-01T00:00:00Z"}}, 400},
		"cursor other entity": {"/v1/appointments", url.Values{"cursor": {first.NextCursor}}, 400},
		"patient_id on staff": {"/v1/staff", url.Values{"patient_id": {"1"}}, 400},
		"bad patient_id":      {"/v1/appointments", url.Values{"patient_id": {"-3"}}, 400},
		"unknown entity":      {"/v1/invoices", nil, 404},
		"bad id":              {"/v1/patients/abc", nil, 400},
		"missing id":          {"/v1/patients/999999", nil, 404},
		"missing document":    {"/v1/documents/1/content", nil, 404},
	} {
		t.Run(name, func(t *testing.T) {
			resp := do(t, srv, tok, tc.path, tc.q)
			assert.Equal(t, tc.want, resp.StatusCode)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			body := decode[errBody](t, resp)
			assert.NotEmpty(t, body.Error.Code)
		})
	}
}

func TestServerGetAndDocuments(t *testing.T) {
	srv := newTestServer(t, Options{Seed: 4, Patients: 40})
	p := srv.Practice()
	ch, _ := p.Chart(12)
	got := decode[pbn.Patient](t, do(t, srv, srv.Token(), "/v1/patients/12", nil))
	assert.Equal(t, normalise(t, ch.Patient), got)
	if len(ch.Appointments) > 0 {
		a := ch.Appointments[len(ch.Appointments)-1]
		got := decode[pbn.Appointment](t, do(t, srv, srv.Token(), "/v1/appointments/"+itoa(num(a.ID)), nil))
		assert.Equal(t, normalise(t, a), got)
	}
	off := decode[pbn.Office](t, do(t, srv, srv.Token(), "/v1/offices/1", nil))
	assert.Equal(t, p.Offices()[0].Name, off.Name)

	var doc pbn.Document
	for d := range p.Documents() {
		doc = d
		break
	}
	require.NotZero(t, doc.ID)
	resp := do(t, srv, srv.Token(), "/v1/documents/"+itoa(num(doc.ID))+"/content", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, doc.MimeType, resp.Header.Get("Content-Type"))
	assert.Equal(t, itoa(doc.Size), resp.Header.Get("Content-Length"))
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	want, _ := io.ReadAll(p.DocumentContent(doc))
	assert.Equal(t, want, body)
}

func itoa(n int64) string { return json.Number(jsonInt(n)).String() }

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestServerInventory(t *testing.T) {
	srv := newTestServer(t, Options{Seed: 2, Patients: 60})
	inv := decode[pbn.Inventory](t, do(t, srv, srv.Token(), "/v1/inventory", nil))
	want := srv.Practice().Inventory()
	assert.Equal(t, want.Counts, inv.Counts)
	assert.Len(t, inv.CustomProperties, len(want.CustomProperties))
	assert.False(t, inv.ServerTime.IsZero())
	for _, e := range pbn.Entities() {
		assert.Contains(t, inv.Counts, e)
	}
}

func TestMutateIsExactlyVisibleViaUpdatedSince(t *testing.T) {
	srv := newTestServer(t, Options{Seed: 21, Patients: 300})
	tok := srv.Token()
	_, s0 := listAll[pbn.Patient](t, srv, pbn.EntityPatients, url.Values{"limit": {"1000"}})
	before := decode[pbn.Inventory](t, do(t, srv, tok, "/v1/inventory", nil)).Counts

	ch1 := srv.Mutate(40)
	require.GreaterOrEqual(t, ch1.Count(), 40)
	require.False(t, ch1.At.Before(s0))
	assertDelta(t, srv, s0, ch1)

	after := decode[pbn.Inventory](t, do(t, srv, tok, "/v1/inventory", nil)).Counts
	assert.Equal(t, after, srv.Inventory().Counts)
	assert.Len(t, srv.Deletions(), len(ch1.Deleted[pbn.EntityAppointments])+len(ch1.Deleted[pbn.EntityCommunications])+
		len(ch1.Deleted[pbn.EntityCoverages])+len(ch1.Deleted[pbn.EntityDocuments]))
	for _, e := range pbn.Entities() {
		assert.Equal(t, before[e]+int64(len(ch1.Created[e]))-int64(len(ch1.Deleted[e])), after[e], "live count of %s", e)
	}

	// A second delta from a watermark taken after the first mutation sees
	// only the second one.
	_, s1 := listAll[pbn.Patient](t, srv, pbn.EntityPatients, url.Values{"updated_since": {s0.Format(time.RFC3339)}})
	require.True(t, s1.After(ch1.At), "the clock moved past the first mutation")
	ch2 := srv.MutateWith(MutateOptions{Update: 15, Create: 6, Delete: 4, Touch: 3})
	assertDelta(t, srv, s1, ch2)

	// Deleted records are gone from lists and Get; created ones are served.
	for e, ids := range ch1.Deleted {
		for _, id := range ids {
			assert.Equal(t, http.StatusNotFound, do(t, srv, tok, "/v1/"+string(e)+"/"+itoa(num(id)), nil).StatusCode)
		}
	}
	for _, id := range ch2.Created[pbn.EntityPatients] {
		assert.Equal(t, http.StatusOK, do(t, srv, tok, "/v1/patients/"+itoa(num(id)), nil).StatusCode)
	}
	// A full scan (no filter) includes created records and excludes deleted ones.
	comms, _ := listAll[pbn.Communication](t, srv, pbn.EntityCommunications, url.Values{"limit": {"1000"}})
	ids := map[int64]bool{}
	for _, c := range comms {
		require.False(t, ids[num(c.ID)], "no record served twice")
		ids[num(c.ID)] = true
	}
	for _, id := range ch1.Created[pbn.EntityCommunications] {
		assert.True(t, ids[num(id)], "created communication %d listed", id)
	}
	for _, id := range ch1.Deleted[pbn.EntityCommunications] {
		assert.False(t, ids[num(id)], "deleted communication %d not listed", id)
	}
}

func assertDelta(t *testing.T, srv *Server, since time.Time, ch Changes) {
	t.Helper()
	q := url.Values{"updated_since": {since.Format(time.RFC3339)}, "limit": {"7"}}
	for _, e := range pbn.Entities() {
		recs, _ := listAll[json.RawMessage](t, srv, e, q)
		var got []pbn.Key
		for _, raw := range recs {
			var v struct {
				ID        pbn.Key   `json:"id"`
				UpdatedAt time.Time `json:"updatedAt"`
			}
			require.NoError(t, json.Unmarshal(raw, &v))
			assert.True(t, v.UpdatedAt.Equal(ch.At), "%s %d stamped with the mutation instant", e, v.ID)
			got = append(got, v.ID)
		}
		want := ch.Changed(e)
		assert.Equal(t, len(want), len(got), "%s delta size", e)
		assert.ElementsMatch(t, want, got, "%s delta", e)
	}
	dels, _ := listAll[pbn.Deletion](t, srv, "deletions", url.Values{"updated_since": {since.Format(time.RFC3339)}, "limit": {"2"}})
	var n int
	for _, d := range dels {
		assert.Contains(t, ch.Deleted[d.Entity], d.ID)
		assert.True(t, d.DeletedAt.Equal(ch.At))
		n++
	}
	total := 0
	for _, ids := range ch.Deleted {
		total += len(ids)
	}
	assert.Equal(t, total, n, "deletions feed")
}

func TestMutateDeterministic(t *testing.T) {
	clock := func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }
	a := newTestServer(t, Options{Seed: 3, Patients: 100, Now: clock})
	b := newTestServer(t, Options{Seed: 3, Patients: 100, Now: clock})
	ca, cb := a.Mutate(25), b.Mutate(25)
	assert.Equal(t, ca, cb)
	ca, cb = a.Mutate(5), b.Mutate(5)
	assert.Equal(t, ca, cb)
	assert.Equal(t, clock().Add(time.Second), ca.At, "the clock steps past each mutation")
}

// A filtered scan that starts before the export instant walks the base data
// in bounded pages (possibly short or empty) and still returns exactly the
// matching records.
func TestFilteredFullScan(t *testing.T) {
	srv := newTestServer(t, Options{Seed: 8, Patients: maxScanPatients + 500})
	p := srv.Practice()
	since := p.AsOf().AddDate(0, -2, 0)
	got, _ := listAll[pbn.Patient](t, srv, pbn.EntityPatients, url.Values{"updated_since": {since.Format(time.RFC3339)}, "limit": {"1000"}})
	var want []pbn.Patient
	for pt := range p.Patients() {
		if !pt.UpdatedAt.Before(since) {
			want = append(want, pt)
		}
	}
	require.NotEmpty(t, want)
	assert.Equal(t, normalise(t, want), normalise(t, got))
}

func TestServerFaults(t *testing.T) {
	run := func() map[int]int {
		srv := newTestServer(t, Options{Seed: 5, Patients: 20, Faults: Faults{ServerErrors: 0.2, TooManyRequests: 0.2, RetryAfter: 3 * time.Second}})
		statuses := map[int]int{}
		for range 100 {
			resp := do(t, srv, srv.Token(), "/v1/offices", nil)
			statuses[resp.StatusCode]++
			switch resp.StatusCode {
			case http.StatusTooManyRequests:
				assert.Equal(t, "3", resp.Header.Get("Retry-After"))
				assert.Equal(t, "rate_limited", decode[errBody](t, resp).Error.Code)
			case http.StatusOK:
			default:
				assert.GreaterOrEqual(t, resp.StatusCode, 500)
				assert.Contains(t, []string{"internal", "unavailable"}, decode[errBody](t, resp).Error.Code)
			}
		}
		total, byStatus := srv.Requests()
		assert.EqualValues(t, 100, total)
		assert.EqualValues(t, statuses[200], byStatus[200])
		return statuses
	}
	a := run()
	assert.Equal(t, a, run(), "faults are seeded")
	assert.Greater(t, a[http.StatusTooManyRequests], 5)
	assert.Greater(t, a[500]+a[502]+a[503], 5)
	assert.Greater(t, a[http.StatusOK], 30)

	off := newTestServer(t, Options{Seed: 5, Patients: 20})
	for range 50 {
		require.Equal(t, http.StatusOK, do(t, off, off.Token(), "/v1/offices", nil).StatusCode, "faults are off by default")
	}
}

func TestServerDisconnects(t *testing.T) {
	srv := newTestServer(t, Options{Seed: 5, Patients: 10, Faults: Faults{Disconnects: 0.5}})
	failed, ok := 0, 0
	for range 40 {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/offices", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+srv.Token())
		resp, err := srv.Client().Do(req)
		if err != nil {
			failed++
			continue
		}
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		ok++
	}
	assert.Greater(t, failed, 5, "transport errors")
	assert.Greater(t, ok, 5)
	_, byStatus := srv.Requests()
	// net/http may silently retry a GET whose reused connection dropped, so
	// the server can count more disconnects than the client saw.
	assert.GreaterOrEqual(t, byStatus[statusDisconnect], int64(failed))
}

func TestServerLatency(t *testing.T) {
	srv := newTestServer(t, Options{Seed: 5, Patients: 10, Faults: Faults{Latency: 60 * time.Millisecond, SlowRequests: 1}})
	start := time.Now()
	require.Equal(t, http.StatusOK, do(t, srv, srv.Token(), "/v1/offices", nil).StatusCode)
	assert.GreaterOrEqual(t, time.Since(start), 60*time.Millisecond)
}

func TestServerRateLimit(t *testing.T) {
	// One token per 100 s: no refill can happen during the test, however slow the machine.
	srv := newTestServer(t, Options{Seed: 5, Patients: 10, RateLimit: 0.01, RateBurst: 2})
	statuses := []int{}
	var retry string
	for range 3 {
		resp := do(t, srv, srv.Token(), "/v1/offices", nil)
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests {
			retry = resp.Header.Get("Retry-After")
		}
	}
	assert.Equal(t, []int{200, 200, 429}, statuses)
	assert.Equal(t, "100", retry)
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Patients: -1},
		{Faults: Faults{ServerErrors: 2}},
		{RateLimit: -1},
	} {
		_, err := New(o)
		assert.Error(t, err)
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor("patients|0|0", 42), "patients|0|0")
	f.Add("", "x")
	f.Add("!!", "patients|0|0")
	f.Fuzz(func(t *testing.T, c, scope string) {
		pos, err := decodeCursor(c, scope)
		if err == nil && pos < 0 {
			t.Fatalf("negative position %d", pos)
		}
		if err == nil && c != "" {
			if got := encodeCursor(scope, pos); got != c {
				// Only canonical encodings of this scope are accepted.
				if p2, err2 := decodeCursor(got, scope); err2 != nil || p2 != pos {
					t.Fatalf("re-encoding %q does not decode back", got)
				}
			}
		}
	})
}
