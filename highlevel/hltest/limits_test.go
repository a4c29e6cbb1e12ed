package hltest

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func header(t *testing.T, r resp, name string) int {
	t.Helper()
	n, err := strconv.Atoi(r.Header.Get(name))
	require.NoError(t, err, name)
	return n
}

func TestBurstLimitFixedWindow(t *testing.T) {
	clk := newFakeClock()
	_, tc := newTestServer(t, Options{Clock: clk.Now, RateLimit: RateLimit{Max: 5, Window: 10 * time.Second, Daily: 1000}})
	path := "/contacts/?locationId=" + loc
	for i := range 5 {
		r := tc.do("GET", path, nil)
		r.must(t, 200)
		assert.Equal(t, 4-i, header(t, r, "X-Ratelimit-Remaining"))
		assert.Equal(t, 5, header(t, r, "X-Ratelimit-Max"))
		assert.Equal(t, 10000, header(t, r, "X-Ratelimit-Interval-Milliseconds"))
		assert.Equal(t, 1000, header(t, r, "X-Ratelimit-Limit-Daily"))
		assert.Equal(t, 999-i, header(t, r, "X-Ratelimit-Daily-Remaining"))
	}
	r := tc.do("GET", path, nil)
	r.must(t, 429)
	assert.Equal(t, 0, header(t, r, "X-Ratelimit-Remaining"))
	assert.Equal(t, 995, header(t, r, "X-Ratelimit-Daily-Remaining"), "burst refusal is not daily")
	assert.Empty(t, r.Header.Get("Retry-After"), "off unless RateLimit.RetryAfter")
	clk.Advance(9 * time.Second)
	tc.do("GET", path, nil).must(t, 429)
	clk.Advance(time.Second)
	tc.do("GET", path, nil).must(t, 200)
}

func TestRetryAfterOption(t *testing.T) {
	clk := newFakeClock()
	_, tc := newTestServer(t, Options{Clock: clk.Now, RateLimit: RateLimit{Max: 1, Window: 10 * time.Second, RetryAfter: true}})
	tc.do("GET", "/contacts/?locationId="+loc, nil).must(t, 200)
	clk.Advance(2500 * time.Millisecond)
	r := tc.do("GET", "/contacts/?locationId="+loc, nil)
	r.must(t, 429)
	assert.Equal(t, "8", r.Header.Get("Retry-After"))
}

func TestBurstLimitSlidingWindow(t *testing.T) {
	clk := newFakeClock()
	_, tc := newTestServer(t, Options{Clock: clk.Now, RateLimit: RateLimit{Max: 4, Window: 10 * time.Second, Sliding: true}})
	path := "/contacts/?locationId=" + loc
	// Two at t=0, two at t=6: a fixed window would reset at t=10 and allow
	// four more; a sliding one allows two at t=10 and two at t=16.
	tc.do("GET", path, nil).must(t, 200)
	tc.do("GET", path, nil).must(t, 200)
	clk.Advance(6 * time.Second)
	tc.do("GET", path, nil).must(t, 200)
	tc.do("GET", path, nil).must(t, 200)
	tc.do("GET", path, nil).must(t, 429)
	clk.Advance(4 * time.Second)
	tc.do("GET", path, nil).must(t, 200)
	r := tc.do("GET", path, nil)
	r.must(t, 200)
	assert.Equal(t, 0, header(t, r, "X-Ratelimit-Remaining"))
	tc.do("GET", path, nil).must(t, 429)
	clk.Advance(6 * time.Second)
	tc.do("GET", path, nil).must(t, 200)
}

