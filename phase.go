package pbnhl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// Phase names in Progress and Report.
const (
	PhaseRun    = "run"
	PhaseSample = "sample"
	PhaseDelta  = "delta"
	PhaseLinks  = "business_links"
	// PhaseSweep is the duplicate sweep's progress object.
	PhaseSweep = "duplicate_sweep"
	// PhaseResolve is the settling, by lookup, of the intents a killed or
	// interrupted run left pending (progress object "pending_intents"):
	// the wait for the young ones to become unable to land is said in its
	// events (Progress.Waiting).
	PhaseResolve = "resolve"
)

// Written is one record a phase wrote (or, in a dry run, would write): the
// body sent, in HighLevel's wire form, for a field-level diff.
type Written struct {
	Object      string // map object
	ObjectType  string // ledger object type ("contact", "custom_objects.pbn_appointment", "relation"...)
	SourceKey   string
	HighLevelID string // empty in a dry run
	Op          rollback.Op
	Body        json.RawMessage
}

// Report is what a data phase did.
type Report struct {
	Phase  string
	Run    rollback.RunID // 0 in a dry run
	DryRun bool
	// Objects has the final progress of every object, in load order.
	Objects []Progress
	// Calls is the number of HighLevel write and lookup calls the phase made
	// (or would make); reads of the location's schema are not included.
	Calls int64
	// Resolved counts journal entries left pending or unknown that this
	// phase resolved by lookup: an earlier run's, before writing anything,
	// and its own run's still open at its end (settleLeft).
	Resolved int
	// Swept counts duplicates the duplicate sweep deleted: objects that
	// carried the identity of a record settled by lookup but were not the
	// one the ledger keeps (a write HighLevel applied after its horizon).
	Swept int
	// Deleted and KeptDeleted count source deletions (delta only).
	Deleted, KeptDeleted int
	// Written lists what was written: every record for a sample, and up to
	// DryRunSamples records per object for a dry run.
	Written []Written
	// Sample is a sample's field-level diff (Sample only; nil in a dry run).
	Sample *SampleReport
	// Invalid tallies the records this phase found invalid, by object and
	// reason (Invalid.InvalidReasons, Invalid.WriteReasons: by frequency);
	// its counts are of invalid records only. A dry run fills it too.
	Invalid *mapping.Report
	// DryRunRecord is the ledger run (kind dry-run) in which a dry run
	// recorded its invalid records; 0 when none was (a read-only ledger).
	DryRunRecord rollback.RunID
	// AcceptInvalid says the phase ran with Options.AcceptInvalid.
	AcceptInvalid bool
	// Duration of the phase.
	Duration time.Duration
}

// Object returns the progress of one object.
func (r *Report) Object(name string) (Progress, bool) {
	for _, p := range r.Objects {
		if p.Object == name {
			return p, true
		}
	}
	return Progress{}, false
}

// dryRunSamples caps the bodies a dry run keeps per object.
const dryRunSamples = 20

// phase is one run of records through the map into HighLevel.
type phase struct {
	m    *Migration
	p    *prepared
	name string
	run  *rollback.Run // nil in a dry run
	dry  bool
	// dryRun records a dry run's invalid records (nil otherwise).
	dryRun *rollback.Run
	// mid is the ledger's migration id, in the identity marker of
	// businesses, notes and tasks.
	mid string
	idx *idIndex
	val *mapping.Validator
	agg *mapping.Aggregator
	// spool holds the contact_field payloads until their contact is written.
	spool *spool

	// selection keeps only the sample's slice (nil: everything).
	selection *sampleSlice
	// since is the delta's per-entity lower bound (zero: everything).
	since map[string]time.Time
	// extraPatients are patients to reprocess in a delta because records
	// folded into their contact changed.
	extraPatients map[string]bool
	collectAll    bool
	// opps holds each contact's pipelines when the location refuses
	// duplicate opportunities (target_opportunity.go); nil until needed.
	opps *oppScreen
	// stopped holds the *DailyLimitError that stops the phase: workers
	// finish their calls in flight and take no more.
	stopped atomic.Pointer[DailyLimitError]

	mu        sync.Mutex
	sweep     map[[2]string]sweepKey // keys settled by lookup: checked for duplicates
	links     []pendingLink
	relDone   linksDone
	written   []Written
	perObject map[string]int
	report    *Report
}

