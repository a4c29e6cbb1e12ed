package rollback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Advance moves entity's watermark — the source modified-time a later delta
// may resume from — to at most ts. It never moves past a record of this run
// that failed: an intent without outcome, an unknown or rejected outcome, or
// an invalid record, whose source modified-time is at or before ts — unless
// a later attempt of the same run got that record done. The
// stored watermark is returned. A delta must re-read records modified at or
// after the watermark (inclusive), so the failed record is read again.
//
// Call it once every record of entity modified up to ts has been journaled.
func (r *Run) Advance(ctx context.Context, entity string, ts time.Time) (time.Time, error) {
	if entity == "" {
		return time.Time{}, invalidArg("entity", "empty")
	}
	if ts.IsZero() {
		return time.Time{}, invalidArg("ts", "zero time")
	}
	if r.kind == KindDryRun {
		return time.Time{}, invalidArg("run", "a dry run loads nothing, so it never moves a watermark")
	}
	var stored int64
	now := r.l.now().UnixNano()
	err := r.l.w.submit(ctx, func(t *wtx) error {
		var failed sql.NullInt64
		// A rejection or invalid record that a later attempt in the run
		// got done (a resumed run) does not hold the watermark: the record
		// arrived. The first condition is the partial index's, verbatim.
		// IS DISTINCT FROM (SQLite's IS NOT, spelled as both dialects
		// accept it): a pending intent (NULL outcome) is not 'rejected'.
		err := t.w.conn.QueryRowContext(t.ctx, `SELECT min(m) FROM (
			SELECT min(source_modified) AS m FROM journal
			WHERE run = ?1 AND entity = ?2 AND source_modified <= ?3
			  AND (outcome IS NULL OR outcome IN ('rejected', 'unknown'))
			  AND (outcome IS DISTINCT FROM 'rejected' OR source_key = '' OR NOT EXISTS (SELECT 1 FROM journal k
				WHERE k.source_key = journal.source_key AND k.object_type = journal.object_type AND k.run = journal.run
				AND k.id > journal.id AND k.outcome = 'done' AND k.compensates IS NULL))
			UNION ALL
			SELECT min(source_modified) FROM invalid
			WHERE run = ?1 AND entity = ?2 AND source_modified <= ?3
			  AND (source_key = '' OR NOT EXISTS (SELECT 1 FROM journal d INDEXED BY journal_record
				WHERE d.source_key = invalid.source_key AND d.entity = invalid.entity AND d.run = invalid.run
				AND d.outcome = 'done' AND d.compensates IS NULL AND d.outcome_at >= invalid.at))) AS failed`,
			int64(r.id), entity, ts.UnixNano()).Scan(&failed)
		if err != nil {
			return fmt.Errorf("rollback: watermark: %w", err)
		}
		stored = ts.UnixNano()
		if failed.Valid && failed.Int64 < stored {
			stored = failed.Int64
		}
		_, err = t.exec(stSetWatermark, entity, stored, int64(r.id), now)
		return err
	})
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, stored).UTC(), nil
}

// Watermark returns entity's watermark and whether one is stored.
func (l *Ledger) Watermark(ctx context.Context, entity string) (time.Time, bool, error) {
	if l.isClosed() {
		return time.Time{}, false, ErrClosed
	}
	var at int64
	err := l.read.QueryRowContext(ctx, `SELECT at FROM watermarks WHERE entity = ?`, entity).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("rollback: watermark: %w", err)
	}
	return time.Unix(0, at).UTC(), true, nil
}
