package rollback

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// RunID identifies a run in a ledger.
type RunID int64

func (id RunID) String() string { return strconv.FormatInt(int64(id), 10) }

// Seq numbers the intents of a run, from 1.
type Seq int64

// RunKind says what a run does.
type RunKind string

// Run kinds.
const (
	KindSchema RunKind = "schema"
	KindSample RunKind = "sample"
	KindFull   RunKind = "full"
	KindDelta  RunKind = "delta"
	KindUndo   RunKind = "undo"
	// RunKindDryRun records what a dry run found — its invalid records,
	// through Run.Invalid — apart from the real runs: it journals no calls
	// (Intent and Advance refuse it), Problems and WriteProblemsCSV leave
	// it out unless it is named, and Undo has nothing to undo in it.
	RunKindDryRun RunKind = "dry-run"
	// KindDryRun is RunKindDryRun under this package's naming.
	KindDryRun = RunKindDryRun
	// KindAdopt rebuilds the id map from the location by identity
	// (pbnhl Migration.Adopt): it makes no call that writes, and journals
	// each record found as an intent settled at once.
	KindAdopt RunKind = "adopt"
	// KindReconcile records a check of HighLevel against the ledger
	// (pbnhl Migration.Reconcile): it journals nothing; its calls are
	// kept with Run.SetCalls.
	KindReconcile RunKind = "reconcile"
	// KindRepair re-sends what a reconcile found missing or different
	// (pbnhl Migration.Repair): journaled like a load, undone like one.
	KindRepair RunKind = "repair"
)

func (k RunKind) valid() bool {
	switch k {
	case KindSchema, KindSample, KindFull, KindDelta, KindUndo, KindDryRun, KindAdopt, KindReconcile, KindRepair:
		return true
	}
	return false
}

// RunStatus is the state of a run.
type RunStatus string

// Run statuses. A run left "running" by a process that died is closed as
// interrupted by the next BeginRun or ResumeRun of the ledger, once that
// process is known to be gone; ResumeRun can still take it up again.
const (
	StatusRunning   RunStatus = "running"
	StatusSucceeded RunStatus = "succeeded"
	StatusFailed    RunStatus = "failed"
	StatusCanceled  RunStatus = "canceled"
	// StatusInterrupted: the process journaling the run died (killed,
	// crashed) before finishing it.
	StatusInterrupted RunStatus = "interrupted"
	// StatusUndone: an Undo (RunInfo.UndoneBy) reversed everything the run
	// did that can be reversed.
	StatusUndone RunStatus = "undone"

	// RunUndone and RunInterrupted are StatusUndone and StatusInterrupted
	// under the names agreed with the runner.
	RunUndone      = StatusUndone
	RunInterrupted = StatusInterrupted
)

// ErrRunHeld is returned by ResumeRun for a run another live process is
// journaling into (sequence numbers are allocated in memory: two processes
// must never journal into one run).
var ErrRunHeld = errors.New("rollback: run is held by another live process")

// Op is the kind of mutating call an intent announces.
type Op string

// Operations.
const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
	OpLink   Op = "link"
	OpUnlink Op = "unlink"
	OpSchema Op = "schema"
)

func (o Op) valid() bool {
	switch o {
	case OpCreate, OpUpdate, OpDelete, OpLink, OpUnlink, OpSchema:
		return true
	}
	return false
}

// RunOptions describe a new run.
type RunOptions struct {
	Kind RunKind
	// MapDigest is the digest of the approved field map the run uses.
	MapDigest string
	// Location is the HighLevel location (sub-account) id.
	Location string
	// Actor says who started the run (a user name or host), for the audit trail.
	Actor string
}

// Run journals the calls of one run. It is safe for concurrent use.
type Run struct {
	l        *Ledger
	id       RunID
	kind     RunKind
	seq      atomic.Int64
	finished atomic.Bool

	// inflight remembers what Outcome needs about this handle's intents
	// until their outcome is final, so that recording it is a plain update
	// (no read back from the journal).
	mu       sync.Mutex
	inflight map[Seq]inflightIntent
}

