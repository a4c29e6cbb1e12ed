package rollback

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Target is what Undo needs from the destination. Methods return an error
// matching ErrNotFound (errors.Is) when the thing is already gone.
type Target interface {
	// Delete deletes a record Undo found created by the run.
	Delete(ctx context.Context, ref Ref) error
	// Restore puts back the fields an update wrote: every field present in
	// written takes its value from before, or is cleared when before lacks it.
	Restore(ctx context.Context, ref Ref, before, written []byte) error
	// Unlink removes a relation the run made.
	Unlink(ctx context.Context, ref Ref) error
	// DeleteSchema deletes a custom field, custom object, association or
	// pipeline the run created.
	DeleteSchema(ctx context.Context, ref Ref) error
	// Digest returns Digest of the record's current state projected onto
	// the shape of written (the same fields, in written's representation,
	// values that are equivalent to the written ones written as written),
	// so that it equals Digest(written) exactly when nobody changed those
	// fields since we wrote them.
	Digest(ctx context.Context, ref Ref, written []byte) (string, error)
}

// Ref names what a compensation acts on.
type Ref struct {
	ObjectType string
	// ID is the HighLevel id of the record, relation or schema element.
	ID string
	// TargetID and RelatedID are a link's two records.
	TargetID  string
	RelatedID string
	SourceKey string
}

// Action is a compensating call.
type Action string

// Compensating actions.
const (
	ActionDelete       Action = "delete"
	ActionRestore      Action = "restore"
	ActionUnlink       Action = "unlink"
	ActionDeleteSchema Action = "delete-schema"
	// ActionNone marks an entry that cannot be compensated (a delete or an
	// unlink: deletes are final in HighLevel).
	ActionNone Action = "none"
)

// CompensationState is where a compensation stands.
type CompensationState string

// Compensation states.
const (
	StatePlanned CompensationState = "planned"
	StateDone    CompensationState = "done"
	// StateAlreadyDone: an earlier Undo completed it; nothing is called.
	StateAlreadyDone CompensationState = "already-done"
	// StateGone: the record or relation no longer existed; counts as done.
	StateGone CompensationState = "gone"
	// StateRefused: the record changed after our write; forced Undo overrides.
	StateRefused CompensationState = "refused"
	// StateFailed: the compensating call failed; a later Undo retries it.
	StateFailed CompensationState = "failed"
	// StateIrreversible: nothing can reverse this entry.
	StateIrreversible CompensationState = "irreversible"
	// StateUnresolved: the entry's outcome is unknown or pending, so what
	// it did is not known, and a Target that is a Settler could not settle
	// it by lookup (or the Target is none); undo again to retry.
	StateUnresolved CompensationState = "unresolved"
	// StateLeftInPlace: the object was adopted (it existed before the
	// ledger's intent, or was matched rather than created) and the runs
	// undone did not change it: Undo leaves it alone. Nothing is called.
	StateLeftInPlace CompensationState = "left-in-place"
)

// Compensation is one step of an Undo.
type Compensation struct {
	Action Action
	Ref    Ref
	// Entry is the journal entry reversed: the first write of the record in
	// scope. Covers lists later entries of the same record it also reverses
	// (updates of a record that is deleted, or later updates of a record
	// restored to its first before-image).
	Entry  int64
	Run    RunID
	Seq    Seq
	Covers []int64
	// Checked reports whether the record's current digest was compared
	// with our last write.
	Checked bool
	State   CompensationState
	Reason  string
}

