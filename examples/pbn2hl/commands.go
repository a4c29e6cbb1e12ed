package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/internal/human"
	"github.com/pbnhl/pbnhl/internal/privatefile"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// ---- oauth

var oauthCmd = &command{
	name: "oauth", summary: "exchange a marketplace app's authorization code ($" + envOAuthCode + ") for tokens kept in -hl-oauth-store",
	hl: hlAuth, logs: true,
	run: func(ctx context.Context, c *cli) error {
		if c.cfg.oauthStore == "" {
			return usagef("-hl-oauth-store is required: the file the tokens are kept in")
		}
		code := c.getenv(envOAuthCode)
		if code == "" {
			return usagef("put the authorization code of the app's install in $%s", envOAuthCode)
		}
		a, err := c.oauth()
		if err != nil {
			return err
		}
		tok, err := a.Exchange(ctx, code)
		if err != nil {
			return fmt.Errorf("exchange the authorization code: %w", err)
		}
		c.outf("tokens stored in %s (%s token for location %q, expires %s; refreshed automatically)", c.cfg.oauthStore, tok.UserType,
			tok.LocationID, tok.ExpiresAt.UTC().Format(time.RFC3339))
		if c.cfg.location != "" && tok.LocationID != "" && tok.LocationID != c.cfg.location {
			return fmt.Errorf("the token is for location %s, not -location %s", tok.LocationID, c.cfg.location)
		}
		return nil
	},
}

// ---- propose

type proposeFlags struct {
	out, review, from, name string
	samples                 int
	overwrite, files        bool
	ai                      aiFlags // suggest.go
}

var proposeCmd = &command{
	name: "propose", summary: "read the source and draft the field map (YAML) with a Markdown review",
	source: true, hl: hlClient, logs: true,
	setup: func(c *cli) {
		p := &c.opt.propose
		c.flags.StringVar(&p.out, "out", "map.yaml", "write the draft map here")
		c.flags.StringVar(&p.review, "review", "map-review.md", "write the Markdown review here")
		c.flags.StringVar(&p.from, "from", "proposer", `"proposer" (drafted from the source's fields, with a confidence and reason per rule) or "default" (the project's reviewed PbN map plus this practice's custom properties)`)
		c.flags.StringVar(&p.name, "name", "PbN → HighLevel", "name written into the map")
		c.flags.BoolVar(&p.overwrite, "overwrite", false, "replace -out and -review when they exist (a reviewed, edited map is otherwise kept)")
		c.flags.IntVar(&p.samples, "samples", 500, "records read per source entity to propose from (values stay in memory, never printed)")
		c.flags.BoolVar(&p.files, "files", false, "with -export: draft from the folder's files as they are (any practice system's CSV or XLSX reports — Dentrix, Eaglesoft, Open Dental, Denticon, Curve — whatever their names, UTF-16 included), not through the PbN reader")
		p.ai.register(c.flags)
	},
	run: runPropose,
}

