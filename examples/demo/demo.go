package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/handover"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/internal/human"
	"github.com/pbnhl/pbnhl/internal/privatefile"
	"github.com/pbnhl/pbnhl/internal/redact"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

const (
	fallbackUserID    = "hlUserFrontDesk00001"
	fallbackUserEmail = "frontdesk@practice.example"
	realLimit         = 100
	realWindow        = 10 * time.Second
	realDaily         = 200_000
	stagingLocationID = "hlsimStagingLoc00001"
	stagingToken      = "pit-00000000-0000-4000-8000-000000000002"
)

// result is what a demo found, for its test.
type result struct {
	// AfterRun and AfterDelta are Migration.Reconcile's reports after the
	// full run and after the delta.
	AfterRun   *reconcile.Report
	AfterDelta *reconcile.Report
	Changes    pbntest.Changes
	// Practice is the generated practice the PbN simulator started from:
	// its cohorts, offices and staff are what the links were drafted from.
	Practice *pbntest.Practice
	Sample   *pbnhl.Report
	// SampleDiff is the staging reconcile's field-level diff of every
	// sampled record against the body sent.
	SampleDiff   *reconcile.Diff
	Run          *pbnhl.Report
	Delta        *pbnhl.Report
	Undo         *rollback.UndoReport
	Start        map[hltest.Kind]int // the location before the migration
	AfterUndo    map[hltest.Kind]int
	Irreversible []string // compensations Undo reports irreversible: "type id"
	// Links are the cohort tags, other offices and staff names read back
	// through the HighLevel client after the delta.
	Links     *Links
	Calls     int64 // every HighLevel call, retries included
	Throttled int64 // 429 answers
	Wall      time.Duration
}

// demo holds the running pieces.
type demo struct {
	cfg    config
	out    io.Writer
	log    *slog.Logger
	res    *result
	pbn    *pbntest.Server
	src    *pbn.Client
	hl     *hltest.Server
	client *highlevel.Client
	window time.Duration
	calls  atomic.Int64
	r429   atomic.Int64
	m      *mapping.Map
	ledger *rollback.Ledger
	mig    *pbnhl.Migration
	step   int
	tmp    string
	kept   bool // a failed demo keeps its temporary ledger for inspection

	progress atomic.Pointer[phaseView]
}