// UndoOptions scope and shape an Undo.
type UndoOptions struct {
	// Runs to undo (at least one).
	Runs []RunID
	// ObjectTypes restricts the undo to these object types (all when
	// empty); TypeContact brings a contact's tag calls with it.
	ObjectTypes []string
	// DryRun computes the exact compensation list, including the change
	// checks (reads only), and changes nothing.
	DryRun bool
	// Force reverses records that changed after our write instead of
	// refusing them. It also skips the change check's read of each record,
	// halving the calls an Undo makes.
	Force bool
	// Actor is recorded on the undo run.
	Actor string
	// Concurrency is how many compensations run at once (default 1: one
	// at a time, in reverse journal order). Above 1 the plan is cut into
	// tiers that run one after the other — links and relations, then notes,
	// tasks, opportunities and custom object records, then contacts, then
	// businesses, then schema elements one at a time — and each tier runs
	// on that many workers; steps on the same record (or the same
	// contact's business link) stay in reverse journal order on one worker.
	// Object types this package does not name are undone with the notes,
	// before contacts. Against HighLevel the call budget is the same at any
	// concurrency (the client's limiter paces it): concurrency hides the
	// latency of each call and of the ledger's commits.
	Concurrency int
	// OnCompensation, if set, is called after each compensation is decided.
	// With Concurrency above 1 it is called from the worker goroutines, in
	// the order compensations finish, but never twice at once (calls are
	// serialised), so it needs no locking of its own; keep it quick, as
	// the workers wait for it.
	OnCompensation func(Compensation)
}

// UndoReport is the result of an Undo.
type UndoReport struct {
	// Run is the undo run recorded (0 for a dry run, and when there was
	// nothing left to undo).
	Run           RunID
	DryRun        bool
	Compensations []Compensation
	// NothingToUndo: every compensation in scope was already done by an
	// earlier Undo, or is left in place (adopted) or irreversible (a manual
	// step). No undo run is recorded: a repeated Undo changes nothing.
	NothingToUndo bool
}

// ManualSteps lists the compensations nothing can make through the
// destination's API (a pipeline or custom object schema HighLevel cannot
// delete, a delete the run made): a person does them in the app if the
// elements must go. They do not make an Undo fail.
func (r *UndoReport) ManualSteps() []Compensation {
	var out []Compensation
	for _, c := range r.Compensations {
		if c.State == StateIrreversible {
			out = append(out, c)
		}
	}
	return out
}

// Reversed reports whether everything reversible was reversed: every
// compensation is done, gone, already done, left in place or irreversible
// (see ManualSteps). It is what makes an undo run succeed.
func (r *UndoReport) Reversed() bool {
	for _, c := range r.Compensations {
		switch c.State {
		case StateDone, StateGone, StateAlreadyDone, StateLeftInPlace, StateIrreversible:
		default:
			return false
		}
	}
	return true
}

// Irreversibility is implemented by a Target that knows, before any call,
// that it cannot make a compensation (HighLevel cannot delete a pipeline or
// a custom object schema). Undo then journals no intent for it and reports
// it as irreversible, a manual step, with the error's text as reason.
type Irreversibility interface {
	Irreversible(action Action, ref Ref) error
}

// Count returns how many compensations are in state s.
func (r *UndoReport) Count(s CompensationState) int {
	n := 0
	for _, c := range r.Compensations {
		if c.State == s {
			n++
		}
	}
	return n
}

// Complete reports whether every compensation is done, gone, already done
// or left in place (an adopted object).
func (r *UndoReport) Complete() bool {
	for _, c := range r.Compensations {
		switch c.State {
		case StateDone, StateGone, StateAlreadyDone, StateLeftInPlace:
		default:
			return false
		}
	}
	return true
}