func runPropose(ctx context.Context, c *cli) error {
	p := &c.opt.propose
	if p.from != "proposer" && p.from != "default" {
		return usagef(`-from must be "proposer" or "default"`)
	}
	if p.from == "default" && p.ai.endpoint != "" {
		return usagef("-ai-endpoint reviews a drafted map: it needs -from proposer")
	}
	if p.files && (p.from != "proposer" || c.cfg.exportDir == "") {
		return usagef("-files drafts from an export folder's files: it needs -export DIR and -from proposer")
	}
	if !p.overwrite {
		for _, f := range []string{p.out, p.review} {
			if _, err := os.Stat(f); err == nil {
				return usagef("%s exists (perhaps reviewed and edited): give other -out/-review paths, or -overwrite", f)
			}
		}
	}
	var src pbn.Source
	if !p.files { // -files reads the folder's reports, not PbN entities
		var err error
		if src, err = c.source(); err != nil {
			return err
		}
	}
	var m *mapping.Map
	var writeReview func(io.Writer) error
	if p.from == "default" {
		props, err := pbn.Collect(src.CustomProperties(ctx, pbn.ListOptions{}))
		if err != nil {
			return fmt.Errorf("read custom properties: %w", err)
		}
		if m, err = mapping.Default(props); err != nil {
			return fmt.Errorf("default map: %w", err)
		}
		m.Name = p.name
		writeReview = func(w io.Writer) error { return m.WriteReview(w, mapping.ReviewOptions{}) }
		c.progressf("propose: the reviewed default map with %d custom properties of the practice", len(props))
	} else {
		var inv mapping.SourceInventory
		var err error
		if p.files {
			c.progressf("propose: reading every CSV/TXT/TSV report and XLSX sheet in %s", c.cfg.exportDir)
			inv, err = mapping.InventoryDir(os.DirFS(c.cfg.exportDir), mapping.InventoryOptions{})
		} else {
			c.progressf("propose: sampling up to %d records of each source entity", p.samples)
			inv, err = mapping.InventorySource(ctx, src, mapping.SourceOptions{Records: p.samples})
			if er, ok := src.(*pbn.ExportReader); ok && len(er.UnrecognisedFiles()) > 0 {
				c.progressf("propose: note: the PbN reader does not know %s — to draft from a practice system's own reports, add -files",
					strings.Join(er.UnrecognisedFiles(), ", "))
			}
		}
		if err != nil {
			return err
		}
		var dest mapping.Destination
		if c.hasHL() {
			client, err := c.highLevel()
			if err != nil {
				return err
			}
			// The location's existing custom fields (contacts,
			// opportunities, custom objects), which the draft reuses.
			if dest, err = mapping.DestinationFrom(ctx, mapping.NewHighLevelSchema(client)); err != nil {
				return err
			}
			c.progressf("propose: the location has %d custom fields the draft may reuse", len(dest.CustomFields))
		} else {
			c.progressf("propose: no -location/$%s: the draft cannot reuse the location's existing custom fields", envHLToken)
		}
		sugg, err := p.ai.suggesters(c)
		if err != nil {
			return err
		}
		prop, err := mapping.Propose(ctx, inv, dest, mapping.ProposeOptions{Name: p.name, Suggesters: sugg, ShareSamples: p.ai.samples})
		if err != nil {
			return fmt.Errorf("propose: %w", err)
		}
		if s := p.ai.summary(); s != "" {
			c.progressf("%s", s)
		}
		m = prop.Map
		writeReview = func(w io.Writer) error { return prop.WriteReview(w, mapping.ReviewOptions{}) }
		for _, n := range prop.Notes {
			c.progressf("propose: note: %s", n)
		}
		// Rows the reader rejected are said, with why, never dropped in
		// silence (the review lists them per file too).
		for _, f := range prop.Files {
			total := 0
			for _, n := range f.Rejects {
				total += n
			}
			if total > 0 {
				reasons := slices.Sorted(maps.Keys(f.Rejects))
				parts := make([]string, len(reasons))
				for i, r := range reasons {
					parts[i] = fmt.Sprintf("%d × %s", f.Rejects[r], r)
				}
				c.progressf("propose: %s: %d rows rejected by the reader (%s)", f.Entity, total, strings.Join(parts, "; "))
			}
		}
	}
	if src != nil && len(m.Objects) > 0 {
		// Cohort tags, staff names and other offices from the source
		// (issue 16.5), the step the demo and the fleet take too.
		links, err := mapping.DraftLinks(ctx, src, m)
		if err != nil {
			return fmt.Errorf("propose: %w", err)
		}
		for _, n := range links.Notes() {
			c.progressf("propose: %s", n)
		}
	}
	if len(m.Objects) == 0 {
		// A map without objects would not load: write what the review
		// says about each entity and stop.
		if err := privatefile.Write(p.review, writeReview); err != nil {
			return fmt.Errorf("write the review: %w", err)
		}
		return fmt.Errorf("propose: no entity of the source has records to map, so no map was written (review: %s); for another system's reports add -files", p.review)
	}
	if err := privatefile.Write(p.out, m.Save); err != nil {
		return fmt.Errorf("save the map: %w", err)
	}
	if err := privatefile.Write(p.review, writeReview); err != nil {
		return fmt.Errorf("write the review: %w", err)
	}
	rules := 0
	for _, o := range m.Objects {
		rules += len(o.Fields)
	}
	c.outf("map: %s (%d objects, %d field rules, not approved)", p.out, len(m.Objects), rules)
	c.outf("review: %s", p.review)
	c.outf("next: read the review, edit the map, then: pbn2hl approve -map %s -by NAME", p.out)
	return nil
}

// ---- approve

