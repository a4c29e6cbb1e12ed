package pbnhl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// ObjectEstimate is the planned work of one map object.
type ObjectEstimate struct {
	Object  string
	Records int64 // valid records still to write
	Calls   int64
}

// Estimate is a run's API-call budget and duration before it starts.
type Estimate struct {
	Objects []ObjectEstimate
	// BusinessLinks is the number of bulk link calls (one per business and
	// 100 contacts).
	BusinessLinks int64
	Calls         int64
	// Duration is the time the calls take at the location's burst limit
	// (requests per window of the client's limiter), when the limiter is
	// the bottleneck.
	Duration time.Duration
	// Days is how many days the calls need under the daily limit.
	Days int
}

// PreflightReport says whether a migration may start, and what it will cost.
type PreflightReport struct {
	MapDigest   string
	MapApproved bool
	Schema      *mapping.SchemaDiff
	Owners      *mapping.Owners // nil when the map resolves no owners or resolution failed
	Validation  *mapping.Report
	Estimate    Estimate
	// Blocking lists what prevents the run (no values, only names): the
	// one-line form of each of Blockers.
	Blocking []string
	// Blockers are the same items with their kind, object, file, line,
	// reason and what to do.
	Blockers []Blocker
	// Accepted are invalid-share items Options.AcceptInvalid let through:
	// they would block otherwise.
	Accepted []Blocker
	// MaxInvalidShare is the limit the invalid shares were held to.
	MaxInvalidShare float64
	// LocationSettings are the location's duplicate rules as read (nil
	// when they could not be read: see Warnings).
	LocationSettings *highlevel.LocationSettings
	// Warnings are checks Preflight could not make, with what to check by
	// hand; they do not block.
	Warnings []string
}

// Ready reports whether nothing blocks the run.
func (r *PreflightReport) Ready() bool { return len(r.Blocking) == 0 }