// Undo reverses what the given runs did at the destination: compensations
// run in reverse journal order (or in tiers, see UndoOptions.Concurrency),
// so children go before parents and links before the records they join.
// The report lists compensations in reverse journal order at any
// concurrency. It is idempotent (what an earlier Undo
// completed is skipped), resumable (a crashed Undo is finished by the next
// one), and recorded as a run of kind undo. Records changed at the
// destination after our last write are refused unless opts.Force.
func Undo(ctx context.Context, l *Ledger, t Target, opts UndoOptions) (*UndoReport, error) {
	if len(opts.Runs) == 0 {
		return nil, invalidArg("UndoOptions.Runs", "name at least one run")
	}
	if opts.Concurrency < 0 {
		return nil, invalidArg("UndoOptions.Concurrency", "must not be negative")
	}
	if t == nil {
		return nil, invalidArg("target", "nil")
	}
	// A contact's tag calls are part of the contact: an undo of contacts
	// restores its tags too.
	if slices.Contains(opts.ObjectTypes, TypeContact) {
		for _, typ := range []string{TypeContactTagsAdded, TypeContactTagsRemoved} {
			if !slices.Contains(opts.ObjectTypes, typ) {
				opts.ObjectTypes = append(slices.Clip(opts.ObjectTypes), typ)
			}
		}
	}
	var first RunInfo
	for i, id := range opts.Runs {
		ri, err := l.Run(ctx, id)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			first = ri
		}
	}
	if s, ok := t.(Settler); ok && !opts.DryRun {
		// Intents the runs left pending or unknown are settled by lookup
		// first (settle.go), so that they are planned like the rest
		// instead of refused as unresolved.
		if _, err := l.settlePending(ctx, s, opts); err != nil {
			return nil, err
		}
	}
	p, err := l.planUndo(ctx, opts)
	if err != nil {
		return nil, err
	}
	if ir, ok := t.(Irreversibility); ok {
		for _, st := range p.steps {
			if st.comp.State != StatePlanned {
				continue
			}
			if err := ir.Irreversible(st.comp.Action, st.comp.Ref); err != nil {
				st.comp.State, st.comp.Reason = StateIrreversible, err.Error()
			}
		}
	}
	report := &UndoReport{DryRun: opts.DryRun}
	if p.nothingToDo() {
		// A repeated Undo: report what stands, record no run.
		report.NothingToUndo = true
		for _, st := range p.steps {
			report.Compensations = append(report.Compensations, *st.comp)
		}
		if !opts.DryRun && len(opts.ObjectTypes) == 0 {
			if err := l.markUndone(ctx, opts.Runs, 0); err != nil {
				return report, err
			}
		}
		return report, nil
	}
	var run *Run
	if !opts.DryRun {
		run, err = l.BeginRun(ctx, RunOptions{Kind: KindUndo, Location: first.Location, MapDigest: first.MapDigest, Actor: opts.Actor})
		if err != nil {
			return nil, err
		}
		report.Run = run.ID()
	}
	x := &undoExec{l: l, t: t, run: run, p: p, opts: opts, decided: make([]bool, len(p.steps))}
	runErr := x.execute(ctx, schedule(p, opts.Concurrency))
	for i, st := range p.steps {
		if x.decided[i] {
			report.Compensations = append(report.Compensations, *st.comp)
		}
	}
	if run != nil {
		status := StatusSucceeded
		switch {
		case runErr != nil && ctx.Err() != nil:
			status = StatusCanceled
		case runErr != nil || !report.Reversed():
			status = StatusFailed
		}
		if err := run.Finish(context.WithoutCancel(ctx), status); err != nil && runErr == nil {
			runErr = err
		}
		if status == StatusSucceeded && runErr == nil && len(opts.ObjectTypes) == 0 {
			// Every run in scope is reversed as far as it can be: its
			// record says so, and by which undo.
			if err := l.markUndone(context.WithoutCancel(ctx), opts.Runs, run.ID()); err != nil {
				runErr = err
			}
		}
		l.log.Info("undo finished", "run", run.ID(), "status", status, "compensations", len(report.Compensations),
			"done", report.Count(StateDone), "gone", report.Count(StateGone), "refused", report.Count(StateRefused),
			"failed", report.Count(StateFailed))
	}
	return report, runErr
}

// step is a compensation with what executing it needs.
type step struct {
	comp    *Compensation
	rep     Entry   // first write of the record in scope
	last    Entry   // last write of the record in scope
	before  []byte  // before-image to restore
	written []byte  // union of what the updates in scope wrote
	stale   []Entry // compensations an interrupted undo left pending
	members []Entry // every entry of the record in scope, in order
}

type undoPlan struct {
	steps   []*step
	inScope map[int64]bool
}

type recordKey struct{ objectType, id string }

// nothingToDo reports whether no step of the plan would call the target or
// journal anything: each is already done, left in place or irreversible.
func (p *undoPlan) nothingToDo() bool {
	for _, st := range p.steps {
		switch st.comp.State {
		case StateAlreadyDone, StateLeftInPlace, StateIrreversible:
		default:
			return false
		}
	}
	return true
}