// run is the whole demo; main only adds the process around it.
func run(ctx context.Context, cfg config, out io.Writer) (*result, error) {
	start := time.Now()
	d := &demo{cfg: cfg, out: out, res: &result{}, log: slog.New(slog.DiscardHandler)}
	if cfg.verbose {
		// As pbn2hl's: the records carry no values, and the redacting
		// handler scrubs anything that slips into one.
		d.log = slog.New(redact.NewHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	}
	defer d.close()
	if err := d.makeOutDir(); err != nil {
		return d.res, err
	}
	fmt.Fprintf(out, "pbnhl demo: a whole Practice by Numbers → HighLevel migration, on in-process simulators\n")
	steps := []struct {
		title string
		fn    func(context.Context) error
	}{
		{"The practice (Practice by Numbers simulator)", d.practice},
		{"The destination (HighLevel simulator)", d.highLevel},
		{"The field map: proposed from the source", d.proposeMap},
		{"Approval", d.approve},
		{"Preflight and schema", d.preflight},
		{"Sample run", d.sample},
		{"Full run", d.fullRun},
		{"Delta: the practice keeps working, then a delta pickup", d.delta},
		{"Undo everything", d.undo},
	}
	var timings []string
	for i, s := range steps {
		if err := ctx.Err(); err != nil {
			return d.res, fmt.Errorf("interrupted before %q: %w", s.title, err)
		}
		d.section(s.title)
		t := time.Now()
		if err := s.fn(ctx); err != nil {
			d.keepEvidence()
			return d.res, fmt.Errorf("%s: %w", strings.ToLower(s.title), err)
		}
		timings = append(timings, fmt.Sprintf("%d %s", i+1, human.Duration(time.Since(t))))
	}
	d.res.Wall = time.Since(start)
	d.res.Calls = d.calls.Load()
	d.res.Throttled = d.r429.Load()
	d.section("Done")
	d.files()
	fmt.Fprintf(out, "Whole demo: %s (per step: %s), %s HighLevel calls, %s answered 429.\n", d.res.Wall.Round(100*time.Millisecond),
		strings.Join(timings, ", "), human.Int(d.res.Calls), human.Int(d.res.Throttled))
	if d.res.Throttled > 0 && !d.cfg.realLimits {
		fmt.Fprintf(out, "  (A 429 is refused, not processed, and retried. At a window compressed to %s, a loaded machine's scheduling\n", d.window)
		fmt.Fprintf(out, "  delays exceed the limiter's %s margin now and then; at the real 10 s window the margin is 250ms.)\n", d.margin())
	}
	return d.res, nil
}

func (d *demo) close() {
	if d.ledger != nil {
		_ = d.ledger.Close()
	}
	if d.tmp != "" && !d.kept {
		_ = os.RemoveAll(d.tmp)
	}
	if d.hl != nil {
		d.hl.Close()
	}
	if d.pbn != nil {
		d.pbn.Close()
	}
}

func (d *demo) section(title string) {
	d.step++
	if title == "Done" {
		fmt.Fprintf(d.out, "\n== %s\n", title)
		return
	}
	fmt.Fprintf(d.out, "\n== %d. %s\n", d.step, title)
}

func (d *demo) say(format string, args ...any) { fmt.Fprintf(d.out, format+"\n", args...) }

// practice generates the practice and serves it over PbN's REST contract.
func (d *demo) practice(ctx context.Context) error {
	t := time.Now()
	ps, err := pbntest.NewServer(pbntest.Options{Seed: d.cfg.seed, Patients: d.cfg.patients, Logger: d.log})
	if err != nil {
		return fmt.Errorf("start the PbN simulator: %w", err)
	}
	d.pbn = ps
	d.res.Practice = ps.Practice()
	d.src, err = pbn.NewClient(pbn.Options{BaseURL: ps.URL, Token: ps.Token(), HTTPClient: ps.Client(), RateLimit: -1, Logger: d.log})
	if err != nil {
		return fmt.Errorf("PbN client: %w", err)
	}
	inv, err := d.src.Inventory(ctx)
	if err != nil {
		return fmt.Errorf("read the PbN inventory: %w", err)
	}
	c := inv.Counts
	d.say("Generated a practice (seed %d) and serve it over PbN's REST contract on %s, in %s.", d.cfg.seed, ps.URL, time.Since(t).Round(time.Millisecond))
	d.say("Its inventory, read through the PbN client:")
	d.say("  %s patients · %s offices · %s staff · %s appointments · %s procedures · %s treatment plans",
		human.Int(c[pbn.EntityPatients]), human.Int(c[pbn.EntityOffices]), human.Int(c[pbn.EntityStaff]), human.Int(c[pbn.EntityAppointments]),
		human.Int(c[pbn.EntityProcedures]), human.Int(c[pbn.EntityTreatmentPlans]))
	d.say("  %s insurance coverages · %s carriers · %s messages and calls · %s form submissions · %s custom properties",
		human.Int(c[pbn.EntityCoverages]), human.Int(c[pbn.EntityInsuranceCarriers]), human.Int(c[pbn.EntityCommunications]),
		human.Int(c[pbn.EntityFormSubmissions]), human.Int(len(inv.CustomProperties)))
	st := ps.Practice().Census()
	d.say("Messy like a real one: %s duplicate patients in families, %s malformed and %s missing e-mails, %s shared family e-mails,",
		human.Int(st.Duplicates), human.Int(st.EmailMalformed), human.Int(st.EmailMissing), human.Int(st.EmailSharedFamily))
	d.say("  %s patients without a birth date, %s staff without an e-mail, %d phone formats, free-text treatment history.",
		human.Int(st.NoBirthDate), human.Int(st.StaffWithoutEmail), len(st.PhoneFormats))
	return nil
}

// highLevel starts the HighLevel simulator with a user for some of the
// staff, and the client with its per-location limiter.
func (d *demo) highLevel(context.Context) error {
	users := []hltest.User{{ID: fallbackUserID, FirstName: "Front", LastName: "Desk", Email: fallbackUserEmail, Role: "admin"}}
	withEmail := 0
	for _, s := range d.pbn.Practice().Staff() {
		if s.Email == "" {
			continue
		}
		// Half the staff with an e-mail have a HighLevel user: owner
		// resolution then shows both outcomes.
		if withEmail++; withEmail%2 == 1 {
			users = append(users, hltest.User{ID: fmt.Sprintf("hlUserStaff%09s", s.ID), FirstName: s.FirstName, LastName: s.LastName, Email: s.Email})
		}
	}
	d.window = time.Duration(float64(realWindow) / d.cfg.speedup)
	daily := realDaily
	if !d.cfg.realLimits {
		// A compressed day would be minutes long; the daily quota is only
		// estimated (see the preflight), not enforced.
		daily = 1 << 30
	}
	loc := hltest.Location{ID: hltest.DefaultLocationID, Token: hltest.DefaultToken, Name: "Demo Dental (simulated)",
		AllowDuplicates: true, AllowDuplicateOpportunities: true, ExternalIDFields: []string{"contact.pbn_patient_id"}}
	staging := loc
	staging.ID, staging.Token, staging.Name = stagingLocationID, stagingToken, "Demo Dental staging (simulated)"
	d.hl = hltest.NewServer(hltest.Options{Users: users, Locations: []hltest.Location{loc, staging}, Seed: uint64(d.cfg.seed),
		RateLimit: hltest.RateLimit{Max: realLimit, Window: d.window, Daily: daily}})
	var err error
	if d.client, err = d.newClient(loc.ID, loc.Token); err != nil {
		return err
	}
	d.res.Start = d.kindCounts()
	d.say("Location %q (%s) on %s, and a staging location for the sample.", loc.Name, loc.ID, d.hl.URL)
	d.say("It has %d users: the front desk (the fallback owner) and %d of the %d staff with an e-mail.", len(users), len(users)-1, withEmail)
	d.say("Setting \"allow duplicate contacts\" is on: family members share e-mails and phones.")
	if d.cfg.realLimits {
		d.say("Rate limit: HighLevel's real one, %d requests per %s and %s a day, enforced by the simulator and paced by the client.",
			realLimit, realWindow, human.Int(realDaily))
	} else {
		d.say("Rate limit: %d requests per %s, compressed %g× to %d per %s (%s calls/s) so the demo takes minutes, not hours;",
			realLimit, realWindow, d.cfg.speedup, realLimit, d.window, human.Int(int64(float64(realLimit)/d.window.Seconds())))
		d.say("  the simulator enforces it and the client's one per-location limiter paces every call under it (-real-limits for real time).")
	}
	return nil
}

// margin absorbs the delay between the limiter admitting a call and the
// simulator counting it: the library's 250ms at the real window; a fifth of
// a compressed window, since a loaded machine's scheduling delays do not
// shrink with it.
func (d *demo) margin() time.Duration {
	if d.cfg.realLimits {
		return 0 // the library's default, 250ms
	}
	return d.window / 5
}

// newClient returns a client of one location with its own limiter (limits
// are per location), counting every call.
func (d *demo) newClient(location, token string) (*highlevel.Client, error) {
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Name: location, Requests: realLimit, Window: d.window,
		Margin: d.margin(), BreakerCooldown: min(30*time.Second, max(50*time.Millisecond, d.window))})
	if err != nil {
		return nil, fmt.Errorf("limiter: %w", err)
	}
	c, err := highlevel.NewClient(highlevel.Options{BaseURL: d.hl.URL, LocationID: location,
		Auth: highlevel.StaticToken(token), Limiter: lim, HTTPClient: d.httpClient(), Logger: d.log,
		OnCall: func(c highlevel.Call) {
			d.calls.Add(1)
			if c.StatusCode == 429 {
				d.r429.Add(1)
			}
		}})
	if err != nil {
		return nil, fmt.Errorf("HighLevel client: %w", err)
	}
	return c, nil
}

