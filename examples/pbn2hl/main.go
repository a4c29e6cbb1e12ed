package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/internal/redact"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/spf13/pflag"
)

// Exit codes.
const (
	exitOK         = 0
	exitFailed     = 1
	exitUsage      = 2
	exitDailyLimit = 3
)

// -request-timeout's default and bound are the client's.
const (
	defaultRequestTimeout = highlevel.DefaultRequestTimeout
	maxRequestTimeout     = highlevel.MaxRequestTimeout
)

// Environment variables holding the tokens.
const (
	envHLToken  = "HL_TOKEN"
	envPBNToken = "PBN_TOKEN"
	// OAuth (a marketplace app) instead of HL_TOKEN: the app's credentials,
	// and the one-time authorization code the oauth command exchanges.
	envOAuthClientID     = "HL_OAUTH_CLIENT_ID"
	envOAuthClientSecret = "HL_OAUTH_CLIENT_SECRET"
	envOAuthCode         = "HL_OAUTH_CODE"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		fmt.Fprintln(os.Stderr, "\npbn2hl: stopping: the calls in flight finish and are journaled (Ctrl-C again to quit at once; the ledger survives that too)")
		cancel()
		<-sig
		os.Exit(exitFailed)
	}()
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}

// env is how the tool reads the environment (os.Getenv; a map in tests).
type env func(string) string

// cli is one invocation: its streams, environment and parsed flags.
type cli struct {
	cmd    string
	def    *command
	stdout io.Writer
	stderr io.Writer
	getenv env
	flags  *pflag.FlagSet
	// jsonOut is stdout when -json asks for the result as JSON (stdout
	// then points at stderr for the text): profile.go.
	jsonOut io.Writer
	cfg     config
	opt     commandFlags
	// progress is the command's progress view (progress.go).
	progress progressReporter
	// httpClient is nil in production (the connectors' pooled defaults).
	httpClient *http.Client
	log        *slog.Logger
}

// config is what the shared flags say.
type config struct {
	pbnURL, exportDir     string
	hlURL, location       string
	oauthStore            string
	companyID, fallback   string
	conversationProvider  string
	hlRate                string
	searchLag             time.Duration
	ledger, ledgerKeyFile string
	// newLedger lets a writing command create -ledger when there is none.
	newLedger bool
	// plaintextLedger is the explicit choice of a ledger without a key.
	plaintextLedger bool
	mapPath         string
	// outDir is -out-dir: where side files go (sidefiles.go).
	outDir          string
	encoding        string
	requestTimeout  time.Duration
	acceptInvalid   bool
	maxInvalidShare float64
	concurrency     int
	onDailyLimit    string
	actor           string
	verbose         bool
	progressEvery   time.Duration
	progressMode    progressModeFlag // progress.go
	requests        int
	window          time.Duration
}

// commandFlags are the flags of single commands.
type commandFlags struct {
	propose     proposeFlags
	approveBy   string
	schemaApply bool
	phase       phaseFlags
	undo        undoFlags
	audit       auditFlags
	purge       purgeFlags
	reconcile   reconcileFlags
	sample      sampleFlags
}

// command is one subcommand: which shared flag groups it takes (each
// only where the command reads it: TestFlagsOnlyWhereTheyApply holds the
// resulting lists), its own flags (setup) and what it does (run).
type command struct {
	name, summary string
	// source: -pbn-url, -export, -encoding.
	source bool
	// hl: none; hlAuth (-hl-oauth-store, -hl-url, -location: the oauth
	// exchange, which makes no API call through the limiter); hlClient
	// (those and -hl-rate, -request-timeout: a rate-limited client).
	hl hlUse
	// ledger: -ledger, -ledger-key-file.
	ledger bool
	// mapFile: -map.
	mapFile bool
	// mutating commands require -ledger and an approved map.
	mutating bool
	// creates: the command may create its ledger, with -new-ledger.
	creates bool
	// writesLedger: the command (or one of its modes) journals into the
	// ledger, so it takes -plaintext-ledger.
	writesLedger bool
	// validates: the command validates every record (preflight and the
	// data phases), so it takes -accept-invalid and -max-invalid-share.
	validates bool
	// concurrent: -concurrency (the data phases' workers, undo's).
	concurrent bool
	// progress: -progress, -progress-every (the commands that report
	// progress events: data phases and undo).
	progress bool
	// journaled: -search-lag and -on-daily-limit, which shape the
	// journaled write path (a lost answer's lookup, the daily-limit
	// pause): the data phases and repair.
	journaled bool
	// messages: -conversation-provider, the conversationProviderId of the
	// messages the command may write (the data phases and repair).
	messages bool
	// company: -company (staff → HighLevel users are listed by agency);
	// fallback: -fallback-owner. Both only where owners are resolved.
	company, fallback bool
	// actor: -actor, recorded on the runs and sign-offs the command makes.
	actor bool
	// logs: -v (-verbose), for the commands that open a client, a source
	// or a ledger (their operational records).
	logs  bool
	setup func(c *cli)
	run   func(ctx context.Context, c *cli) error
}