type inflightIntent struct {
	entry                         int64
	op                            Op
	objectType, sourceKey, digest string
	target                        string
	compensates                   bool
}

func (r *Run) remember(seq Seq, in inflightIntent) {
	r.mu.Lock()
	if r.inflight == nil {
		r.inflight = map[Seq]inflightIntent{}
	}
	r.inflight[seq] = in
	r.mu.Unlock()
}

func (r *Run) recall(seq Seq) (inflightIntent, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	in, ok := r.inflight[seq]
	return in, ok
}

func (r *Run) forget(seq Seq) {
	r.mu.Lock()
	delete(r.inflight, seq)
	r.mu.Unlock()
}

// ID returns the run's id.
func (r *Run) ID() RunID { return r.id }

// Kind returns the run's kind.
func (r *Run) Kind() RunKind { return r.kind }

// BeginRun records a new run with status running.
func (l *Ledger) BeginRun(ctx context.Context, opts RunOptions) (*Run, error) {
	if !opts.Kind.valid() {
		return nil, invalidArg("RunOptions.Kind", fmt.Sprintf("unknown kind %q", opts.Kind))
	}
	if l.isClosed() {
		return nil, ErrClosed
	}
	var id int64
	owner := l.owner()
	err := l.w.submit(ctx, func(t *wtx) error {
		now := l.now().UnixNano()
		if err := closeDeadRuns(t, now, 0); err != nil {
			return err
		}
		// RETURNING rather than LastInsertId: PostgreSQL's driver has no
		// last insert id, and both dialects return the new row's id.
		if err := t.queryRow(stInsertRun, string(opts.Kind), opts.MapDigest, opts.Location, opts.Actor, now, owner).Scan(&id); err != nil {
			return fmt.Errorf("rollback: %s: %w", stInsertRun, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Run{l: l, id: RunID(id), kind: opts.Kind}, nil
}

// ResumeRun reopens a run (typically one a crash left running) so that
// journaling continues after its last sequence number.
func (l *Ledger) ResumeRun(ctx context.Context, id RunID) (*Run, error) {
	info, err := l.Run(ctx, id)
	if err != nil {
		return nil, err
	}
	var maxSeq sql.NullInt64
	if err := l.read.QueryRowContext(ctx, `SELECT max(seq) FROM journal WHERE run = ?`, int64(id)).Scan(&maxSeq); err != nil {
		return nil, fmt.Errorf("rollback: resume run %d: %w", id, err)
	}
	owner := l.owner()
	err = l.w.submit(ctx, func(t *wtx) error {
		var held string
		if err := t.w.conn.QueryRowContext(t.ctx, `SELECT owner FROM runs WHERE id = ?`, int64(id)).Scan(&held); err != nil {
			return fmt.Errorf("rollback: resume run %d: %w", id, err)
		}
		if info.Status == StatusRunning && heldElsewhere(held) {
			return fmt.Errorf("%w: run %d", ErrRunHeld, id)
		}
		if err := closeDeadRuns(t, l.now().UnixNano(), id); err != nil {
			return err
		}
		_, err := t.exec(stReopenRun, owner, int64(id))
		return err
	})
	if err != nil {
		return nil, err
	}
	r := &Run{l: l, id: id, kind: info.Kind}
	r.seq.Store(maxSeq.Int64)
	return r, nil
}

// closeDeadRuns closes as interrupted every running run (but except) whose
// holder is known to be gone: a process killed mid-run never finishes it.
func closeDeadRuns(t *wtx, now int64, except RunID) error {
	rows, err := t.w.conn.QueryContext(t.ctx, `SELECT id, owner FROM runs WHERE status = 'running' AND id <> ?`, int64(except))
	if err != nil {
		return fmt.Errorf("rollback: running runs: %w", err)
	}
	var dead []int64
	for rows.Next() {
		var (
			id    int64
			owner string
		)
		if err := rows.Scan(&id, &owner); err != nil {
			rows.Close()
			return fmt.Errorf("rollback: running runs: %w", err)
		}
		if ownerGone(owner) {
			dead = append(dead, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rollback: running runs: %w", err)
	}
	for _, id := range dead {
		if _, err := t.execSQL(`UPDATE runs SET status = 'interrupted', finished_at = ? WHERE id = ? AND status = 'running'`, now, id); err != nil {
			return err
		}
	}
	return nil
}

// heldElsewhere reports whether owner is another live process on this
// host. A run held by a handle of this process may be resumed (a caller
// that abandoned its Run handle resumes it); one whose holder cannot be
// probed is not refused either, as before owners were recorded.
func heldElsewhere(owner string) bool {
	parts := strings.Split(owner, "/")
	if len(parts) != 4 || parts[0] != hostName() || parts[1] == strconv.Itoa(os.Getpid()) {
		return false
	}
	return !ownerGone(owner)
}

// Finish records the run's final status. Intents after Finish fail with
// ErrRunFinished; outcomes of its pending intents can still be recorded
// (Ledger.Outcome), which is how a crashed run's intents are resolved.
func (r *Run) Finish(ctx context.Context, status RunStatus) error {
	switch status {
	case StatusSucceeded, StatusFailed, StatusCanceled:
	default:
		return invalidArg("status", fmt.Sprintf("%q is not a final status", status))
	}
	err := r.l.w.submit(ctx, func(t *wtx) error {
		_, err := t.exec(stFinishRun, string(status), r.l.now().UnixNano(), int64(r.id))
		return err
	})
	if err == nil {
		r.finished.Store(true)
	}
	return err
}

// Intent announces a mutating call. Journal it, and only once Intent has
// returned make the call; then record its Outcome.
type Intent struct {
	Op Op
	// ObjectType is the HighLevel object: "contact", "business",
	// "custom_objects.appointment", "opportunity", "relation",
	// "contact.business", "custom_field", ...
	ObjectType string
	// SourceKey is the record's identity in the source (e.g. the PbN id);
	// with ObjectType it keys the id map.
	SourceKey string
	// Entity is the source entity for watermarks ("patient"); defaults to ObjectType.
	Entity string
	// SourceModified is the source record's modified time, for watermarks.
	SourceModified time.Time
	// TargetID is the HighLevel id the call acts on: the record updated or
	// deleted, or the first record of a link.
	TargetID string
	// RelatedID is the second record of a link or unlink.
	RelatedID string
	// Payload is the body sent (stored encrypted when the ledger has a key).
	// Undo's change check needs it; it may be nil when only the digest is kept.
	Payload []byte
	// PayloadDigest defaults to Digest(Payload). On a done create or update
	// it becomes the id map's written digest.
	PayloadDigest string
	// Before is the record as it was before an update (required for
	// updates, so that Undo can restore it) or before a delete.
	Before []byte
	// InflightUntil is the instant after which the call can no longer be
	// in flight: the intent's time plus the request's deadline (the
	// transport's timeout) plus the destination's search lag. A pending
	// intent must not be settled by a lookup before it — a request still in
	// flight can be applied after a lookup that found nothing. Zero when
	// the runner does not bound its requests.
	InflightUntil time.Time

	compensates int64
}

func (in *Intent) validate() error {
	if !in.Op.valid() {
		return invalidArg("Intent.Op", fmt.Sprintf("unknown op %q", in.Op))
	}
	if in.ObjectType == "" {
		return invalidArg("Intent.ObjectType", "empty")
	}
	switch in.Op {
	case OpUpdate:
		if in.TargetID == "" {
			return invalidArg("Intent.TargetID", "an update needs the id of the record it changes")
		}
		if in.Before == nil {
			return invalidArg("Intent.Before", "an update needs its before-image so that Undo can restore it")
		}
	case OpDelete, OpUnlink:
		if in.TargetID == "" {
			return invalidArg("Intent.TargetID", fmt.Sprintf("a %s needs the id it acts on", in.Op))
		}
	}
	return nil
}

// Intent durably journals in before its call is made and returns its sequence number.
func (r *Run) Intent(ctx context.Context, in Intent) (Seq, error) {
	if r.finished.Load() {
		return 0, ErrRunFinished
	}
	if r.kind == KindDryRun {
		return 0, invalidArg("Intent", "a dry run makes no calls, so it journals no intents")
	}
	if err := in.validate(); err != nil {
		return 0, err
	}
	if in.PayloadDigest == "" && in.Payload != nil {
		in.PayloadDigest = Digest(in.Payload)
	}
	if in.Entity == "" {
		in.Entity = in.ObjectType
	}
	if in.compensates == 0 {
		in.Before = trimBefore(in.Op, in.ObjectType, in.Before, in.Payload) // only what Undo needs (trim.go)
	}
	seq := Seq(r.seq.Add(1))
	payload, keyID, err := r.l.seal.seal(in.Payload, blobAAD(r.id, seq, "payload"))
	if err != nil {
		return 0, err
	}
	before, beforeKeyID, err := r.l.seal.seal(in.Before, blobAAD(r.id, seq, "before"))
	if err != nil {
		return 0, err
	}
	if keyID == "" {
		keyID = beforeKeyID // no payload: the before-image alone names the key
	}
	var comp any
	if in.compensates != 0 {
		comp = in.compensates
	}
	now := r.l.now().UnixNano()
	row := &intentRow{args: [intentColumns]any{int64(r.id), int64(seq), string(in.Op), in.ObjectType, in.SourceKey,
		in.Entity, in.TargetID, in.RelatedID, in.PayloadDigest, payload, before, keyID,
		nanos(in.SourceModified), now, comp, nanos(in.InflightUntil)}}
	if err := r.l.w.submitIntent(ctx, row); err != nil {
		return 0, err
	}
	entry := row.entry
	r.remember(seq, inflightIntent{entry: entry, op: in.Op, objectType: in.ObjectType, sourceKey: in.SourceKey,
		digest: in.PayloadDigest, target: in.TargetID, compensates: in.compensates != 0})
	return seq, nil
}

func blobAAD(run RunID, seq Seq, column string) string {
	return "journal/" + run.String() + "/" + strconv.FormatInt(int64(seq), 10) + "/" + column
}

// OutcomeStatus is how a call ended.
type OutcomeStatus string

// Outcome statuses. Pending (no outcome yet) reads as "".
const (
	OutcomePending  OutcomeStatus = ""
	OutcomeDone     OutcomeStatus = "done"
	OutcomeRejected OutcomeStatus = "rejected"
	// OutcomeUnknown: the call may or may not have been applied (timeout,
	// 5xx, dropped connection). It is not final: resolve it by looking the
	// record up, then record done or rejected.
	OutcomeUnknown OutcomeStatus = "unknown"
	// OutcomeSuperseded closes a compensation an interrupted Undo left
	// pending once a later Undo has completed the same compensation. Only
	// Undo writes it.
	OutcomeSuperseded OutcomeStatus = "superseded"
)

// Origin says whether the migration made an object or found it there.
type Origin string

// Origins. A done create, schema change or link made the object unless its
// outcome was Adopted.
const (
	OriginCreated Origin = "created"
	// OriginAdopted: the object existed before this ledger's intent, or was
	// matched rather than created. Undo never deletes it: it restores it from
	// the before-image of an update the migration made, or leaves it alone.
	OriginAdopted Origin = "adopted"
)

// Outcome is the result of a journaled call.
type Outcome struct {
	Status OutcomeStatus
	// ID is the HighLevel id of what the call created or changed (record,
	// relation, schema element).
	ID string
	// HTTPStatus is the response status, when there was one.
	HTTPStatus int
	// Reason explains a rejection or unknown outcome. It must not contain
	// field values (PHI): use field names and error codes.
	Reason string
	// Origin is OriginAdopted for a done outcome whose object the call did
	// not create (see Adopted); empty otherwise.
	Origin Origin
}

// Done is the outcome of a call that was applied.
func Done(id string) Outcome { return Outcome{Status: OutcomeDone, ID: id} }

// Adopted is the outcome of an intent whose object already existed before
// this ledger's intent, or was matched (by identity) rather than created: a
// lookup that settled a create by finding an object the call did not make,
// a relation HighLevel reported as already existing, a record the ledger
// learned from the location. It counts as done and maps the source record
// to id, recorded with origin adopted, and Undo never deletes it.
func Adopted(id string) Outcome { return Outcome{Status: OutcomeDone, ID: id, Origin: OriginAdopted} }

// Rejected is the outcome of a call HighLevel refused.
func Rejected(httpStatus int, reason string) Outcome {
	return Outcome{Status: OutcomeRejected, HTTPStatus: httpStatus, Reason: reason}
}

// Unknown is the outcome of a call whose effect is not known.
func Unknown(reason string) Outcome { return Outcome{Status: OutcomeUnknown, Reason: reason} }

// Outcome records how the call announced by intent seq ended.
func (r *Run) Outcome(ctx context.Context, seq Seq, o Outcome) error {
	in, ok := r.recall(seq)
	if !ok {
		return r.l.Outcome(ctx, r.id, seq, o)
	}
	if err := validOutcome(o); err != nil {
		return err
	}
	now := r.l.now().UnixNano()
	var result error
	err := r.l.w.submit(ctx, func(t *wtx) error {
		result = nil
		res, err := t.exec(stSetOutcomeFew, string(o.Status), o.ID, o.HTTPStatus, o.Reason, now, storedOrigin(o), in.entry)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("rollback: outcome: %w", err)
		} else if n == 0 {
			result = r.l.outcomeMiss(t, r.id, seq)
			return nil
		}
		return r.l.mapWrite(t, o, in.op, in.objectType, in.sourceKey, in.digest, in.target, r.id, in.entry, in.compensates, now)
	})
	if err != nil {
		return err
	}
	if result == nil && o.Status != OutcomeUnknown {
		r.forget(seq)
	}
	return result
}

func validOutcome(o Outcome) error {
	switch o.Origin {
	case "", OriginCreated:
	case OriginAdopted:
		if o.Status != OutcomeDone {
			return invalidArg("Outcome.Origin", "only a done outcome can adopt an object")
		}
	default:
		return invalidArg("Outcome.Origin", fmt.Sprintf("%q", o.Origin))
	}
	switch o.Status {
	case OutcomeDone, OutcomeRejected, OutcomeUnknown, OutcomeSuperseded:
		return nil
	}
	return invalidArg("Outcome.Status", fmt.Sprintf("%q", o.Status))
}

// mapWrite updates the id map for a done create, update or schema element
// of the migration, and drops the row of a record a done delete removed, so
// that the id map never claims a record that no longer exists (Undo
// maintains the id map itself for its compensations). A delete is final:
// Undo reports it as irreversible and does not bring the row back; the
// source record, should it reappear, is created anew.
func (l *Ledger) mapWrite(t *wtx, o Outcome, op Op, objectType, sourceKey, digest, target string, run RunID, entry int64, compensates bool, now int64) error {
	if o.Status != OutcomeDone || compensates {
		return nil
	}
	hlID := o.ID
	if hlID == "" {
		hlID = target
	}
	if hlID == "" {
		return nil
	}
	switch op {
	case OpCreate, OpUpdate, OpSchema:
		if sourceKey == "" {
			return nil
		}
		// A new row's origin: what a create or schema change made is
		// created unless adopted; an update of a record the id map did not
		// know acted on something that existed. An existing row keeps its
		// origin unless this outcome adopts or creates the object anew.
		insert, update := string(OriginCreated), string(OriginCreated)
		if op == OpUpdate {
			insert, update = string(OriginAdopted), ""
		}
		if o.Origin == OriginAdopted {
			insert, update = string(OriginAdopted), string(OriginAdopted)
		}
		_, err := t.exec(stUpsertIDMap, objectType, sourceKey, hlID, digest, int64(run), now, entry, insert, update)
		return err
	case OpDelete:
		if sourceKey == "" {
			_, err := t.exec(stDeleteIDMap, objectType, hlID)
			return err
		}
		// Only the row of the record deleted: the key may have been mapped
		// to another record since.
		_, err := t.exec(stDeleteIDMapKey, objectType, sourceKey, hlID)
		return err
	}
	return nil
}

// Outcome records the outcome of any run's intent, e.g. when resolving the
// Pending intents a crash left behind. A done create or update also updates
// the id map, and a done delete removes the record from it. Unknown outcomes can be replaced; done and rejected are final.
func (l *Ledger) Outcome(ctx context.Context, run RunID, seq Seq, o Outcome) error {
	if err := validOutcome(o); err != nil {
		return err
	}
	if l.isClosed() {
		return ErrClosed
	}
	now := l.now().UnixNano()
	var result error
	err := l.w.submit(ctx, func(t *wtx) error {
		result = nil
		var (
			id, compensates                           int64
			op, objectType, sourceKey, target, digest string
		)
		err := t.queryRow(stSetOutcome, string(o.Status), o.ID, o.HTTPStatus, o.Reason, now, storedOrigin(o), int64(run), int64(seq)).
			Scan(&id, &op, &objectType, &sourceKey, &target, &digest, &compensates)
		if errors.Is(err, sql.ErrNoRows) {
			result = l.outcomeMiss(t, run, seq)
			return nil
		}
		if err != nil {
			return fmt.Errorf("rollback: outcome: %w", err)
		}
		return l.mapWrite(t, o, Op(op), objectType, sourceKey, digest, target, run, id, compensates != 0, now)
	})
	if err != nil {
		return err
	}
	return result
}

func (l *Ledger) outcomeMiss(t *wtx, run RunID, seq Seq) error {
	var outcome sql.NullString
	err := t.w.conn.QueryRowContext(t.ctx, `SELECT outcome FROM journal WHERE run = ? AND seq = ?`, int64(run), int64(seq)).Scan(&outcome)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: run %d seq %d", ErrNoIntent, run, seq)
	}
	if err != nil {
		return fmt.Errorf("rollback: outcome: %w", err)
	}
	return fmt.Errorf("%w: run %d seq %d is %s", ErrOutcomeFinal, run, seq, outcome.String)
}

// Invalid is a source record our validation refused; it was never sent.
type Invalid struct {
	Entity         string
	SourceKey      string
	SourceModified time.Time
	// Reasons name the fields and rules that failed, never the values.
	Reasons []string
}

// Invalid records a record that failed validation. A record has one
// invalid row per run: a resumed attempt that validates it again updates
// the row (reasons, modified time) instead of adding one. Records without
// a source key get a row each.
func (r *Run) Invalid(ctx context.Context, inv Invalid) error {
	if inv.Entity == "" {
		return invalidArg("Invalid.Entity", "empty")
	}
	if len(inv.Reasons) == 0 {
		return invalidArg("Invalid.Reasons", "give at least one reason")
	}
	reasons, err := json.Marshal(inv.Reasons)
	if err != nil {
		return fmt.Errorf("rollback: invalid reasons: %w", err)
	}
	now := r.l.now().UnixNano()
	return r.l.w.submit(ctx, func(t *wtx) error {
		if inv.SourceKey == "" {
			_, err := t.exec(stInsertInvalid, int64(r.id), inv.Entity, inv.SourceKey, nanos(inv.SourceModified), string(reasons), now)
			return err
		}
		_, err := t.execSQL(`INSERT INTO invalid(run, entity, source_key, source_modified, reasons, at)
			VALUES(?, ?, ?, ?, ?, ?)
			ON CONFLICT(run, entity, source_key) WHERE source_key <> '' DO UPDATE SET
			source_modified = excluded.source_modified, reasons = excluded.reasons, at = excluded.at`,
			int64(r.id), inv.Entity, inv.SourceKey, nanos(inv.SourceModified), string(reasons), now)
		return err
	})
}

// storedOrigin is the journal's origin column: "adopted" for an adopted
// outcome, empty otherwise (a done create made its object).
func storedOrigin(o Outcome) string {
	if o.Origin == OriginAdopted {
		return string(OriginAdopted)
	}
	return ""
}
