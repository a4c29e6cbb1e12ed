package hltest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// LostAs says how a response is lost after its write was applied.
type LostAs int

const (
	// LostAs5xx answers 502 Bad Gateway although the write committed.
	LostAs5xx LostAs = iota
	// LostAsReset resets the connection after the write committed.
	LostAsReset
)

// Latency is an injected delay: uniform in [Min, Max], plus Spike with
// probability SpikeRate.
type Latency struct {
	Min, Max  time.Duration
	SpikeRate float64
	Spike     time.Duration
}

// FaultRule injects failures into the requests whose route matches Route.
// Rates are probabilities in [0, 1], drawn from the server's seeded source.
type FaultRule struct {
	// Route is "METHOD /path/template" as HighLevel documents it (for
	// example "POST /contacts/" or "PUT /contacts/{contactId}"), "METHOD *",
	// or "*" for every route.
	Route string
	// ServerErrorRate answers 500, 502, 503 or 504 without doing anything.
	ServerErrorRate float64
	// TooManyRequestsRate answers 429 though the limit was not reached.
	TooManyRequestsRate float64
	// Latency delays the request before it is handled.
	Latency Latency
	// DropRate closes the connection before the request is handled: nothing
	// is written and the client sees a transport error.
	DropRate float64
	// LostResponseRate applies the request, then loses the answer (see LostAs).
	LostResponseRate float64
	LostAs           LostAs
	// ApplyLateRate holds a write and applies it ApplyLateDelay after it
	// arrived, whatever the client does meanwhile: the client gets no
	// answer before the write is applied (it times out, is killed, or sees
	// the connection reset at the moment the write lands), and the object
	// is stamped with the time it was applied. This is HighLevel applying
	// a write its caller has given up on. Only writes (not GET or HEAD) are
	// held.
	ApplyLateRate float64
	// ApplyLateDelay is the hold (DefaultApplyLateDelay when zero).
	ApplyLateDelay time.Duration
}

// DefaultApplyLateDelay is the hold of an apply-late fault whose rule sets
// no delay: a few hundred milliseconds, as seen from live HighLevel.
const DefaultApplyLateDelay = 800 * time.Millisecond

// lateDelay is the rule's hold for an apply-late write.
func (f FaultRule) lateDelay() time.Duration {
	if f.ApplyLateDelay > 0 {
		return f.ApplyLateDelay
	}
	return DefaultApplyLateDelay
}

func (f FaultRule) matches(method, route string) bool {
	switch {
	case f.Route == "*" || f.Route == "":
		return true
	case strings.HasSuffix(f.Route, " *"):
		return strings.EqualFold(strings.TrimSuffix(f.Route, " *"), method)
	}
	m, p, ok := strings.Cut(f.Route, " ")
	return ok && strings.EqualFold(m, method) && normalizePath(p) == normalizePath(route)
}

func normalizePath(p string) string {
	if len(p) > 1 {
		return strings.TrimSuffix(p, "/")
	}
	return p
}

// faultFor returns the most specific rule for a route: exact route, then
// "METHOD *", then "*".
func faultFor(rules []FaultRule, method, route string) (FaultRule, bool) {
	best, score := FaultRule{}, -1
	for _, r := range rules {
		if !r.matches(method, route) {
			continue
		}
		s := 0
		switch {
		case r.Route == "*" || r.Route == "":
		case strings.HasSuffix(r.Route, " *"):
			s = 1
		default:
			s = 2
		}
		if s > score {
			best, score = r, s
		}
	}
	return best, score >= 0
}

// ErrFaultSpec is returned (wrapped) by ParseFaults for a malformed spec.
var ErrFaultSpec = errors.New("hltest: invalid fault spec")