// Preflight checks everything a run needs and estimates it, writing
// nothing: the map is approved for its content; the schema plan exists in
// the location; staff resolve to users (the unmatched listed, the fallback
// set); every source file the map reads can be read — in its encoding, not
// cut short — and has the columns the map's required rules, required links
// and source keys read; every record is transformed and validated (invalid
// ones listed, with their reasons by frequency, a source row that does not
// parse counting as invalid); no object has more invalid records than
// Options.MaxInvalidShare allows (unless AcceptInvalid); and the calls per
// object, in total, the duration at the burst limit and the days under the
// daily limit are estimated. Records the id map already holds are not
// counted. The location's duplicate settings are checked against the
// records: several opportunities of one contact in one pipeline need Allow
// Duplicate Opportunity, contacts sharing an e-mail or phone need Allow
// Duplicate Contact (or a merge policy in the map). Each problem is a
// [Blocker] with its reason, file and line when known, and what to do. Preflight is recorded in no run: it only reads.
func (m *Migration) Preflight(ctx context.Context) (*PreflightReport, error) {
	r := &PreflightReport{Validation: &mapping.Report{}}
	if err := m.opts.Map.Verify(); err != nil {
		r.block(Blocker{Kind: BlockMap, Reason: "the map is not approved for its current content: " + err.Error(),
			Fix: "review the map and approve it again"})
	} else {
		r.MapApproved = true
	}
	var err error
	if r.MapDigest, err = m.opts.Map.Digest(); err != nil {
		return nil, fmt.Errorf("pbnhl: map digest: %w", err)
	}
	plan, err := mapping.DeriveSchema(m.opts.Map)
	if err != nil {
		return nil, fmt.Errorf("pbnhl: schema plan: %w", err)
	}
	if r.Schema, err = plan.Diff(ctx, mapping.NewHighLevelSchema(m.opts.Client)); err != nil {
		return nil, fmt.Errorf("pbnhl: schema diff: %w", err)
	}
	if !r.Schema.Ready() {
		e := schemaNotReady(r.Schema)
		r.block(Blocker{Kind: BlockSchema, Reason: e.Error()}) // the error says what to do
	}
	if b, err := m.ledgerBlocker(ctx); err != nil { // one ledger per location (identity.go)
		return nil, err
	} else if b != nil {
		r.block(*b)
	}
	owners, err := m.resolveOwners(ctx)
	switch {
	case errors.Is(err, mapping.ErrNoFallbackOwner):
		r.block(Blocker{Kind: BlockOwners, Reason: "no fallback owner", Fix: "set Options.FallbackOwner to an existing HighLevel user"})
	case err != nil:
		return nil, err
	}
	r.Owners = owners
	var aopts mapping.ApplierOptions
	if owners != nil {
		aopts.Owners = owners
	}
	// An unapproved map can still be inspected: compile a copy approved
	// for the check only.
	mp := m.opts.Map
	if !r.MapApproved {
		data, err := mp.Marshal()
		if err != nil {
			return nil, err
		}
		if mp, err = mapping.Parse(data, "preflight"); err != nil {
			return nil, err
		}
		if err := mp.Approve("preflight", m.now()); err != nil {
			return nil, err
		}
	}
	applier, err := mapping.NewApplier(mp, aopts)
	if err != nil {
		return nil, fmt.Errorf("pbnhl: %w", err)
	}
	order, err := mp.Order()
	if err != nil {
		return nil, fmt.Errorf("pbnhl: %w", err)
	}
	sc, err := m.checkSource(ctx, mp, order, r)
	if err != nil {
		return nil, err
	}
	idx := newIndex(m.opts.Ledger)
	val := mapping.NewValidator(mp, mapping.ValidatorOptions{})
	tally := callTally{perBusiness: map[string]int64{}}
	needs := newLocationNeeds()
	var est ObjectEstimate
	var typ string
	own, err := m.scanSource(ctx, applier, val, order, r, sc, scanHooks{
		object: func(o *mapping.Object) error {
			est, typ = ObjectEstimate{Object: o.Name}, o.RecordType()
			if typ != "" {
				return idx.load(ctx, typ)
			}
			return nil
		},
		valid: func(o *mapping.Object, p *mapping.Payload) {
			t := targetOf(o)
			t.need(needs, p)
			if typ != "" {
				if _, done := idx.get(typ, p.SourceKey); done {
					return
				}
			}
			if t.role() != writesRecords {
				return // nothing of their own is sent
			}
			before := tally.calls
			t.tally(p, &tally)
			est.Calls += tally.calls - before
			est.Records++
		},
		done: func(o *mapping.Object) {
			if writes(o) {
				r.Estimate.Objects = append(r.Estimate.Objects, est)
				r.Estimate.Calls += est.Calls
			}
		},
	})
	if err != nil {
		return nil, err
	}
	m.checkInvalidShare(r, order, sc, own)
	if err := m.checkLocation(ctx, r, needs); err != nil {
		return nil, err
	}
	for _, n := range tally.perBusiness {
		r.Estimate.BusinessLinks += (n + 99) / 100
	}
	r.Estimate.Calls += r.Estimate.BusinessLinks
	n, w := m.opts.Client.Limiter().Limit()
	if n > 0 {
		r.Estimate.Duration = time.Duration(float64(r.Estimate.Calls) / float64(n) * float64(w))
	}
	r.Estimate.Days = int(math.Ceil(float64(r.Estimate.Calls) / highlevel.DefaultDailyLimit))
	return r, nil
}

