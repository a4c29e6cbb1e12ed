// Command pbnsim serves a generated Practice by Numbers practice over the
// REST contract of package practicebynumbers, or writes it as a CSV export
// folder.
//
//	go run ./examples/pbnsim -addr 127.0.0.1:8791 -token T -patients 5000 -seed 42
//	go run ./examples/pbnsim -patients 5000 -seed 42 -export ./pbn-export
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pbnhl/pbnhl/internal/cliflag"
	"github.com/pbnhl/pbnhl/internal/exposure"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// -h: exit 0; a refused flag: one line and a hint, exit 2; else exit 1.
	cliflag.Exit("pbnsim", run(ctx, os.Args[1:], os.Stdout, nil))
}

// usageError is a command line the flag set refused (an unknown flag, a
// bad value): main exits 2 with a hint instead of 1.
type usageError = cliflag.UsageError

type config struct {
	addr        string
	token       string
	patients    int
	seed        int64
	export      string
	bom, crlf   bool
	human       bool
	documents   bool
	pmsDates    bool
	failRate    float64
	limitRate   float64
	dropRate    float64
	latency     time.Duration
	slowRate    float64
	rateLimit   float64
	mutate      int
	mutateEvery time.Duration
	mutated     string
	verbose     bool
}

func parseFlags(args []string, out io.Writer) (config, error) {
	var c config
	fs := cliflag.NewFlagSet("pbnsim") // prints nothing; -h writes the usage to out (stdout)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8791", "listen address")
	fs.StringVar(&c.token, "token", pbntest.DefaultToken, "bearer token clients must send")
	fs.IntVar(&c.patients, "patients", 5000, "number of patients to generate")
	fs.Int64Var(&c.seed, "seed", 42, "generator seed (same seed, same practice)")
	fs.StringVar(&c.export, "export", "", "write a CSV export folder to this directory instead of serving")
	fs.BoolVar(&c.bom, "bom", false, "export: start files with a UTF-8 BOM")
	fs.BoolVar(&c.crlf, "crlf", false, "export: CRLF line endings")
	fs.BoolVar(&c.human, "human-headers", false, "export: headers like \"Patient Id\" instead of patient_id")
	fs.BoolVar(&c.documents, "documents", false, "export: also write document contents to documents/<id>")
	fs.BoolVar(&c.pmsDates, "pms-dates", false, "export: dates as 03/04/2019 and 0001-01-01 for none, as PMS exports write them")
	fs.Float64Var(&c.failRate, "fail-rate", 0, "serve: fraction of requests answered 500/502/503")
	fs.Float64Var(&c.limitRate, "429-rate", 0, "serve: fraction of requests answered 429 with Retry-After")
	fs.Float64Var(&c.dropRate, "disconnect-rate", 0, "serve: fraction of requests whose connection is dropped without a response")
	fs.DurationVar(&c.latency, "latency", 0, "serve: latency added to -slow-rate of requests")
	fs.Float64Var(&c.slowRate, "slow-rate", 1, "serve: fraction of requests that get -latency")
	fs.Float64Var(&c.rateLimit, "rate", 0, "serve: requests per second before 429 (0 = unlimited)")
	fs.IntVar(&c.mutate, "mutate", 0, "serve: records to change every -mutate-every (delta rehearsals); "+
		"export: also write a second export after adding, changing and deleting this many records each (a CSV delta rehearsal)")
	fs.StringVar(&c.mutated, "mutated-export", "", "export with -mutate: the second export's directory (default: -export's with -mutated appended)")
	fs.DurationVar(&c.mutateEvery, "mutate-every", time.Minute, "serve: interval between mutations")
	fs.BoolVar(&c.verbose, "v", false, "log every request (method, path, status)")
	if err := cliflag.Parse(fs, args, out, "Serves a generated Practice by Numbers practice, or writes it as a CSV export folder (-export)."); err != nil {
		return c, err
	}
	if c.mutate > 0 && c.mutateEvery < time.Second {
		// A mutation moves the clock a second past its stamp; more often
		// than that, the clock would outrun the wall clock and a restart
		// could hand out an older serverTime.
		return c, errors.New("-mutate-every must be at least 1s")
	}
	return c, nil
}

