package hltest

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RateLimit configures HighLevel's limits. They count per marketplace app
// per resource (location or company), as HighLevel documents them
// (highlevel-openapi docs/Authorization.md, "What are current rate limits
// for API 2.0?": "100 API requests per 10 seconds for each Marketplace app
// (i.e., client) per resource (i.e., Location or Company)", and 200,000
// per day likewise). Two apps installed in one location each have their
// own budget; one app installed in two locations has one per location.
// The zero value means HighLevel's defaults: 100 requests per 10 seconds
// and 200,000 per day.
type RateLimit struct {
	// Max requests per Window (burst) per app and resource. Default 100.
	Max int
	// Window of the burst limit. Default 10s.
	Window time.Duration
	// Daily requests per app and resource per day. Default 200,000.
	//
	// HighLevel documents a limit "per day" and X-RateLimit-Daily-Remaining
	// as "the remaining number of requests for the day" (docs/Authorization.md):
	// a calendar day, not a rolling 24 hours. It names no time zone; the
	// simulator's day is the UTC day, so the budget comes back whole at
	// 00:00 UTC (the clock of Options.Clock).
	Daily int
	// Sliding counts the burst over the last Window before each request;
	// otherwise windows are fixed, starting at the first request after the
	// previous window ended. A client must stay under both. HighLevel's
	// documentation says "per 10 seconds" without saying which; sliding
	// is the stricter: it admits a request only when fewer than Max were
	// admitted in the Window before it, so a fixed window (whose count
	// covers only part of that span) admits it too, while a fixed window
	// lets up to 2×Max through across its edge. The zero value stays
	// fixed for compatibility; examples/hlsim defaults to sliding.
	Sliding bool
	// Disabled turns limiting off; the headers are still sent.
	Disabled bool
	// RetryAfter adds a Retry-After header (seconds) to limit refusals.
	// Whether HighLevel sends one is unconfirmed, so it is off by default:
	// clients must work from the X-RateLimit-* headers alone.
	RetryAfter bool
}

// Token is a bearer token the simulator accepts besides each Location's
// own Token: another Private Integration of a location (or of the agency),
// or a token of the same integration under another value.
type Token struct {
	// Value is the bearer token.
	Value string
	// LocationID is the location the token is for; empty makes it an
	// agency (Company) token of Options.CompanyID. A token naming a
	// location that is not configured is refused like an invalid one.
	LocationID string
	// App is the marketplace app (client) the token belongs to, which is
	// what the rate limits count by: an OAuthClient's ID makes the token
	// count with the tokens /oauth/token issues to that client. Empty: the
	// token is its own app, as a Private Integration is. Tokens sharing an
	// App share its budget in each location, as a rotated Private
	// Integration token and its successor do.
	App string
}

// appOf returns the app a token's requests count against: its configured
// App, or the token itself.
func (t Token) appOf() string {
	if t.App != "" {
		return t.App
	}
	// The token never leaves the limiter's map; the prefix keeps a token
	// from colliding with a configured app or OAuth client id.
	return "pit\x00" + t.Value
}

// addTokens registers opts.Tokens in a fresh state.
func (s *Server) addTokens(st *state) {
	for _, t := range s.opts.Tokens {
		p := &principal{userType: "Location", locationID: t.LocationID, companyID: s.opts.CompanyID,
			pit: true, app: t.appOf()}
		if t.LocationID == "" {
			p.userType = "Company"
		}
		st.auth.access[t.Value] = p
	}
}

func (rl RateLimit) withDefaults() RateLimit {
	if rl.Max <= 0 {
		rl.Max = 100
	}
	if rl.Window <= 0 {
		rl.Window = 10 * time.Second
	}
	if rl.Daily <= 0 {
		rl.Daily = 200_000
	}
	return rl
}

// limits holds a state's counters: one bucket per (app, resource). Reset
// forgets them with the rest of the state.
type limits struct {
	mu sync.Mutex
	m  map[limitKey]*bucket
}

type limitKey struct {
	app string
	// resource is "location/<id>" or "company/<id>".
	resource string
}

