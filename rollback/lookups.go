package rollback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
)

// Point reads of the id map and the journal by one record, for callers
// that keep no per-record set in memory for a whole run (a migration of
// any size then holds what its caches bound, not one row per record).

// Mapped reports whether the id map holds a row of objectType whose
// HighLevel id is hlID: "is this object one of ours?" (indexed by
// HighLevel id).
func (l *Ledger) Mapped(ctx context.Context, objectType, hlID string) (bool, error) {
	if l.isClosed() {
		return false, ErrClosed
	}
	var one int
	err := l.read.QueryRowContext(ctx, `SELECT 1 FROM idmap WHERE hl_id = ? AND object_type = ? LIMIT 1`, hlID, objectType).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("rollback: id map by HighLevel id: %w", err)
	}
	return true, nil
}

// LinkDone returns the endpoints (target, related) of the last done link
// of objectType (a relation, contact.business) under sourceKey, if no done
// compensation (Undo) reversed it. Compensations themselves are not links
// made. A caller compares the endpoints with the records' current ids: a
// link of a record deleted and created again does not count.
func (l *Ledger) LinkDone(ctx context.Context, objectType, sourceKey string) (target, related string, ok bool, err error) {
	if l.isClosed() {
		return "", "", false, ErrClosed
	}
	var undone bool
	err = l.read.QueryRowContext(ctx, `SELECT j.target_id, j.related_id,
		EXISTS (SELECT 1 FROM journal u WHERE u.compensates = j.id AND u.outcome = 'done')
		FROM journal j WHERE j.source_key = ? AND j.object_type = ? AND j.op = ? AND j.outcome = 'done' AND j.compensates IS NULL
		ORDER BY j.id DESC LIMIT 1`, sourceKey, objectType, string(OpLink)).Scan(&target, &related, &undone)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("rollback: link by source key: %w", err)
	}
	if undone {
		return "", "", false, nil
	}
	return target, related, true, nil
}

// RecordWrite is one done write of a source record: a create, update or
// delete a run made (not an Undo's compensation).
type RecordWrite struct {
	ID     int64 // journal entry id: write order
	Run    RunID
	Op     Op
	Entity string
}

// RecordWrites streams the done writes of one source record (objectType,
// sourceKey), every run's, in write order, by the journal's record index:
// what a report needs of a record without holding every record's.
func (l *Ledger) RecordWrites(ctx context.Context, objectType, sourceKey string) iter.Seq2[RecordWrite, error] {
	return func(yield func(RecordWrite, error) bool) {
		if l.isClosed() {
			yield(RecordWrite{}, ErrClosed)
			return
		}
		rows, err := l.read.QueryContext(ctx, `SELECT id, run, op, entity FROM journal
			WHERE source_key = ? AND object_type = ? AND outcome = 'done' AND compensates IS NULL AND op IN (?, ?, ?)
			ORDER BY id`, sourceKey, objectType, string(OpCreate), string(OpUpdate), string(OpDelete))
		if err != nil {
			yield(RecordWrite{}, fmt.Errorf("rollback: record writes: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var w RecordWrite
			if err := rows.Scan(&w.ID, &w.Run, &w.Op, &w.Entity); err != nil {
				yield(RecordWrite{}, fmt.Errorf("rollback: record writes: %w", err))
				return
			}
			if !yield(w, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(RecordWrite{}, fmt.Errorf("rollback: record writes: %w", err))
		}
	}
}