type pendingLink struct {
	contactKey, contactID, businessID string
}

type job struct {
	p        mapping.Payload
	modified time.Time
}

func (m *Migration) newPhase(ctx context.Context, p *prepared, name string, run *rollback.Run) (*phase, error) {
	ph := &phase{m: m, p: p, name: name, run: run, dry: m.opts.DryRun, idx: newIndex(m.opts.Ledger),
		agg: mapping.NewAggregator(m.opts.Map), perObject: map[string]int{}, report: &Report{Phase: name, DryRun: m.opts.DryRun,
			Invalid: &mapping.Report{}, AcceptInvalid: m.opts.AcceptInvalid}}
	if run != nil {
		ph.report.Run = run.ID()
	}
	if !ph.dry {
		ph.idx.withLazy(lazyTypes(m.opts.Map))
	}
	known := func(object, key string) bool {
		o := m.opts.Map.Object(object)
		if o == nil {
			return false
		}
		typ := o.RecordType()
		if typ == "" {
			return false
		}
		if err := ph.idx.load(ctx, typ); err != nil {
			return false
		}
		_, ok := ph.idx.get(typ, key)
		return ok
	}
	ph.val = mapping.NewValidator(m.opts.Map, mapping.ValidatorOptions{Known: known})
	ph.relDone = linksDone{ledger: m.opts.Ledger, typ: rollback.TypeRelation}
	return ph, nil
}

// lazyTypes are the types the index reads from the ledger when asked
// (through its bounded cache) instead of holding one row per record (17.4):
// every type a run writes through the journal — parents (offices, staff,
// patients, appointments), records no lookup refers to, conversations —
// but conversationSeen, the conversations found by search, which no
// journal holds. A dry run keeps every type in memory: its invented ids
// are in no ledger.
func lazyTypes(*mapping.Map) func(string) bool {
	return func(typ string) bool { return typ != "" && typ != conversationSeen }
}

// groups orders the map's objects for loading by their target's load
// group (loadGroup), keeping Map.Order's parents-first order inside each.
func groups(order []*mapping.Object) [][]*mapping.Object {
	out := make([][]*mapping.Object, loadGroups)
	for _, o := range order {
		if g := targetOf(o).group(); g != loadNone {
			out[g] = append(out[g], o)
		}
	}
	return out
}