// markUndone records runs as undone by the undo run by. With by 0 (an
// Undo that found nothing left to do) a run not yet marked is marked with
// the latest undo run that compensated its entries, if any did.
func (l *Ledger) markUndone(ctx context.Context, runs []RunID, by RunID) error {
	return l.w.submit(ctx, func(t *wtx) error {
		for _, id := range runs {
			undoneBy := int64(by)
			if undoneBy == 0 {
				var latest sql.NullInt64
				err := t.w.conn.QueryRowContext(t.ctx, `SELECT max(c.run) FROM journal c JOIN journal e ON c.compensates = e.id
					WHERE e.run = ? AND c.outcome = 'done'`, int64(id)).Scan(&latest)
				if err != nil {
					return fmt.Errorf("rollback: mark undone: %w", err)
				}
				if !latest.Valid {
					continue
				}
				undoneBy = latest.Int64
			}
			if _, err := t.execSQL(`UPDATE runs SET status = 'undone', undone_by = ?
				WHERE id = ? AND kind NOT IN ('undo', 'dry-run') AND (status <> 'undone' OR ? <> 0)`,
				undoneBy, int64(id), int64(by)); err != nil {
				return err
			}
		}
		return nil
	})
}

// planUndo builds the ordered compensation list from the journal.
func (l *Ledger) planUndo(ctx context.Context, opts UndoOptions) (*undoPlan, error) {
	// Compensations already journaled for entries of these runs.
	done := map[int64]Op{}
	stale := map[int64][]Entry{}
	q := `SELECT ` + entryColumns + ` FROM journal WHERE compensates IN
		(SELECT id FROM journal WHERE run IN (` + placeholders(len(opts.Runs)) + `)) ORDER BY id`
	var args []any
	for _, r := range opts.Runs {
		args = append(args, int64(r))
	}
	for e, err := range l.queryEntries(ctx, q, args...) {
		if err != nil {
			return nil, err
		}
		switch e.Outcome {
		case OutcomeDone:
			done[e.Compensates] = e.Op
		case OutcomePending, OutcomeUnknown:
			stale[e.Compensates] = append(stale[e.Compensates], e)
		}
	}

	p := &undoPlan{inScope: map[int64]bool{}}
	groups := map[recordKey]*step{}
	f := EntryFilter{Runs: opts.Runs, ObjectTypes: opts.ObjectTypes}
	for e, err := range l.Entries(ctx, f) {
		if err != nil {
			return nil, err
		}
		if e.Compensates != 0 {
			continue // an undo run's own entries are not undone
		}
		e.payload, e.before = nil, nil // read again when needed: the plan stays small
		p.inScope[e.ID] = true
		ref := Ref{ObjectType: e.ObjectType, ID: e.RecordID(), TargetID: e.TargetID, RelatedID: e.RelatedID, SourceKey: e.SourceKey}
		if e.Op == OpLink {
			ref.ID = e.HighLevelID // the relation; may be empty when links have no id of their own
		}
		c := &Compensation{Ref: ref, Entry: e.ID, Run: e.Run, Seq: e.Seq, State: StatePlanned}
		st := &step{comp: c, rep: e, last: e, members: []Entry{e}, stale: stale[e.ID]}
		if e.Outcome != OutcomeDone {
			if e.Outcome == OutcomeRejected || e.Outcome == OutcomeSuperseded {
				continue // nothing happened at the destination
			}
			c.Action, c.State = actionFor(e.Op), StateUnresolved
			c.Reason = fmt.Sprintf("outcome is %s: resolve it before undoing", outcomeName(e.Outcome))
			p.steps = append(p.steps, st)
			continue
		}
		switch e.Op {
		case OpCreate, OpUpdate, OpDelete:
			k := recordKey{e.ObjectType, ref.ID}
			if g, ok := groups[k]; ok {
				g.members = append(g.members, e)
				g.last = e
				g.comp.Covers = append(g.comp.Covers, e.ID)
				continue
			}
			groups[k] = st
		}
		c.Action = actionFor(e.Op)
		if e.Op == OpLink && e.HasBefore() && e.HasPayload() {
			// A link that replaced another (a contact moved from one
			// business to ours) is restored, not just removed.
			c.Action, c.Ref.ID = ActionRestore, e.TargetID
		}
		p.steps = append(p.steps, st)
	}

	for _, st := range p.steps {
		if st.comp.State != StatePlanned {
			continue
		}
		adoptedStep(st)
		if st.comp.State != StatePlanned {
			continue
		}
		if err := l.finishStep(ctx, st, done); err != nil {
			return nil, err
		}
	}
	// Reverse journal order: the last thing done is the first undone.
	sort.SliceStable(p.steps, func(i, j int) bool { return p.steps[i].comp.Entry > p.steps[j].comp.Entry })
	return p, nil
}