// httpClient returns the simulator's client with as many idle connections
// kept per host as calls in flight: at net/http's default of 2, most of the
// demo's calls dialled a new loopback connection (and the simulator accepted
// it), about 6% of the demo's CPU.
func (d *demo) httpClient() *http.Client {
	c := d.hl.Client()
	t, ok := c.Transport.(*http.Transport)
	if !ok {
		return c
	}
	t = t.Clone()
	t.MaxIdleConnsPerHost = max(d.cfg.concurrency, t.MaxIdleConnsPerHost)
	t.MaxIdleConns = max(2*d.cfg.concurrency, t.MaxIdleConns)
	cc := *c
	cc.Transport = t
	return &cc
}

// proposeMap samples the source, lets the proposer draft a map, writes the
// draft and its review, and picks the map to run.
func (d *demo) proposeMap(ctx context.Context) error {
	inv, err := mapping.InventorySource(ctx, d.src, mapping.SourceOptions{Records: inventoryRecords})
	if err != nil {
		return err
	}
	// The location's existing custom fields, which the proposer reuses
	// rather than duplicates.
	dest, err := mapping.DestinationFrom(ctx, mapping.NewHighLevelSchema(d.client))
	if err != nil {
		return err
	}
	prop, err := mapping.Propose(ctx, inv, dest, mapping.ProposeOptions{Name: "Proposed map (demo)"})
	if err != nil {
		return fmt.Errorf("propose: %w", err)
	}
	// Cohorts, staff and offices are read from the source and drafted
	// into the map's value tables before it is written, as pbn2hl
	// propose does; said below for the map the demo runs.
	links, err := mapping.DraftLinks(ctx, d.src, prop.Map)
	if err != nil {
		return fmt.Errorf("draft the links: %w", err)
	}
	draft := filepath.Join(d.cfg.outDir, "proposed-map.yaml")
	review := filepath.Join(d.cfg.outDir, "proposed-review.md")
	if err := privatefile.Write(draft, prop.Map.Save); err != nil {
		return fmt.Errorf("save the proposed map: %w", err)
	}
	if err := privatefile.Write(review, func(w io.Writer) error { return prop.WriteReview(w, mapping.ReviewOptions{}) }); err != nil {
		return fmt.Errorf("write the review: %w", err)
	}
	rules := 0
	var targets []string
	for _, o := range prop.Map.Objects {
		rules += len(o.Fields)
		targets = append(targets, o.Name+" → "+targetName(o))
	}
	unmapped := 0
	for _, r := range prop.Review {
		if r.Target == "" {
			unmapped++
		}
	}
	d.say("Sampled %d source entities (up to %d records each; sample values stay in memory and are never printed).", len(inv.Entities), inventoryRecords)
	d.say("The proposer drafted %d objects and %d field rules, each with a confidence and a reason:", len(prop.Map.Objects), rules)
	for _, line := range wrap(strings.Join(targets, " · "), 100) {
		d.say("  %s", line)
	}
	type rule struct {
		object, from, to string
		conf             float64
		why              string
	}
	var rs []rule
	for _, o := range prop.Map.Objects {
		for _, f := range o.Fields {
			from := f.From
			if from == "" {
				from = f.Template
			}
			rs = append(rs, rule{o.Name, from, f.To, f.Confidence, f.Reason})
		}
	}
	for _, r := range prop.Review {
		if r.Target != "" && r.Confidence < 0.6 {
			rs = append(rs, rule{r.Object, r.Field, r.Target, r.Confidence, r.Why})
		}
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].conf < rs[j].conf })
	d.say("What a reviewer checks first, the least confident rules:")
	for _, r := range rs[:min(6, len(rs))] {
		d.say("  %-16s %-22s → %-20s %.2f  %s", r.object, clip(r.from, 22), clip(r.to, 20), r.conf, clip(r.why, 58))
	}
	d.say("%d source fields are left unmapped, each with its reason (no values sampled, no custom fields on that target...).", unmapped)
	for _, n := range prop.Notes {
		d.say("Note: %s", n)
	}
	d.say("Full review (Markdown): %s", review)
	d.say("Draft map (YAML, edit it and run with -map FILE): %s", draft)

	switch d.cfg.mapChoice {
	case "default":
		props, err := pbn.Collect(d.src.CustomProperties(ctx, pbn.ListOptions{}))
		if err != nil {
			return fmt.Errorf("read custom properties: %w", err)
		}
		d.m, err = mapping.Default(props)
		if err != nil {
			return fmt.Errorf("default map: %w", err)
		}
		if links, err = mapping.DraftLinks(ctx, d.src, d.m); err != nil {
			return fmt.Errorf("draft the links: %w", err)
		}
		d.say("")
		d.say("This demo runs the project's reviewed map for Practice by Numbers (mapping.Default): the draft after review,")
		d.say("plus what a proposer cannot guess (opportunity status values, treatment history parsed from free text, the")
		d.say("communication log and forms as JSON on the contact), with the same links drafted. -map proposed runs the raw")
		d.say("draft instead.")
	case "proposed":
		d.m = prop.Map
		d.say("")
		d.say("This demo runs the raw draft (-map proposed): expect invalid and rejected records where it guessed wrong.")
	default:
		d.m, err = mapping.Load(d.cfg.mapChoice)
		if err != nil {
			return fmt.Errorf("load the map: %w", err)
		}
		d.say("")
		d.say("This demo runs the map in %s.", d.cfg.mapChoice)
		return nil
	}
	d.say("Drafted into it from the practice's cohorts, staff and offices (mapping.DraftLinks, as pbn2hl propose does):")
	for _, n := range links.Notes() {
		d.say("  %s", n)
	}
	return nil
}