// hlUse is how much of HighLevel a command uses.
type hlUse int

const (
	hlNone hlUse = iota
	hlAuth
	hlClient
)

// commands in the order of a migration.
var commands []*command

func init() {
	commands = []*command{
		initCmd, oauthCmd, proposeCmd, doctorCmd, approveCmd, schemaCmd, preflightCmd, sampleCmd, approveSampleCmd, runCmd, deltaCmd, reconcileCmd, repairCmd, handoverCmd, undoCmd, statusCmd, auditCmd, adoptCmd, purgeCmd,
	}
}

const usageHead = `pbn2hl moves a dental practice from Practice by Numbers to HighLevel, phase by
phase, every write journaled in a ledger so that it can be resumed, audited and
undone.

Usage: pbn2hl <command> [flags]     (pbn2hl <command> -h for its flags)

Flags take one dash or two (-ledger FILE and --ledger FILE are the same).

Commands, in the order of a migration:
`

const usageTail = `
  help           this text; pbn2hl help <command> is the command's -h
  completion     a shell completion script: pbn2hl completion bash|zsh|fish|powershell
                 (source <(pbn2hl completion bash); pbn2hl completion <shell> -h says how to install it)

Tokens are read from the environment only, never from flags (flags land in
shell history and in the process list):
  HL_TOKEN    the HighLevel location's Private Integration token
  PBN_TOKEN   the Practice by Numbers API token (with -pbn-url)
or, for a marketplace app (OAuth) with -hl-oauth-store FILE instead of HL_TOKEN:
  HL_OAUTH_CLIENT_ID, HL_OAUTH_CLIENT_SECRET   the app's credentials
  HL_OAUTH_CODE                                the install's authorization code (oauth command only)

The ledger's key: -ledger-key-file FILE, or the file's path in
  PBN2HL_LEDGER_KEY_FILE   (32 bytes raw or 64 hex digits, mode 0600)
Commands that write to the ledger need it, or -plaintext-ledger for a
rehearsal on simulated data (warned about every time).

Exit codes: 0 done; 1 failed or interrupted (run the same command again to
resume: nothing is written twice); 2 usage; 3 stopped at HighLevel's daily
limit (run the same command again after the time printed); 4 reconcile or
repair found differences between HighLevel, the ledger and the source.
`

func usage(w io.Writer) {
	fmt.Fprint(w, usageHead)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, usageTail)
}

// run is the whole tool; main only adds the process around it.
func run(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) int {
	return runWith(ctx, args, getenv, stdout, stderr, nil)
}

// runWith parses args with the command tree (tree.go) and runs the
// command; hc is the HTTP client of both connectors (nil: their defaults).
func runWith(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer, hc *http.Client) int {
	// Progress lines, the -v log and warnings come from the migration's
	// goroutines at once: one lock per stream keeps each line whole (and a
	// writer that is not safe for concurrent use, such as a buffer, safe).
	stdout, stderr = &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	}
	return newTree(getenv, stdout, stderr, hc).execute(ctx, args)
}

