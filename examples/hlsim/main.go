// Command hlsim serves the HighLevel simulator (package hltest) on a port:
// a local HighLevel for rehearsals. See README.md.
package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/internal/cliflag"
	"github.com/pbnhl/pbnhl/internal/exposure"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// -h: exit 0; a refused flag: one line and a hint, exit 2; else exit 1.
	cliflag.Exit("hlsim", run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// usageError is a command line the flag set refused (an unknown flag, a
// bad value): main exits 2 with a hint instead of 1.
type usageError = cliflag.UsageError

// config is the parsed command line.
type config struct {
	addr, token, location, company, users, faults, dump string
	adminToken                                          string
	reqlog                                              string
	allowDuplicates, allowDuplicateOpportunity          bool
	duplicateMatch                                      []string
	rate                                                hltest.RateLimit
	tokens                                              []hltest.Token
	conversationProviders                               []string
	seed                                                uint64
	applyLateDelay                                      time.Duration
}

// parseFlags reads the command line. -h writes the usage to out and
// returns flag.ErrHelp; a refused flag returns a usageError.
func parseFlags(args []string, out io.Writer) (config, error) {
	var c config
	fs := cliflag.NewFlagSet("hlsim") // prints nothing; -h writes the usage to out (stdout)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8790", "listen address")
	fs.StringVar(&c.token, "token", hltest.DefaultToken, "the location's Private Integration token (Bearer)")
	fs.StringVar(&c.location, "location", hltest.DefaultLocationID, "location (sub-account) id")
	fs.StringVar(&c.company, "company", hltest.DefaultCompanyID, "company (agency) id")
	fs.StringVar(&c.users, "users", "", "JSON file of users: [User] or {\"users\":[...]} as GET /users/search returns")
	fs.BoolVar(&c.allowDuplicates, "allow-duplicates", false, "the location's \"Allow Duplicate Contact\" setting (settings.allowDuplicateContact)")
	fs.BoolVar(&c.allowDuplicates, "allow-duplicate-contact", false, "same as -allow-duplicates")
	match := fs.String("duplicate-match", "email,phone", "fields that make two contacts duplicates, in match order (upsert takes the first match): email, phone, or both")
	fs.BoolVar(&c.allowDuplicateOpportunity, "allow-duplicate-opportunity", false,
		"the location's \"Allow Duplicate Opportunity\" setting (settings.allowDuplicateOpportunity): a contact may have several opportunities in one pipeline")
	fs.IntVar(&c.rate.Max, "rate-max", 100, "burst limit: requests per window per app per location")
	fs.DurationVar(&c.rate.Window, "rate-window", 10*time.Second, "burst window")
	rateMode := fs.String("rate-mode", "sliding", "how the burst window counts: sliding (at most -rate-max in ANY span of -rate-window; the stricter) "+
		"or fixed (windows that start at the first request after the previous one ended; up to twice -rate-max across a window edge)")
	fs.StringVar(&c.reqlog, "reqlog", "", "write one JSON line per request to this file (time, method, route template, status, duration, location, fault: "+
		"no paths, queries, headers or bodies); truncated at start")
	fs.IntVar(&c.rate.Daily, "daily", 200_000, "daily limit per app per location (the day is the UTC day)")
	tokens := fs.String("tokens", "", "more tokens, comma-separated TOKEN[=APP][@LOCATION]: each counts against its APP's limits "+
		"(default: its own, as a Private Integration), in LOCATION (default -location; another id adds that location; @agency makes an agency token)")
	providers := fs.String("conversation-providers", "", "comma-separated conversation provider ids installed in the location: "+
		"a message naming another conversationProviderId is refused (400 \"Invalid conversationProviderId\")")
	fs.StringVar(&c.faults, "faults", "", "fault rules, e.g. '*:5xx=0.01,latency=5ms..40ms;POST /contacts/:lost=0.02;PUT *:applylate=0.05' (see README)")
	fs.DurationVar(&c.applyLateDelay, "apply-late-delay", hltest.DefaultApplyLateDelay,
		"hold of the applylate fault for rules that set no applylatedelay: the write lands this long after it arrived")
	fs.Uint64Var(&c.seed, "seed", 1, "seed for ids and fault draws")
	fs.StringVar(&c.dump, "dump", "", "write the state as JSON (mode 0600) to this file on exit and on SIGUSR1")
	fs.StringVar(&c.adminToken, "admin-token", "", "bearer token of the inspection routes /_hltest/... (default: -token)")
	if err := cliflag.Parse(fs, args, out, "Serves a simulated HighLevel API v2 until interrupted; the first line on stdout is its base URL."); err != nil {
		return c, err
	}
	if c.token == "" || c.location == "" {
		return c, errors.New("-token and -location must not be empty")
	}
	switch *rateMode {
	case "sliding":
		c.rate.Sliding = true
	case "fixed":
	default:
		return c, usageError{Err: fmt.Errorf("invalid value %q for flag -rate-mode: sliding or fixed", *rateMode)}
	}
	seen := map[string]bool{}
	for f := range strings.SplitSeq(*match, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f != "email" && f != "phone" {
			return c, fmt.Errorf("-duplicate-match: %q is not email or phone", f)
		}
		if !seen[f] {
			seen[f] = true
			c.duplicateMatch = append(c.duplicateMatch, f)
		}
	}
	for p := range strings.SplitSeq(*providers, ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.conversationProviders = append(c.conversationProviders, p)
		}
	}
	if c.applyLateDelay <= 0 {
		return c, errors.New("-apply-late-delay must be positive")
	}
	var err error
	if c.tokens, err = parseTokens(*tokens, c.location, c.token); err != nil {
		return c, fmt.Errorf("-tokens: %w", err)
	}
	return c, nil
}

