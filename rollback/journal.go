package rollback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"
)

// Counters summarise a run's journal. A record has one outcome per run:
// Rejected and Invalid count records, not attempts — a record rejected
// (or found "not applied" after an interruption) and then done later in
// the same run counts as done only, and one rejected or found invalid by
// several attempts of a resumed run counts once. Intents, Done, Unknown
// and Pending count journal entries (calls).
type Counters struct {
	Intents int64
	Done    int64
	// Rejected counts records whose last attempt in the run was refused and
	// that no later attempt in the run got done (plus refused compensations
	// of an undo run).
	Rejected int64
	Unknown  int64
	Pending  int64
	// Invalid counts records our validation refused in the run and that no
	// later attempt in the run got done.
	Invalid int64
	// Superseded counts compensations of an interrupted Undo that a later
	// Undo completed.
	Superseded int64
	// Retried counts rejected entries that are not the record's outcome: a
	// later attempt in the same run was done or refused again. Intents =
	// Done + Rejected entries + Unknown + Pending + Superseded, where the
	// rejected entries are Rejected + Retried.
	Retried int64
}

// rejectedRecordsSQL counts a run's records whose outcome is rejected: one
// per (object type, source key) — per entry for entries without a key —
// unless a later entry of the record in the run is done. A record's
// distinct-key is its object type length-prefixed, then its source key
// (injective, and never 'entry:…', which starts with a letter): written
// without SQLite's char(0) separator so PostgreSQL (whose text holds no
// NUL, and whose char is a type) runs the same statement.
const rejectedRecordsSQL = `SELECT count(DISTINCT CASE WHEN j.source_key = '' THEN 'entry:' || j.id
		ELSE length(j.object_type) || ':' || j.object_type || j.source_key END)
	FROM journal j WHERE j.run = ?1 AND j.outcome = 'rejected' AND j.compensates IS NULL
	AND (j.source_key = '' OR NOT EXISTS (SELECT 1 FROM journal k
		WHERE k.source_key = j.source_key AND k.object_type = j.object_type AND k.run = j.run
		AND k.id > j.id AND k.outcome = 'done' AND k.compensates IS NULL))`

// invalidRecordsSQL counts a run's invalid records that no later attempt
// in the run got done.
const invalidRecordsSQL = `SELECT count(*) FROM invalid i WHERE i.run = ?1
	AND (i.source_key = '' OR NOT EXISTS (SELECT 1 FROM journal d INDEXED BY journal_record
		WHERE d.source_key = i.source_key AND d.entity = i.entity AND d.run = i.run
		AND d.outcome = 'done' AND d.compensates IS NULL AND d.outcome_at >= i.at))`

// RunInfo describes a recorded run.
type RunInfo struct {
	ID         RunID
	Kind       RunKind
	MapDigest  string
	Location   string
	Actor      string
	StartedAt  time.Time
	FinishedAt time.Time
	Status     RunStatus
	Counters   Counters
	// UndoneBy is the undo run that reversed this run (Status is then
	// StatusUndone); 0 otherwise.
	UndoneBy RunID
}

const runColumns = `id, kind, map_digest, location, actor, started_at, finished_at, status, coalesce(undone_by, 0)`

func scanRun(sc interface{ Scan(...any) error }) (RunInfo, error) {
	var (
		ri       RunInfo
		started  sql.NullInt64
		finished sql.NullInt64
	)
	err := sc.Scan(&ri.ID, &ri.Kind, &ri.MapDigest, &ri.Location, &ri.Actor, &started, &finished, &ri.Status, &ri.UndoneBy)
	ri.StartedAt, ri.FinishedAt = fromNanos(started), fromNanos(finished)
	return ri, err
}