// inventoryRecords is how many records per entity the proposer samples.
const inventoryRecords = 500

// targetName says what an object writes: its record type ("contact",
// "custom object appointment"), else what it does instead.
func targetName(o mapping.Object) string {
	typ := o.RecordType()
	if name, ok := strings.CutPrefix(typ, "custom_objects."); ok {
		return "custom object " + name
	}
	if typ != "" {
		return typ
	}
	if o.FoldedField() != "" && o.List {
		return "contact multi-option field"
	}
	if o.FoldedField() != "" {
		return "contact JSON field"
	}
	return "owners (users)"
}

// approve auto-approves the chosen map.
func (d *demo) approve(context.Context) error {
	if err := d.m.Approve("pbnhl demo (auto-approved)", time.Now()); err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	digest, err := d.m.Digest()
	if err != nil {
		return fmt.Errorf("map digest: %w", err)
	}
	path := filepath.Join(d.cfg.outDir, "approved-map.yaml")
	if err := privatefile.Write(path, d.m.Save); err != nil {
		return fmt.Errorf("save the approved map: %w", err)
	}
	reviewPath := filepath.Join(d.cfg.outDir, "approved-review.md")
	if err := privatefile.Write(reviewPath, func(w io.Writer) error { return d.m.WriteReview(w, mapping.ReviewOptions{}) }); err != nil {
		return fmt.Errorf("write the approved map's review: %w", err)
	}
	d.say("Auto-approved, because this is a demo. In a real migration a person reads the review, edits the YAML and")
	d.say("approves it; the approval is locked to the map's content, so any later edit needs a new approval.")
	d.say("Approved map %s (%d objects): %s", shortDigest(digest), len(d.m.Objects), path)
	return nil
}

func (d *demo) ledgerPath() (string, error) {
	if d.cfg.ledger != "" {
		return d.cfg.ledger, nil
	}
	dir, err := d.tmpDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "migration.ledger"), nil
}

// ledgerShown is the ledger's path for a message.
func (d *demo) ledgerShown() string {
	p, err := d.ledgerPath()
	if err != nil {
		return "(none: " + err.Error() + ")"
	}
	return p
}

// tmpDir is the demo's own temporary directory (ledgers), removed at exit.
// It is private (os.MkdirTemp: 0700, a new name): a failure to make one is
// an error, never a fall back to the shared temporary directory.
func (d *demo) tmpDir() (string, error) {
	if d.tmp == "" {
		dir, err := os.MkdirTemp("", "pbnhl-demo-ledger-")
		if err != nil {
			return "", fmt.Errorf("temporary directory: %w", err)
		}
		d.tmp = dir
	}
	return d.tmp, nil
}

// makeOutDir makes the directory of the demo's files (map, reviews,
// problems, audit: simulated patients, but written as a real migration's
// would be). By default a new private directory (os.MkdirTemp, 0700) kept
// after the demo; -out DIR is created 0700 when missing. Every file in it
// is written 0600 (writeFile).
func (d *demo) makeOutDir() error {
	if d.cfg.outDir == "" {
		dir, err := os.MkdirTemp("", "pbnhl-demo-")
		if err != nil {
			return fmt.Errorf("output directory: %w", err)
		}
		d.cfg.outDir = dir
		return nil
	}
	if err := os.MkdirAll(d.cfg.outDir, 0o700); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	return nil
}