var approveCmd = &command{
	name: "approve", summary: "stamp who approved the map, when, and the digest of its content into the YAML",
	mapFile: true, // it reads and writes the map only: no -v, no -actor (-by names who approves)
	setup: func(c *cli) {
		c.flags.StringVar(&c.opt.approveBy, "by", "", "who approves (name or e-mail; required)")
	},
	run: func(ctx context.Context, c *cli) error {
		if strings.TrimSpace(c.opt.approveBy) == "" {
			return usagef("-by is required: an approval names a person")
		}
		m, err := c.loadMap(false)
		if err != nil {
			return err
		}
		if err := m.Approve(c.opt.approveBy, time.Now()); err != nil {
			return fmt.Errorf("approve: %w", err)
		}
		if err := privatefile.Write(c.cfg.mapPath, m.Save); err != nil {
			return fmt.Errorf("save the approved map: %w", err)
		}
		digest, err := m.Digest()
		if err != nil {
			return fmt.Errorf("map digest: %w", err)
		}
		c.outf("approved: %s by %s at %s", c.cfg.mapPath, m.Approval.By, m.Approval.At.Format(time.RFC3339))
		c.outf("digest: %s", digest)
		c.outf("any later edit of the map voids this approval; approve again after editing")
		return nil
	},
}

// ---- schema

var schemaCmd = &command{
	name: "schema", summary: "show the schema plan the map needs, diffed with the location, as Markdown; -apply creates it",
	// Schema creations are outside the runner's daily-limit policy and
	// lookups (they settle against the location's schema), and resolve no
	// owners.
	source: true, hl: hlClient, ledger: true, mapFile: true, creates: true, writesLedger: true, actor: true, logs: true,
	setup: func(c *cli) {
		c.flags.BoolVar(&c.opt.schemaApply, "apply", false, "create what is missing (journaled in the ledger, so undo -schema removes it); needs -ledger and an approved map")
	},
	run: runSchema,
}

func runSchema(ctx context.Context, c *cli) error {
	if !c.opt.schemaApply {
		m, err := c.loadMap(false)
		if err != nil {
			return err
		}
		plan, err := mapping.DeriveSchema(m)
		if err != nil {
			return fmt.Errorf("schema plan: %w", err)
		}
		var diff *mapping.SchemaDiff
		if c.hasHL() {
			client, err := c.highLevel()
			if err != nil {
				return err
			}
			if diff, err = plan.Diff(ctx, mapping.NewHighLevelSchema(client)); err != nil {
				return fmt.Errorf("diff the plan with the location: %w", err)
			}
		} else {
			c.progressf("schema: no -location/$%s: the plan is shown without the location's state", envHLToken)
		}
		return plan.WriteMarkdown(c.stdout, diff)
	}
	if c.cfg.ledger == "" {
		return usagef("-apply needs -ledger: the creations are journaled so that undo can remove them")
	}
	mig, closeAll, err := c.migration(ctx, true, ledgerWrite, nil)
	if err != nil {
		return err
	}
	defer closeAll()
	res, err := mig.ApplySchema(ctx)
	if err != nil {
		return fmt.Errorf("apply the schema: %w", err)
	}
	byKind := map[mapping.SchemaKind]int{}
	for _, cr := range res.Created {
		byKind[cr.Kind]++
	}
	c.outf("schema run %d: created %d elements", res.Run, len(res.Created))
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		c.outf("  %-20s %d", k, byKind[k])
	}
	if res.Diff != nil {
		c.outf("location now: %d of %d elements exist, %d missing, %d conflicting", res.Diff.Count(mapping.Exists), len(res.Diff.Items),
			res.Diff.Count(mapping.Missing), res.Diff.Count(mapping.Conflicts))
	}
	for _, it := range res.Manual {
		c.outf("  create by hand in HighLevel (the API cannot): %s %s", it.Kind, it.Key)
	}
	return nil
}