// run is main without the process: ready, if not nil, receives the base
// URL once the server listens.
func run(ctx context.Context, args []string, out io.Writer, ready chan<- string) error {
	c, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	p, err := pbntest.NewPractice(c.seed, c.patients)
	if err != nil {
		return err
	}
	if c.export != "" {
		eo := pbntest.ExportOptions{BOM: c.bom, CRLF: c.crlf, HumanHeaders: c.human, PMSDates: c.pmsDates, Documents: c.documents}
		if c.mutate > 0 {
			return writeMutatedExports(ctx, p, c, eo, out)
		}
		st, err := p.WriteExport(ctx, c.export, eo)
		if err != nil {
			return err
		}
		reportExport(out, st, c.export)
		return nil
	}

	level := slog.LevelInfo
	if c.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level}))
	// The clock is the wall clock (never before the practice's AsOf + 1h),
	// not time since this process started, and nothing is served before
	// RestartMargin has passed: a restarted pbnsim never hands out a
	// serverTime older than one its predecessor handed out, so a client's
	// watermark is never in the source's future.
	clock := pbntest.WallClock(p)
	if time.Now().Before(p.AsOf().Add(time.Hour)) {
		fmt.Fprintf(os.Stderr, "pbnsim: warning: the wall clock is before the practice's as-of date (%s): serverTime stands still and a restart can hand out older times\n",
			p.AsOf().Format(time.DateOnly))
	}
	sim, err := pbntest.New(pbntest.Options{
		Practice: p, Token: c.token, RateLimit: c.rateLimit, Logger: logger,
		Now:    clock,
		Faults: pbntest.Faults{ServerErrors: c.failRate, TooManyRequests: c.limitRate, Latency: c.latency, SlowRequests: c.slowRate, Disconnects: c.dropRate},
	})
	if err != nil {
		return err
	}
	select {
	case <-time.After(pbntest.RestartMargin):
	case <-ctx.Done():
		return nil
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	for _, w := range exposure.Warnings(ln.Addr(), "pbnsim", c.token == pbntest.DefaultToken) {
		fmt.Fprintln(os.Stderr, "pbnsim:", w)
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "pbnsim: serving %d patients (seed %d) at %s/v1/ (token from -token)\n", c.patients, c.seed, url)
	if ready != nil {
		ready <- url
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	// A timer re-armed after each mutation, not a ticker: a ticker's
	// delayed tick can be followed by the next at once, and mutations less
	// than a second apart would let the clock lead the wall clock.
	var tick <-chan time.Time
	var timer *time.Timer
	if c.mutate > 0 {
		timer = time.NewTimer(c.mutateEvery)
		defer timer.Stop()
		tick = timer.C
	}
	for {
		select {
		case <-tick:
			ch := sim.Mutate(c.mutate)
			logger.Info("pbnsim mutated", "records", ch.Count(), "at", ch.At)
			timer.Reset(c.mutateEvery)
		case err := <-errc:
			return err
		case <-ctx.Done():
			shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(shutdown); err != nil {
				return err
			}
			return nil
		}
	}
}

func reportExport(out io.Writer, st pbntest.ExportStats, dir string) {
	total := 0
	for _, n := range st.Rows {
		total += n
	}
	fmt.Fprintf(out, "wrote %d records (%d patients, %d deletions, %d document files, %.1f MB) to %s in %s\n",
		total, st.Rows[pbn.EntityPatients], st.Deletions, st.DocumentFiles, float64(st.Bytes)/1e6, dir, st.Duration.Round(time.Millisecond))
}

// writeMutatedExports writes the practice as generated to -export, then
// adds, changes and deletes -mutate records each (deterministic from the
// seed) and writes the result to the second directory: the same practice a
// day later, for rehearsing a delta from CSV exports. The second export
// has the changed records with their new updated_at and a deletions.csv
// listing what was deleted; what changed is written, as ids only, to
// <second directory>.changes.json so a rehearsal can be checked.
//
// The mutation's stamp is a day after the practice's as-of date: the
// first export's newest stamp is before it, so a delta from the first
// export's watermark sees every change.
func writeMutatedExports(ctx context.Context, p *pbntest.Practice, c config, eo pbntest.ExportOptions, out io.Writer) error {
	second := c.mutated
	if second == "" {
		second = filepath.Clean(c.export) + "-mutated"
	}
	if filepath.Clean(second) == filepath.Clean(c.export) {
		return usageError{Err: errors.New("-mutated-export must differ from -export")}
	}
	at := p.AsOf().Add(24 * time.Hour)
	sim, err := pbntest.New(pbntest.Options{Practice: p, Now: func() time.Time { return at }})
	if err != nil {
		return err
	}
	st, err := sim.WriteExport(ctx, c.export, eo)
	if err != nil {
		return err
	}
	reportExport(out, st, c.export)
	ch := sim.MutateWith(pbntest.MutateOptions{Create: c.mutate, Update: c.mutate, Delete: c.mutate})
	st, err = sim.WriteExport(ctx, second, eo)
	if err != nil {
		return err
	}
	reportExport(out, st, second)
	manifest := second + ".changes.json"
	data, err := json.MarshalIndent(map[string]any{"at": ch.At, "created": ch.Created, "updated": ch.Updated, "deleted": ch.Deleted}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(manifest, append(data, '\n'), 0o644); err != nil {
		return err
	}
	count := func(m map[pbn.Entity][]pbn.Key) (n int) {
		for _, ids := range m {
			n += len(ids)
		}
		return n
	}
	fmt.Fprintf(out, "mutated: %d created, %d updated, %d deleted (ids in %s)\n",
		count(ch.Created), count(ch.Updated), count(ch.Deleted), manifest)
	return nil
}