// WriteText renders the report for a person: blocking issues, schema state,
// owners, validation tallies and the estimate. It holds no field values.
func (r *PreflightReport) WriteText(w io.Writer) error {
	var b strings.Builder
	if r.Ready() {
		b.WriteString("Preflight: ready\n")
	} else {
		b.WriteString("Preflight: NOT ready\n")
		for _, s := range r.Blocking {
			fmt.Fprintf(&b, "  - %s\n", s)
		}
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "Warning: %s\n", w)
	}
	if s := r.LocationSettings; s != nil {
		fmt.Fprintf(&b, "Location: duplicate contacts allowed: %v, duplicate opportunities allowed: %v\n", s.AllowDuplicateContact, s.AllowDuplicateOpportunity)
	}
	if len(r.Accepted) > 0 {
		b.WriteString("Accepted knowingly (AcceptInvalid): these records will not migrate\n")
		for _, a := range r.Accepted {
			fmt.Fprintf(&b, "  - %s\n", a.Reason)
		}
	}
	fmt.Fprintf(&b, "Map %s (approved: %v)\n", r.MapDigest, r.MapApproved)
	if r.Schema != nil {
		fmt.Fprintf(&b, "Schema: %d exist, %d missing, %d conflicting, %d manual\n", r.Schema.Count(mapping.Exists),
			r.Schema.Count(mapping.Missing), r.Schema.Count(mapping.Conflicts), r.Schema.Count(mapping.ManualOnly))
	}
	if r.Owners != nil {
		fmt.Fprintf(&b, "Owners: %d staff matched to users, %d unmatched (fallback user %s)\n", r.Owners.Matched, len(r.Owners.Unmatched), r.Owners.Fallback())
	}
	if r.Validation != nil {
		b.WriteString("Validation:\n")
		tallies := r.Validation.Objects()
		names := make([]string, 0, len(tallies))
		for n := range tallies {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			t := tallies[n]
			fmt.Fprintf(&b, "  %-20s %7d records %7d valid %6d invalid %6d skipped\n", n, t.Records, t.Valid, t.Invalid, t.Skipped)
		}
		var reasons strings.Builder
		if err := r.Validation.WriteReasons(&reasons, 10); err != nil {
			return err
		}
		if reasons.Len() > 0 {
			fmt.Fprintf(&b, "Invalid records by reason (at most %s of an object's records may be invalid):\n", percent(r.MaxInvalidShare))
			b.WriteString(reasons.String())
		}
	}
	b.WriteString("Estimate (API calls):\n")
	for _, o := range r.Estimate.Objects {
		fmt.Fprintf(&b, "  %-20s %7d records %7d calls\n", o.Object, o.Records, o.Calls)
	}
	fmt.Fprintf(&b, "  %-20s %7s         %7d calls\n", "business links", "", r.Estimate.BusinessLinks)
	fmt.Fprintf(&b, "  total %d calls, %s at the burst limit, %d day(s) under the daily limit\n",
		r.Estimate.Calls, roundDuration(r.Estimate.Duration), r.Estimate.Days)
	_, err := io.WriteString(w, b.String())
	return err
}

// SchemaResult is what ApplySchema did.
type SchemaResult struct {
	Run     rollback.RunID
	Created []mapping.Created
	Manual  []mapping.SchemaItem
	Diff    *mapping.SchemaDiff // the location after the apply
}