// migration opens the source, the location, the ledger and the map, and
// builds the Migration. approved requires the map's approval; mode is what
// the command does with the ledger.
func (c *cli) migration(ctx context.Context, approved bool, mode ledgerMode, tune func(*pbnhl.Options)) (*pbnhl.Migration, func(), error) {
	m, err := c.loadMap(approved)
	if err != nil {
		return nil, nil, err
	}
	src, err := c.source()
	if err != nil {
		return nil, nil, err
	}
	client, err := c.highLevel()
	if err != nil {
		return nil, nil, err
	}
	var l *rollback.Ledger
	cleanup := func() {}
	if c.cfg.ledger == "" {
		// Preflight only reads; without a ledger it counts every record as
		// still to write.
		dir, err := os.MkdirTemp("", "pbn2hl-preflight-")
		if err != nil {
			return nil, nil, fmt.Errorf("temporary ledger: %w", err)
		}
		if l, err = rollback.Open(ctx, dir+"/ledger", rollback.Options{Plaintext: true, Logger: c.log, Durability: rollback.DurabilityNormal}); err != nil {
			_ = os.RemoveAll(dir)
			return nil, nil, fmt.Errorf("temporary ledger: %w", err)
		}
		cleanup = func() { _ = l.Close(); _ = os.RemoveAll(dir) }
	} else {
		if l, err = c.openLedger(ctx, mode); err != nil {
			return nil, nil, err
		}
		cleanup = func() { _ = l.Close() }
		if err := c.checkLocation(ctx, l); err != nil {
			cleanup()
			return nil, nil, err
		}
	}
	policy := pbnhl.StopOnDailyLimit
	if c.cfg.onDailyLimit == "pause" {
		policy = pbnhl.PauseOnDailyLimit
	}
	opts := pbnhl.Options{Source: src, Client: client, Map: m, Ledger: l, CompanyID: c.cfg.companyID, FallbackOwner: c.cfg.fallback, ConversationProvider: c.cfg.conversationProvider,
		Concurrency: c.cfg.concurrency, DailyLimit: policy, SearchLag: c.cfg.searchLag, Actor: c.cfg.actor, Logger: c.log,
		Progress: c.progressTo(client), ProgressInterval: c.cfg.progressEvery, RequestTimeout: client.RequestTimeout(),
		AcceptInvalid: c.cfg.acceptInvalid, MaxInvalidShare: c.cfg.maxInvalidShare}
	if c.def.validates && c.cfg.maxInvalidShare == 0 {
		opts.MaxInvalidShare = -1 // the library's "none may be invalid"; its zero is the default
	}
	if policy == pbnhl.PauseOnDailyLimit {
		// Shown without -v: a pause may last hours, and a person watching
		// must know the run is waiting on HighLevel's quota, not stuck.
		opts.OnDailyLimitPause = func(at time.Time) {
			reset := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
			c.outf("HighLevel's daily limit for this location is spent: pausing; next try at %s (in %s), the quota comes back at %s; the run goes on by itself (Ctrl-C is safe: run the same command again later)",
				at.UTC().Format("15:04:05 UTC"), time.Until(at).Round(time.Second), reset.Format("2006-01-02 15:04 UTC"))
		}
	}
	if tune != nil {
		tune(&opts)
	}
	mig, err := pbnhl.New(opts)
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("migration: %w", err)
	}
	return mig, cleanup, nil
}

// ---- preflight

var preflightCmd = &command{
	name: "preflight", summary: "check everything a run needs and estimate its API calls, duration and days (writes nothing)",
	// It resolves owners (a missing fallback owner blocks) and writes no
	// run: no -actor.
	source: true, hl: hlClient, ledger: true, mapFile: true, validates: true, company: true, fallback: true, logs: true,
	run: func(ctx context.Context, c *cli) error {
		mig, closeAll, err := c.migration(ctx, false, ledgerRead, nil)
		if err != nil {
			return err
		}
		defer closeAll()
		rep, err := mig.Preflight(ctx)
		if err != nil {
			return fmt.Errorf("preflight: %w", err)
		}
		if err := c.result(rep.WriteText, rep.WriteJSON); err != nil { // -json: profile.go
			return err
		}
		e := rep.Estimate
		c.outf("At %d requests per %s: %s calls take about %s and %d day(s) of HighLevel's daily quota.",
			c.cfg.requests, c.cfg.window, human.Int(e.Calls), human.Duration(e.Duration), e.Days)
		if !rep.Ready() {
			return fmt.Errorf("not ready: %s", strings.Join(rep.Blocking, "; "))
		}
		c.outf("ready: nothing blocks the run")
		return nil
	},
}

// ---- data phases

type phaseFlags struct {
	dryRun    bool
	deletions string
}