// preflight opens the ledger, checks readiness, applies the schema plan
// and checks again.
func (d *demo) preflight(ctx context.Context) error {
	path, err := d.ledgerPath()
	if err != nil {
		return err
	}
	if d.cfg.ledger != "" {
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("the ledger %s already exists: the demo starts from an empty location, give a new path", path)
		}
	}
	l, err := rollback.Open(ctx, path, rollback.Options{Plaintext: true, Durability: rollback.DurabilityNormal, Logger: d.log})
	if err != nil {
		return fmt.Errorf("open the ledger: %w", err)
	}
	d.ledger = l
	deletions := pbnhl.KeepDeleted
	if d.cfg.deletions == "mirror" {
		deletions = pbnhl.DeleteDeleted
	}
	d.mig, err = pbnhl.New(pbnhl.Options{Source: d.src, Client: d.client, Map: d.m, Ledger: l, CompanyID: hltest.DefaultCompanyID,
		FallbackOwner: fallbackUserEmail, Concurrency: d.cfg.concurrency, SearchLag: -1, Actor: "pbnhl demo", Logger: d.log,
		DailyLimit: pbnhl.PauseOnDailyLimit, Deletions: deletions, Progress: d.onProgress,
		// The simulated practice is messy on purpose, and -map proposed
		// runs a draft nobody reviewed: the demo shows the invalid records
		// counted and listed rather than stopping at preflight's limit.
		AcceptInvalid: true})
	if err != nil {
		return fmt.Errorf("migration: %w", err)
	}
	d.say("Invalid records are accepted knowingly (pbnhl.Options.AcceptInvalid, pbn2hl -accept-invalid): the practice is messy on")
	d.say("  purpose, so they are left out, counted and listed in problems.csv. A real migration's preflight blocks an object")
	d.say("  with more than 2%% of its records invalid until the source or the map is fixed, or this is said explicitly.")
	d.say("The run ledger (SQLite journal of every intent and outcome) commits without an fsync each time")
	d.say("  (rollback.DurabilityNormal): it journals a demo against simulators. A real migration keeps the default,")
	d.say("  DurabilityFull, so that a power loss cannot drop a journaled write.")
	t := time.Now()
	pf, err := d.mig.Preflight(ctx)
	if err != nil {
		return fmt.Errorf("preflight: %w", err)
	}
	d.say("Preflight (reads only, %s): the map is approved; the location lacks %d of the %d schema elements the map needs.",
		time.Since(t).Round(time.Millisecond), pf.Schema.Count(mapping.Missing), len(pf.Schema.Items))
	t = time.Now()
	calls := d.calls.Load()
	sr, err := d.mig.ApplySchema(ctx)
	if err != nil {
		return fmt.Errorf("apply the schema plan: %w", err)
	}
	byKind := map[mapping.SchemaKind]int{}
	for _, c := range sr.Created {
		byKind[c.Kind]++
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		parts = append(parts, fmt.Sprintf("%d %ss", byKind[k], strings.ReplaceAll(string(k), "_", " ")))
	}
	d.say("Applied the schema plan in %s (%d calls, journaled as run %s): created %s.", time.Since(t).Round(time.Millisecond),
		d.calls.Load()-calls, sr.Run, strings.Join(parts, ", "))
	if len(sr.Manual) > 0 {
		d.say("  %d elements must be created by hand in HighLevel (the API cannot).", len(sr.Manual))
	}
	pf, err = d.mig.Preflight(ctx)
	if err != nil {
		return fmt.Errorf("preflight after the schema: %w", err)
	}
	if !pf.Ready() {
		return fmt.Errorf("not ready to run: %s", strings.Join(pf.Blocking, "; "))
	}
	d.say("Schema verified: %d of %d elements exist.", pf.Schema.Count(mapping.Exists), len(pf.Schema.Items))
	if pf.Owners != nil {
		d.say("Owners: %d staff matched to HighLevel users by e-mail; %d unmatched (no e-mail or no user) → fallback owner %s.",
			pf.Owners.Matched, len(pf.Owners.Unmatched), fallbackUserEmail)
	}
	d.validation(pf.Validation)
	e := pf.Estimate
	realTime := time.Duration(float64(e.Calls) / realLimit * float64(realWindow))
	d.say("Estimate: %s API calls (%s records to write); at HighLevel's real limit that is %s and %d day(s) of the %s daily quota;",
		human.Int(e.Calls), human.Int(estimateRecords(e)), human.Duration(realTime), e.Days, human.Int(realDaily))
	if !d.cfg.realLimits {
		d.say("  at this demo's compressed limit, %s.", human.Duration(e.Duration))
	}
	return nil
}

func estimateRecords(e pbnhl.Estimate) int64 {
	var n int64
	for _, o := range e.Objects {
		n += o.Records
	}
	return n
}

// validation prints the invalid records per object and the main reasons.
func (d *demo) validation(r *mapping.Report) {
	if r == nil {
		return
	}
	tallies := r.Objects()
	var records, valid, invalid, skipped int
	rules := map[string]int{}
	for _, t := range tallies {
		records += t.Records
		valid += t.Valid
		invalid += t.Invalid
		skipped += t.Skipped
	}
	for _, p := range r.Problems() {
		if p.Severity == mapping.Invalid {
			rules[p.Object+"."+p.Field+": "+p.Rule]++
		}
	}
	d.say("Validation: %s source records transformed and checked: %s valid, %s invalid (never sent), %s skipped by the map's filters.",
		human.Int(records), human.Int(valid), human.Int(invalid), human.Int(skipped))
	top := sortedByCount(rules)
	if len(top) > 0 {
		d.say("  Most frequent reasons (no values shown: they are PHI):")
		for _, k := range top[:min(4, len(top))] {
			d.say("    %-60s %s", k, human.Int(rules[k]))
		}
	}
}