// execute loads every object in order.
func (ph *phase) execute(ctx context.Context) error {
	sp, err := newSpool(ctx)
	if err != nil {
		return err
	}
	ph.spool = sp
	defer func() { _ = sp.close() }()
	ph.announce()
	if err := ph.aggregate(ctx); err != nil {
		return err
	}
	if err := sp.seal(ctx); err != nil {
		return err
	}
	for i, g := range groups(ph.p.order) {
		for _, o := range g {
			if err := ph.loadObject(ctx, o); err != nil {
				return err
			}
		}
		if loadGroup(i) == loadContacts {
			if err := ph.linkBusinesses(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// announce emits, before the phase writes anything, an event for every
// object whose records it will write and whose count the inventory knows,
// so that a view's overall figures count to the phase's end from its
// start: without it a view knew only the objects begun so far, and a run
// read "100%" once its contacts were done, with every custom object and
// opportunity still to come.
func (ph *phase) announce() {
	if ph.m.opts.Progress == nil {
		return
	}
	for _, o := range ph.p.order {
		if targetOf(o).role() == foldsRecords {
			continue // aggregate tracks them, before the contacts
		}
		if n := ph.total(o); n > 0 {
			ph.m.emit(Progress{Phase: ph.name, Object: o.Name, Total: n})
		}
	}
}

// listOptions is how an entity is read in this phase.
func (ph *phase) listOptions(entity string) pbn.ListOptions {
	var o pbn.ListOptions
	if t, ok := ph.since[entity]; ok {
		o.UpdatedSince = t
	}
	return o
}

// selected reports whether a record belongs to the phase's selection.
func (ph *phase) selected(o *mapping.Object, rec mapping.Record) bool {
	return ph.selection == nil || ph.selection.keeps(o, rec)
}

// aggregate spools the contact_field objects (communication log, forms)
// before contacts are created, so each contact's JSON fields travel in its
// one create call; the spool is on disk, so memory stays flat.
func (ph *phase) aggregate(ctx context.Context) error {
	for _, o := range ph.p.order {
		if targetOf(o).role() != foldsRecords {
			continue
		}
		tr := ph.m.track(ph.name, o.Name, 0)
		feed := func(it func(func(srcRecord, error) bool)) error {
			for r, err := range it {
				if err != nil {
					if isRowError(err) {
						tr.invalid.Add(1)
						continue
					}
					return fmt.Errorf("pbnhl: read %s: %w", o.Source, err)
				}
				if !ph.selected(o, r.rec) {
					continue
				}
				pls, err := ph.p.applier.Apply(o.Name, r.rec)
				if err != nil {
					return fmt.Errorf("pbnhl: %s: %w", o.Name, err)
				}
				for i := range pls {
					switch {
					case pls[i].Skipped != "":
						tr.skipped.Add(1)
					case !pls[i].Valid():
						tr.invalid.Add(1)
						if err := ph.invalid(ctx, o, &pls[i], r.modified); err != nil {
							return err
						}
					default:
						l, ok := pls[i].Link(mapping.LinkContact)
						if !ok || l.Key == "" {
							continue
						}
						if err := ph.spool.add(ctx, l.Key, &pls[i]); err != nil {
							return err
						}
						tr.folded.Add(1) // written by its contact's create or update call
					}
				}
				tr.tick()
			}
			return nil
		}
		if ph.extraPatients != nil {
			// A delta re-folds every record of each affected patient:
			// one read per patient or one scan, whichever costs fewer
			// requests (refold.go).
			if err := feed(ph.refoldRecords(ctx, o)); err != nil {
				return err
			}
		} else {
			it, err := records(ctx, ph.m.opts.Source, o.Source, ph.listOptions(o.Source))
			if err != nil {
				return err
			}
			if err := feed(it); err != nil {
				return err
			}
		}
		ph.addProgress(tr.finish())
	}
	return nil
}

func (ph *phase) patientsToRefold() map[string]bool { return ph.extraPatients }

func (ph *phase) addProgress(p Progress) {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	ph.report.Objects = append(ph.report.Objects, p)
	ph.report.Calls += p.Calls
}

// invalid records a record our validation refused.
func (ph *phase) invalid(ctx context.Context, o *mapping.Object, p *mapping.Payload, modified time.Time) error {
	ph.report.Invalid.Add(p)
	run := ph.run
	if ph.dry {
		run = ph.dryRun
	}
	if run == nil {
		return nil
	}
	var reasons []string
	for _, pr := range p.Problems {
		if pr.Severity == mapping.Invalid {
			reasons = append(reasons, pr.String())
		}
	}
	if err := run.Invalid(context.WithoutCancel(ctx), rollback.Invalid{Entity: o.Source, SourceKey: p.SourceKey, SourceModified: modified, Reasons: reasons}); err != nil {
		return fmt.Errorf("pbnhl: journal invalid record: %w", err)
	}
	return nil
}

// invalidReason records a record we cannot send for a reason found after
// validation (its parent was rejected by HighLevel).
func (ph *phase) invalidReason(ctx context.Context, o *mapping.Object, key string, modified time.Time, reason string) error {
	ph.report.Invalid.Add(&mapping.Payload{Object: o.Name, SourceKey: key, Problems: []mapping.Problem{
		{Object: o.Name, SourceKey: key, Rule: mapping.RuleReference, Reason: reason, Severity: mapping.Invalid}}})
	run := ph.run
	if ph.dry {
		run = ph.dryRun
	}
	if run == nil {
		return nil
	}
	if err := run.Invalid(context.WithoutCancel(ctx), rollback.Invalid{Entity: o.Source, SourceKey: key, SourceModified: modified, Reasons: []string{reason}}); err != nil {
		return fmt.Errorf("pbnhl: journal invalid record: %w", err)
	}
	return nil
}

// total is the expected record count of an object, from the inventory.
func (ph *phase) total(o *mapping.Object) int64 {
	if ph.selection != nil || ph.since != nil || o.Expand != nil {
		return 0
	}
	ph.m.mu.Lock()
	defer ph.m.mu.Unlock()
	return ph.m.counts[pbn.Entity(o.Source)]
}

// loadObject streams one object's records through apply and validate (in
// order, one goroutine) into Concurrency workers that write them.
func (ph *phase) loadObject(ctx context.Context, o *mapping.Object) error {
	t := targetOf(o)
	if typ := o.RecordType(); typ != "" {
		if err := ph.idx.load(ctx, typ); err != nil {
			return err
		}
	}
	for _, l := range o.Lookups {
		if po := ph.m.opts.Map.Object(l.Object); po != nil {
			if pt := po.RecordType(); pt != "" {
				if err := ph.idx.load(ctx, pt); err != nil {
					return err
				}
			}
		}
	}
	tr := ph.m.track(ph.name, o.Name, ph.total(o))
	jobs := make(chan job, ph.m.opts.Concurrency*2)
	g, gctx := errgroup.WithContext(ctx)
	if t.role() == writesRecords {
		for range ph.m.opts.Concurrency {
			g.Go(func() error {
				for j := range jobs {
					if ph.stopped.Load() != nil {
						continue // drain: the phase stops
					}
					err := t.write(gctx, ph, o, tr, &j)
					var dl *DailyLimitError
					if errors.As(err, &dl) {
						ph.stopped.CompareAndSwap(nil, dl)
						continue
					}
					if err != nil {
						return err
					}
					tr.tick()
				}
				return nil
			})
		}
	}
	g.Go(func() error {
		defer close(jobs)
		return ph.produce(gctx, o, tr, jobs)
	})
	err := g.Wait()
	ph.addProgress(tr.finish())
	if dl := ph.stopped.Load(); err == nil && dl != nil {
		return dl
	}
	return err
}

func (ph *phase) produce(ctx context.Context, o *mapping.Object, tr *tracker, jobs chan<- job) error {
	opts := ph.listOptions(o.Source)
	extra := ph.extraPatients != nil && pbn.Entity(o.Source) == pbn.EntityPatients && len(ph.extraPatients) > 0
	if extra {
		// Patients whose folded records changed are re-read with the rest.
		opts.UpdatedSince = time.Time{}
	}
	since, delta := ph.since[o.Source]
	// A record whose related rule reads a record changed since is written
	// again though it did not change (related.go).
	refresh := relatedRefresh(o, ph.p.relatedChanged)
	if delta && refresh != nil {
		opts.UpdatedSince = time.Time{}
	}
	scr, err := ph.oppScreen(ctx, o) // nil unless duplicate opportunities are refused
	if err != nil {
		return err
	}
	it, err := records(ctx, ph.m.opts.Source, o.Source, opts)
	if err != nil {
		return err
	}
	for r, err := range it {
		if err != nil {
			if isRowError(err) {
				tr.invalid.Add(1)
				var re *pbn.RowError
				errors.As(err, &re)
				if err := ph.invalidReason(ctx, o, string(re.ID), time.Time{}, re.Error()); err != nil {
					return err
				}
				continue
			}
			return fmt.Errorf("pbnhl: read %s: %w", o.Source, err)
		}
		if ph.stopped.Load() != nil {
			return nil
		}
		// A sample applies and validates every record, selected or not, so
		// that the cross-record checks (duplicates, references) decide
		// exactly as the full run will; only selected records go further.
		selected := ph.selected(o, r.rec)
		if extra && r.modified.Before(since) {
			id, _ := r.rec.Get("id")
			if !ph.extraPatients[id] {
				continue
			}
		}
		if delta && refresh != nil && r.modified.Before(since) && !refresh(r.rec) {
			continue
		}
		pls, err := ph.p.applier.Apply(o.Name, r.rec)
		if err != nil {
			return fmt.Errorf("pbnhl: %s: %w", o.Name, err)
		}
		for i := range pls {
			p := &pls[i]
			if p.Skipped != "" {
				if selected {
					tr.skipped.Add(1)
				}
				continue
			}
			ph.val.Check(p)
			ph.screenOpportunity(scr, o, p)
			if !selected {
				continue
			}
			if !p.Valid() {
				tr.invalid.Add(1)
				if err := ph.invalid(ctx, o, p, r.modified); err != nil {
					return err
				}
				continue
			}
			if !writes(o) {
				tr.existing.Add(1) // resolved (staff to a user): nothing to write
				continue
			}
			select {
			case jobs <- job{p: *p, modified: r.modified}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// parentID resolves a link to the HighLevel id of the record it names.
func (ph *phase) parentID(l mapping.Link) (string, bool) {
	po := ph.m.opts.Map.Object(l.Object)
	if po == nil || l.Key == "" {
		return "", false
	}
	r, ok := ph.idx.get(po.RecordType(), l.Key)
	return r.id, ok
}

// contactOf is the HighLevel id of the contact a payload (opportunity,
// note, task) belongs to, when that contact is in HighLevel.
func (ph *phase) contactOf(p *mapping.Payload) (string, bool) {
	l, _ := p.Link(mapping.LinkContact)
	return ph.parentID(l)
}

// invalidContact records a record whose contact is not in HighLevel.
func (ph *phase) invalidContact(ctx context.Context, o *mapping.Object, tr *tracker, j *job) error {
	tr.invalid.Add(1)
	return ph.invalidReason(ctx, o, j.p.SourceKey, j.modified, "its contact is not in HighLevel (invalid or rejected)")
}

// collect keeps a written body for the report.
func (ph *phase) collect(o *mapping.Object, typ, key, id string, op rollback.Op, body []byte) {
	if !ph.collectAll && !ph.dry {
		return
	}
	ph.mu.Lock()
	defer ph.mu.Unlock()
	if ph.dry && !ph.collectAll {
		if ph.perObject[o.Name] >= dryRunSamples {
			return
		}
		ph.perObject[o.Name]++
	}
	ph.report.Written = append(ph.report.Written, Written{Object: o.Name, ObjectType: typ, SourceKey: key, HighLevelID: id, Op: op, Body: body})
}

// put creates a record unless the id map has it, or (delta) updates it when
// its content changed. It returns the record's id and whether it exists.
func (ph *phase) put(ctx context.Context, o *mapping.Object, tr *tracker, typ, key string, modified time.Time, target string,
	body []byte, create func(context.Context) (string, error), find func(context.Context, time.Time) (string, bool, error),
	update updater) (string, bool, error) {
	digest := rollback.Digest(body)
	if r, ok := ph.idx.get(typ, key); ok {
		if ph.since == nil || update == nil || r.digest == digest {
			tr.existing.Add(1)
			return r.id, true, nil
		}
		return ph.update(ctx, o, tr, typ, key, modified, target, r.id, body, update)
	}
	if ph.dry {
		tr.written.Add(1)
		tr.calls.Add(1)
		id := "dry-run:" + key
		ph.idx.set(typ, key, id, digest)
		ph.collect(o, typ, key, "", rollback.OpCreate, body)
		return id, true, nil
	}
	res, err := ph.m.journaledCall(ctx, ph.run, write{op: rollback.OpCreate, objType: typ, key: key, entity: o.Source, modified: modified,
		target: target, payload: body, call: create, find: find})
	tr.calls.Add(int64(res.calls))
	if res.looked {
		ph.markSweep(typ, key, o.Source, target, body, res.since)
	}
	if err != nil {
		return "", false, err
	}
	if res.rejected {
		tr.rejected.Add(1)
		return "", false, nil
	}
	ph.idx.set(typ, key, res.id, digest)
	tr.written.Add(1)
	ph.collect(o, typ, key, res.id, rollback.OpCreate, body)
	return res.id, true, nil
}

// updater builds a record's update: the body sent in HighLevel's wire form
// (emptied fields included, so Undo knows to restore them) and the call
// that sends it.
type updater func() (payload []byte, call func(ctx context.Context, id string) error, err error)

// update writes a changed record: the before-image is read and journaled
// first, so Undo can restore it. The journal keeps the update's own body
// as payload and body's digest (the create form) for the id map, which is
// what "unchanged, skip" compares.
func (ph *phase) update(ctx context.Context, o *mapping.Object, tr *tracker, typ, key string, modified time.Time, target, id string,
	body []byte, update updater) (string, bool, error) {
	payload, call, err := update()
	if err != nil {
		tr.invalid.Add(1)
		return id, true, ph.invalidReason(ctx, o, key, modified, err.Error())
	}
	if ph.dry {
		tr.written.Add(1)
		tr.calls.Add(2)
		ph.collect(o, typ, key, id, rollback.OpUpdate, body)
		return id, true, nil
	}
	before, err := ph.m.current(ctx, typ, id, target)
	tr.calls.Add(1)
	if err != nil {
		if ctx.Err() != nil {
			return "", false, ctx.Err()
		}
		if errors.Is(err, highlevel.ErrNotFound) {
			// Deleted in HighLevel since: create it again.
			ph.idx.forget(typ, key)
			tr.rejected.Add(1)
			return "", false, ph.invalidReason(ctx, o, key, modified, "the HighLevel record was deleted after migration; it is created again by the next run")
		}
		tr.rejected.Add(1)
		return "", false, nil
	}
	// A note or task lives under its contact (target): the journal names
	// the record updated and, as related, that contact.
	parent := target
	if target == "" {
		target = id
	}
	res, err := ph.m.journaledCall(ctx, ph.run, write{op: rollback.OpUpdate, objType: typ, key: key, entity: o.Source, modified: modified,
		target: id, related: parent, payload: payload, digest: rollback.Digest(body), before: before,
		call: func(ctx context.Context) (string, error) {
			return id, call(context.WithValue(ctx, beforeKey{}, before), id)
		},
		find: func(ctx context.Context, _ time.Time) (string, bool, error) {
			return ph.m.applied(ctx, typ, id, target, body)
		}})
	tr.calls.Add(int64(res.calls))
	if err != nil {
		return "", false, err
	}
	if res.rejected {
		tr.rejected.Add(1)
		return id, true, nil
	}
	ph.idx.set(typ, key, id, rollback.Digest(body))
	tr.written.Add(1)
	ph.collect(o, typ, key, id, rollback.OpUpdate, body)
	return id, true, nil
}

// beforeKey carries to an updater's call the before-image update read
// (beforeImage): a contact's tag calls journal from it the tags the
// contact had, without another read.
type beforeKey struct{}

// beforeImage is the before-image of the update whose call runs under ctx.
func beforeImage(ctx context.Context) []byte {
	b, _ := ctx.Value(beforeKey{}).([]byte)
	return b
}

// outcomes journals many outcomes concurrently so they share commits.
func (ph *phase) outcomes(ctx context.Context, seqs []rollback.Seq, o func(i int) rollback.Outcome) error {
	var g errgroup.Group
	g.SetLimit(64)
	jctx := context.WithoutCancel(ctx) // see journaledCall
	for i, s := range seqs {
		g.Go(func() error { return ph.run.Outcome(jctx, s, o(i)) })
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("pbnhl: journal outcome: %w", err)
	}
	return nil
}

// linkBusinesses links contacts to their businesses with the bulk
// endpoint: one call per business and 100 contacts.
func (ph *phase) linkBusinesses(ctx context.Context) error {
	done := linksDone{ledger: ph.m.opts.Ledger, typ: rollback.TypeContactBusiness}
	tr := ph.m.track(ph.name, PhaseLinks, int64(len(ph.links)))
	byBiz := map[string][]pendingLink{}
	for _, l := range ph.links {
		made, err := done.done(ctx, l.contactKey, l.contactID, l.businessID)
		if err != nil {
			return err
		}
		if made {
			tr.existing.Add(1)
			continue
		}
		byBiz[l.businessID] = append(byBiz[l.businessID], l)
	}
	ph.links = nil
	bizs := make([]string, 0, len(byBiz))
	for b := range byBiz {
		bizs = append(bizs, b)
	}
	slices.Sort(bizs)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(ph.m.opts.Concurrency)
	for _, b := range bizs {
		for chunk := range slices.Chunk(byBiz[b], 100) {
			g.Go(func() error {
				if ph.stopped.Load() != nil {
					return nil
				}
				err := ph.linkChunk(gctx, tr, b, chunk)
				var dl *DailyLimitError
				if errors.As(err, &dl) {
					ph.stopped.CompareAndSwap(nil, dl)
					return nil
				}
				return err
			})
		}
	}
	err := g.Wait()
	ph.addProgress(tr.finish())
	if dl := ph.stopped.Load(); err == nil && dl != nil {
		return dl
	}
	return err
}

func (ph *phase) linkChunk(ctx context.Context, tr *tracker, businessID string, ls []pendingLink) error {
	if ph.dry {
		tr.written.Add(int64(len(ls)))
		tr.calls.Add(1)
		return nil
	}
	body, _ := json.Marshal(map[string]string{"businessId": businessID})
	seqs := make([]rollback.Seq, len(ls))
	var g errgroup.Group
	g.SetLimit(64)
	jctx := context.WithoutCancel(ctx) // see journaledCall
	// The first call is bounded like journaledCall's; a repeat after an unknown
	// outcome is harmless (linking is idempotent), so only the first
	// call's horizon is journaled.
	deadline, until := ph.m.horizon()
	for i, l := range ls {
		g.Go(func() error {
			s, err := ph.run.Intent(jctx, rollback.Intent{Op: rollback.OpLink, ObjectType: rollback.TypeContactBusiness, SourceKey: l.contactKey,
				Entity: string(pbn.EntityPatients), TargetID: l.contactID, RelatedID: businessID, Payload: body, InflightUntil: until})
			seqs[i] = s
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("pbnhl: journal intent: %w", err)
	}
	if ctx.Err() != nil {
		_ = ph.outcomes(ctx, seqs, func(int) rollback.Outcome { return rollback.Rejected(0, notApplied+"cancelled before the call") })
		return ctx.Err()
	}
	ids := make([]string, len(ls))
	for i, l := range ls {
		ids[i] = l.contactID
	}
	for attempt := 1; ; attempt++ {
		tr.calls.Add(1)
		if attempt > 1 {
			deadline, _ = ph.m.horizon()
		}
		cctx, cancel := context.WithDeadline(ctx, deadline)
		res, err := ph.m.opts.Client.Businesses.LinkContacts(cctx, businessID, ids)
		cancel()
		if err == nil {
			changed := map[string]bool{}
			for _, id := range res.ContactIDs {
				changed[id] = true
			}
			var n int64
			err := ph.outcomes(ctx, seqs, func(i int) rollback.Outcome {
				if changed[ids[i]] || (res.Success && len(res.ContactIDs) == 0) {
					return rollback.Done(ids[i])
				}
				return rollback.Rejected(0, notApplied+"HighLevel did not report the contact as linked")
			})
			for _, id := range ids {
				if changed[id] || (res.Success && len(res.ContactIDs) == 0) {
					n++
				}
			}
			tr.written.Add(n)
			tr.rejected.Add(int64(len(ids)) - n)
			if ph.collectAll {
				for i, l := range ls {
					if changed[ids[i]] || (res.Success && len(res.ContactIDs) == 0) {
						ph.collectLink(l, body)
					}
				}
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case errors.Is(err, highlevel.ErrDailyLimit):
			if e := ph.m.dailyLimit(ctx, err); e != nil {
				_ = ph.outcomes(context.WithoutCancel(ctx), seqs, func(int) rollback.Outcome { return rollback.Rejected(0, notApplied+"daily limit spent") })
				return e
			}
			attempt--
			continue
		case isRejection(err):
			st, reason := hlStatus(err), rejectionReason(err)
			tr.rejected.Add(int64(len(ids)))
			return ph.outcomes(ctx, seqs, func(int) rollback.Outcome { return rollback.Rejected(st, reason) })
		}
		// Unknown or refused before processing: linking is idempotent, so the
		// call is repeated; the outcome of every intent says what happened.
		reason := unknownReason(err)
		if err := ph.outcomes(ctx, seqs, func(int) rollback.Outcome { return rollback.Unknown(reason) }); err != nil {
			return err
		}
		if attempt >= ph.m.opts.MaxAttempts {
			tr.rejected.Add(int64(len(ids)))
			return nil // left unknown: the next phase resolves them by reading the contacts
		}
		// A refusal before sending waits for the client to let calls
		// through (highlevel.RetryAt); an unknown outcome is repeated after
		// a pause (linking twice is harmless).
		pause := func() error { return sleep(ctx, time.Duration(attempt)*500*time.Millisecond) }
		if refusedBeforeSending(err) {
			pause = func() error { return waitForClient(ctx, err) }
		}
		if err := pause(); err != nil {
			return err
		}
	}
}

func (ph *phase) collectLink(l pendingLink, body []byte) {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	ph.report.Written = append(ph.report.Written, Written{Object: PhaseLinks, ObjectType: rollback.TypeContactBusiness,
		SourceKey: l.contactKey, HighLevelID: l.contactID, Op: rollback.OpLink, Body: body})
}

func (ph *phase) addLink(l pendingLink) {
	ph.mu.Lock()
	ph.links = append(ph.links, l)
	ph.mu.Unlock()
}