var runCmd = &command{
	name: "run", summary: "the full load in dependency order (resumable: run it again after a crash, Ctrl-C or the daily limit)",
	// A data phase uses every shared flag.
	source: true, hl: hlClient, ledger: true, mapFile: true, mutating: true, creates: true, writesLedger: true, validates: true,
	concurrent: true, progress: true, journaled: true, messages: true, company: true, fallback: true, actor: true, logs: true,
	setup: func(c *cli) {
		c.flags.BoolVar(&c.opt.phase.dryRun, "dry-run", false, "do everything but the writes; report what would be written and the calls it would take")
		c.flags.BoolVar(&c.opt.sample.skipSample, "skip-sample", false, "run without an approved sample of this map, knowingly (printed, and journaled in the run)")
		c.sideFileDirFlag() // the success file: sidefiles.go
	},
	run: func(ctx context.Context, c *cli) error {
		if c.opt.sample.skipSample && !c.opt.phase.dryRun {
			c.outf("run: -skip-sample: going without an approved sample of this map; the run's journal records it")
		}
		// The CLI is safe by default: a full run needs the sample signed
		// off (approve-sample) for this map (sample.go).
		return c.phase(ctx, pbnhl.PhaseRun, func(o *pbnhl.Options) {
			o.DryRun, o.RequireSampleApproval, o.SkipSample = c.opt.phase.dryRun, true, c.opt.sample.skipSample
		}, (*pbnhl.Migration).Load)
	},
}

var deltaCmd = &command{
	name: "delta", summary: "bring HighLevel to the source's current state after the full run (changed, new and deleted records)",
	// A data phase uses every shared flag.
	source: true, hl: hlClient, ledger: true, mapFile: true, mutating: true, creates: true, writesLedger: true, validates: true,
	concurrent: true, progress: true, journaled: true, messages: true, company: true, fallback: true, actor: true, logs: true,
	setup: func(c *cli) {
		c.flags.BoolVar(&c.opt.phase.dryRun, "dry-run", false, "do everything but the writes")
		c.flags.StringVar(&c.opt.phase.deletions, "deletions", "keep", `records the source deleted: "keep" them in HighLevel and list them, or "mirror" (delete them: final, undo cannot bring them back)`)
		c.sideFileDirFlag() // the success file: sidefiles.go
	},
	run: func(ctx context.Context, c *cli) error {
		if c.opt.phase.deletions != "keep" && c.opt.phase.deletions != "mirror" {
			return usagef(`-deletions must be "keep" or "mirror"`)
		}
		return c.phase(ctx, pbnhl.PhaseDelta, func(o *pbnhl.Options) {
			o.DryRun = c.opt.phase.dryRun
			if c.opt.phase.deletions == "mirror" {
				o.Deletions = pbnhl.DeleteDeleted
			}
		}, (*pbnhl.Migration).Delta)
	},
}