// sample loads a stratified slice into the staging location, shows what the
// bodies carry, and cleans the staging location up with its own ledger.
func (d *demo) sample(ctx context.Context) error {
	if d.cfg.sample == 0 {
		d.say("Skipped (-sample 0).")
		return nil
	}
	client, err := d.newClient(stagingLocationID, stagingToken)
	if err != nil {
		return err
	}
	tmp, err := d.tmpDir()
	if err != nil {
		return err
	}
	l, err := rollback.Open(ctx, filepath.Join(tmp, "staging.ledger"), rollback.Options{Plaintext: true, Durability: rollback.DurabilityNormal, Logger: d.log})
	if err != nil {
		return fmt.Errorf("open the staging ledger: %w", err)
	}
	defer l.Close()
	mig, err := pbnhl.New(pbnhl.Options{Source: d.src, Client: client, Map: d.m, Ledger: l, CompanyID: hltest.DefaultCompanyID,
		FallbackOwner: fallbackUserEmail, Concurrency: d.cfg.concurrency, SearchLag: -1, Actor: "pbnhl demo", Logger: d.log, Progress: d.onProgress,
		AcceptInvalid: true})
	if err != nil {
		return fmt.Errorf("staging migration: %w", err)
	}
	calls := d.calls.Load()
	if _, err := mig.ApplySchema(ctx); err != nil {
		return fmt.Errorf("staging schema: %w", err)
	}
	rep, err := d.phase(ctx, func(ctx context.Context) (*pbnhl.Report, error) {
		return mig.Sample(ctx, pbnhl.SampleOptions{Patients: d.cfg.sample})
	}, false)
	if err != nil {
		return fmt.Errorf("sample: %w", err)
	}
	d.res.Sample = rep
	byType := map[string]int{}
	var contact *pbnhl.Written
	for i, w := range rep.Written {
		byType[w.ObjectType]++
		if contact == nil && w.ObjectType == rollback.TypeContact {
			contact = &rep.Written[i]
		}
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(byType)) {
		parts = append(parts, fmt.Sprintf("%s %s", human.Int(byType[k]), strings.TrimPrefix(k, "custom_objects.")))
	}
	d.say("Into the staging location %s (same schema plan, its own ledger): %d patients spread over offices and", stagingLocationID, d.cfg.sample)
	d.say("  statuses, with all their records: %s writes in %s: %s.", human.Int(len(rep.Written)), rep.Duration.Round(time.Millisecond), strings.Join(parts, ", "))
	if contact != nil {
		d.say("One contact's create body carries (field names only; values are PHI): %s.", strings.Join(bodyFields(contact.Body), ", "))
	}
	// Every sampled record read back by id (a sample as large as the
	// slice) and compared field by field with the body sent.
	rc, err := mig.Reconcile(ctx, pbnhl.ReconcileOptions{Sample: len(rep.Written) + 1})
	if err != nil {
		return fmt.Errorf("field-level diff: %w", err)
	}
	fd := &rc.Sample
	d.res.SampleDiff = fd
	d.say("Field-level diff (Migration.Reconcile on staging): read back %s contacts and records and compared %s fields with the bodies sent",
		human.Int(fd.Records), human.Int(fd.Fields))
	d.say("  in %s reads:", human.Int(fd.Calls))
	if len(fd.Differences) == 0 {
		d.say("  every field arrived as sent.")
	} else {
		differ := map[string]int{}
		for _, x := range fd.Differences {
			differ[strings.TrimPrefix(x.ObjectType, "custom_objects.")+" "+x.Kind+" "+x.Field]++
		}
		for _, k := range sortedByCount(differ) {
			d.say("  %-50s in %s records", k, human.Int(differ[k]))
		}
	}
	runs, err := l.Runs(ctx)
	if err != nil {
		return fmt.Errorf("staging runs: %w", err)
	}
	var ids []rollback.RunID
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	un, err := rollback.Undo(ctx, l, pbnhl.UndoTarget(client), rollback.UndoOptions{Runs: ids, Actor: "pbnhl demo", Concurrency: d.cfg.concurrency})
	if err != nil {
		return fmt.Errorf("clean the staging location: %w", err)
	}
	left := 0
	for _, k := range []hltest.Kind{hltest.KindContact, hltest.KindBusiness, hltest.KindRecord, hltest.KindRelation, hltest.KindOpportunity, hltest.KindNote} {
		left += d.hl.Count(stagingLocationID, k)
	}
	if left > 0 {
		return fmt.Errorf("staging still holds %d records after its undo", left)
	}
	d.say("Staging cleaned with its own undo (%s compensations); %s calls for the whole sample step.", human.Int(len(un.Compensations)), human.Int(d.calls.Load()-calls))
	return nil
}

// bodyFields lists a body's keys, custom fields counted.
func bodyFields(body []byte) []string {
	var m map[string]any
	if err := jsonUnmarshal(body, &m); err != nil {
		return []string{"(unreadable body)"}
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k == "customFields" {
			if cf, ok := m[k].([]any); ok {
				out = append(out, fmt.Sprintf("customFields×%d", len(cf)))
				continue
			}
		}
		out = append(out, k)
	}
	return out
}

// fullRun is the full load with live progress.
func (d *demo) fullRun(ctx context.Context) error {
	rep, err := d.phase(ctx, d.mig.Load, true)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	d.res.Run = rep
	d.summary(rep)
	d.res.AfterRun, err = d.reconciled(ctx, "after the run")
	return err
}

