package rollback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
