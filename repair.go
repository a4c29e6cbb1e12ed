package pbnhl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
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

// ErrRepairIncomplete is matched by a RepairIncompleteError.
var ErrRepairIncomplete = errors.New("pbnhl: repair left records unrepaired")

// RepairSkip is a record a repair did not re-send, and why (no values).
type RepairSkip struct {
	ObjectType, SourceKey, HighLevelID string
	// Changed is set when the record was refused because someone changed
	// it in HighLevel after the migration wrote it (RepairOptions.Force
	// overrides).
	Changed bool
	Reason  string
}

// RepairIncompleteError lists what a repair did not re-send. The report
// returned with it says what it did.
type RepairIncompleteError struct{ Skipped []RepairSkip }

func (e *RepairIncompleteError) Error() string {
	changed := 0
	for _, s := range e.Skipped {
		if s.Changed {
			changed++
		}
	}
	msg := fmt.Sprintf("pbnhl: repair left %d record(s) unrepaired", len(e.Skipped))
	if changed > 0 {
		msg += fmt.Sprintf(": %d changed in HighLevel since the migration wrote them (Force / repair -force re-sends them)", changed)
	}
	if n := len(e.Skipped) - changed; n > 0 {
		msg += fmt.Sprintf("; %d that repair cannot re-send (see each reason)", n)
	}
	return msg
}

// Is matches ErrRepairIncomplete.
func (e *RepairIncompleteError) Is(target error) bool { return target == ErrRepairIncomplete }

// repairSlack is the clock difference tolerated between the ledger's
// outcome times and HighLevel's dateUpdated in the change check.
const repairSlack = 2 * time.Second