// delta mutates the source and picks the changes up.
func (d *demo) delta(ctx context.Context) error {
	n := d.cfg.changes
	// SeenElsewhere: generated practices book every visit at the
	// patient's own office; some completed visits move to another office,
	// as in a group practice, for the other offices field.
	seen := max(1, n/5)
	ch := d.pbn.MutateWith(pbntest.MutateOptions{Update: n, Create: max(1, n/5), Delete: max(1, n/5), Touch: max(1, n/2), SeenElsewhere: seen})
	d.res.Changes = ch
	d.say("The practice changed %s records: %s updated (up to %d of them completed visits moved to another office, as in a group),",
		human.Int(ch.Count()), human.Int(countIDs(ch.Updated)), seen)
	d.say("  %s created (new patients with their charts, new bookings and messages),", human.Int(countIDs(ch.Created)))
	d.say("  %s deleted, and %s touched (change stamp bumped, content unchanged, as PMS bulk jobs do).", human.Int(countIDs(ch.Deleted)), human.Int(countIDs(ch.Touched)))
	rep, err := d.phase(ctx, d.mig.Delta, true)
	if err != nil {
		return fmt.Errorf("delta: %w", err)
	}
	d.res.Delta = rep
	tot := d.recordTotals(rep)
	d.say("Delta: read what changed since the watermark, skipped %s records whose content digest is unchanged, wrote %s records",
		human.Int(tot.Existing), human.Int(tot.Written))
	if d.cfg.deletions == "mirror" {
		d.say("  (updates journaled with before-images), deleted %d records the source deleted (-deletions mirror),", rep.Deleted)
	} else {
		d.say("  (updates journaled with before-images), kept %d records the source deleted (-deletions keep: listed, not deleted),", rep.KeptDeleted)
	}
	d.say("  %s calls in %s.", human.Int(rep.Calls), rep.Duration.Round(time.Millisecond))
	if d.res.AfterDelta, err = d.reconciled(ctx, "after the delta"); err != nil {
		return err
	}
	if d.cfg.deletions == "keep" {
		d.say("\"kept\": deleted in the source, left in HighLevel by the default deletion policy (-deletions mirror deletes them).")
	}
	if d.res.AfterDelta.Rejected > 0 {
		d.say("Every record the map sends is in HighLevel exactly once, except those HighLevel rejected (problems.csv has")
		d.say("  their reasons); the ledger knows each record (undo relies on it).")
	} else {
		d.say("Every record the map sends is in HighLevel exactly once, and the ledger knows each one (undo relies on it).")
	}
	if err := d.readLinks(ctx); err != nil {
		return err
	}
	// The handover pack (issue 18), written while the ledger still holds
	// what moved: definitions, aggregates and templates, no patient data.
	pack, err := handover.Write(ctx, filepath.Join(d.cfg.outDir, "handover"), handover.Inputs{Source: d.src, Map: d.m, Ledger: d.ledger, HighLevel: d.client})
	if err != nil {
		return fmt.Errorf("handover pack: %w", err)
	}
	d.say("Handover pack (KPIs and their history, cohorts, the workflow rebuild guide, the cutover sheet): %s", pack.Dir)
	return nil
}

func countIDs(m map[pbn.Entity][]pbn.Key) int {
	n := 0
	for _, ids := range m {
		n += len(ids)
	}
	return n
}

// undo reverses every run, schema included, and compares the location with
// its starting state.
func (d *demo) undo(ctx context.Context) error {
	runs, err := d.ledger.Runs(ctx)
	if err != nil {
		return fmt.Errorf("list runs: %w", err)
	}
	var ids []rollback.RunID
	var kinds []string
	for _, r := range runs {
		if r.Kind == rollback.KindUndo || r.Kind == rollback.KindReconcile {
			continue // a reconcile wrote nothing: nothing to undo
		}
		ids = append(ids, r.ID)
		kinds = append(kinds, fmt.Sprintf("%s %s", r.Kind, r.ID))
	}
	d.say("Undoing %d runs (%s): children before parents, links before records, each step journaled,", len(ids), strings.Join(kinds, ", "))
	d.say("  %d compensations at a time within each tier.", d.cfg.concurrency)
	d.say("Forced: nobody else writes to this simulated location, so the undo skips the read that checks each record is")
	d.say("  unchanged since our write (a real undo keeps that check and refuses records someone edited).")
	view := newView(d.out, d.cfg.live, d.cfg.statusEvery)
	var n atomic.Int64
	t := time.Now()
	calls := d.calls.Load()
	rep, err := rollback.Undo(ctx, d.ledger, pbnhl.UndoTarget(d.client), rollback.UndoOptions{Runs: ids, Actor: "pbnhl demo", Force: true, Concurrency: d.cfg.concurrency,
		OnCompensation: func(rollback.Compensation) {
			done := n.Add(1)
			view.status(func() string {
				el := time.Since(t)
				return fmt.Sprintf("undo: %s compensations · %s calls · %.0f calls/s", human.Int(done), human.Int(d.calls.Load()-calls),
					float64(d.calls.Load()-calls)/max(el.Seconds(), 1e-3))
			})
		}})
	view.clear()
	if err != nil {
		return fmt.Errorf("undo: %w", err)
	}
	d.res.Undo = rep
	states := map[rollback.CompensationState]int{}
	actions := map[rollback.Action]int{}
	for _, c := range rep.Compensations {
		states[c.State]++
		if c.State == rollback.StateDone {
			actions[c.Action]++
		}
		if c.State == rollback.StateIrreversible {
			d.res.Irreversible = append(d.res.Irreversible, c.Ref.ObjectType+" "+c.Ref.ID)
		}
	}
	d.say("Undo run %s: %s compensations in %s (%s calls): %s deletes, %s restores, %s unlinks done; %s already gone.",
		rep.Run, human.Int(len(rep.Compensations)), time.Since(t).Round(time.Millisecond), human.Int(d.calls.Load()-calls),
		human.Int(actions[rollback.ActionDelete]), human.Int(actions[rollback.ActionRestore]), human.Int(actions[rollback.ActionUnlink]), human.Int(states[rollback.StateGone]))
	for _, s := range []rollback.CompensationState{rollback.StateRefused, rollback.StateFailed, rollback.StateUnresolved} {
		if states[s] > 0 {
			return fmt.Errorf("%d compensations ended %s: the ledger %s lists them", states[s], s, d.ledgerShown())
		}
	}
	d.res.AfterUndo = d.kindCounts()
	d.say("HighLevel now, per kind (before the migration → after undo):")
	var leftovers []string
	for _, k := range slices.Sorted(maps.Keys(d.res.AfterUndo)) {
		before, after := d.res.Start[k], d.res.AfterUndo[k]
		mark := "✓"
		if after != before {
			mark = "left over"
			leftovers = append(leftovers, string(k))
		}
		d.say("  %-36s %6s → %-6s %s", k, human.Int(before), human.Int(after), mark)
	}
	if len(d.res.Irreversible) > 0 {
		byType := map[string]int{}
		reason := map[string]string{}
		for _, c := range rep.Compensations {
			if c.State == rollback.StateIrreversible {
				byType[c.Ref.ObjectType]++
				reason[c.Ref.ObjectType] = c.Reason
			}
		}
		d.say("Irreversible (reported, not hidden; ids in audit.jsonl):")
		for _, k := range slices.Sorted(maps.Keys(byType)) {
			d.say("  %-14s %5s  %s", k, human.Int(byType[k]), clip(strings.TrimPrefix(reason[k], "rollback: the destination cannot reverse this: "), 90))
		}
	}
	var unexpected []string
	for _, k := range leftovers {
		switch hltest.Kind(k) {
		case hltest.KindObjectSchema, hltest.KindPipeline:
		case hltest.KindCustomField:
			if n := d.customFieldsLeft(); n > 0 {
				unexpected = append(unexpected, fmt.Sprintf("%d custom fields", n))
			}
		default:
			unexpected = append(unexpected, k)
		}
	}
	if len(unexpected) > 0 {
		return fmt.Errorf("undo left records in HighLevel: %s", strings.Join(unexpected, ", "))
	}
	if d.res.AfterUndo[hltest.KindCustomField] > d.res.Start[hltest.KindCustomField] {
		d.say("The %d custom fields left are the display fields of those custom objects: they go with them.",
			d.res.AfterUndo[hltest.KindCustomField]-d.res.Start[hltest.KindCustomField])
	}
	d.say("Every record, link, relation and custom field the migration made is gone: the location is back to where it started.")
	return nil
}

