package pbnhl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
)

// ObjectEstimate is the planned work of one map object.
type ObjectEstimate struct {
	Object  string
	Records int64 // valid records still to write
	Calls   int64
	Bytes   int64 // file bytes its uploads send (documents)
}

// Estimate is a run's API-call budget and duration before it starts.
type Estimate struct {
	Objects []ObjectEstimate
	// BusinessLinks is the number of bulk link calls (one per business and
	// 100 contacts).
	BusinessLinks int64
	Calls         int64
	// Bytes is what the uploads send (documents within the 25 MB cap).
	Bytes int64
	// Duration is the time the calls take at the location's burst limit
	// (requests per window of the client's limiter), when the limiter is
	// the bottleneck.
	Duration time.Duration
	// Days is how many days carry calls in Plan: the days the run takes
	// under the location's daily quota, counting what is left of it today.
	Days int
	// Overhead is the calls besides the records' (Calls): the schema
	// changes still to apply and the reads a run makes before its first
	// record, counted from the preflight's own reads.
	Overhead int64
	// DailyLimit is the location's quota per day (X-RateLimit-Limit-Daily,
	// or HighLevel's 200,000 when no response said).
	DailyLimit int
	// DailyRemaining is what was left of today's quota after the
	// preflight's reads (X-RateLimit-Daily-Remaining), -1 when unknown
	// (the plan then takes today's quota as whole).
	DailyRemaining int
	// Rate is the calls per second this client may spend (its limiter:
	// Options' client rate, pbn2hl's -hl-rate, lowered by HighLevel's
	// headers); a day carries no more than Rate allows until its reset.
	Rate float64
	// Plan is the run by day: what each day's quota carries, in the run's
	// load order (contacts, businesses and opportunities before history).
	Plan []DayPlan
	// Cutover is when the last call is expected, the daily pauses included.
	Cutover time.Time
	// History prices each history kind the map can write both as records
	// of their own and folded into the contact, per choice
	// (preflight_policy.go).
	History []HistoryChoice
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
// object, in total, the duration at the burst limit and the plan by day
// under the location's daily quota (Estimate.Plan: what is left today, the
// client's rate, schema and setup calls, the cutover time) are estimated. Records the id map already holds are not
// counted. The location's duplicate settings are checked against the
// records: contacts sharing an e-mail or phone need Allow Duplicate Contact
// (or a merge policy in the map); without Allow Duplicate Opportunity, the
// opportunities the run would hold back (a contact's second in one
// pipeline, target_opportunity.go) are counted invalid, left out of the
// estimate and said in a warning ("N opportunities would duplicate a
// contact's pipeline"). Each problem is a
// [Blocker] with its reason, file and line when known, and what to do. Preflight is recorded in no run: it only reads.
func (m *Migration) Preflight(ctx context.Context) (*PreflightReport, error) {
	r := &PreflightReport{Validation: &mapping.Report{}}
	admitted := m.opts.Client.Limiter().Admitted()
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
	api := mapping.NewHighLevelSchema(m.opts.Client)
	if r.Schema, err = plan.Diff(ctx, api); err != nil {
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
	case errors.Is(err, mapping.ErrOwnerTable):
		r.block(Blocker{Kind: BlockOwners, Reason: err.Error(), Fix: "correct the staff object's owners table in the map (an active user's id or email)"})
	case err != nil:
		return nil, err
	}
	r.Owners = owners
	aopts := mapping.ApplierOptions{Now: m.now()} // a by-age history window counts from the run's time
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
	// The related rules' index, read as a run reads it (related.go); the
	// history pricing's appliers take it through aopts.
	if aopts.Related, err = m.relatedValues(ctx, mp, sc.badEntity); err != nil {
		return nil, err
	}
	if aopts.Related != nil {
		applier = applier.WithRelated(aopts.Related)
	}
	idx := newIndex(m.opts.Ledger)
	val := mapping.NewValidator(mp, mapping.ValidatorOptions{})
	var tally callTally
	needs := newLocationNeeds()
	// The location's settings, read before the records: when it refuses
	// duplicate opportunities, the ones the run would hold back are counted
	// as it counts them (target_opportunity.go).
	loc, locErr := m.opts.Client.Locations.Get(ctx, "")
	pipelines, _ := api.ListedPipelines()
	opps, screen, err := m.preflightOppScreen(ctx, mp, plan, order, loc, pipelines, idx)
	if err != nil {
		return nil, err
	}
	var est ObjectEstimate
	var typ string
	logs := newLogSizes(mp) // folded logs the cap would cut (preflight_policy.go)
	own, err := m.scanSource(ctx, applier, val, order, r, sc, scanHooks{
		check: screen,
		object: func(o *mapping.Object) error {
			est, typ = ObjectEstimate{Object: o.Name}, o.RecordType()
			if typ != "" {
				return idx.load(ctx, typ)
			}
			return nil
		},
		valid: func(o *mapping.Object, p *mapping.Payload) {
			logs.add(o, p)
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
			before, beforeBytes := tally.calls, tally.bytes
			t.tally(p, &tally)
			est.Calls += tally.calls - before
			est.Bytes += tally.bytes - beforeBytes
			est.Records++
		},
		done: func(o *mapping.Object) {
			if writes(o) {
				r.Estimate.Objects = append(r.Estimate.Objects, est)
				r.Estimate.Calls += est.Calls
				r.Estimate.Bytes += est.Bytes
			}
		},
	})
	if err != nil {
		return nil, err
	}
	m.checkInvalidShare(r, order, sc, own)
	r.Warnings = append(r.Warnings, logs.warnings()...)
	if w := opps.warning(); w != "" {
		r.Warnings = append(r.Warnings, w)
	}
	prices, err := m.priceHistory(ctx, mp, aopts, val, idx, sc) // preflight_policy.go
	if err != nil {
		return nil, err
	}
	if err := m.checkDocumentFiles(ctx, r); err != nil {
		return nil, err
	}
	if err := m.checkLocation(ctx, r, needs, loc, locErr); err != nil {
		return nil, err
	}
	r.Estimate.BusinessLinks = tally.bulkCalls() // the only calls made in bulk
	r.Estimate.Calls += r.Estimate.BusinessLinks
	n, w := m.opts.Client.Limiter().Limit()
	if n > 0 {
		r.Estimate.Duration = time.Duration(float64(r.Estimate.Calls) / float64(n) * float64(w))
	}
	m.plan(r, order, int64(m.opts.Client.Limiter().Admitted()-admitted), prices)
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
		fmt.Fprintf(&b, "Owners: %d staff matched to users (%d by the map's owners table), %d unmatched (fallback user %s)\n",
			r.Owners.Matched, r.Owners.ByTable, len(r.Owners.Unmatched), r.Owners.Fallback())
		// Staff names and roles are not patient data: a reviewer needs them
		// to decide whether to add a rule to the owners table.
		// A custom object record (an appointment, a treatment row) of an
		// unmatched member gets no owner, never the fallback user: its
		// own fields say who.
		for _, s := range r.Owners.Unmatched {
			n, none := r.Owners.Affected(s.Key), r.Owners.Unowned(s.Key)
			const noOwner = "will have no owner (custom object records: the fallback user is for contacts; the record's own fields say who)"
			switch {
			case n == 0:
				fmt.Fprintf(&b, "  - unmatched staff %s %q (%s): owns no migrated record\n", s.Key, s.Name, s.Role)
			case none == 0:
				fmt.Fprintf(&b, "  - unmatched staff %s %q (%s): %d record(s) will be owned by the fallback user %s\n",
					s.Key, s.Name, s.Role, n, r.Owners.Fallback())
			case none == n:
				fmt.Fprintf(&b, "  - unmatched staff %s %q (%s): %d record(s) %s\n", s.Key, s.Name, s.Role, n, noOwner)
			default:
				fmt.Fprintf(&b, "  - unmatched staff %s %q (%s): %d record(s): %d will be owned by the fallback user %s, %d %s\n",
					s.Key, s.Name, s.Role, n, n-none, r.Owners.Fallback(), none, noOwner)
			}
		}
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
	fmt.Fprintf(&b, "  %-20s %7s         %7d calls\n", PlanSetup, "", r.Estimate.Overhead)
	fmt.Fprintf(&b, "  total %d calls (and %d for schema and setup), %s at the burst limit, %d day(s) under the daily limit\n",
		r.Estimate.Calls, r.Estimate.Overhead, roundDuration(r.Estimate.Duration), r.Estimate.Days)
	if r.Estimate.Bytes > 0 {
		fmt.Fprintf(&b, "  uploads send %.1f MB of documents\n", float64(r.Estimate.Bytes)/(1<<20))
	}
	r.Estimate.writePlan(&b)
	r.Estimate.writeHistory(&b)
	_, err := io.WriteString(w, b.String())
	return err
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
