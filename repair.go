package pbnhl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

// PhaseRepair names the repair phase in reports.
const PhaseRepair = "repair"

// RepairOptions shape Migration.Repair.
type RepairOptions struct {
	// Force re-sends records someone changed in HighLevel after the
	// migration last wrote them (their dateUpdated is later): without it
	// they are refused and listed, so a person's edit is never overwritten
	// silently.
	Force bool
}

// repairSlack is the clock difference tolerated between the ledger's
// outcome times and HighLevel's dateUpdated in the change check.
const repairSlack = 2 * time.Second

// Repair re-sends exactly what a reconcile report lists: records missing
// from HighLevel are created again from their journaled body — the
// create's, with every later update's fields over it and a contact's tags
// as its tag calls left them (an update body carries only what changed
// and what HighLevel's update takes) — (contacts,
// businesses, custom object records, opportunities, notes, tasks and
// calendar appointments; a re-created contact gets its business link, its
// records' relations and its opportunities — HighLevel deletes those with
// it — back, a note, task or appointment goes on its contact's new id
// when this repair re-created the contact, a re-created business gets its
// contacts' links; conversation messages and media are not re-created: a
// report naming them gets them skipped, with the reason), records whose fields
// differ are updated to their journaled body, and relations and business
// links the report lists as missing are made again. Every call is journaled in a
// run of kind rollback.KindRepair through the load's journaled path (an
// unknown outcome is looked up, never repeated blindly), so Undo reverses
// a repair like any run.
//
// A record someone changed in HighLevel after the migration last wrote it
// (HighLevel's dateUpdated later than the ledger's last outcome for it) is
// refused unless opts.Force — for a note or a task, of which HighLevel
// tells no time of change, any difference is taken as someone's edit; a
// record already agreeing again (compared with highlevel.StoredEqual's
// equivalences) is left alone. What is not re-sent — refused, extra
// records (never deleted here), the kinds above that repair does not
// re-create — is returned in a
// *RepairIncompleteError with the report of what was done. It refuses a
// ledger of another location, a report of another location and pending
// intents, as Reconcile does. Reconcile again afterwards to confirm.
func (m *Migration) Repair(ctx context.Context, rep *reconcile.Report, opts RepairOptions) (*Report, error) {
	if rep == nil {
		return nil, fmt.Errorf("%w: no reconcile report to repair from", ErrInvalidOptions)
	}
	if m.opts.DryRun {
		return nil, fmt.Errorf("%w: repair has no dry run (the reconcile report is its plan)", ErrInvalidOptions)
	}
	start := m.now()
	p, err := m.prepare(ctx)
	if err != nil {
		return nil, err
	}
	if rep.LocationID != "" && rep.LocationID != m.location() {
		return nil, fmt.Errorf("pbnhl: the reconcile report is of location %s, not %s", rep.LocationID, m.location())
	}
	if err := m.checkLedgerPrepared(ctx, p); err != nil {
		return nil, err
	}
	if n, err := m.pendingIntents(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, &PendingIntentsError{Pending: n}
	}
	j, err := readRepairJournal(ctx, m.opts.Ledger)
	if err != nil {
		return nil, err
	}
	run, err := m.opts.Ledger.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindRepair, MapDigest: p.digest, Location: m.location(), Actor: m.opts.Actor})
	if err != nil {
		return nil, fmt.Errorf("pbnhl: begin repair run: %w", err)
	}
	r := &repairer{m: m, p: p, run: run, j: j, force: opts.Force, hlt: UndoTarget(m.opts.Client),
		report: &Report{Phase: PhaseRepair, Run: run.ID()}, progress: map[string]*Progress{}, done: map[string]bool{}}
	err = r.repair(ctx, rep)
	r.report.Duration = m.now().Sub(start)
	for _, typ := range slices.Sorted(maps.Keys(r.progress)) {
		pr := r.progress[typ]
		pr.Phase, pr.Finished = PhaseRepair, true
		r.report.Objects = append(r.report.Objects, *pr)
		r.report.Calls += pr.Calls
	}
	if ferr := m.finishRun(ctx, run, err); ferr != nil {
		return r.report, ferr
	}
	m.log.LogAttrs(ctx, levelInfo, "repair finished", attrRun(int64(run.ID())), attrCount("skipped", len(r.skipped)))
	if len(r.skipped) > 0 {
		return r.report, &RepairIncompleteError{Skipped: r.skipped}
	}
	return r.report, nil
}