// adoptedStep turns the step of an adopted object (its first write in
// scope is a create, link or schema change whose outcome adopted what was
// there) into what Undo may do to something it did not create: restore it
// from the before-image of the first update the runs made, or leave it
// alone. It is never deleted or unlinked.
func adoptedStep(st *step) {
	if st.rep.Origin != OriginAdopted {
		return
	}
	c := st.comp
	for i, m := range st.members {
		if m.Op == OpDelete {
			c.Action, c.State = ActionNone, StateIrreversible
			c.Reason = "the run deleted an adopted object; deletes are final in HighLevel"
			return
		}
		if m.Op != OpUpdate {
			continue
		}
		// Restore from the first update: the state before the migration
		// touched the object.
		st.rep, st.members = m, st.members[i:]
		c.Entry, c.Run, c.Seq, c.Covers = m.ID, m.Run, m.Seq, nil
		for _, later := range st.members[1:] {
			c.Covers = append(c.Covers, later.ID)
		}
		c.Action, c.Ref.ID = ActionRestore, m.TargetID
		c.Reason = "adopted: restored to its state before the migration, never deleted"
		return
	}
	c.Action, c.State = ActionNone, StateLeftInPlace
	c.Reason = "adopted (existed before this ledger's intent, or matched rather than created): left in place"
}

func outcomeName(o OutcomeStatus) string {
	if o == OutcomePending {
		return "pending"
	}
	return string(o)
}

func actionFor(op Op) Action {
	switch op {
	case OpCreate:
		return ActionDelete
	case OpUpdate:
		return ActionRestore
	case OpLink:
		return ActionUnlink
	case OpSchema:
		return ActionDeleteSchema
	}
	return ActionNone
}

// finishStep decides a planned step's action from its record's history in
// scope and what earlier Undos already did.
func (l *Ledger) finishStep(ctx context.Context, st *step, done map[int64]Op) error {
	c := st.comp
	for _, m := range st.members {
		if op, ok := done[m.ID]; ok && op == OpDelete {
			c.State, c.Reason = StateAlreadyDone, "record already deleted by an earlier undo"
			return nil
		}
	}
	if _, ok := done[st.rep.ID]; ok {
		c.State, c.Reason = StateAlreadyDone, "compensated by an earlier undo"
		return nil
	}
	if st.last.Op == OpDelete {
		if st.rep.Op == OpCreate {
			c.Action, c.State, c.Reason = ActionNone, StateAlreadyDone, "the run itself deleted the record it created"
		} else {
			c.Action, c.State, c.Reason = ActionNone, StateIrreversible, "the run deleted this record; deletes are final in HighLevel"
		}
		return nil
	}
	switch c.Action {
	case ActionNone:
		c.State, c.Reason = StateIrreversible, fmt.Sprintf("a %s cannot be reversed", st.rep.Op)
	case ActionRestore:
		if !st.rep.HasBefore() {
			c.State, c.Reason = StateIrreversible, l.missingBeforeReason(ctx, st.rep)
			return nil
		}
		for _, m := range st.members {
			if !m.HasPayload() {
				c.State, c.Reason = StateIrreversible, "an update's payload was not stored, so the fields to restore are unknown"
				return nil
			}
		}
	}
	return nil
}