// ApplySchema creates what the map needs in the location (custom fields,
// custom objects, associations, pipelines), each creation journaled before
// and after in a run of kind schema so Undo can remove it, then diffs again
// to verify. It is idempotent. In a dry run it only diffs.
func (m *Migration) ApplySchema(ctx context.Context) (*SchemaResult, error) {
	digest, err := m.verifyMap()
	if err != nil {
		return nil, err
	}
	plan, err := mapping.DeriveSchema(m.opts.Map)
	if err != nil {
		return nil, fmt.Errorf("pbnhl: schema plan: %w", err)
	}
	api := mapping.NewHighLevelSchema(m.opts.Client)
	res := &SchemaResult{}
	if m.opts.DryRun {
		res.Diff, err = plan.Diff(ctx, api)
		return res, err
	}
	if err := m.checkLedger(ctx, m.contactExternalField, claimLocation); err != nil { // one ledger per location (identity.go)
		return nil, err
	}
	// Schema creations an earlier, killed ApplySchema left pending: the
	// location is read only once none can still be in flight, so what
	// they made is found by the diff, not created a second time, and they
	// are settled below against the final diff.
	earlier, err := m.pendingSchema(ctx)
	if err != nil {
		return nil, err
	}
	var horizon time.Time
	for _, e := range earlier {
		if u := m.inflightUntil(e); u.After(horizon) {
			horizon = u
		}
	}
	if err := m.waitInflight(ctx, horizon, len(earlier)); err != nil {
		return nil, err
	}
	run, err := m.opts.Ledger.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindSchema, MapDigest: digest, Location: m.location(), Actor: m.opts.Actor})
	if err != nil {
		return nil, fmt.Errorf("pbnhl: begin run: %w", err)
	}
	res.Run = run.ID()
	js := &journaledSchema{m: m, api: api, run: run, unknown: map[string]rollback.Seq{}, done: map[string]bool{}}
	// Apply diffs before it creates, so after an unknown outcome it is
	// simply applied again once the lost call can no longer land: what it
	// created is found, not created twice.
	for attempt := 1; ; attempt++ {
		applied, aerr := plan.Apply(ctx, js)
		res.Created, res.Manual = append(res.Created, applied.Created...), applied.Manual
		err = aerr
		if err == nil || ctx.Err() != nil || attempt >= 2*m.opts.MaxAttempts || isRejection(err) {
			break
		}
		var ce *mapping.ConflictError
		if errors.As(err, &ce) {
			break
		}
		if serr := sleep(ctx, time.Duration(attempt)*100*time.Millisecond); serr != nil {
			err = serr
			break
		}
		if serr := js.waitUnknown(ctx); serr != nil {
			err = serr
			break
		}
	}
	if err == nil {
		if err = js.waitUnknown(ctx); err == nil {
			res.Diff, err = plan.Diff(ctx, api)
		}
		if err == nil && !res.Diff.Ready() {
			err = schemaNotReady(res.Diff)
		}
	}
	if err == nil {
		err = js.settle(ctx, res.Diff)
	}
	if err == nil {
		err = m.settleSchema(ctx, res.Diff, earlier)
	}
	m.mu.Lock()
	m.prep = nil
	m.mu.Unlock()
	return res, m.finishRun(ctx, run, err)
}

// pendingSchema returns the schema creations earlier runs (not undo
// runs) left pending or unknown.
func (m *Migration) pendingSchema(ctx context.Context) ([]rollback.Entry, error) {
	runs, err := m.opts.Ledger.Runs(ctx)
	if err != nil {
		return nil, fmt.Errorf("pbnhl: list runs: %w", err)
	}
	undo := map[rollback.RunID]bool{}
	for _, r := range runs {
		if r.Kind == rollback.KindUndo {
			undo[r.ID] = true
		}
	}
	var out []rollback.Entry
	for e, err := range m.opts.Ledger.Pending(ctx, true) {
		if err != nil {
			return nil, fmt.Errorf("pbnhl: read pending intents: %w", err)
		}
		if e.Op == rollback.OpSchema && !undo[e.Run] {
			out = append(out, e)
		}
	}
	return out, nil
}

// settleSchema settles earlier runs' pending schema creations against the
// location's final diff (see resolveSchema).
func (m *Migration) settleSchema(ctx context.Context, d *mapping.SchemaDiff, pending []rollback.Entry) error {
	for _, e := range pending {
		o, err := m.resolveSchema(ctx, d, e)
		if err != nil {
			return err
		}
		if err := m.opts.Ledger.Outcome(context.WithoutCancel(ctx), e.Run, e.Seq, o); err != nil && !errors.Is(err, rollback.ErrOutcomeFinal) {
			return fmt.Errorf("pbnhl: journal outcome: %w", err)
		}
	}
	return nil
}

// journaledSchema journals every schema creation before and after it.
type journaledSchema struct {
	m   *Migration
	api mapping.SchemaAPI
	run *rollback.Run

	mu      sync.Mutex
	unknown map[string]rollback.Seq // key → intent whose outcome is unknown
	done    map[string]bool
	// horizon is the latest in-flight horizon of an unknown outcome: the
	// location is diffed again only after it.
	horizon time.Time
}

// waitUnknown waits until no creation whose outcome is unknown can still
// land.
func (j *journaledSchema) waitUnknown(ctx context.Context) error {
	j.mu.Lock()
	h, n := j.horizon, len(j.unknown)
	j.mu.Unlock()
	return j.m.waitInflight(ctx, h, n)
}