// execute runs the parsed command: the shared flags' checks, the log, the
// command, and the exit code of its outcome.
func (c *cli) execute(ctx context.Context, cmd *command) int {
	if err := c.useProfile(); err != nil { // -profile, -json: profile.go
		fmt.Fprintf(c.stderr, "pbn2hl %s: %v\n", cmd.name, err)
		return exitUsage
	}
	if err := c.check(cmd); err != nil {
		fmt.Fprintf(c.stderr, "pbn2hl %s: %v (see -h)\n", cmd.name, err)
		return exitUsage
	}
	c.log = slog.New(slog.DiscardHandler)
	if c.cfg.verbose {
		// The library's records carry names, counts and ids, never values;
		// the redacting handler also scrubs e-mails, phones, dates and
		// tokens from anything that slips into one (a server's message).
		c.log = slog.New(redact.NewHandler(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	}
	err := cmd.run(ctx, c)
	c.closeProgress() // its final state before the error
	return c.exit(ctx, err)
}

// help prints a command's flags (asked for with -h: stdout).
func (c *cli) help(cmd *command, w io.Writer) {
	fmt.Fprintf(w, "Usage: pbn2hl %s [flags]\n\n%s\n", cmd.name, cmd.summary)
	switch {
	case cmd.hl != hlNone:
		fmt.Fprintf(w, "\nThe HighLevel token is read from $%s (or OAuth: -hl-oauth-store), never from a\nflag (flags land in shell history and in ps).", envHLToken)
		if cmd.source {
			fmt.Fprintf(w, " The PbN token (with -pbn-url) is read from $%s.", envPBNToken)
		}
		fmt.Fprintln(w)
	case cmd.source:
		fmt.Fprintf(w, "\nThe PbN token (with -pbn-url) is read from $%s, never from a flag.\n", envPBNToken)
	}
	fmt.Fprint(w, "\nFlags (one dash or two: -ledger FILE and --ledger FILE are the same):\n")
	writeFlags(w, c.flags)
}

// writeFlags lists the flags as the README writes them (-name TYPE),
// sorted, each with its default when it has one.
func writeFlags(w io.Writer, fs *pflag.FlagSet) {
	type row struct{ name, usage string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		name := "    -" + f.Name
		if f.Shorthand != "" {
			name = "-" + f.Shorthand + ", -" + f.Name
		}
		varname, usage := pflag.UnquoteUsage(f)
		if varname != "" && f.Value.Type() != "bool" {
			name += " " + varname
		}
		switch f.DefValue {
		case "", "0", "0s", "false", "[]":
		default:
			if f.Value.Type() == "string" {
				usage += fmt.Sprintf(" (default %q)", f.DefValue)
			} else {
				usage += fmt.Sprintf(" (default %s)", f.DefValue)
			}
		}
		rows = append(rows, row{name, usage})
		width = max(width, len(name))
	})
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s   %s\n", width, r.name, r.usage)
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// usageError is a mistake in the invocation (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// exit reports err and chooses the exit code.
func (c *cli) exit(ctx context.Context, err error) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	var ml *missingLedgerError
	var dl *pbnhl.DailyLimitError
	var rl *highlevel.RateLimitError
	if !errors.As(err, &dl) && errors.As(err, &rl) && rl.Daily {
		// A phase outside the runner's pause/stop policy (schema, undo)
		// hit the quota: the same advice holds.
		dl = &pbnhl.DailyLimitError{ResumeAt: rl.RetryAt, Err: err}
	}
	switch {
	case errors.As(err, &ml):
		fmt.Fprintf(c.stderr, "pbn2hl %s: %v. If it is:\n", c.cmd, err)
		for _, a := range ml.advice(c.cmd) {
			fmt.Fprintf(c.stderr, "  - %s\n", a)
		}
		return exitUsage
	case errors.As(err, &ue):
		fmt.Fprintf(c.stderr, "pbn2hl %s: %v (see -h)\n", c.cmd, err)
		return exitUsage
	case dl != nil:
		fmt.Fprintf(c.stderr, "pbn2hl %s: stopped at HighLevel's daily limit: nothing is lost.\n", c.cmd)
		if dl.ResumeAt.IsZero() {
			fmt.Fprintf(c.stderr, "  HighLevel did not say when the quota resets (usually midnight in the location's time zone).\n")
		} else {
			fmt.Fprintf(c.stderr, "  The quota resets at %s (in %s).\n", dl.ResumeAt.UTC().Format(time.RFC3339), time.Until(dl.ResumeAt).Round(time.Minute))
		}
		fmt.Fprintf(c.stderr, "  Resume: run the same command again then (pbn2hl %s ...); it continues where it stopped.\n", c.cmd)
		return exitDailyLimit
	case ctx.Err() != nil:
		fmt.Fprintf(c.stderr, "pbn2hl %s: interrupted. Every write made so far is journaled in the ledger;\n", c.cmd)
		fmt.Fprintf(c.stderr, "  resume: run the same command again (it settles what was in flight, then skips what is done).\n")
		return exitFailed
	}
	var de *differencesError
	if errors.As(err, &de) {
		fmt.Fprintf(c.stderr, "pbn2hl %s: %v\n", c.cmd, err)
		return exitDifferences
	}
	var lm *pbnhl.LedgerMismatchError
	if errors.As(err, &lm) {
		c.ledgerMismatch(lm)
		return exitUsage
	}
	if msg := c.refusedToken(err); msg != "" {
		fmt.Fprintf(c.stderr, "pbn2hl %s: %s\n", c.cmd, msg)
		return exitFailed
	}
	var mm *mapping.DigestMismatchError
	if errors.As(err, &mm) || errors.Is(err, mapping.ErrNotApproved) {
		fmt.Fprintf(c.stderr, "pbn2hl %s: %v\n  approve the map first: pbn2hl approve -map %s -by NAME\n", c.cmd, err, c.cfg.mapPath)
		return exitFailed
	}
	var sn *pbnhl.SchemaNotReadyError
	if errors.As(err, &sn) {
		fmt.Fprintf(c.stderr, "pbn2hl %s: %v\n  see what is missing: pbn2hl schema -map %s ...; create it: pbn2hl schema -apply -map %s -ledger %s ...\n",
			c.cmd, err, c.cfg.mapPath, c.cfg.mapPath, c.cfg.ledger)
		return exitFailed
	}
	fmt.Fprintf(c.stderr, "pbn2hl %s: %v\n", c.cmd, err)
	return exitFailed
}

// ledgerMismatch says what to do with a ledger the location does not
// know: the library refused it before writing anything to HighLevel.
func (c *cli) ledgerMismatch(e *pbnhl.LedgerMismatchError) {
	w := c.stderr
	fmt.Fprintf(w, "pbn2hl %s: refused: the ledger %s (migration %s) does not belong to location %s; nothing was written to HighLevel.\n",
		c.cmd, c.cfg.ledger, e.MigrationID, e.Location)
	switch {
	case e.OtherLocation != "":
		fmt.Fprintf(w, "  Its runs were made in location %s: give each location its own ledger (a sample into staging needs its own).\n", e.OtherLocation)
		return
	case e.OwnerMigrationID != "":
		owner := "its ledger"
		if e.OwnerLedger != "" {
			owner = "the ledger named " + e.OwnerLedger
		}
		fmt.Fprintf(w, "  The location was loaded by migration %s: run this command again with -ledger pointing at %s.\n", e.OwnerMigrationID, owner)
	default:
		fmt.Fprintf(w, "  The location holds records migrated by pbn2hl that this ledger does not know: run this command again with the ledger that loaded them.\n")
	}
	fmt.Fprintf(w, "  If that ledger is lost: pbn2hl adopt -new-ledger -ledger NEW.ledger ... rebuilds its id map from HighLevel (it writes nothing there), then use NEW.ledger.\n")
	fmt.Fprintf(w, "  Running with a ledger that does not know what was migrated would write the practice a second time.\n")
}

// refusedToken says which token a 401 refused and what to do, or "".
func (c *cli) refusedToken(err error) string {
	switch {
	case errors.Is(err, highlevel.ErrUnauthorized) && c.cfg.oauthStore != "":
		return fmt.Sprintf("HighLevel refused the OAuth token kept in %s (401 unauthorized), and refreshing it did not help: "+
			"the app's install may have been removed or its scopes changed. Install the app on location %s again and run "+
			"pbn2hl oauth -hl-oauth-store %s with the new authorization code in $%s.", c.cfg.oauthStore, c.cfg.location, c.cfg.oauthStore, envOAuthCode)
	case errors.Is(err, highlevel.ErrUnauthorized):
		return fmt.Sprintf("HighLevel refused the token in $%s (401 unauthorized): set $%s to the Private Integration token of "+
			"location %s (Settings → Private Integrations in that sub-account), not an agency token, not revoked, with the "+
			"scopes the README lists. Nothing was written.", envHLToken, envHLToken, c.cfg.location)
	case errors.Is(err, pbn.ErrUnauthorized):
		return fmt.Sprintf("Practice by Numbers refused the token in $%s (401 unauthorized): set $%s to the practice's API "+
			"token for %s, or read a CSV export folder with -export DIR instead.", envPBNToken, envPBNToken, c.cfg.pbnURL)
	}
	return ""
}

// defaults are the shared settings of a command that does not take their
// flag (the flag's default otherwise): the library's behaviour is the same
// whether or not a command lists the flag.
func defaults(actor string) config {
	return config{hlURL: highlevel.DefaultBaseURL, hlRate: "100/10s", concurrency: 8, onDailyLimit: "pause",
		progressEvery: 2 * time.Second, requestTimeout: defaultRequestTimeout, actor: actor}
}

// sharedFlags registers the shared flags the command takes; each is bound
// to cfg, which holds its default already (defaults).
func (c *cli) sharedFlags(cmd *command) {
	fs, cfg := c.flags, &c.cfg
	if cmd.source {
		fs.StringVar(&cfg.pbnURL, "pbn-url", "", "Practice by Numbers API root (token in $"+envPBNToken+"); or -export")
		fs.StringVar(&cfg.exportDir, "export", "", "read a Practice by Numbers CSV export folder instead of the API")
		fs.StringVar(&cfg.encoding, "encoding", "", `the export's text encoding when it is neither UTF-8 nor UTF-16 with a BOM, e.g. "windows-1252"; without it any other encoding is refused with the first line that is not UTF-8 (nothing is guessed)`)
	}
	if cmd.hl >= hlAuth {
		fs.StringVar(&cfg.oauthStore, "hl-oauth-store", "", "OAuth token file written by the oauth command (owner-only, rotated on every refresh); used instead of $"+envHLToken+", with the app's credentials in $"+envOAuthClientID+" and $"+envOAuthClientSecret)
		fs.StringVar(&cfg.hlURL, "hl-url", cfg.hlURL, "HighLevel API root (token in $"+envHLToken+")")
		fs.StringVar(&cfg.location, "location", "", "HighLevel location (sub-account) id")
	}
	if cmd.hl >= hlClient {
		fs.StringVar(&cfg.hlRate, "hl-rate", cfg.hlRate, "requests per window this tool may spend at the location (HighLevel allows 100/10s; leave room for other integrations)")
		fs.DurationVar(&cfg.requestTimeout, "request-timeout", cfg.requestTimeout, "longest a call to HighLevel may take (at most 10m); a write whose answer is lost is looked up only once it can no longer be in flight (this plus -search-lag), so a resume waits that long for it")
	}
	if cmd.journaled {
		fs.Var(searchLagValue{&cfg.searchLag}, "search-lag", "how long HighLevel's search takes to see a new record, a `duration` (0: the default) or \"none\" for a simulator without lag")
		fs.StringVar(&cfg.onDailyLimit, "on-daily-limit", cfg.onDailyLimit, `"pause" (print the time the quota resets, wait, go on) or "stop" (exit 3 with the time to resume)`)
	}
	if cmd.concurrent {
		fs.IntVar(&cfg.concurrency, "concurrency", cfg.concurrency, "calls in flight at once (they share the one rate limit: concurrency hides latency, it does not raise the rate)")
	}
	if cmd.progress {
		fs.DurationVar(&cfg.progressEvery, "progress-every", cfg.progressEvery, "least time between two progress lines of one object on stderr")
		fs.Var(progressModeValue{&cfg.progressMode}, "progress", `progress on stderr: "auto" (a live view with bars on a terminal, else one line every -progress-every), "live" or "lines"`)
	}
	if cmd.messages {
		fs.StringVar(&cfg.conversationProvider, "conversation-provider", "", "the conversationProviderId of the messages a conversation_message object writes into HighLevel Conversations when the map's \"provider\" field gives none (required for Custom messages; the provider must be installed in the location)")
	}
	if cmd.company {
		fs.StringVar(&cfg.companyID, "company", "", "HighLevel agency (company) id, for resolving staff to users by e-mail")
	}
	if cmd.fallback {
		fs.StringVar(&cfg.fallback, "fallback-owner", "", "e-mail or id of the HighLevel user who owns records whose staff member has no user")
	}
	if cmd.ledger {
		req := ""
		if cmd.mutating {
			req = " (required)"
		}
		fs.StringVar(&cfg.ledger, "ledger", "", "run ledger: a SQLite file (or sqlite:FILE) or a postgres://HOST/DB URL (password in $PGPASSWORD or ~/.pgpass, never in the URL): journal, id map, watermarks"+req)
		fs.StringVar(&cfg.ledgerKeyFile, "ledger-key-file", "", "file holding a 32-byte key (raw, or 64 hex digits) to encrypt payloads and before-images at rest (default $"+envLedgerKeyFile+")")
		if cmd.writesLedger {
			fs.BoolVar(&cfg.plaintextLedger, "plaintext-ledger", false, "store the ledger's payloads and before-images (patient data) in clear instead of giving a key: for rehearsals on simulated data; warned about on every command")
		}
		if cmd.creates {
			fs.BoolVar(&cfg.newLedger, "new-ledger", false, "create -ledger if there is no such file (a new migration); without it a missing ledger is refused, so a mistyped path cannot start the practice over")
		}
	}
	if cmd.mapFile {
		fs.StringVar(&cfg.mapPath, "map", "", "field map YAML (from propose, approved with approve)")
	}
	if cmd.validates {
		fs.BoolVar(&cfg.acceptInvalid, "accept-invalid", false, "go on knowingly when an object has more invalid records than -max-invalid-share: they are left out and listed in the problems report (never sent)")
		fs.Float64Var(&cfg.maxInvalidShare, "max-invalid-share", 0.02, "share of an object's records (0 to 1) that may be invalid before preflight and the run stop; 0: none may be")
	}
	if cmd.actor {
		fs.StringVar(&cfg.actor, "actor", cfg.actor, "who runs this, recorded on every run")
	}
	if cmd.logs {
		fs.BoolVarP(&cfg.verbose, "verbose", "v", false, "log the library's operational records to stderr (object names, counts, ids; never values or tokens)")
	}
	c.profileFlags(cmd) // -profile, -json: profile.go
}

func defaultActor() string {
	name := "pbn2hl"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		name += "@" + h
	}
	return name
}