// agencyTarget is the LOCATION of -tokens that makes an agency token.
const agencyTarget = "agency"

// parseTokens reads -tokens: TOKEN[=APP][@LOCATION], comma-separated.
// Errors name the entry's position, never the token.
func parseTokens(spec, location, mainToken string) ([]hltest.Token, error) {
	var out []hltest.Token
	seen := map[string]bool{mainToken: true}
	if strings.TrimSpace(spec) == "" {
		return nil, nil
	}
	for i, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		t := hltest.Token{LocationID: location}
		if at := strings.LastIndexByte(entry, '@'); at >= 0 {
			t.LocationID = entry[at+1:]
			entry = entry[:at]
			if t.LocationID == "" {
				return nil, fmt.Errorf("entry %d: empty location after @", i+1)
			}
			if t.LocationID == agencyTarget {
				t.LocationID = ""
			}
		}
		if eq := strings.IndexByte(entry, '='); eq >= 0 {
			t.App = entry[eq+1:]
			entry = entry[:eq]
			if t.App == "" {
				return nil, fmt.Errorf("entry %d: empty app after =", i+1)
			}
		}
		t.Value = entry
		if t.Value == "" {
			return nil, fmt.Errorf("entry %d: empty token", i+1)
		}
		if seen[t.Value] {
			return nil, fmt.Errorf("entry %d: the token is given twice (or is -token)", i+1)
		}
		seen[t.Value] = true
		out = append(out, t)
	}
	return out, nil
}

// options builds the simulator's options; the request log file, when
// -reqlog names one, is opened by run (it must be closed).
func (c config) options() (hltest.Options, error) {
	opts := hltest.Options{
		Locations: []hltest.Location{{ID: c.location, Token: c.token, Name: "hlsim", AllowDuplicates: c.allowDuplicates,
			DuplicateOrder: c.duplicateMatch, AllowDuplicateOpportunities: c.allowDuplicateOpportunity,
			ConversationProviders: c.conversationProviders}},
		CompanyID: c.company,
		RateLimit: c.rate,
		Seed:      c.seed,
		Tokens:    c.tokens,
	}
	// A token for another location adds that location, with the same
	// settings; its only Private Integration is the -tokens entry.
	for _, t := range c.tokens {
		if t.LocationID == "" || slices.ContainsFunc(opts.Locations, func(l hltest.Location) bool { return l.ID == t.LocationID }) {
			continue
		}
		l := opts.Locations[0]
		l.ID, l.Token, l.Name = t.LocationID, "", "hlsim "+t.LocationID
		opts.Locations = append(opts.Locations, l)
	}
	if c.users != "" {
		users, err := hltest.LoadUsersFile(c.users)
		if err != nil {
			return opts, err
		}
		opts.Users = users
	}
	if c.faults != "" {
		rules, err := hltest.ParseFaults(c.faults)
		if err != nil {
			return opts, err
		}
		for i := range rules {
			if rules[i].ApplyLateRate > 0 && rules[i].ApplyLateDelay == 0 {
				rules[i].ApplyLateDelay = c.applyLateDelay
			}
		}
		opts.Faults = rules
	}
	return opts, nil
}