// loadRestore reads a restore's before-image and the union of what the
// updates wrote, only when the step runs (the plan holds no payloads).
func (l *Ledger) loadRestore(ctx context.Context, st *step) error {
	rep, err := l.withBlobs(ctx, st.rep)
	if err != nil {
		return err
	}
	if st.before, err = l.Before(ctx, rep); err != nil {
		return err
	}
	st.written = nil
	for _, m := range st.members {
		if m, err = l.withBlobs(ctx, m); err != nil {
			return err
		}
		w, err := l.Payload(ctx, m)
		if err != nil {
			return err
		}
		if st.written, err = mergeJSON(st.written, w); err != nil {
			st.comp.State, st.comp.Reason = StateIrreversible, "stored payload is not a JSON object"
			return nil
		}
	}
	return l.composeBefore(ctx, st) // each field from the first update that wrote it (trim.go)
}

// check compares the record's current state with our last write, unless
// an interrupted Undo already started reversing it.
func (l *Ledger) check(ctx context.Context, t Target, p *undoPlan, st *step, force bool) {
	c := st.comp
	if c.Action != ActionDelete && c.Action != ActionRestore {
		return
	}
	if len(st.stale) > 0 {
		c.Checked, c.Reason = true, fmt.Sprintf("checked by interrupted undo run %d", st.stale[0].Run)
		return
	}
	last := st.last
	if m, ok, err := l.lastWrite(ctx, st); err != nil {
		c.State, c.Reason = StateFailed, err.Error()
		return
	} else if ok && !p.inScope[m.ID] {
		c.Checked = true
		if force {
			c.Reason = fmt.Sprintf("written again by run %d (forced)", m.Run)
		} else {
			c.State, c.Reason = StateRefused, fmt.Sprintf("written again by run %d, which this undo does not cover", m.Run)
		}
		return
	}
	if force {
		// The operator overrides changes anyway: spare the read (a call
		// per record against HighLevel's 10 calls/s).
		c.Reason = "change check skipped (forced)"
		return
	}
	last, err := l.withBlobs(ctx, last)
	if err != nil {
		c.State, c.Reason = StateFailed, err.Error()
		return
	}
	written, err := l.Payload(ctx, last)
	if err != nil {
		c.State, c.Reason = StateFailed, err.Error()
		return
	}
	if written == nil {
		l.unchecked(ctx, last, c) // refused if purged (purge.go)
		return
	}
	cur, err := t.Digest(ctx, c.Ref, written)
	switch {
	case errors.Is(err, ErrNotFound) && c.Action == ActionDelete:
		c.Checked, c.State, c.Reason = true, StateGone, "record no longer exists"
		return
	case errors.Is(err, ErrNotFound):
		c.Checked, c.State, c.Reason = true, StateFailed, "record no longer exists: nothing to restore"
		return
	case err != nil:
		c.State, c.Reason = StateFailed, "change check: "+err.Error()
		return
	}
	c.Checked = true
	if cur != Digest(written) {
		c.State, c.Reason = StateRefused, "changed at the destination after our write"
	}
}

// lastWrite returns the entry the id map names as the record's last write,
// unless an earlier Undo already reversed that entry.
func (l *Ledger) lastWrite(ctx context.Context, st *step) (Entry, bool, error) {
	if st.rep.SourceKey == "" {
		return Entry{}, false, nil
	}
	q := `SELECT ` + entryColumns + ` FROM journal WHERE id = (SELECT entry FROM idmap
		WHERE object_type = ? AND source_key = ? AND hl_id = ?)
		AND NOT EXISTS (SELECT 1 FROM journal c WHERE c.compensates = journal.id AND c.outcome = 'done')`
	for e, err := range l.queryEntries(ctx, q, st.rep.ObjectType, st.rep.SourceKey, st.comp.Ref.ID) {
		return e, err == nil, err
	}
	return Entry{}, false, nil
}