// ParseFaults parses the command-line form of fault rules:
//
//	RULE[;RULE...]     RULE = ROUTE:KEY=VALUE[,KEY=VALUE...]
//
// ROUTE is "*", "METHOD *" or "METHOD /path". Keys: 5xx, 429, drop, lost,
// applylate (rates in [0,1]); lostas=5xx|reset; latency=MIN..MAX (Go
// durations, or a single duration); spike=RATE@DURATION;
// applylatedelay=DURATION (the hold of applylate, default 800ms). Example:
//
//	*:5xx=0.01,latency=5ms..40ms;POST /contacts/:lost=0.05,lostas=reset
//	POST *:applylate=0.05,applylatedelay=800ms
func ParseFaults(spec string) ([]FaultRule, error) {
	var rules []FaultRule
	for part := range strings.SplitSeq(spec, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		route, kvs, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("%w: %q has no ':' after the route", ErrFaultSpec, part)
		}
		r := FaultRule{Route: strings.TrimSpace(route)}
		if err := validRoute(r.Route); err != nil {
			return nil, err
		}
		for kv := range strings.SplitSeq(kvs, ",") {
			kv = strings.TrimSpace(kv)
			if kv == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, fmt.Errorf("%w: %q is not KEY=VALUE", ErrFaultSpec, kv)
			}
			if err := r.set(strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)); err != nil {
				return nil, err
			}
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func validRoute(route string) error {
	if route == "*" {
		return nil
	}
	m, p, ok := strings.Cut(route, " ")
	if !ok || m == "" || (p != "*" && !strings.HasPrefix(p, "/")) {
		return fmt.Errorf("%w: route %q is not \"*\", \"METHOD *\" or \"METHOD /path\"", ErrFaultSpec, route)
	}
	return nil
}

func (r *FaultRule) set(k, v string) error {
	rate := func(dst *float64) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			return fmt.Errorf("%w: %s=%q is not a rate in [0,1]", ErrFaultSpec, k, v)
		}
		*dst = f
		return nil
	}
	switch k {
	case "5xx":
		return rate(&r.ServerErrorRate)
	case "429":
		return rate(&r.TooManyRequestsRate)
	case "drop":
		return rate(&r.DropRate)
	case "lost":
		return rate(&r.LostResponseRate)
	case "applylate":
		return rate(&r.ApplyLateRate)
	case "applylatedelay":
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("%w: applylatedelay=%q is not a positive duration", ErrFaultSpec, v)
		}
		r.ApplyLateDelay = d
	case "lostas":
		switch v {
		case "5xx":
			r.LostAs = LostAs5xx
		case "reset":
			r.LostAs = LostAsReset
		default:
			return fmt.Errorf("%w: lostas=%q is not 5xx or reset", ErrFaultSpec, v)
		}
	case "latency":
		lo, hi, _ := strings.Cut(v, "..")
		if hi == "" {
			hi = lo
		}
		mn, err1 := time.ParseDuration(lo)
		mx, err2 := time.ParseDuration(hi)
		if err1 != nil || err2 != nil || mn < 0 || mx < mn {
			return fmt.Errorf("%w: latency=%q is not MIN..MAX", ErrFaultSpec, v)
		}
		r.Latency.Min, r.Latency.Max = mn, mx
	case "spike":
		rs, ds, ok := strings.Cut(v, "@")
		d, err := time.ParseDuration(ds)
		if !ok || err != nil || d < 0 {
			return fmt.Errorf("%w: spike=%q is not RATE@DURATION", ErrFaultSpec, v)
		}
		f, err := strconv.ParseFloat(rs, 64)
		if err != nil || f < 0 || f > 1 {
			return fmt.Errorf("%w: spike rate %q is not in [0,1]", ErrFaultSpec, rs)
		}
		r.Latency.SpikeRate, r.Latency.Spike = f, d
	default:
		return fmt.Errorf("%w: unknown key %q", ErrFaultSpec, k)
	}
	return nil
}

// delay draws an injected latency.
func (l Latency) delay(g *ids) time.Duration {
	d := l.Min
	if l.Max > l.Min {
		d += time.Duration(g.float() * float64(l.Max-l.Min))
	}
	if l.SpikeRate > 0 && g.float() < l.SpikeRate {
		d += l.Spike
	}
	return d
}