func TestDailyLimitAndLocations(t *testing.T) {
	clk := newFakeClock()
	other := Location{ID: "otherLocation0000001", Token: "pit-other"}
	_, tc := newTestServer(t, Options{Clock: clk.Now, Locations: []Location{{ID: loc, Token: DefaultToken}, other},
		RateLimit: RateLimit{Max: 100, Window: time.Second, Daily: 3}})
	path := "/contacts/?locationId=" + loc
	for range 3 {
		tc.do("GET", path, nil).must(t, 200)
		clk.Advance(time.Second)
	}
	r := tc.do("GET", path, nil)
	r.must(t, 429)
	assert.Equal(t, 0, header(t, r, "X-Ratelimit-Daily-Remaining"), "daily refusal says so")
	// Limits are per location.
	tc.as("pit-other").do("GET", "/contacts/?locationId="+other.ID, nil).must(t, 200)
	clk.Advance(24 * time.Hour)
	tc.do("GET", path, nil).must(t, 200)
}

func TestSearchLag(t *testing.T) {
	clk := newFakeClock()
	_, tc := newTestServer(t, Options{Clock: clk.Now, SearchLag: 2 * time.Second})
	c := obj(t, tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "email": "lag@x.com"}).must(t, 201)["contact"])
	search := map[string]any{"locationId": loc, "filters": []any{map[string]any{"field": "email", "operator": "eq", "value": "lag@x.com"}}}
	assert.EqualValues(t, 0, tc.do("POST", "/contacts/search", search).must(t, 200)["total"])
	assert.Nil(t, tc.do("GET", "/contacts/search/duplicate?locationId="+loc+"&email=lag@x.com", nil).must(t, 200)["contact"])
	// Reads by id are consistent at once; so is the duplicate rule on create.
	tc.do("GET", "/contacts/"+c["id"].(string), nil).must(t, 200)
	tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "email": "lag@x.com"}).must(t, 400)
	clk.Advance(2 * time.Second)
	assert.EqualValues(t, 1, tc.do("POST", "/contacts/search", search).must(t, 200)["total"])
}

func TestFaults(t *testing.T) {
	newContact := map[string]any{"locationId": loc, "firstName": "F"}
	post := func(t *testing.T, s *Server, body any) (*http.Response, error) {
		t.Helper()
		raw := []byte(`{"locationId":"` + loc + `","firstName":"F"}`)
		req, _ := http.NewRequest("POST", s.URL+"/contacts/", bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+DefaultToken)
		req.Header.Set("Version", "2021-07-28")
		req.Header.Set("Content-Type", "application/json")
		res, err := s.Client().Do(req)
		if res != nil {
			res.Body.Close()
		}
		return res, err
	}
	tests := []struct {
		name      string
		rule      FaultRule
		wantErr   bool
		status    int
		committed bool
		fault     string
	}{
		{"5xx", FaultRule{Route: "POST /contacts/", ServerErrorRate: 1}, false, 0, false, "5xx"},
		{"429", FaultRule{Route: "POST *", TooManyRequestsRate: 1}, false, 429, false, "429"},
		{"drop", FaultRule{Route: "*", DropRate: 1}, true, 0, false, "drop"},
		{"lost as 5xx", FaultRule{Route: "POST /contacts", LostResponseRate: 1}, false, 502, true, "lost-5xx"},
		{"lost as reset", FaultRule{Route: "POST /contacts/", LostResponseRate: 1, LostAs: LostAsReset}, true, 0, true, "lost-reset"},
		{"other route", FaultRule{Route: "PUT /contacts/{contactId}", ServerErrorRate: 1}, false, 201, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Options{Faults: []FaultRule{tt.rule}})
			res, err := post(t, s, newContact)
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
				if tt.status != 0 {
					assert.Equal(t, tt.status, res.StatusCode)
				} else {
					assert.GreaterOrEqual(t, res.StatusCode, 500)
				}
				assert.NotEmpty(t, res.Header.Get("X-Ratelimit-Remaining"))
			}
			want := 0
			if tt.committed {
				want = 1
			}
			assert.Equal(t, want, s.Count(loc, KindContact))
			log := s.RequestLog()
			require.Len(t, log, 1)
			assert.Equal(t, tt.fault, log[0].Fault)
			assert.Equal(t, "POST /contacts/", log[0].Route)

			s.SetFaults()
			res, err = post(t, s, newContact)
			require.NoError(t, err)
			assert.Equal(t, 201, res.StatusCode)
		})
	}
}

