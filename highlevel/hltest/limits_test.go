package hltest

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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

// TestLimitsPerAppAndLocation: HighLevel counts "for each Marketplace app
// (i.e., client) per resource (i.e., Location or Company)"
// (highlevel-openapi docs/Authorization.md). Two apps in one location each
// get their own 100 per 10 s, one app in two locations gets 100 in each,
// and every token of one app (configured, or issued by /oauth/token to
// that client) draws on the same budget.
func TestLimitsPerAppAndLocation(t *testing.T) {
	clk := newFakeClock()
	other := Location{ID: "otherLocation0000001", Token: "pit-other"}
	s, tc := newTestServer(t, Options{Clock: clk.Now,
		Locations: []Location{{ID: loc, Token: DefaultToken}, other},
		// HighLevel's limits, spelled out: newTestServer turns a zero
		// RateLimit off.
		RateLimit: RateLimit{Max: 100, Window: 10 * time.Second, Daily: 200_000},
		Tokens: []Token{
			{Value: "pit-second-app", LocationID: loc},
			{Value: "pit-app-s-here", LocationID: loc, App: "app-s"},
			{Value: "pit-app-s-there", LocationID: other.ID, App: "app-s"},
		},
		OAuthClients: []OAuthClient{{ID: "app-s", Secret: "s3cret"}},
	})
	get := func(token, location string) resp {
		t.Helper()
		return tc.as(token).do("GET", "/contacts/?locationId="+location, nil)
	}
	exhaust := func(token, location string) {
		t.Helper()
		for i := range 100 {
			r := get(token, location)
			r.must(t, 200)
			require.Equal(t, 99-i, header(t, r, "X-Ratelimit-Remaining"))
		}
		r := get(token, location)
		r.must(t, 429)
		assert.Equal(t, 0, header(t, r, "X-Ratelimit-Remaining"))
		assert.Equal(t, 200_000-100, header(t, r, "X-Ratelimit-Daily-Remaining"), "a burst refusal is not a daily one")
	}

	// Two apps sharing one location.
	exhaust(DefaultToken, loc)
	r := get("pit-second-app", loc)
	r.must(t, 200)
	assert.Equal(t, 99, header(t, r, "X-Ratelimit-Remaining"), "another app has its own burst")
	assert.Equal(t, 199_999, header(t, r, "X-Ratelimit-Daily-Remaining"), "and its own day")
	// The first app's own other location is untouched too.
	assert.Equal(t, 99, header(t, ok200(t, get("pit-other", other.ID)), "X-Ratelimit-Remaining"))

	// One app on two locations.
	exhaust("pit-app-s-here", loc)
	r = get("pit-app-s-there", other.ID)
	r.must(t, 200)
	assert.Equal(t, 99, header(t, r, "X-Ratelimit-Remaining"), "the same app has its own burst in each location")

	// An OAuth token of client app-s in the first location shares the
	// configured app-s token's exhausted budget there.
	code := s.AuthorizationCode("app-s", "Location", loc)
	res, err := s.Client().PostForm(s.URL+"/oauth/token", url.Values{"client_id": {"app-s"}, "client_secret": {"s3cret"},
		"grant_type": {"authorization_code"}, "code": {code}})
	require.NoError(t, err)
	var tok map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&tok))
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	get(tok["access_token"].(string), loc).must(t, 429)

	// The burst window passes for everyone.
	clk.Advance(10 * time.Second)
	for _, tk := range []string{DefaultToken, "pit-app-s-here", tok["access_token"].(string)} {
		get(tk, loc).must(t, 200)
	}
}

// TestDailyLimitPerAppResetsAtUTCMidnight: the daily budget is per app
// per location and is "for the day" (docs/Authorization.md): it comes
// back whole at 00:00 UTC, not 24 hours after the first request.
func TestDailyLimitPerAppResetsAtUTCMidnight(t *testing.T) {
	clk := newFakeClock() // 09:00 UTC
	_, tc := newTestServer(t, Options{Clock: clk.Now, RateLimit: RateLimit{Daily: 3},
		Tokens: []Token{{Value: "pit-second-app", LocationID: loc}}})
	path := "/contacts/?locationId=" + loc
	for range 3 {
		tc.do("GET", path, nil).must(t, 200)
	}
	r := tc.do("GET", path, nil)
	r.must(t, 429)
	assert.Equal(t, 0, header(t, r, "X-Ratelimit-Daily-Remaining"))
	assert.Equal(t, 2, header(t, ok200(t, tc.as("pit-second-app").do("GET", path, nil)), "X-Ratelimit-Daily-Remaining"),
		"another app's day is its own")
	clk.Advance(14*time.Hour + 59*time.Minute + 59*time.Second) // 23:59:59
	tc.do("GET", path, nil).must(t, 429)
	clk.Advance(time.Second) // 00:00:00 the next day, 15 h after the first request
	r = tc.do("GET", path, nil)
	r.must(t, 200)
	assert.Equal(t, 2, header(t, r, "X-Ratelimit-Daily-Remaining"))
}

// TestAgencyTokensAreLimitedPerCompany: an agency (Company) token counts
// against its app's budget in the company, the other resource HighLevel
// names; the location token it mints counts in the location, for the
// same app.
func TestAgencyTokensAreLimitedPerCompany(t *testing.T) {
	clk := newFakeClock()
	s, tc := newTestServer(t, Options{Clock: clk.Now, RateLimit: RateLimit{Max: 2, Window: 10 * time.Second},
		Tokens: []Token{{Value: "pit-agency", App: "agency-app"}, {Value: "pit-agency-2", App: "agency-app"},
			{Value: "pit-agency-other"}}})
	users := "/users/search?companyId=" + DefaultCompanyID
	ag := tc.as("pit-agency")
	ag.do("GET", users, nil).must(t, 200)
	r := tc.as("pit-agency-2").do("GET", users, nil)
	r.must(t, 200)
	assert.Equal(t, 0, header(t, r, "X-Ratelimit-Remaining"), "two tokens of one app share its company budget")
	ag.do("GET", users, nil).must(t, 429)
	tc.as("pit-agency-other").do("GET", users, nil).must(t, 200)

	clk.Advance(10 * time.Second)
	req, _ := http.NewRequest("POST", s.URL+"/oauth/locationToken",
		strings.NewReader(url.Values{"companyId": {DefaultCompanyID}, "locationId": {loc}}.Encode()))
	req.Header.Set("Authorization", "Bearer pit-agency")
	req.Header.Set("Version", "2021-07-28")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := s.Client().Do(req)
	require.NoError(t, err)
	var lt map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&lt))
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	locTok := tc.as(lt["access_token"].(string))
	locTok.do("GET", "/contacts/?locationId="+loc, nil).must(t, 200)
	locTok.do("GET", "/contacts/?locationId="+loc, nil).must(t, 200)
	locTok.do("GET", "/contacts/?locationId="+loc, nil).must(t, 429)
	// The location's own Private Integration is another app.
	tc.do("GET", "/contacts/?locationId="+loc, nil).must(t, 200)
}

func ok200(t *testing.T, r resp) resp {
	t.Helper()
	r.must(t, 200)
	return r
}