// Repair re-sends exactly what a reconcile report lists: records missing
// from HighLevel are created again from their journaled body (contacts,
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
	for _, typ := range sortedProgress(r.progress) {
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

func sortedProgress(m map[string]*Progress) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// repairJournal is what the journal says was written, for repair: the
// last create or update per record, the last time anything touched a
// HighLevel id, the latest business link per contact key and the latest
// relation per relation key (compensated entries left out).
type repairJournal struct {
	lastWrite map[string]rollback.Entry // type NUL key
	touched   map[string]time.Time      // HighLevel id
	bizLink   map[string]rollback.Entry // contact key
	relations map[string]rollback.Entry // relation key
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
	j := &repairJournal{lastWrite: map[string]rollback.Entry{}, touched: map[string]time.Time{},
		bizLink: map[string]rollback.Entry{}, relations: map[string]rollback.Entry{}}
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
		case e.Op == rollback.OpLink && e.ObjectType == rollback.TypeContactBusiness:
			j.bizLink[e.SourceKey] = e
		case e.Op == rollback.OpLink && e.ObjectType == rollback.TypeRelation:
			j.relations[e.SourceKey] = e
		case e.Op == rollback.OpCreate || e.Op == rollback.OpUpdate:
			j.lastWrite[e.ObjectType+"\x00"+e.SourceKey] = e
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
	// done marks what this repair re-made: "rel\x00<relation key>",
	// "biz\x00<contact key>".
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
	var links, rels []reconcile.Orphan
	for _, in := range rep.Integrity {
		for _, o := range in.Orphans {
			switch {
			case o.Reason == "not linked to its office's business":
				links = append(links, o)
			case o.Reason == "relation to its contact missing":
				rels = append(rels, o)
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
	for _, o := range rels {
		if err := r.relateAgain(ctx, o.HighLevelID); err != nil {
			return err
		}
	}
	for _, o := range links {
		if err := r.linkAgain(ctx, o.SourceKey, o.HighLevelID); err != nil {
			return err
		}
	}
	return nil
}

// missingRank orders re-creations by load group: businesses, contacts,
// then the rest — a link or a relation is made to a record that exists
// again, and an opportunity goes on its contact's new id.
func missingRank(typ string) loadGroup { return targetOfType(typ).group() }

// body is the last journaled body of a record the ledger maps to id.
func (r *repairer) body(ctx context.Context, it item) (rollback.Entry, []byte, bool, error) {
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

// recreate creates a missing record again from its journaled body.
func (r *repairer) recreate(ctx context.Context, it item) error {
	pr := r.prog(it.typ)
	pr.Total++
	e, body, ok, err := r.body(ctx, it)
	if err != nil {
		return err
	}
	if !ok {
		r.skip(it.typ, it.key, it.id, false, "the ledger holds no body for it (purged, or not the record the ledger maps)")
		return nil
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
	res, err := r.m.journaledCall(ctx, r.run, write{op: rollback.OpCreate, objType: it.typ, key: it.key, entity: e.Entity,
		target: rs.target, payload: body, call: rs.call, find: rs.find})
	pr.Calls += int64(res.calls)
	pr.Done++
	if err != nil {
		return err
	}
	if res.rejected {
		pr.Rejected++
		r.skip(it.typ, it.key, it.id, false, "HighLevel refused it again: "+res.reason)
		return nil
	}
	pr.Written++
	r.moved[it.id] = res.id
	return r.rewire(ctx, it, res.id)
}

// rewire gives a re-created record the links the journal says its old
// id had: a contact its business link and its records' relations, a
// record its relations.
func (r *repairer) rewire(ctx context.Context, it item, newID string) error {
	// The journal's business links are keyed by contact key, name the
	// contact as target and the business as related: a business made
	// again gets back the contacts HighLevel unlinked when it was
	// deleted, a contact made again its business (link maps both ids
	// through r.moved).
	var keys []string
	for k, e := range r.j.bizLink {
		if e.RelatedID == it.id || k == it.key && e.TargetID == it.id {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		e := r.j.bizLink[k]
		contactID := e.TargetID
		if id := r.moved[contactID]; id != "" {
			contactID = id
		}
		if err := r.link(ctx, k, contactID, e.RelatedID, e); err != nil {
			return err
		}
	}
	for _, rk := range sortedRelationKeys(r.j.relations) {
		e := r.j.relations[rk]
		if e.TargetID == it.id || e.RelatedID == it.id {
			if err := r.relate(ctx, rk, e); err != nil {
				return err
			}
		}
	}
	return nil
}

func sortedRelationKeys(m map[string]rollback.Entry) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// relateAgain makes again the relations the journal made for a record.
func (r *repairer) relateAgain(ctx context.Context, recordID string) error {
	found := false
	for _, rk := range sortedRelationKeys(r.j.relations) {
		e := r.j.relations[rk]
		if e.TargetID == recordID || e.RelatedID == recordID || r.moved[e.TargetID] == recordID || r.moved[e.RelatedID] == recordID {
			found = true
			if err := r.relate(ctx, rk, e); err != nil {
				return err
			}
		}
	}
	if !found {
		r.skip(rollback.TypeRelation, "", recordID, false, "the journal holds no relation made for this record")
	}
	return nil
}

// relate re-makes one journaled relation, with the ids of records this
// repair re-created.
func (r *repairer) relate(ctx context.Context, rk string, e rollback.Entry) error {
	if r.done["rel\x00"+rk] {
		return nil
	}
	r.done["rel\x00"+rk] = true
	pr := r.prog(rollback.TypeRelation)
	pr.Total++
	b, err := r.m.opts.Ledger.Payload(ctx, e)
	if err != nil {
		return fmt.Errorf("pbnhl: read the journaled relation %s: %w", rk, err)
	}
	var in highlevel.RelationInput
	if b == nil || json.Unmarshal(b, &in) != nil || in.AssociationID == "" {
		r.skip(rollback.TypeRelation, rk, e.TargetID, false, "the ledger holds no body for the relation (purged)")
		return nil
	}
	if id := r.moved[in.FirstRecordID]; id != "" {
		in.FirstRecordID = id
	}
	if id := r.moved[in.SecondRecordID]; id != "" {
		in.SecondRecordID = id
	}
	body, _ := json.Marshal(in)
	c := r.m.opts.Client
	res, err := r.m.journaledCall(ctx, r.run, write{op: rollback.OpLink, objType: rollback.TypeRelation, key: rk, entity: e.Entity,
		target: in.FirstRecordID, related: in.SecondRecordID, payload: body,
		call: func(ctx context.Context) (string, error) {
			x, err := c.Associations.CreateRelation(ctx, in)
			if err != nil {
				return "", err
			}
			return x.ID, nil
		},
		find:   func(ctx context.Context, nb time.Time) (string, bool, error) { return r.m.findRelation(ctx, in, nb) },
		exists: alreadyExists})
	pr.Calls += int64(res.calls)
	pr.Done++
	if err != nil {
		return err
	}
	if res.rejected {
		pr.Rejected++
		r.skip(rollback.TypeRelation, rk, in.FirstRecordID, false, "HighLevel refused the relation again: "+res.reason)
		return nil
	}
	pr.Written++
	return nil
}

// linkAgain links a contact to the business the journal linked it to.
func (r *repairer) linkAgain(ctx context.Context, key, contactID string) error {
	e, ok := r.j.bizLink[key]
	if !ok {
		r.skip(rollback.TypeContactBusiness, key, contactID, false, "the journal holds no business link for this contact")
		return nil
	}
	if id := r.moved[contactID]; id != "" {
		contactID = id
	}
	return r.link(ctx, key, contactID, e.RelatedID, e)
}

func (r *repairer) link(ctx context.Context, key, contactID, businessID string, e rollback.Entry) error {
	if r.done["biz\x00"+key] {
		return nil
	}
	r.done["biz\x00"+key] = true
	if id := r.moved[businessID]; id != "" {
		businessID = id
	}
	pr := r.prog(rollback.TypeContactBusiness)
	pr.Total++
	body, _ := json.Marshal(map[string]string{"businessId": businessID})
	c := r.m.opts.Client
	// Linking is idempotent: an unknown outcome is simply repeated (nil
	// find), as the load's bulk links are.
	res, err := r.m.journaledCall(ctx, r.run, write{op: rollback.OpLink, objType: rollback.TypeContactBusiness, key: key, entity: e.Entity,
		target: contactID, related: businessID, payload: body,
		call: func(ctx context.Context) (string, error) {
			_, err := c.Businesses.LinkContacts(ctx, businessID, []string{contactID})
			return contactID, err
		}})
	pr.Calls += int64(res.calls)
	pr.Done++
	if err != nil {
		return err
	}
	if res.rejected {
		pr.Rejected++
		r.skip(rollback.TypeContactBusiness, key, contactID, false, "HighLevel refused the link again: "+res.reason)
		return nil
	}
	pr.Written++
	return nil
}

// update puts a record's journaled body back over fields that differ,
// unless someone changed it in HighLevel after the migration wrote it.
func (r *repairer) update(ctx context.Context, it item) error {
	pr := r.prog(it.typ)
	pr.Total++
	e, body, ok, err := r.body(ctx, it)
	if err != nil {
		return err
	}
	if !ok {
		r.skip(it.typ, it.key, it.id, false, "the ledger holds no body for it (purged, or not the record the ledger maps)")
		return nil
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
	res, err := r.m.journaledCall(ctx, r.run, write{op: rollback.OpUpdate, objType: it.typ, key: it.key, entity: e.Entity,
		target: it.id, related: parent, payload: body, digest: digest, before: cur,
		call: func(ctx context.Context) (string, error) {
			// Every field of the body set to its value in the body: the
			// update Undo's restore makes, towards the mapped body.
			return it.id, r.hlt.Restore(ctx, ref, body, body)
		}})
	pr.Calls += int64(res.calls)
	pr.Done++
	if err != nil {
		return err
	}
	if res.rejected {
		pr.Rejected++
		r.skip(it.typ, it.key, it.id, false, "HighLevel refused the update: "+res.reason)
		return nil
	}
	pr.Written++
	return nil
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

// contactInput decodes a journaled contact create body (custom field
// values pass through as they were sent).
func contactInput(body []byte) (highlevel.ContactInput, error) {
	var x struct {
		highlevel.ContactInput
		CustomFields []struct {
			ID    string          `json:"id"`
			Key   string          `json:"key"`
			Value json.RawMessage `json:"field_value"`
		} `json:"customFields"`
	}
	if err := json.Unmarshal(body, &x); err != nil {
		return highlevel.ContactInput{}, fmt.Errorf("decode the journaled body: %w", err)
	}
	in := x.ContactInput
	in.CustomFields = nil
	for _, f := range x.CustomFields {
		in.CustomFields = append(in.CustomFields, highlevel.CustomFieldInput{ID: f.ID, Key: f.Key, Value: highlevel.RawValue(f.Value)})
	}
	return in, nil
}

// opportunityInput decodes a journaled opportunity create body, its
// contact moved to the id a repair re-created it under.
func opportunityInput(body []byte, moved map[string]string) (highlevel.OpportunityInput, error) {
	var x struct {
		PipelineID      string   `json:"pipelineId"`
		Name            string   `json:"name"`
		PipelineStageID string   `json:"pipelineStageId"`
		Status          string   `json:"status"`
		ContactID       string   `json:"contactId"`
		MonetaryValue   *float64 `json:"monetaryValue"`
		AssignedTo      string   `json:"assignedTo"`
		CustomFields    []struct {
			ID    string          `json:"id"`
			Key   string          `json:"key"`
			Value json.RawMessage `json:"field_value"`
		} `json:"customFields"`
	}
	if err := json.Unmarshal(body, &x); err != nil {
		return highlevel.OpportunityInput{}, fmt.Errorf("decode the journaled body: %w", err)
	}
	in := highlevel.OpportunityInput{PipelineID: x.PipelineID, Name: x.Name, PipelineStageID: x.PipelineStageID,
		Status: highlevel.OpportunityStatus(x.Status), ContactID: x.ContactID, AssignedTo: x.AssignedTo}
	if id := moved[in.ContactID]; id != "" {
		in.ContactID = id
	}
	if x.MonetaryValue != nil {
		c := highlevel.Cents(math.Round(*x.MonetaryValue * 100))
		in.MonetaryValue = &c
	}
	for _, f := range x.CustomFields {
		in.CustomFields = append(in.CustomFields, highlevel.CustomFieldInput{ID: f.ID, Key: f.Key, Value: highlevel.RawValue(f.Value)})
	}
	return in, nil
}

// recordInput decodes a journaled custom object record body.
func recordInput(body []byte) (highlevel.RecordInput, error) {
	var x struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Owner      []string                   `json:"owner"`
		Followers  []string                   `json:"followers"`
	}
	if err := json.Unmarshal(body, &x); err != nil {
		return highlevel.RecordInput{}, fmt.Errorf("decode the journaled body: %w", err)
	}
	in := highlevel.RecordInput{Properties: map[string]highlevel.FieldValue{}, Owner: x.Owner, Followers: x.Followers}
	for k, v := range x.Properties {
		in.Properties[k] = highlevel.RawValue(v)
	}
	return in, nil
}

// identityLine is the load's identity line in a journaled description, ""
// when it has none (a body journaled before identity markers).
func identityLine(text string) string {
	for line := range strings.Lines(text) {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, markerPrefix) {
			return l
		}
	}
	return ""
}