// of returns the bucket p's requests count against, or nil for a
// principal that speaks for no resource. A principal's app and resource
// never change, so the bucket is looked up once and kept on it: the hot
// path is one atomic load.
func (ls *limits) of(p *principal) *bucket {
	if b := p.bucket.Load(); b != nil {
		return b
	}
	k := limitKey{app: p.app}
	switch {
	case p.userType == "Company" && p.companyID != "":
		k.resource = "company/" + p.companyID
	case p.locationID != "":
		k.resource = "location/" + p.locationID
	default:
		return nil
	}
	ls.mu.Lock()
	if ls.m == nil {
		ls.m = map[limitKey]*bucket{}
	}
	b := ls.m[k]
	if b == nil {
		b = &bucket{}
		ls.m[k] = b
	}
	ls.mu.Unlock()
	p.bucket.Store(b)
	return b
}

// bucket is one (app, resource)'s limiter state.
type bucket struct {
	mu sync.Mutex
	// fixed window
	windowStart time.Time
	count       int
	// sliding window: accepted request times, oldest first
	stamps []time.Time
	// daily
	day       int64
	dailyUsed int
}

type verdict struct {
	allowed        bool
	daily          bool // refused by the daily limit
	remaining      int
	dailyRemaining int
	resetIn        time.Duration
}

// dayNumber is the UTC calendar day of t (see RateLimit.Daily).
func dayNumber(t time.Time) int64 { return t.UTC().Unix() / 86400 }

func (b *bucket) take(now time.Time, rl RateLimit) verdict {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := dayNumber(now); d != b.day {
		b.day, b.dailyUsed = d, 0
	}
	if rl.Disabled {
		return verdict{allowed: true, remaining: rl.Max, dailyRemaining: rl.Daily}
	}
	used := b.burstUsed(now, rl)
	v := verdict{remaining: rl.Max - used, dailyRemaining: rl.Daily - b.dailyUsed}
	switch {
	case b.dailyUsed >= rl.Daily:
		v.daily = true
		v.dailyRemaining = 0
		v.resetIn = time.Unix((b.day+1)*86400, 0).Sub(now)
		return v
	case used >= rl.Max:
		v.remaining = 0
		v.resetIn = b.burstReset(now, rl)
		return v
	}
	b.dailyUsed++
	if rl.Sliding {
		b.stamps = append(b.stamps, now)
	} else {
		b.count++
	}
	v.allowed = true
	v.remaining--
	v.dailyRemaining--
	return v
}

// burstUsed returns how many requests count against the burst at now.
func (b *bucket) burstUsed(now time.Time, rl RateLimit) int {
	if rl.Sliding {
		cut := 0
		for cut < len(b.stamps) && !b.stamps[cut].After(now.Add(-rl.Window)) {
			cut++
		}
		if cut > 0 {
			b.stamps = append(b.stamps[:0], b.stamps[cut:]...)
		}
		return len(b.stamps)
	}
	if b.windowStart.IsZero() || !now.Before(b.windowStart.Add(rl.Window)) {
		b.windowStart, b.count = now, 0
	}
	return b.count
}

func (b *bucket) burstReset(now time.Time, rl RateLimit) time.Duration {
	if rl.Sliding {
		if len(b.stamps) == 0 {
			return 0
		}
		return b.stamps[0].Add(rl.Window).Sub(now)
	}
	return b.windowStart.Add(rl.Window).Sub(now)
}

// setRateHeaders writes the five X-RateLimit-* headers HighLevel sends.
func setRateHeaders(h http.Header, rl RateLimit, v verdict) {
	h["X-Ratelimit-Limit-Daily"] = []string{strconv.Itoa(rl.Daily)}
	h["X-Ratelimit-Daily-Remaining"] = []string{strconv.Itoa(max(v.dailyRemaining, 0))}
	h["X-Ratelimit-Interval-Milliseconds"] = []string{strconv.FormatInt(rl.Window.Milliseconds(), 10)}
	h["X-Ratelimit-Max"] = []string{strconv.Itoa(rl.Max)}
	h["X-Ratelimit-Remaining"] = []string{strconv.Itoa(max(v.remaining, 0))}
}