func TestFaultRatesAreSeeded(t *testing.T) {
	run := func() []int {
		s, _ := newTestServer(t, Options{Seed: 42, Faults: []FaultRule{{Route: "*", ServerErrorRate: 0.3}}})
		var statuses []int
		for range 40 {
			req := httptestRequest("GET", "/contacts/?locationId="+loc)
			rec := newRecorder()
			s.ServeHTTP(rec, req)
			statuses = append(statuses, rec.Code)
		}
		return statuses
	}
	a, b := run(), run()
	assert.Equal(t, a, b)
	fails := 0
	for _, st := range a {
		if st >= 500 {
			fails++
		}
	}
	assert.Greater(t, fails, 2)
	assert.Less(t, fails, 25)
}

func TestLatencyFault(t *testing.T) {
	s, tc := newTestServer(t, Options{Faults: []FaultRule{{Route: "GET *", Latency: Latency{Min: 30 * time.Millisecond, Max: 40 * time.Millisecond}}}})
	start := time.Now()
	tc.do("GET", "/contacts/?locationId="+loc, nil).must(t, 200)
	assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
	assert.Equal(t, "latency", s.RequestLog()[0].Fault)
}

func TestParseFaults(t *testing.T) {
	rules, err := ParseFaults("*:5xx=0.01,latency=5ms..40ms,spike=0.1@2s ; POST /contacts/:lost=0.05,lostas=reset,429=0.2,drop=0.01")
	require.NoError(t, err)
	assert.Equal(t, []FaultRule{
		{Route: "*", ServerErrorRate: 0.01, Latency: Latency{Min: 5 * time.Millisecond, Max: 40 * time.Millisecond, SpikeRate: 0.1, Spike: 2 * time.Second}},
		{Route: "POST /contacts/", LostResponseRate: 0.05, LostAs: LostAsReset, TooManyRequestsRate: 0.2, DropRate: 0.01},
	}, rules)
	late, err := ParseFaults("POST *:applylate=0.05,applylatedelay=800ms;PUT *:applylate=1")
	require.NoError(t, err)
	assert.Equal(t, []FaultRule{{Route: "POST *", ApplyLateRate: 0.05, ApplyLateDelay: 800 * time.Millisecond},
		{Route: "PUT *", ApplyLateRate: 1}}, late)
	assert.Equal(t, DefaultApplyLateDelay, late[1].lateDelay())
	for _, bad := range []string{"*:applylate=1.5", "*:applylatedelay=0s", "*:applylatedelay=soon", "*", "*:5xx=2", "*:5xx", "GET:5xx=0.1", "*:nope=1", "*:latency=9ms..1ms", "*:lostas=maybe", "*:spike=0.1"} {
		_, err := ParseFaults(bad)
		assert.True(t, errors.Is(err, ErrFaultSpec), bad)
	}
	empty, err := ParseFaults("")
	require.NoError(t, err)
	assert.Empty(t, empty)
}

func FuzzParseFaults(f *testing.F) {
	f.Add("*:5xx=0.01,latency=5ms..40ms")
	f.Add("POST /contacts/:lost=1,lostas=reset;GET *:429=0.5")
	f.Add(";;:=,")
	f.Fuzz(func(t *testing.T, spec string) {
		rules, err := ParseFaults(spec)
		if err != nil {
			return
		}
		for _, r := range rules {
			if r.ServerErrorRate < 0 || r.ServerErrorRate > 1 || r.Latency.Max < r.Latency.Min {
				t.Fatalf("accepted an invalid rule %+v from %q", r, spec)
			}
		}
	})
}
