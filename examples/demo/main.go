package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(2)
	}
	cfg.live = isTerminal(os.Stdout)
	if os.Getenv("GOGC") == "" {
		// The demo is one short process whose live heap is small next to
		// the garbage of ~200,000 calls: collecting at 4× the live heap
		// instead of 2× took the collector from 14% of the demo's CPU to
		// a few percent. GOGC in the environment still wins. The soft
		// limit makes the collector work harder only if the heap nears
		// 600 MiB (it peaked at 1.65 GB without one at 2,000 patients;
		// the live heap peaks near 390 MB, in the reconcile): max RSS
		// 1.04 GiB with a 1 GiB limit, 690 MiB with this one, the
		// collector's share of the CPU 6% -> 12% (issue 17.4).
		debug.SetGCPercent(400)
		debug.SetMemoryLimit(600 << 20)
	}
	stopProfiles, err := startProfiles(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(2)
	}
	_, err = run(ctx, cfg, os.Stdout)
	if perr := stopProfiles(); perr != nil {
		fmt.Fprintln(os.Stderr, "demo: profile:", perr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "\ndemo failed:", err)
		os.Exit(1)
	}
}

// startProfiles starts the CPU profile and the block and mutex profile
// rates the flags ask for; the returned function writes them.
func startProfiles(cfg config) (stop func() error, err error) {
	var cpu *os.File
	if cfg.cpuProfile != "" {
		if cpu, err = os.Create(cfg.cpuProfile); err != nil {
			return nil, fmt.Errorf("CPU profile: %w", err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			_ = cpu.Close()
			return nil, fmt.Errorf("CPU profile: %w", err)
		}
	}
	if cfg.blockProfile != "" {
		runtime.SetBlockProfileRate(int(time.Millisecond)) // sample blocking events of about a millisecond and more
	}
	if cfg.mutexProfile != "" {
		runtime.SetMutexProfileFraction(10)
	}
	return func() error {
		var errs []error
		if cpu != nil {
			pprof.StopCPUProfile()
			errs = append(errs, cpu.Close())
		}
		for _, p := range []struct{ name, path string }{{"block", cfg.blockProfile}, {"mutex", cfg.mutexProfile}} {
			if p.path != "" {
				errs = append(errs, writeProfile(p.name, p.path))
			}
		}
		return errors.Join(errs...)
	}, nil
}

func writeProfile(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// config is what the flags say.
type config struct {
	patients   int
	seed       int64
	realLimits bool
	speedup    float64
	// concurrency is the calls in flight in the runs and in the undo.
	concurrency int
	changes     int
	sample      int
	ledger      string
	mapChoice   string
	deletions   string
	outDir      string
	verbose     bool

	cpuProfile, blockProfile, mutexProfile string

	// live redraws one status line in place (a terminal); otherwise a
	// status line is printed at most every statusEvery.
	live        bool
	statusEvery time.Duration
}

// defaultSpeedup compresses HighLevel's 100 requests per 10 s into 100 per
// 16.7 ms (6,000 calls/s nominal, 5,000/s with the limiter's margin). On two
// shared cores the undo then runs at the limit (~3,800 calls/s) and the full
// run, whose every call also waits for two journal commits, near 3,700/s:
// 2,000 patients (~206,000 calls) in 69 s. At 100× (the former default) the
// limiter capped the demo at 833 calls/s.
const defaultSpeedup = 600

// defaultPatients is the practice's size: about a minute at the defaults.
const defaultPatients = 2000

// defaultConcurrency keeps enough calls in flight that the limiter, not
// the round trip of each call (its journal commits included), sets the pace;
// rollback's tiers still remove links, then children, then contacts, then
// businesses at any concurrency.
// 32 measured 1m9s for 2,000 patients at 600× where 16 took 1m27s.
const defaultConcurrency = 32

const usageHead = `Usage: go run ./examples/demo [flags]

A whole Practice by Numbers → HighLevel migration on the embedded simulators:
generate a practice, propose and approve the field map, apply the schema, run
a sample, the full load with live progress, a delta after the practice
changes, compare counts, then undo everything and show HighLevel is empty
again. Nothing leaves this machine: both systems are in-process simulators
listening on 127.0.0.1.

HighLevel allows 100 requests per 10 s per location. The demo compresses time
(the simulator and the client's limiter share one shorter window) so that the
whole migration takes about a minute; -real-limits keeps real time.

Flags:
`

func parseFlags(args []string, errOut io.Writer) (config, error) {
	c := config{statusEvery: 5 * time.Second}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHead)
		fs.PrintDefaults()
	}
	fs.IntVar(&c.patients, "patients", defaultPatients, "patients in the generated practice (each brings ~6 appointments, ~10 procedures, ~15 messages...)")
	fs.Int64Var(&c.seed, "seed", 42, "generator seed: the same seed gives the same practice")
	fs.BoolVar(&c.realLimits, "real-limits", false, "use HighLevel's real limits (100 requests per 10 s, 200,000 a day): about 2¾ h for the default practice's full run (~100,000 calls) and as long for its undo; past 200,000 calls it pauses for the daily reset")
	fs.Float64Var(&c.speedup, "speedup", defaultSpeedup, "time compression of HighLevel's rate limit: 100 requests per 10 s ÷ speedup")
	fs.IntVar(&c.concurrency, "concurrency", defaultConcurrency, "calls in flight at once in the runs and the undo (all under the one per-location limiter)")
	fs.IntVar(&c.changes, "changes", 0, "records the practice changes between the full run and the delta (0 = about 5% of patients)")
	fs.IntVar(&c.sample, "sample", 20, "patients in the sample run (each with all their records)")
	fs.StringVar(&c.ledger, "ledger", "", "keep the run ledger (SQLite) at this path; default a temporary file removed at exit")
	fs.StringVar(&c.mapChoice, "map", "default", `map to approve and run: "default" (the project's reviewed PbN map), "proposed" (the proposer's raw draft) or a YAML file`)
	fs.StringVar(&c.deletions, "deletions", "keep", `what the delta does with records the source deleted: "keep" them in HighLevel (the library's default) or "mirror" the source and delete them`)
	fs.StringVar(&c.outDir, "out", "", "directory for the maps, their reviews and the problem and audit files (created 0700 if missing; files 0600); default a new private directory under $TMPDIR, kept and printed at the end")
	fs.BoolVar(&c.verbose, "v", false, "log the library's operational records (object names, counts, ids; never field values) to stderr")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole demo to this file (go tool pprof)")
	fs.StringVar(&c.blockProfile, "blockprofile", "", "write a profile of where goroutines waited (channels, locks, the limiter) to this file")
	fs.StringVar(&c.mutexProfile, "mutexprofile", "", "write a profile of lock contention to this file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected arguments %q (see -h)", fs.Args())
	case c.patients < 1:
		return c, errors.New("-patients must be at least 1")
	case c.speedup < 1:
		return c, errors.New("-speedup must be at least 1")
	case c.concurrency < 1:
		return c, errors.New("-concurrency must be at least 1")
	case c.changes < 0:
		return c, errors.New("-changes must not be negative")
	case c.sample < 0:
		return c, errors.New("-sample must not be negative")
	case c.realLimits && c.speedup != defaultSpeedup:
		return c, errors.New("-real-limits and -speedup exclude each other")
	case c.deletions != "keep" && c.deletions != "mirror":
		return c, errors.New(`-deletions must be "keep" or "mirror"`)
	case strings.TrimSpace(c.mapChoice) == "":
		return c, errors.New(`-map must be "default", "proposed" or a file`)
	}
	if c.changes == 0 {
		c.changes = max(4, c.patients/20)
	}
	if c.realLimits {
		c.speedup = 1
	}
	return c, nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