// settle resolves the unknown outcomes once the location is known to hold
// everything: a key created by a later call was not created by the lost
// one (Apply creates only what is missing); otherwise the lost call made it.
func (j *journaledSchema) settle(ctx context.Context, d *mapping.SchemaDiff) error {
	ids := map[string]string{}
	for _, it := range d.Items {
		ids[it.Key] = it.ID
	}
	for key, seq := range j.unknown {
		o := rollback.Done(ids[key])
		if j.done[key] || ids[key] == "" {
			o = rollback.Rejected(0, notApplied+"created by a later call")
		}
		if err := j.run.Outcome(context.WithoutCancel(ctx), seq, o); err != nil {
			return fmt.Errorf("pbnhl: journal outcome: %w", err)
		}
	}
	return nil
}

func (j *journaledSchema) create(ctx context.Context, typ, key string, call func(context.Context) (string, error)) (string, error) {
	deadline, until := j.m.horizon()
	seq, err := j.run.Intent(ctx, rollback.Intent{Op: rollback.OpSchema, ObjectType: typ, SourceKey: key, InflightUntil: until})
	if err != nil {
		return "", fmt.Errorf("pbnhl: journal intent: %w", err)
	}
	cctx, cancel := context.WithDeadline(ctx, deadline)
	id, err := call(cctx)
	cancel()
	o := rollback.Done(id)
	if err != nil {
		if isRejection(err) || errors.Is(err, mapping.ErrManual) {
			o = rollback.Rejected(hlStatus(err), rejectionReason(err))
		} else {
			o = rollback.Unknown(unknownReason(err))
			j.mu.Lock()
			j.unknown[key] = seq
			if until.After(j.horizon) {
				j.horizon = until
			}
			j.mu.Unlock()
		}
	} else {
		j.mu.Lock()
		j.done[key] = true
		j.mu.Unlock()
	}
	if jerr := j.run.Outcome(context.WithoutCancel(ctx), seq, o); jerr != nil && err == nil {
		err = fmt.Errorf("pbnhl: journal outcome: %w", jerr)
	}
	return id, err
}

func (j *journaledSchema) CustomFields(ctx context.Context, model string) ([]mapping.SchemaField, error) {
	return j.api.CustomFields(ctx, model)
}

func (j *journaledSchema) CreateCustomField(ctx context.Context, f mapping.SchemaField) (string, error) {
	typ := rollback.TypeObjectField
	if f.Model == "contact" || f.Model == "opportunity" {
		typ = rollback.TypeCustomField
	}
	return j.create(ctx, typ, f.FieldKey(), func(ctx context.Context) (string, error) { return j.api.CreateCustomField(ctx, f) })
}

func (j *journaledSchema) ObjectSchemas(ctx context.Context) ([]mapping.SchemaObject, error) {
	return j.api.ObjectSchemas(ctx)
}

func (j *journaledSchema) CreateObjectSchema(ctx context.Context, o mapping.SchemaObject) (string, error) {
	return j.create(ctx, rollback.TypeCustomObject, o.Key, func(ctx context.Context) (string, error) { return j.api.CreateObjectSchema(ctx, o) })
}

func (j *journaledSchema) Associations(ctx context.Context) ([]mapping.SchemaAssociation, error) {
	return j.api.Associations(ctx)
}

func (j *journaledSchema) CreateAssociation(ctx context.Context, a mapping.SchemaAssociation) (string, error) {
	return j.create(ctx, rollback.TypeAssociation, a.Key, func(ctx context.Context) (string, error) { return j.api.CreateAssociation(ctx, a) })
}

func (j *journaledSchema) Pipelines(ctx context.Context) ([]mapping.SchemaPipeline, error) {
	return j.api.Pipelines(ctx)
}

func (j *journaledSchema) CreatePipeline(ctx context.Context, p mapping.SchemaPipeline) (string, error) {
	return j.create(ctx, rollback.TypePipeline, p.Name, func(ctx context.Context) (string, error) { return j.api.CreatePipeline(ctx, p) })
}

// roundDuration keeps two or three significant figures for a person.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