// phase runs one data phase and prints its report.
func (c *cli) phase(ctx context.Context, name string, tune func(*pbnhl.Options), fn func(*pbnhl.Migration, context.Context) (*pbnhl.Report, error)) error {
	// A dry run journals too: its invalid records, in a dry-run run.
	var ledger *rollback.Ledger // for the success file (progress_success.go)
	mig, closeAll, err := c.migration(ctx, true, ledgerWrite, func(o *pbnhl.Options) {
		if tune != nil {
			tune(o)
		}
		ledger = o.Ledger
	})
	if err != nil {
		return err
	}
	defer closeAll()
	rep, err := fn(mig, ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := c.phaseResult(rep); err != nil { // the report, or its JSON: profile.go
		return err
	}
	c.writeSuccess(ctx, ledger, rep)
	return nil
}

func (c *cli) report(rep *pbnhl.Report) {
	head := fmt.Sprintf("%s done, ledger run %d", rep.Phase, rep.Run)
	if rep.DryRun {
		head = rep.Phase + " (dry run: nothing written)"
	}
	c.outf("%s: %s calls in %s", head, human.Int(rep.Calls), human.Duration(rep.Duration))
	c.outf("  %-18s %8s %8s %8s %8s %8s %8s %8s", "object", "records", "written", "existing", "skipped", "folded", "invalid", "rejected")
	for _, p := range rep.Objects {
		c.outf("  %-18s %8s %8s %8s %8s %8s %8s %8s", p.Object, human.Int(p.Done), human.Int(p.Written), human.Int(p.Existing), human.Int(p.Skipped), human.Int(p.Folded),
			human.Int(p.Invalid), human.Int(p.Rejected))
	}
	t := rep.Totals()
	c.outf("  %-18s %8s %8s %8s %8s %8s %8s %8s", "total", human.Int(t.Done), human.Int(t.Written), human.Int(t.Existing), human.Int(t.Skipped), human.Int(t.Folded),
		human.Int(t.Invalid), human.Int(t.Rejected))
	if rep.Resolved > 0 {
		c.outf("  %d calls an earlier run left unknown were resolved by lookup first", rep.Resolved)
	}
	if rep.Phase == pbnhl.PhaseDelta {
		c.outf("  source deletions: %d deleted, %d kept in HighLevel", rep.Deleted, rep.KeptDeleted)
	}
	if rep.Swept > 0 {
		c.outf("  %d duplicates (writes HighLevel applied after their answer was lost) found and deleted", rep.Swept)
	}
	if rep.Invalid != nil && t.Invalid > 0 {
		// Reasons by frequency name fields and rules, never values.
		c.outf("  invalid records by reason (never sent):")
		for _, p := range rep.Objects {
			if p.Invalid == 0 {
				continue
			}
			c.outf("    %s: %s of %s invalid", p.Object, human.Int(p.Invalid), human.Int(p.Done))
			for i, rc := range rep.Invalid.InvalidReasons(p.Object) {
				if i == 3 {
					break
				}
				c.outf("      %s", rc)
			}
		}
		if rep.AcceptInvalid {
			c.outf("  (-accept-invalid: accepted knowingly; they are left out of HighLevel)")
		}
	}
	switch {
	case rep.DryRun && rep.DryRunRecord != 0:
		c.outf("  the dry run's invalid records are in ledger run %d: pbn2hl audit -ledger %s -problems -runs %d", rep.DryRunRecord, c.cfg.ledger, rep.DryRunRecord)
	case t.Invalid+t.Rejected > 0 && !rep.DryRun:
		c.outf("  invalid and rejected records, with reasons: pbn2hl audit -ledger %s -problems", c.cfg.ledger)
	}
}

// writeBodies writes one JSON line per body a sample sent.
func writeBodies(w io.Writer, written []pbnhl.Written) error {
	enc := json.NewEncoder(w)
	for _, wr := range written {
		if err := enc.Encode(wr); err != nil {
			return err
		}
	}
	return nil
}

// ---- undo

type undoFlags struct {
	runs          string
	dryRun, force bool
	schema        bool
}

var undoCmd = &command{
	name: "undo", summary: "reverse runs: delete what they created, restore what they updated, unlink what they linked",
	// Its compensations go through rollback.Undo, not the runner: no
	// -search-lag, -on-daily-limit (a daily limit stops it with exit 3),
	// owners or source.
	hl: hlClient, ledger: true, mutating: true, writesLedger: true, concurrent: true, progress: true, actor: true, logs: true,
	setup: func(c *cli) {
		c.flags.StringVar(&c.opt.undo.runs, "runs", "", "comma-separated run ids (pbn2hl status lists them); default every data run")
		c.flags.BoolVar(&c.opt.undo.dryRun, "dry-run", false, "list the compensations (reads only), change nothing")
		c.flags.BoolVar(&c.opt.undo.force, "force", false, "also reverse records someone changed in HighLevel after our write (default: refuse them)")
		c.flags.BoolVar(&c.opt.undo.schema, "schema", false, "also undo the schema runs (custom fields, associations) when -runs is empty")
	},
	run: runUndo,
}

func runUndo(ctx context.Context, c *cli) error {
	client, err := c.highLevel()
	if err != nil {
		return err
	}
	mode := ledgerWrite
	if c.opt.undo.dryRun {
		mode = ledgerRead
	}
	l, err := c.openLedger(ctx, mode)
	if err != nil {
		return err
	}
	defer l.Close()
	if err := c.checkLocation(ctx, l); err != nil {
		return err
	}
	ids, err := c.undoRuns(ctx, l)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		c.outf("nothing left to undo: no run in scope that an earlier undo has not reversed (pbn2hl status shows each run's state)")
		return c.undoJSON(&rollback.UndoReport{DryRun: c.opt.undo.dryRun, NothingToUndo: true}, ids) // -json: profile.go
	}
	uo := rollback.UndoOptions{Runs: ids, DryRun: c.opt.undo.dryRun, Force: c.opt.undo.force, Actor: c.cfg.actor, Concurrency: c.cfg.concurrency}
	var endProgress func()
	uo.OnCompensation, endProgress = c.undoProgress(ctx, l, client, uo) // progress.go: total from the dry-run plan
	rep, err := rollback.Undo(ctx, l, pbnhl.UndoTarget(client), uo)
	endProgress()
	if err != nil {
		return fmt.Errorf("undo: %w", err)
	}
	if err := c.undoJSON(rep, ids); err != nil { // -json: profile.go
		return err
	}
	states := map[rollback.CompensationState]int{}
	actions := map[rollback.Action]int{}
	for _, cp := range rep.Compensations {
		states[cp.State]++
		actions[cp.Action]++
	}
	if rep.NothingToUndo {
		c.outf("nothing left to undo in runs %s: an earlier undo reversed everything reversible", joinRuns(ids))
		c.manualSteps(rep)
		return nil
	}
	if rep.DryRun {
		c.outf("undo (dry run) of runs %s: %d compensations", joinRuns(ids), len(rep.Compensations))
	} else {
		c.outf("undo run %d of runs %s: %d compensations", rep.Run, joinRuns(ids), len(rep.Compensations))
	}
	for _, a := range slices.Sorted(maps.Keys(actions)) {
		c.outf("  action %-10s %d", a, actions[a])
	}
	for _, s := range slices.Sorted(maps.Keys(states)) {
		c.outf("  state  %-14s %d", s, states[s])
	}
	listed := 0
	for _, cp := range rep.Compensations {
		switch cp.State {
		case rollback.StateRefused, rollback.StateFailed, rollback.StateUnresolved:
			if listed++; listed <= maxListed {
				c.outf("  %s %s %s: %s", cp.State, cp.Ref.ObjectType, cp.Ref.ID, cp.Reason)
			}
		}
	}
	if listed > maxListed {
		c.outf("  … and %d more (pbn2hl audit -runs %d lists every compensation)", listed-maxListed, rep.Run)
	}
	if n := rep.Purged(); n > 0 {
		c.outf("  %d of them are limited by pbn2hl purge: updates it can no longer restore, deletes it refuses without -force (it cannot check for changes made since)", n)
	}
	c.manualSteps(rep)
	if bad := states[rollback.StateRefused] + states[rollback.StateFailed] + states[rollback.StateUnresolved]; bad > 0 && !rep.DryRun {
		return fmt.Errorf("undo incomplete: %d refused (changed in HighLevel since our write, or no longer checkable after a purge: -force reverses them anyway), %d failed, %d unresolved; run it again to retry",
			states[rollback.StateRefused], states[rollback.StateFailed], states[rollback.StateUnresolved])
	}
	return nil
}