// check validates the shared flags a command uses.
func (c *cli) check(cmd *command) error {
	cfg := &c.cfg
	if cmd.source {
		switch {
		case cfg.pbnURL == "" && cfg.exportDir == "":
			return errors.New("give the source: -pbn-url (token in $" + envPBNToken + ") or -export DIR")
		case cfg.pbnURL != "" && cfg.exportDir != "":
			return errors.New("-pbn-url and -export exclude each other")
		case cfg.pbnURL != "" && c.getenv(envPBNToken) == "":
			return errors.New("-pbn-url needs the token in $" + envPBNToken)
		}
	}
	if cfg.encoding != "" && cfg.exportDir == "" {
		return errors.New("-encoding is for an export folder (-export); the API's answers are UTF-8")
	}
	if cmd.validates && (cfg.maxInvalidShare < 0 || cfg.maxInvalidShare > 1) {
		return errors.New("-max-invalid-share must be between 0 and 1")
	}
	if cmd.hl >= hlClient {
		if cfg.requestTimeout <= 0 || cfg.requestTimeout > maxRequestTimeout {
			return fmt.Errorf("-request-timeout must be more than 0 and at most %s", maxRequestTimeout)
		}
		n, w, err := parseRate(cfg.hlRate)
		if err != nil {
			return err
		}
		cfg.requests, cfg.window = n, w
	}
	if cfg.concurrency < 1 {
		return errors.New("-concurrency must be at least 1")
	}
	if cfg.onDailyLimit != "stop" && cfg.onDailyLimit != "pause" {
		return errors.New(`-on-daily-limit must be "stop" or "pause"`)
	}
	if cmd.mutating && cfg.ledger == "" {
		return errors.New("-ledger is required: it is what makes the run resumable and undoable")
	}
	if cmd.mutating && cmd.mapFile && cfg.mapPath == "" {
		return errors.New("-map is required")
	}
	return nil
}

