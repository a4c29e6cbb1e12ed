// Command hlsim serves the HighLevel simulator (package hltest) on a port:
// a local HighLevel for rehearsals. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "hlsim:", err)
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	addr, token, location, company, users, faults, dump string
	allowDuplicates                                     bool
	rate                                                hltest.RateLimit
	seed                                                uint64
	applyLateDelay                                      time.Duration
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("hlsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8790", "listen address")
	fs.StringVar(&c.token, "token", hltest.DefaultToken, "the location's Private Integration token (Bearer)")
	fs.StringVar(&c.location, "location", hltest.DefaultLocationID, "location (sub-account) id")
	fs.StringVar(&c.company, "company", hltest.DefaultCompanyID, "company (agency) id")
	fs.StringVar(&c.users, "users", "", "JSON file of users: [User] or {\"users\":[...]} as GET /users/search returns")
	fs.BoolVar(&c.allowDuplicates, "allow-duplicates", false, "the location's \"Allow Duplicate Contact\" setting")
	fs.IntVar(&c.rate.Max, "rate-max", 100, "burst limit: requests per window per location")
	fs.DurationVar(&c.rate.Window, "rate-window", 10*time.Second, "burst window")
	fs.IntVar(&c.rate.Daily, "daily", 200_000, "daily limit per location")
	fs.StringVar(&c.faults, "faults", "", "fault rules, e.g. '*:5xx=0.01,latency=5ms..40ms;POST /contacts/:lost=0.02'")
	fs.DurationVar(&c.applyLateDelay, "apply-late-delay", hltest.DefaultApplyLateDelay,
		"hold of the applylate fault for rules that set no applylatedelay: the write lands this long after it arrived")
	fs.Uint64Var(&c.seed, "seed", 1, "seed for ids and fault draws")
	fs.StringVar(&c.dump, "dump", "", "write the state as JSON to this file on exit")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if c.token == "" || c.location == "" {
		return c, errors.New("-token and -location must not be empty")
	}
	if c.applyLateDelay <= 0 {
		return c, errors.New("-apply-late-delay must be positive")
	}
	return c, nil
}

func (c config) options() (hltest.Options, error) {
	opts := hltest.Options{
		Locations: []hltest.Location{{ID: c.location, Token: c.token, Name: "hlsim", AllowDuplicates: c.allowDuplicates}},
		CompanyID: c.company,
		RateLimit: c.rate,
		Seed:      c.seed,
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
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	opts, err := cfg.options()
	if err != nil {
		return err
	}
	sim := hltest.NewUnstartedServer(opts)
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	sim.URL = base
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintln(stdout, base)
	fmt.Fprintf(stderr, "hlsim: HighLevel API v2 simulator at %s, location %s, %d users, rate %d/%s + %d/day, faults %q; Ctrl-C to stop\n",
		base, cfg.location, len(opts.Users), cfg.rate.Max, cfg.rate.Window, cfg.rate.Daily, cfg.faults)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
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
	log := sim.RequestLog()
	fmt.Fprintf(stderr, "hlsim: served %d requests\n", len(log))
	if cfg.dump != "" {
		if err := writeDump(sim, cfg.dump); err != nil {
			return err
		}
		fmt.Fprintln(stderr, "hlsim: state written to", cfg.dump)
	}
	return nil
}

func writeDump(sim *hltest.Server, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := sim.Dump(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