// manualSteps lists what HighLevel's API cannot remove: they do not make an
// undo fail; a person deletes them in the app if they must go.
func (c *cli) manualSteps(rep *rollback.UndoReport) {
	steps := rep.ManualSteps()
	if len(steps) == 0 {
		return
	}
	c.outf("  manual steps: %d elements HighLevel's API cannot remove; delete them in the app if they must go:", len(steps))
	for i, cp := range steps {
		if i == maxListed {
			c.outf("    … and %d more (pbn2hl audit lists every compensation)", len(steps)-maxListed)
			break
		}
		c.outf("    %s %s: %s", cp.Ref.ObjectType, cp.Ref.ID, cp.Reason)
	}
}

// maxListed bounds the compensations undo lists one by one.
const maxListed = 20

// undoRuns is -runs, or every data run (and the schema's with -schema).
func (c *cli) undoRuns(ctx context.Context, l *rollback.Ledger) ([]rollback.RunID, error) {
	if c.opt.undo.runs != "" {
		return parseRuns(ctx, l, c.opt.undo.runs)
	}
	runs, err := l.Runs(ctx)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	var ids []rollback.RunID
	for _, r := range runs {
		if r.Status == rollback.StatusUndone {
			continue // an earlier undo reversed it (RunInfo.UndoneBy)
		}
		switch r.Kind {
		case rollback.KindFull, rollback.KindSample, rollback.KindDelta, rollback.KindAdopt, rollback.KindRepair:
			ids = append(ids, r.ID)
		case rollback.KindSchema:
			if c.opt.undo.schema {
				ids = append(ids, r.ID)
			}
		}
	}
	return ids, nil
}

// parseRuns reads -runs "3,4" and checks the ledger holds each run.
func parseRuns(ctx context.Context, l *rollback.Ledger, list string) ([]rollback.RunID, error) {
	var ids []rollback.RunID
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || n < 1 {
			return nil, usagef("-runs %q: want comma-separated run ids", list)
		}
		if _, err := l.Run(ctx, rollback.RunID(n)); err != nil {
			return nil, usagef("-runs: run %d is not in the ledger", n)
		}
		ids = append(ids, rollback.RunID(n))
	}
	return ids, nil
}

func joinRuns(ids []rollback.RunID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(int64(id), 10)
	}
	return strings.Join(s, ",")
}

// ---- status