// run serves until ctx is done, then shuts down and writes the dump. The
// first line on stdout is the base URL.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	opts, err := cfg.options()
	if err != nil {
		return err
	}
	if cfg.reqlog != "" {
		f, err := os.OpenFile(cfg.reqlog, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		opts.RequestLogTo = f
	}
	sim := hltest.NewUnstartedServer(opts)
	admin := cfg.adminToken
	if admin == "" {
		admin = cfg.token
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	for _, w := range exposure.Warnings(ln.Addr(), "hlsim", cfg.token == hltest.DefaultToken || admin == hltest.DefaultToken) {
		fmt.Fprintln(stderr, "hlsim:", w)
	}
	base := "http://" + ln.Addr().String()
	sim.URL = base
	srv := &http.Server{Handler: withInspection(sim, admin), ReadHeaderTimeout: 10 * time.Second}
	dumpNow, stopSignals := dumpSignal()
	defer stopSignals()
	fmt.Fprintln(stdout, base)
	mode := "fixed"
	if cfg.rate.Sliding {
		mode = "sliding"
	}
	fmt.Fprintf(stderr, "hlsim: HighLevel API v2 simulator at %s, location %s, %d users, rate %d/%s (%s) + %d/day, faults %q; Ctrl-C to stop\n",
		base, cfg.location, len(opts.Users), cfg.rate.Max, cfg.rate.Window, mode, cfg.rate.Daily, cfg.faults)
	if len(cfg.tokens) > 0 {
		fmt.Fprintf(stderr, "hlsim: %d more tokens (-tokens), %d locations; limits count per app per location\n",
			len(cfg.tokens), len(opts.Locations))
	}
	fmt.Fprintf(stderr, "hlsim: location settings: allowDuplicateContact=%t (matching %s), allowDuplicateOpportunity=%t\n",
		cfg.allowDuplicates, strings.Join(cfg.duplicateMatch, ", then "), cfg.allowDuplicateOpportunity)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	// The request log is buffered; a flush a second keeps the file
	// followable (tail -f) during a run.
	flush := time.NewTicker(time.Second)
	defer flush.Stop()
wait:
	for {
		select {
		case <-flush.C:
			if err := sim.FlushRequestLog(); err != nil {
				fmt.Fprintln(stderr, "hlsim: request log:", err)
				flush.Stop()
			}
		case err := <-served:
			return err
		case <-dumpNow:
			if cfg.dump == "" {
				fmt.Fprintln(stderr, "hlsim: dump signal ignored: no -dump file")
				continue
			}
			if err := writeDump(sim, cfg.dump); err != nil {
				fmt.Fprintln(stderr, "hlsim: dump:", err)
				continue
			}
			fmt.Fprintln(stderr, "hlsim: state written to", cfg.dump)
		case <-ctx.Done():
			break wait
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		fmt.Fprintln(stderr, "hlsim: shutdown:", err)
	}
	// Writes held by the applylate fault land before the state is dumped,
	// as they would in HighLevel.
	if n := sim.HeldWrites(); n > 0 {
		fmt.Fprintf(stderr, "hlsim: applying %d held writes\n", n)
	}
	sim.WaitApplied()
	// Served is exact; the in-memory RequestLog is capped at a day's quota.
	fmt.Fprintf(stderr, "hlsim: served %d requests\n", sim.Served())
	if err := sim.FlushRequestLog(); err != nil {
		fmt.Fprintln(stderr, "hlsim: request log:", err)
	} else if cfg.reqlog != "" {
		fmt.Fprintln(stderr, "hlsim: request log written to", cfg.reqlog)
	}
	if cfg.dump != "" {
		if err := writeDump(sim, cfg.dump); err != nil {
			return err
		}
		fmt.Fprintln(stderr, "hlsim: state written to", cfg.dump)
	}
	return nil
}

// writeDump writes the state to path through a private temporary file
// renamed into place: the file is 0600 whatever the umask or a previous
// file's mode (it holds every contact the run wrote), and a symlink at path
// is replaced, not followed. A reader never sees a half-written dump.
func writeDump(sim *hltest.Server, path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing left to remove
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if err := sim.Dump(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// withInspection serves the inspection routes beside the simulator, so a
// harness reads the state without stopping the server:
//
//	GET /_hltest/dump[?wait=1]   the state as Dump writes it (wait=1: after
//	                             writes held by applylate have landed)
//	GET /_hltest/duplicates?locationId=ID
//	                             contacts sharing an email, phone or
//	                             external id
//	GET /_hltest/held            {"held": writes held by applylate}
//	GET /_hltest/notifications?locationId=ID
//	                             appointment automations HighLevel would
//	                             have run (writes without toNotify:false)
//
// They answer only loopback clients bearing the admin token, never count
// against the rate limit and are never faulted. Everything else goes to
// the simulator.
func withInspection(sim *hltest.Server, adminToken string) http.Handler {
	h := sim.Handler()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_hltest/dump", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("wait") != "" {
			sim.WaitApplied()
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Hltest-Held-Writes", strconv.Itoa(sim.HeldWrites()))
		_ = sim.Dump(w)
	})
	mux.HandleFunc("GET /_hltest/duplicates", func(w http.ResponseWriter, r *http.Request) {
		groups := sim.Duplicates(r.URL.Query().Get("locationId"))
		if groups == nil {
			groups = []hltest.DuplicateGroup{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"duplicates": groups})
	})
	mux.HandleFunc("GET /_hltest/held", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"held": sim.HeldWrites()})
	})
	mux.HandleFunc("GET /_hltest/notifications", func(w http.ResponseWriter, r *http.Request) {
		n := sim.Notifications(r.URL.Query().Get("locationId"))
		if n == nil {
			n = []hltest.Notification{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"notifications": n})
	})
	want := []byte("Bearer " + adminToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/_hltest/") {
			h.ServeHTTP(w, r)
			return
		}
		if !loopbackPeer(r.RemoteAddr) {
			writeJSON(w, http.StatusForbidden, map[string]any{"statusCode": 403, "message": "inspection routes answer loopback clients only"})
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"statusCode": 401, "message": "inspection routes need the admin token (-admin-token, default -token)"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func loopbackPeer(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