// Run returns a run with its counters.
func (l *Ledger) Run(ctx context.Context, id RunID) (RunInfo, error) {
	if l.isClosed() {
		return RunInfo{}, ErrClosed
	}
	ri, err := scanRun(l.read.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, int64(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return ri, fmt.Errorf("%w: %d", ErrNoRun, id)
	}
	if err != nil {
		return ri, fmt.Errorf("rollback: run %d: %w", id, err)
	}
	ri.Counters, err = l.counters(ctx, id)
	return ri, err
}

// Runs lists every run, oldest first, with counters.
func (l *Ledger) Runs(ctx context.Context) ([]RunInfo, error) {
	if l.isClosed() {
		return nil, ErrClosed
	}
	rows, err := l.read.QueryContext(ctx, `SELECT `+runColumns+` FROM runs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("rollback: runs: %w", err)
	}
	var out []RunInfo
	for rows.Next() {
		ri, err := scanRun(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("rollback: runs: %w", err)
		}
		out = append(out, ri)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rollback: runs: %w", err)
	}
	for i := range out {
		if out[i].Counters, err = l.counters(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (l *Ledger) counters(ctx context.Context, id RunID) (Counters, error) {
	var c Counters
	rows, err := l.read.QueryContext(ctx, `SELECT coalesce(outcome, ''), count(*), count(compensates) FROM journal WHERE run = ? GROUP BY 1`, int64(id))
	if err != nil {
		return c, fmt.Errorf("rollback: counters: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			o       string
			n, comp int64
		)
		if err := rows.Scan(&o, &n, &comp); err != nil {
			return c, fmt.Errorf("rollback: counters: %w", err)
		}
		c.Intents += n
		switch OutcomeStatus(o) {
		case OutcomeDone:
			c.Done = n
		case OutcomeRejected:
			c.Rejected, c.Retried = comp, n-comp // records counted below
		case OutcomeUnknown:
			c.Unknown = n
		case OutcomeSuperseded:
			c.Superseded = n
		default:
			c.Pending = n
		}
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("rollback: counters: %w", err)
	}
	rows.Close()
	if c.Retried > 0 {
		var records int64
		if err := l.read.QueryRowContext(ctx, rejectedRecordsSQL, int64(id)).Scan(&records); err != nil {
			return c, fmt.Errorf("rollback: counters: %w", err)
		}
		c.Rejected += records
		c.Retried -= records
	}
	err = l.read.QueryRowContext(ctx, invalidRecordsSQL, int64(id)).Scan(&c.Invalid)
	if err != nil {
		return c, fmt.Errorf("rollback: counters: %w", err)
	}
	return c, nil
}

// Entry is one journal row: an intent and, once known, its outcome.
type Entry struct {
	// ID orders entries across runs in the order their intents were written.
	ID             int64
	Run            RunID
	Seq            Seq
	Op             Op
	ObjectType     string
	SourceKey      string
	Entity         string
	SourceModified time.Time
	TargetID       string
	RelatedID      string
	PayloadDigest  string
	IntentAt       time.Time
	// InflightUntil is Intent.InflightUntil: until then the call may still
	// be in flight, and a lookup that finds nothing proves nothing.
	InflightUntil time.Time
	Outcome       OutcomeStatus
	HighLevelID   string
	HTTPStatus    int
	Reason        string
	OutcomeAt     time.Time
	// Compensates is the entry an undo run's entry reverses (0 otherwise).
	Compensates int64
	// KeyID is the key that sealed the payload and before-image ("" = clear).
	KeyID string
	// Origin is OriginAdopted when the done outcome adopted an existing
	// object (see Adopted), OriginCreated for any other done create, schema
	// change or link, and empty otherwise.
	Origin Origin

	payload, before []byte
	hasPayload      bool
	hasBefore       bool
}

// HasPayload reports whether the payload was stored.
func (e Entry) HasPayload() bool { return e.hasPayload }

// HasBefore reports whether a before-image was stored.
func (e Entry) HasBefore() bool { return e.hasBefore }

// RecordID is the HighLevel id the entry is about: the id a create, schema
// change or link returned (record, schema element, relation), otherwise the
// id it acted on.
func (e Entry) RecordID() string {
	if e.Op == OpCreate || e.Op == OpSchema || e.Op == OpLink {
		if e.HighLevelID != "" {
			return e.HighLevelID
		}
	}
	if e.TargetID != "" {
		return e.TargetID
	}
	return e.HighLevelID
}

const entryColumns = `id, run, seq, op, object_type, source_key, entity, source_modified, target_id,
	related_id, payload_digest, intent_at, coalesce(outcome, ''), hl_id, http_status, reason,
	outcome_at, coalesce(compensates, 0), key_id, payload, before, inflight_until, origin`

func scanEntry(sc interface{ Scan(...any) error }) (Entry, error) {
	var (
		e                         Entry
		modified, intent, outcome sql.NullInt64
		inflight                  sql.NullInt64
	)
	err := sc.Scan(&e.ID, &e.Run, &e.Seq, &e.Op, &e.ObjectType, &e.SourceKey, &e.Entity, &modified,
		&e.TargetID, &e.RelatedID, &e.PayloadDigest, &intent, &e.Outcome, &e.HighLevelID, &e.HTTPStatus,
		&e.Reason, &outcome, &e.Compensates, &e.KeyID, &e.payload, &e.before, &inflight, &e.Origin)
	if e.Origin == "" && e.Outcome == OutcomeDone && e.Compensates == 0 && (e.Op == OpCreate || e.Op == OpSchema || e.Op == OpLink) {
		e.Origin = OriginCreated
	}
	e.SourceModified, e.IntentAt, e.OutcomeAt = fromNanos(modified), fromNanos(intent), fromNanos(outcome)
	e.InflightUntil = fromNanos(inflight)
	e.hasPayload, e.hasBefore = e.payload != nil, e.before != nil
	return e, err
}

// withBlobs returns e with its payload and before-image read back if they
// were dropped to keep a plan small.
func (l *Ledger) withBlobs(ctx context.Context, e Entry) (Entry, error) {
	if (!e.hasPayload || e.payload != nil) && (!e.hasBefore || e.before != nil) {
		return e, nil
	}
	err := l.read.QueryRowContext(ctx, `SELECT payload, before FROM journal WHERE id = ?`, e.ID).Scan(&e.payload, &e.before)
	if err != nil {
		return e, fmt.Errorf("rollback: journal entry %d: %w", e.ID, err)
	}
	return e, nil
}

// Payload returns the entry's stored payload, decrypted.
func (l *Ledger) Payload(ctx context.Context, e Entry) ([]byte, error) {
	return l.seal.open(ctx, e.payload, e.KeyID, blobAAD(e.Run, e.Seq, "payload"))
}

// Before returns the entry's stored before-image, decrypted.
func (l *Ledger) Before(ctx context.Context, e Entry) ([]byte, error) {
	return l.seal.open(ctx, e.before, e.KeyID, blobAAD(e.Run, e.Seq, "before"))
}

// EntryFilter selects journal entries. Zero fields match everything.
type EntryFilter struct {
	Runs        []RunID
	ObjectTypes []string
	// Outcomes restricts to these outcomes; OutcomePending selects intents
	// without outcome.
	Outcomes []OutcomeStatus
}

func (f EntryFilter) where() (string, []any) {
	var (
		conds []string
		args  []any
	)
	if len(f.Runs) > 0 {
		conds = append(conds, "run IN ("+placeholders(len(f.Runs))+")")
		for _, r := range f.Runs {
			args = append(args, int64(r))
		}
	}
	if len(f.ObjectTypes) > 0 {
		conds = append(conds, "object_type IN ("+placeholders(len(f.ObjectTypes))+")")
		for _, t := range f.ObjectTypes {
			args = append(args, t)
		}
	}
	if len(f.Outcomes) > 0 {
		var oc []string
		for _, o := range f.Outcomes {
			if o == OutcomePending {
				oc = append(oc, "outcome IS NULL")
			} else {
				oc = append(oc, "outcome = ?")
				args = append(args, string(o))
			}
		}
		conds = append(conds, "("+strings.Join(oc, " OR ")+")")
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// Entries streams journal entries in write order.
func (l *Ledger) Entries(ctx context.Context, f EntryFilter) iter.Seq2[Entry, error] {
	where, args := f.where()
	return l.queryEntries(ctx, `SELECT `+entryColumns+` FROM journal`+where+` ORDER BY id`, args...)
}

// Pending streams the intents that have no outcome: calls a crash
// interrupted, whose effect must be resolved (look the record up by its
// external id) before anything is retried. With includeUnknown it also
// yields unknown outcomes, which need the same resolution. Entries with
// Compensates set belong to an Undo a crash interrupted: running Undo
// again resolves them (and closes them as superseded).
func (l *Ledger) Pending(ctx context.Context, includeUnknown bool) iter.Seq2[Entry, error] {
	f := EntryFilter{Outcomes: []OutcomeStatus{OutcomePending}}
	if includeUnknown {
		f.Outcomes = append(f.Outcomes, OutcomeUnknown)
	}
	return l.Entries(ctx, f)
}

func (l *Ledger) queryEntries(ctx context.Context, q string, args ...any) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		if l.isClosed() {
			yield(Entry{}, ErrClosed)
			return
		}
		rows, err := l.read.QueryContext(ctx, q, args...)
		if err != nil {
			yield(Entry{}, fmt.Errorf("rollback: journal: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEntry(rows)
			if err != nil {
				yield(Entry{}, fmt.Errorf("rollback: journal: %w", err))
				return
			}
			if !yield(e, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(Entry{}, fmt.Errorf("rollback: journal: %w", err))
		}
	}
}

// IDMapEntry is one id-map row: where a source record lives in HighLevel.
type IDMapEntry struct {
	ObjectType  string
	SourceKey   string
	HighLevelID string
	// Digest is the digest of what was last written (for "unchanged, skip"
	// in deltas). It is empty after Undo restored the record.
	Digest    string
	Run       RunID
	UpdatedAt time.Time
	// Origin says whether the migration created the object or adopted one
	// that existed (Undo never deletes an adopted object).
	Origin Origin
}

// Lookup returns the HighLevel id mapped to a source record.
func (l *Ledger) Lookup(ctx context.Context, objectType, sourceKey string) (IDMapEntry, bool, error) {
	if l.isClosed() {
		return IDMapEntry{}, false, ErrClosed
	}
	m := IDMapEntry{ObjectType: objectType, SourceKey: sourceKey}
	var updated sql.NullInt64
	err := l.read.QueryRowContext(ctx, `SELECT hl_id, digest, run, updated_at, origin FROM idmap
		WHERE object_type = ? AND source_key = ?`, objectType, sourceKey).Scan(&m.HighLevelID, &m.Digest, &m.Run, &updated, &m.Origin)
	if errors.Is(err, sql.ErrNoRows) {
		return IDMapEntry{}, false, nil
	}
	if err != nil {
		return IDMapEntry{}, false, fmt.Errorf("rollback: lookup: %w", err)
	}
	m.UpdatedAt = fromNanos(updated)
	return m, true, nil
}

// IDMap streams the id map of one object type ("" for all), by source key.
func (l *Ledger) IDMap(ctx context.Context, objectType string) iter.Seq2[IDMapEntry, error] {
	return func(yield func(IDMapEntry, error) bool) {
		if l.isClosed() {
			yield(IDMapEntry{}, ErrClosed)
			return
		}
		rows, err := l.read.QueryContext(ctx, `SELECT object_type, source_key, hl_id, digest, run, updated_at, origin
			FROM idmap WHERE ? = '' OR object_type = ? ORDER BY object_type, source_key`, objectType, objectType)
		if err != nil {
			yield(IDMapEntry{}, fmt.Errorf("rollback: id map: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var (
				m       IDMapEntry
				updated sql.NullInt64
			)
			if err := rows.Scan(&m.ObjectType, &m.SourceKey, &m.HighLevelID, &m.Digest, &m.Run, &updated, &m.Origin); err != nil {
				yield(IDMapEntry{}, fmt.Errorf("rollback: id map: %w", err))
				return
			}
			m.UpdatedAt = fromNanos(updated)
			if !yield(m, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(IDMapEntry{}, fmt.Errorf("rollback: id map: %w", err))
		}
	}
}