var statusCmd = &command{
	name: "status", summary: "the ledger: runs with their counts, pending intents, encryption",
	ledger: true, logs: true,
	run: func(ctx context.Context, c *cli) error {
		if c.cfg.ledger == "" {
			return usagef("-ledger is required")
		}
		l, err := c.openLedger(ctx, ledgerRead)
		if err != nil {
			return err
		}
		defer l.Close()
		if c.jsonOut != nil { // -json: profile.go
			return c.statusJSON(ctx, l)
		}
		info, err := l.Info(ctx)
		if err != nil {
			return fmt.Errorf("ledger info: %w", err)
		}
		c.outf("ledger %s (schema v%d, encryption %s, %d entries stored in clear)", c.cfg.ledger, info.SchemaVersion, info.Encryption, info.PlaintextEntries)
		runs, err := l.Runs(ctx)
		if err != nil {
			return fmt.Errorf("list runs: %w", err)
		}
		c.outf("%4s  %-8s %-10s %-20s %-20s %8s %8s %8s %8s %8s %8s  %s", "run", "kind", "status", "started", "location",
			"intents", "done", "rejected", "unknown", "pending", "invalid", "actor")
		for _, r := range runs {
			k := r.Counters
			c.outf("%4d  %-8s %-10s %-20s %-20s %8s %8s %8s %8s %8s %8s  %s", r.ID, r.Kind, r.Status, r.StartedAt.UTC().Format("2006-01-02 15:04:05"),
				r.Location, human.Int(k.Intents), human.Int(k.Done), human.Int(k.Rejected), human.Int(k.Unknown), human.Int(k.Pending), human.Int(k.Invalid), r.Actor)
		}
		c.sampleStatus(ctx, l, runs) // sample.go
		pending := map[string]int{}
		n := 0
		for e, err := range l.Pending(ctx, true) {
			if err != nil {
				return fmt.Errorf("pending intents: %w", err)
			}
			pending[fmt.Sprintf("run %d %s %s", e.Run, e.Op, e.ObjectType)]++
			n++
		}
		if n == 0 {
			c.outf("pending intents: none")
			return nil
		}
		c.outf("pending intents: %d (a crash or Ctrl-C left their outcome unknown; the next run of that phase resolves them by lookup)", n)
		for _, k := range slices.Sorted(maps.Keys(pending)) {
			c.outf("  %-50s %d", k, pending[k])
		}
		return nil
	},
}

// ---- audit

type auditFlags struct {
	format, out, runs string
	problems          bool
}

var auditCmd = &command{
	name: "audit", summary: "export the journal (JSONL or CSV: ids, digests, outcomes; no values) or the problems CSV",
	ledger: true, logs: true,
	setup: func(c *cli) {
		c.flags.StringVar(&c.opt.audit.format, "format", "jsonl", `"jsonl" or "csv"`)
		c.flags.StringVarP(&c.opt.audit.out, "out", "o", "", "write to this file (default stdout)")
		c.flags.StringVar(&c.opt.audit.runs, "runs", "", "comma-separated run ids (default every run)")
		c.flags.BoolVar(&c.opt.audit.problems, "problems", false, "export the invalid and rejected records with reasons (CSV) instead of the journal")
	},
	run: func(ctx context.Context, c *cli) error {
		if c.opt.audit.format != "jsonl" && c.opt.audit.format != "csv" {
			return usagef(`-format must be "jsonl" or "csv"`)
		}
		if c.cfg.ledger == "" {
			return usagef("-ledger is required")
		}
		l, err := c.openLedger(ctx, ledgerRead)
		if err != nil {
			return err
		}
		defer l.Close()
		var ids []rollback.RunID
		if c.opt.audit.runs != "" {
			if ids, err = parseRuns(ctx, l, c.opt.audit.runs); err != nil {
				return err
			}
		}
		write := func(w io.Writer) error {
			switch {
			case c.opt.audit.problems:
				return l.WriteProblemsCSV(ctx, w, ids...)
			case c.opt.audit.format == "csv":
				return l.WriteAuditCSV(ctx, w, rollback.ExportOptions{Runs: ids})
			}
			return l.WriteAuditJSONL(ctx, w, rollback.ExportOptions{Runs: ids})
		}
		if c.opt.audit.out == "" {
			return write(c.stdout)
		}
		if err := privatefile.Write(c.opt.audit.out, write); err != nil {
			return fmt.Errorf("audit export: %w", err)
		}
		c.outf("wrote %s", c.opt.audit.out)
		return nil
	},
}