// compensate journals the compensating intent, calls the target, and
// records the outcome. It returns an error only when the ledger fails;
// target failures are recorded in the compensation.
func (l *Ledger) compensate(ctx context.Context, t Target, run *Run, p *undoPlan, st *step) error {
	c := st.comp
	in := Intent{ObjectType: c.Ref.ObjectType, SourceKey: c.Ref.SourceKey, TargetID: c.Ref.ID, RelatedID: c.Ref.RelatedID, compensates: c.Entry}
	if in.TargetID == "" {
		in.TargetID = c.Ref.TargetID
	}
	switch c.Action {
	case ActionDelete, ActionDeleteSchema:
		in.Op = OpDelete
	case ActionUnlink:
		in.Op = OpUnlink
	case ActionRestore:
		in.Op, in.Payload = OpUpdate, st.before
		in.Before = st.written
	}
	if in.TargetID == "" {
		c.State, c.Reason = StateIrreversible, "the entry names no HighLevel id"
		return nil
	}
	seq, err := run.Intent(ctx, in)
	if err != nil {
		return err
	}
	call := func() error {
		switch {
		case c.Action == ActionDelete:
			return t.Delete(ctx, c.Ref)
		case c.Action == ActionDeleteSchema:
			return t.DeleteSchema(ctx, c.Ref)
		case c.Action == ActionUnlink:
			return t.Unlink(ctx, c.Ref)
		case c.Action == ActionRestore:
			return t.Restore(ctx, c.Ref, st.before, st.written)
		}
		return nil
	}
	var callErr error
	if c.State == StateGone {
		callErr = ErrNotFound // found gone by the change check: nothing to call
	} else {
		callErr = call()
	}
	// An unknown outcome is settled within this run: every compensation is
	// idempotent and looks before it acts, so making it again is the
	// lookup — a delete already applied answers not found (done), an
	// unlink finds the contact no longer holds the business (done), a
	// restore writes the same values. The unknown outcome is journaled
	// first, so a crash while settling leaves it for the next Undo.
	for attempt := 1; errors.Is(callErr, ErrOutcomeUnknown) && attempt < undoSettleAttempts; attempt++ {
		if attempt == 1 {
			if err := run.Outcome(context.WithoutCancel(ctx), seq, Unknown(callErr.Error())); err != nil {
				return err
			}
		}
		if err := sleepCtx(ctx, undoSettleDelay<<(attempt-1)); err != nil {
			break // the unknown outcome stands: the next Undo settles it
		}
		if c.Action == ActionRestore && restored(ctx, t, c.Ref, st.before, st.written) {
			callErr = nil
			break
		}
		if c.Action != ActionRestore && gone(ctx, t, c.Ref) {
			callErr = ErrNotFound // the delete or unlink was applied: done
			break
		}
		callErr = call()
	}
	var out Outcome
	switch {
	case callErr == nil:
		c.State, out = StateDone, Done(c.Ref.ID)
	case errors.Is(callErr, ErrNotFound) && c.Action != ActionRestore:
		c.State, c.Reason, out = StateGone, "already gone", Outcome{Status: OutcomeDone, ID: c.Ref.ID, HTTPStatus: 404, Reason: "already gone"}
	case errors.Is(callErr, ErrNotFound):
		c.State, c.Reason, out = StateFailed, "record no longer exists: nothing to restore", Rejected(404, "record no longer exists")
	case errors.Is(callErr, ErrIrreversible):
		c.State, c.Reason, out = StateIrreversible, callErr.Error(), Rejected(0, callErr.Error())
	default:
		c.State, c.Reason, out = StateFailed, callErr.Error(), Unknown(callErr.Error())
	}
	wctx := context.WithoutCancel(ctx)
	if out.Status != OutcomeDone {
		return run.Outcome(wctx, seq, out)
	}
	// The outcome, the id map and the closing of stale compensations
	// commit together: one commit per compensation instead of two, and no
	// crash can leave a deleted record in the id map.
	journaled, ok := run.recall(seq)
	if !ok {
		return fmt.Errorf("rollback: undo run %d seq %d: %w", run.ID(), seq, ErrNoIntent)
	}
	now := l.now().UnixNano()
	var result error
	err = l.w.submit(wctx, func(tx *wtx) error {
		result = nil // the writer may apply this twice (batch retried alone)
		res, err := tx.exec(stSetOutcomeFew, string(out.Status), out.ID, out.HTTPStatus, out.Reason, now, "", journaled.entry)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("rollback: outcome: %w", err)
		} else if n == 0 {
			result = l.outcomeMiss(tx, run.ID(), seq)
			return nil
		}
		for _, s := range st.stale {
			if _, err := tx.execSQL(`UPDATE journal SET outcome = 'superseded', reason = ?, outcome_at = ?
				WHERE id = ? AND (outcome IS NULL OR outcome = 'unknown')`,
				fmt.Sprintf("completed by undo run %d", run.ID()), now, s.ID); err != nil {
				return err
			}
		}
		switch c.Action {
		case ActionDelete, ActionDeleteSchema:
			_, err = tx.exec(stDeleteIDMap, c.Ref.ObjectType, c.Ref.ID)
		case ActionRestore:
			_, err = tx.exec(stClearDigest, now, c.Ref.ObjectType, c.Ref.ID)
		}
		return err
	})
	if err != nil {
		return err
	}
	if result == nil {
		run.forget(seq)
	}
	return result
}