// repairJournal is what the journal says was written, for repair: the
// last create or update per record, the last time anything touched a
// HighLevel id, and the latest link of each kind per link key (a
// contact's business by contact key, a relation by relation key; see
// linkKinds); compensated entries left out.
type repairJournal struct {
	lastWrite map[string]rollback.Entry            // type NUL key
	writes    map[string][]rollback.Entry          // type NUL key: the last create and the updates after it
	replays   map[string][]rollback.Entry          // type NUL key: calls replayed over a re-created record, in order
	touched   map[string]time.Time                 // HighLevel id
	links     map[string]map[string]rollback.Entry // link type → link key
}

func readRepairJournal(ctx context.Context, l *rollback.Ledger) (*repairJournal, error) {
	var done []rollback.Entry
	undone := map[int64]bool{}
	for e, err := range l.Entries(ctx, rollback.EntryFilter{Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
		if err != nil {
			return nil, fmt.Errorf("pbnhl: read the journal: %w", err)
		}
		if e.Compensates != 0 {
			undone[e.Compensates] = true
			continue
		}
		done = append(done, e)
	}
	j := &repairJournal{lastWrite: map[string]rollback.Entry{}, writes: map[string][]rollback.Entry{}, replays: map[string][]rollback.Entry{},
		touched: map[string]time.Time{}, links: map[string]map[string]rollback.Entry{}}
	for _, k := range linkKinds {
		j.links[k.typ] = map[string]rollback.Entry{}
	}
	for _, e := range done {
		for _, id := range []string{e.HighLevelID, e.TargetID, e.RelatedID} {
			if id != "" && e.OutcomeAt.After(j.touched[id]) {
				j.touched[id] = e.OutcomeAt
			}
		}
		if undone[e.ID] || e.SourceKey == "" {
			continue
		}
		switch {
		case linkOf(e.ObjectType) != nil && linkOf(e.ObjectType).replay != nil:
			// Every call of a link that changes its record's own fields
			// (a contact's tag calls), in journal order: a re-created
			// record takes what they left it with.
			k := linkOf(e.ObjectType).of + "\x00" + e.SourceKey
			j.replays[k] = append(j.replays[k], e)
		case e.Op == rollback.OpLink && j.links[e.ObjectType] != nil:
			j.links[e.ObjectType][e.SourceKey] = e
		case e.Op == rollback.OpCreate || e.Op == rollback.OpUpdate:
			k := e.ObjectType + "\x00" + e.SourceKey
			j.lastWrite[k] = e
			if e.Op == rollback.OpCreate {
				// A (re-)create starts what the record holds afresh.
				j.writes[k], j.replays[k] = j.writes[k][:0], nil
			}
			j.writes[k] = append(j.writes[k], e)
		}
	}
	return j, nil
}

type repairer struct {
	m        *Migration
	p        *prepared
	run      *rollback.Run
	j        *repairJournal
	force    bool
	hlt      *rollback.HighLevelTarget
	report   *Report
	progress map[string]*Progress
	skipped  []RepairSkip
	// done marks the links this repair re-made: "<link type>\x00<key>".
	done map[string]bool
	// moved maps a re-created record's old HighLevel id to its new one.
	moved map[string]string
}

func (r *repairer) prog(typ string) *Progress {
	pr := r.progress[typ]
	if pr == nil {
		pr = &Progress{Object: typ}
		r.progress[typ] = pr
	}
	return pr
}

func (r *repairer) skip(typ, key, id string, changed bool, reason string) {
	r.skipped = append(r.skipped, RepairSkip{ObjectType: typ, SourceKey: key, HighLevelID: id, Changed: changed, Reason: reason})
}

// item is one record the report lists.
type item struct{ typ, key, id string }

// repair works through the report: missing records first (contacts
// before records, so relations find their contact), then differing
// fields, then relations and business links.
func (r *repairer) repair(ctx context.Context, rep *reconcile.Report) error {
	var missing, fields []item
	seen := map[string]bool{}
	add := func(list *[]item, kind string, d reconcile.Difference) {
		k := kind + "\x00" + d.ObjectType + "\x00" + d.HighLevelID
		if !seen[k] {
			seen[k] = true
			*list = append(*list, item{d.ObjectType, d.SourceKey, d.HighLevelID})
		}
	}
	diffs := append([]reconcile.Difference(nil), rep.Sample.Differences...)
	for _, d := range []*reconcile.Diff{rep.Buckets, rep.Records} {
		if d != nil {
			diffs = append(diffs, d.Differences...)
		}
	}
	for _, d := range diffs {
		switch d.Kind {
		case reconcile.KindMissing:
			add(&missing, "missing", d)
		case reconcile.KindField:
			add(&fields, "field", d)
		case reconcile.KindExtra:
			if !seen["extra\x00"+d.HighLevelID] {
				seen["extra\x00"+d.HighLevelID] = true
				r.skip(d.ObjectType, d.SourceKey, d.HighLevelID, false, "in HighLevel, not in the ledger: repair deletes nothing (Undo or a person decides)")
			}
		}
	}
	var unlinked []reconcile.Orphan // a link missing: its kind makes it again
	for _, in := range rep.Integrity {
		for _, o := range in.Orphans {
			switch {
			case slices.ContainsFunc(linkKinds, func(k *linkKind) bool { return k.orphan == o.Reason }):
				unlinked = append(unlinked, o)
			case o.Reason == "missing": // its target's resend decides
				add(&missing, "missing", reconcile.Difference{ObjectType: o.ObjectType, SourceKey: o.SourceKey, HighLevelID: o.HighLevelID})
			default:
				if !seen["orphan\x00"+o.HighLevelID+o.Reason] {
					seen["orphan\x00"+o.HighLevelID+o.Reason] = true
					r.skip(o.ObjectType, o.SourceKey, o.HighLevelID, false, "not repaired: "+o.Reason)
				}
			}
		}
	}
	// Businesses, contacts, then custom records, then the rest: a link or
	// a relation is made to a record that exists again.
	sort.SliceStable(missing, func(a, b int) bool { return missingRank(missing[a].typ) < missingRank(missing[b].typ) })
	r.moved = map[string]string{}
	for _, it := range missing {
		if err := r.recreate(ctx, it); err != nil {
			return err
		}
	}
	for _, it := range fields {
		if r.moved[it.id] != "" {
			continue // re-created from its body: its fields are the body's
		}
		if err := r.update(ctx, it); err != nil {
			return err
		}
	}
	for _, k := range linkKinds {
		for _, o := range unlinked {
			if o.Reason != k.orphan {
				continue
			}
			found, noneKey, none := k.orphaned(r.j.links[k.typ], o, r.moved)
			if len(found) == 0 {
				r.skip(k.typ, noneKey, o.HighLevelID, false, none)
			}
			for _, l := range found {
				if err := r.relink(ctx, k, l.key, l.e); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// missingRank orders re-creations by load group: businesses, contacts,
// then the rest — a link or a relation is made to a record that exists
// again, and an opportunity goes on its contact's new id.
func missingRank(typ string) loadGroup { return targetOfType(typ).group() }

// body counts it in its type's progress and reads the last journaled
// body of the record the ledger maps to its id; ok is false, and the
// record listed, when the ledger holds none (purged, or not the record the
// ledger maps).
func (r *repairer) body(ctx context.Context, it item) (pr *Progress, e rollback.Entry, body []byte, ok bool, err error) {
	pr = r.prog(it.typ)
	pr.Total++
	e, body, ok, err = r.lastBody(ctx, it)
	if err == nil && !ok {
		r.skip(it.typ, it.key, it.id, false, "the ledger holds no body for it (purged, or not the record the ledger maps)")
	}
	return pr, e, body, ok, err
}

func (r *repairer) lastBody(ctx context.Context, it item) (rollback.Entry, []byte, bool, error) {
	e, ok := r.j.lastWrite[it.typ+"\x00"+it.key]
	if !ok || e.HighLevelID != it.id && e.TargetID != it.id {
		mp, found, err := r.m.opts.Ledger.Lookup(ctx, it.typ, it.key)
		if err != nil {
			return e, nil, false, fmt.Errorf("pbnhl: read the id map: %w", err)
		}
		if !ok || !found || mp.HighLevelID != it.id {
			return e, nil, false, nil
		}
	}
	b, err := r.m.opts.Ledger.Payload(ctx, e)
	if err != nil {
		return e, nil, false, fmt.Errorf("pbnhl: read the journaled body of %s %s: %w", it.typ, it.key, err)
	}
	return e, b, b != nil, nil
}

// recreate creates a missing record again from its journaled body: the
// body of its create as later updates overrode it (an update sends only
// what HighLevel's update takes and what changed — a contact's gender and
// tags only a create sets), with the tags its tag calls left it.
func (r *repairer) recreate(ctx context.Context, it item) error {
	pr, e, body, ok, err := r.body(ctx, it)
	if err != nil || !ok {
		return err
	}
	if body, err = r.heldBody(ctx, it, e, body); err != nil {
		return err
	}
	rs, err := targetOfType(it.typ).resend(resendScope{m: r.m, typ: it.typ, ext: r.p.extField[it.typ], moved: r.moved, parent: parentOf(e)}, it.key, body)
	if errors.Is(err, errNoResend) {
		// A target's own wording (value-free) says why, when it gives one.
		why := "repair does not re-create this kind"
		if d, ok := strings.CutPrefix(err.Error(), errNoResend.Error()+": "); ok {
			why = d
		}
		r.skip(it.typ, it.key, it.id, false, "missing, not re-created ("+why+"): run Undo and the load again for it, or re-create it by hand")
		return nil
	}
	if err != nil {
		return fmt.Errorf("pbnhl: %s %s: %w", it.typ, it.key, err)
	}
	body = rs.body
	res, ok, err := r.send(ctx, pr, write{op: rollback.OpCreate, objType: it.typ, key: it.key, entity: e.Entity,
		target: rs.target, payload: body, call: rs.call, find: rs.find}, it, "HighLevel refused it again")
	if err != nil || !ok {
		return err
	}
	r.moved[it.id] = res.id
	return r.rewire(ctx, it)
}

// heldBody is what the record holds by the journal: when its last write e
// (body) is an update, its create's body with each update's fields over it
// (custom fields and properties field by field); then the calls of links
// that change the record's own fields (a contact's tag calls) replayed
// over it in order. Otherwise body.
func (r *repairer) heldBody(ctx context.Context, it item, e rollback.Entry, body []byte) ([]byte, error) {
	k := it.typ + "\x00" + it.key
	writes, replays := r.j.writes[k], r.j.replays[k]
	merge := len(writes) >= 2 && writes[len(writes)-1].ID == e.ID && writes[0].Op == rollback.OpCreate
	if !merge && len(replays) == 0 {
		return body, nil
	}
	var held map[string]json.RawMessage
	if merge {
		for _, w := range writes {
			b, err := r.m.opts.Ledger.Payload(ctx, w)
			if err != nil {
				return nil, fmt.Errorf("pbnhl: read the journaled body of %s %s: %w", it.typ, it.key, err)
			}
			if b == nil {
				return body, nil // purged: the last body as it is
			}
			if held, err = overlay(held, b); err != nil {
				return nil, fmt.Errorf("pbnhl: %s %s: %w", it.typ, it.key, err)
			}
		}
	} else if err := json.Unmarshal(body, &held); err != nil {
		return nil, fmt.Errorf("pbnhl: %s %s: decode the journaled body: %w", it.typ, it.key, err)
	}
	for _, c := range replays {
		b, err := r.m.opts.Ledger.Payload(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("pbnhl: read the journaled %s of %s %s: %w", linkOf(c.ObjectType).noun, it.typ, it.key, err)
		}
		if b == nil {
			continue // purged: what the record holds stands
		}
		if err := linkOf(c.ObjectType).replay(held, b); err != nil {
			return nil, fmt.Errorf("pbnhl: %s %s: %w", it.typ, it.key, err)
		}
	}
	return json.Marshal(held)
}

// overlay lays body's fields over held: a field present in body wins,
// custom fields ("customFields", by id or key) and custom object
// properties ("properties") field by field.
func overlay(held map[string]json.RawMessage, body []byte) (map[string]json.RawMessage, error) {
	var b map[string]json.RawMessage
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("decode a journaled body: %w", err)
	}
	if held == nil {
		return b, nil
	}
	for k, v := range b {
		switch k {
		case "customFields":
			var was, now []map[string]json.RawMessage
			if err := json.Unmarshal(held[k], &was); err != nil && held[k] != nil {
				return nil, fmt.Errorf("decode journaled custom fields: %w", err)
			}
			if err := json.Unmarshal(v, &now); err != nil {
				return nil, fmt.Errorf("decode journaled custom fields: %w", err)
			}
			ident := func(f map[string]json.RawMessage) string {
				if id := string(f["id"]); id != "" {
					return "id" + id
				}
				return "key" + string(f["key"])
			}
			for _, f := range now {
				if at := slices.IndexFunc(was, func(x map[string]json.RawMessage) bool { return ident(x) == ident(f) }); at >= 0 {
					was[at] = f
				} else {
					was = append(was, f)
				}
			}
			raw, err := json.Marshal(was)
			if err != nil {
				return nil, err
			}
			held[k] = raw
		case "properties":
			var was, now map[string]json.RawMessage
			if err := json.Unmarshal(held[k], &was); err != nil && held[k] != nil {
				return nil, fmt.Errorf("decode journaled properties: %w", err)
			}
			if err := json.Unmarshal(v, &now); err != nil {
				return nil, fmt.Errorf("decode journaled properties: %w", err)
			}
			if was == nil {
				was = map[string]json.RawMessage{}
			}
			maps.Copy(was, now)
			raw, err := json.Marshal(was)
			if err != nil {
				return nil, err
			}
			held[k] = raw
		default:
			held[k] = v
		}
	}
	return held, nil
}

// rewire gives a re-created record the links the journal says its old
// id had (HighLevel removed them with it): a contact its business link
// and its records' relations, a business its contacts' links, a record
// its relations.
func (r *repairer) rewire(ctx context.Context, it item) error {
	for _, k := range linkKinds {
		links := r.j.links[k.typ]
		for _, key := range slices.Sorted(maps.Keys(links)) {
			if e := links[key]; k.onRecord(key, e, it.key, it.id) {
				if err := r.relink(ctx, k, key, e); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// movedID is the id a record has after this repair: its new one when the
// repair re-created it.
func (r *repairer) movedID(id string) string {
	if n := r.moved[id]; n != "" {
		return n
	}
	return id
}

// relink makes journaled link e (of kind k, keyed key) again, once per
// repair, between the records' ids after this repair.
func (r *repairer) relink(ctx context.Context, k *linkKind, key string, e rollback.Entry) error {
	if r.done[k.typ+"\x00"+key] {
		return nil
	}
	r.done[k.typ+"\x00"+key] = true
	pr := r.prog(k.typ)
	pr.Total++
	var body []byte
	if k.needsBody {
		var err error
		if body, err = r.m.opts.Ledger.Payload(ctx, e); err != nil {
			return fmt.Errorf("pbnhl: read the journaled %s %s: %w", k.noun, key, err)
		}
	}
	w, ok := k.remake(r.m, e, body, r.movedID)
	if !ok {
		r.skip(k.typ, key, e.TargetID, false, "the ledger holds no body for the "+k.noun+" (purged)")
		return nil
	}
	_, _, err := r.send(ctx, pr, w, item{k.typ, key, w.target}, "HighLevel refused the "+k.noun+" again")
	return err
}

// update puts a record's journaled body back over fields that differ,
// unless someone changed it in HighLevel after the migration wrote it.
func (r *repairer) update(ctx context.Context, it item) error {
	pr, e, body, ok, err := r.body(ctx, it)
	if err != nil || !ok {
		return err
	}
	parent := parentOf(e)
	if id := r.moved[parent]; id != "" {
		parent = id
	}
	cur, updated, err := r.current(ctx, it.typ, it.id, parent)
	pr.Calls++
	switch {
	case errors.Is(err, highlevel.ErrNotFound):
		pr.Total--
		return r.recreate(ctx, it)
	case err != nil:
		return fmt.Errorf("pbnhl: read %s %s: %w", it.typ, it.key, err)
	}
	d, err := rollback.ProjectDigest(cur, body)
	if err != nil {
		return fmt.Errorf("pbnhl: compare %s %s: %w", it.typ, it.key, err)
	}
	if d == rollback.Digest(body) {
		pr.Done++
		pr.Existing++ // agrees again (HighLevel's equivalences)
		return nil
	}
	last := r.j.touched[it.id]
	if !r.force && !updated.IsZero() && updated.After(last.Add(repairSlack)) {
		pr.Done++
		r.skip(it.typ, it.key, it.id, true, fmt.Sprintf("changed in HighLevel at %s, after the migration last wrote it at %s",
			updated.UTC().Format(time.RFC3339), last.UTC().Format(time.RFC3339)))
		return nil
	}
	if !r.force && updated.IsZero() {
		// HighLevel tells no time of change for it (a note, a task): what
		// differs from the body the migration wrote is taken as a
		// person's edit.
		pr.Done++
		r.skip(it.typ, it.key, it.id, true, "differs from what the migration wrote, and HighLevel tells no time of its last change: taken as someone's edit")
		return nil
	}
	digest := ""
	if mp, found, err := r.m.opts.Ledger.Lookup(ctx, it.typ, it.key); err != nil {
		return fmt.Errorf("pbnhl: read the id map: %w", err)
	} else if found {
		digest = mp.Digest // the id map keeps the digest a delta compares
	}
	// A record under a contact names it as related, as the load's update
	// journals it (phase.update): Undo's restore goes through it.
	ref := rollback.Ref{ObjectType: it.typ, ID: it.id, SourceKey: it.key, RelatedID: parent}
	_, _, err = r.send(ctx, pr, write{op: rollback.OpUpdate, objType: it.typ, key: it.key, entity: e.Entity,
		target: it.id, related: parent, payload: body, digest: digest, before: cur,
		call: func(ctx context.Context) (string, error) {
			// Every field of the body set to its value in the body: the
			// update Undo's restore makes, towards the mapped body.
			return it.id, r.hlt.Restore(ctx, ref, body, body)
		}}, it, "HighLevel refused the update")
	return err
}

// send makes one journaled write of the repair, counted in pr; a refusal
// lists it (refused, then HighLevel's reason) and ok is false.
func (r *repairer) send(ctx context.Context, pr *Progress, w write, it item, refused string) (res writeResult, ok bool, err error) {
	res, err = r.m.journaledCall(ctx, r.run, w)
	pr.Calls += int64(res.calls)
	pr.Done++
	if err != nil {
		return res, false, err
	}
	if res.rejected {
		pr.Rejected++
		r.skip(it.typ, it.key, it.id, false, refused+": "+res.reason)
		return res, false, nil
	}
	pr.Written++
	return res, true, nil
}

// current reads a record (the update's before-image, in the shape its
// bodies use) and HighLevel's time of its last change: its target's.
func (r *repairer) current(ctx context.Context, typ, id, parent string) ([]byte, time.Time, error) {
	return targetOfType(typ).current(ctx, r.m.opts.Client, typ, id, parent)
}

// parentOf is the contact the journal wrote a record under a contact
// under: a create names it as target, an update as related
// (phase.update); "" for every other kind.
func parentOf(e rollback.Entry) string {
	if !targetOfType(e.ObjectType).underContact() {
		return ""
	}
	if e.Op == rollback.OpUpdate {
		return e.RelatedID
	}
	return e.TargetID
}