// parseRate reads "100/10s".
func parseRate(s string) (int, time.Duration, error) {
	n, w, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("-hl-rate %q: want REQUESTS/WINDOW, e.g. 100/10s", s)
	}
	req, err := strconv.Atoi(n)
	if err != nil || req < 1 {
		return 0, 0, fmt.Errorf("-hl-rate %q: requests must be a positive integer", s)
	}
	win, err := time.ParseDuration(w)
	if err != nil || win <= 0 {
		return 0, 0, fmt.Errorf("-hl-rate %q: window must be a positive duration", s)
	}
	return req, win, nil
}

// source opens the PbN API or export folder.
func (c *cli) source() (pbn.Source, error) {
	if c.cfg.exportDir != "" {
		r, err := pbn.OpenExport(c.cfg.exportDir, pbn.ExportOptions{Logger: c.log, Encoding: c.cfg.encoding})
		if err != nil {
			return nil, fmt.Errorf("open the export folder: %w", err)
		}
		return r, nil
	}
	cl, err := pbn.NewClient(pbn.Options{BaseURL: c.cfg.pbnURL, Token: c.getenv(envPBNToken), HTTPClient: c.httpClient,
		Logger: c.log, UserAgent: "pbn2hl"})
	if err != nil {
		return nil, fmt.Errorf("Practice by Numbers client: %w", err)
	}
	return cl, nil
}