// customFieldsLeft counts the location's custom fields that are not the
// primary display field of a custom object schema (those cannot go while
// their schema stays).
func (d *demo) customFieldsLeft() int {
	loc := hltest.DefaultLocationID
	primary := map[string]bool{}
	for _, o := range d.hl.Records(loc, hltest.KindObjectSchema) {
		primary[fmt.Sprint(o["primaryDisplayProperty"])] = true
	}
	n := 0
	for _, f := range d.hl.Records(loc, hltest.KindCustomField) {
		if !primary[fmt.Sprint(f["fieldKey"])] {
			n++
		}
	}
	return n - d.res.Start[hltest.KindCustomField]
}

// kindCounts counts the location's objects per kind, custom object records
// per schema.
func (d *demo) kindCounts() map[hltest.Kind]int {
	loc := hltest.DefaultLocationID
	out := map[hltest.Kind]int{}
	for _, k := range []hltest.Kind{hltest.KindContact, hltest.KindBusiness, hltest.KindRecord, hltest.KindRelation, hltest.KindOpportunity,
		hltest.KindNote, hltest.KindTask, hltest.KindCustomField, hltest.KindAssociation, hltest.KindObjectSchema, hltest.KindPipeline, hltest.KindMedia} {
		out[k] = d.hl.Count(loc, k)
	}
	if d.m != nil {
		// Each custom object's records too (its record type is its kind).
		for _, o := range d.m.Objects {
			if typ := o.RecordType(); typ != "" {
				out[hltest.Kind(typ)] = d.hl.Count(loc, hltest.Kind(typ))
			}
		}
	}
	return out
}

// keepEvidence runs when a step fails: the ledger stays, and the problem
// and audit files are written, so the failure can be inspected.
func (d *demo) keepEvidence() {
	if d.ledger == nil {
		return
	}
	d.kept = true
	fmt.Fprintln(d.out)
	d.files()
	d.say("The ledger is kept for inspection at %s.", d.ledgerShown())
}

// files says where the demo's outputs are.
func (d *demo) files() {
	ctx := context.Background()
	problems := filepath.Join(d.cfg.outDir, "problems.csv")
	audit := filepath.Join(d.cfg.outDir, "audit.jsonl")
	if d.ledger != nil {
		if err := privatefile.Write(problems, func(w io.Writer) error { return d.ledger.WriteProblemsCSV(ctx, w) }); err != nil {
			d.say("could not write %s: %v", problems, err)
		}
		if err := privatefile.Write(audit, func(w io.Writer) error { return d.ledger.WriteAuditJSONL(ctx, w, rollback.ExportOptions{}) }); err != nil {
			d.say("could not write %s: %v", audit, err)
		}
	}
	d.say("Files in %s: proposed-map.yaml, proposed-review.md, approved-map.yaml, approved-review.md,", d.cfg.outDir)
	d.say("  problems.csv (invalid and rejected records with reasons, no values), audit.jsonl (every journaled call),")
	d.say("  handover/ (the handover pack: KPIs, cohorts, workflow guide, cutover sheet; no patient data).")
	switch {
	case d.cfg.ledger != "":
		d.say("The ledger (runs, journal, id map, watermarks) is kept at %s.", d.cfg.ledger)
	case !d.kept:
		d.say("The ledger was a temporary file, removed now (-ledger PATH keeps it).")
	}
}