// restored reports whether a restore whose answer was lost is visibly
// applied: the record holds the before-image's value of every field the
// restore sets. It says false when it cannot tell (a field the restore
// clears, a read that fails): the restore is then made again.
func restored(ctx context.Context, t Target, ref Ref, before, written []byte) bool {
	var b, w map[string]json.RawMessage
	if json.Unmarshal(before, &b) != nil || json.Unmarshal(written, &w) != nil || len(w) == 0 {
		return false
	}
	want := map[string]json.RawMessage{}
	for k := range w {
		v, ok := b[k]
		if !ok || string(v) == "null" {
			return false // cleared: the projection cannot show it
		}
		want[k] = v
	}
	x, err := json.Marshal(want)
	if err != nil {
		return false
	}
	cur, err := t.Digest(ctx, ref, x)
	return err == nil && cur == Digest(x)
}

// Prober is implemented by a Target that can tell whether the record,
// relation, link or schema element a compensation removes still exists,
// so that Undo settles a lost answer by looking, not only by calling again.
type Prober interface {
	Exists(ctx context.Context, ref Ref) (bool, error)
}

// gone reports whether what ref names is known to no longer exist (a
// Prober says so, or a record read answers not found). When it cannot
// tell it says false and the compensation is made again: a delete already
// applied then answers not found.
func gone(ctx context.Context, t Target, ref Ref) bool {
	if p, ok := t.(Prober); ok {
		exists, err := p.Exists(ctx, ref)
		return err == nil && !exists
	}
	_, err := t.Digest(ctx, ref, []byte(`{}`))
	return errors.Is(err, ErrNotFound)
}

// ErrOutcomeUnknown is what a Target returns (or wraps) when its call may
// or may not have been applied (an answer lost: a timeout, a reset, a
// 5xx). Undo settles it within the run by making the idempotent
// compensation again (see undoSettleAttempts).
var ErrOutcomeUnknown = errors.New("rollback: outcome of the call unknown")

// undoSettleAttempts bounds the calls one compensation makes when answers
// are lost; the waits between them double from undoSettleDelay. A
// compensation still unknown after them is reported failed, its outcome
// unknown, for the next Undo to settle.
var (
	undoSettleAttempts = 6
	undoSettleDelay    = 100 * time.Millisecond
)

func sleepCtx(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// mergeJSON merges object b into object a: b's keys win, except that two
// arrays are concatenated (so two updates' custom-field lists both count).
func mergeJSON(a, b []byte) ([]byte, error) {
	var mb map[string]json.RawMessage
	if err := json.Unmarshal(b, &mb); err != nil {
		return nil, err
	}
	if a == nil {
		return json.Marshal(mb)
	}
	var ma map[string]json.RawMessage
	if err := json.Unmarshal(a, &ma); err != nil {
		return nil, err
	}
	if ma == nil {
		ma = map[string]json.RawMessage{}
	}
	for k, v := range mb {
		old, ok := ma[k]
		if !ok {
			ma[k] = v
			continue
		}
		var xa, xb []json.RawMessage
		if json.Unmarshal(old, &xa) == nil && json.Unmarshal(v, &xb) == nil {
			merged, err := json.Marshal(slices.Concat(xa, xb))
			if err != nil {
				return nil, err
			}
			ma[k] = merged
			continue
		}
		ma[k] = v
	}
	return json.Marshal(ma)
}