// highLevel returns a client of the location with its own limiter.
func (c *cli) highLevel() (*highlevel.Client, error) {
	if c.cfg.location == "" {
		return nil, usagef("-location is required")
	}
	auth, err := c.auth()
	if err != nil {
		return nil, err
	}
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Name: c.cfg.location, Requests: c.cfg.requests, Window: c.cfg.window,
		Margin: c.cfg.window / 40})
	if err != nil {
		return nil, fmt.Errorf("limiter: %w", err)
	}
	cl, err := highlevel.NewClient(highlevel.Options{BaseURL: c.cfg.hlURL, LocationID: c.cfg.location, Auth: auth,
		Limiter: lim, HTTPClient: c.httpClient, Logger: c.log, UserAgent: "pbn2hl"}, highlevel.WithRequestTimeout(c.cfg.requestTimeout))
	if err != nil {
		return nil, fmt.Errorf("HighLevel client: %w", err)
	}
	return cl, nil
}

// auth is the location's Private Integration token, or OAuth through the
// token file when -hl-oauth-store is given.
func (c *cli) auth() (highlevel.TokenSource, error) {
	if c.cfg.oauthStore == "" {
		token := c.getenv(envHLToken)
		if token == "" {
			return nil, usagef("set the location's token in $%s (never on the command line), or use -hl-oauth-store", envHLToken)
		}
		return highlevel.StaticToken(token), nil
	}
	return c.oauth()
}

// oauth is the marketplace app's token source over the token file.
func (c *cli) oauth() (*highlevel.OAuth, error) {
	id, secret := c.getenv(envOAuthClientID), c.getenv(envOAuthClientSecret)
	if id == "" || secret == "" {
		return nil, usagef("-hl-oauth-store needs the app's credentials in $%s and $%s", envOAuthClientID, envOAuthClientSecret)
	}
	a, err := highlevel.NewOAuth(highlevel.OAuthOptions{ClientID: id, ClientSecret: secret, Store: &highlevel.FileTokenStore{Path: c.cfg.oauthStore},
		BaseURL: c.cfg.hlURL, HTTPClient: c.httpClient, Logger: c.log})
	if err != nil {
		return nil, fmt.Errorf("HighLevel OAuth: %w", err)
	}
	return a, nil
}

// loadMap loads -map; mutating commands require its approval to match.
func (c *cli) loadMap(approved bool) (*mapping.Map, error) {
	if c.cfg.mapPath == "" {
		return nil, usagef("-map is required")
	}
	if approved {
		m, err := mapping.LoadApproved(c.cfg.mapPath)
		if err != nil {
			return nil, fmt.Errorf("load the map: %w", err)
		}
		return m, nil
	}
	m, err := mapping.Load(c.cfg.mapPath)
	if err != nil {
		return nil, fmt.Errorf("load the map: %w", err)
	}
	return m, nil
}

// progressf writes one progress line to stderr.
func (c *cli) progressf(format string, args ...any) {
	c.progressLine(fmt.Sprintf(format, args...)) // above a live view's bars
}

// outf writes a result line to stdout.
func (c *cli) outf(format string, args ...any) {
	c.closeProgress() // results after the progress view's final state
	fmt.Fprintf(c.stdout, format+"\n", args...)
}

// hasHL reports whether a location and its credentials are given, for the
// commands that only read it when they can.
func (c *cli) hasHL() bool {
	return c.cfg.location != "" && (c.getenv(envHLToken) != "" || c.cfg.oauthStore != "")
}
