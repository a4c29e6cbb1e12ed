package rollback

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// PurgeOptions choose what Purge drops.
type PurgeOptions struct {
	// Runs whose payloads and before-images are dropped (at least one),
	// with those of the compensations an Undo journaled for their entries.
	// Each must be finished, with no intent (or compensation) left pending
	// or unknown.
	Runs []RunID
}

// PurgeReport says what a Purge dropped.
type PurgeReport struct {
	Runs []RunID
	// Payloads and BeforeImages count the journal entries whose payload or
	// before-image was dropped by this Purge.
	Payloads     int64
	BeforeImages int64
	// Unrestorable counts the updates (and replaced links) of these runs
	// that Undo could have restored and no longer can: done, not yet
	// compensated, of records the runs did not create.
	Unrestorable int64
	// SizeBefore and SizeAfter are the bytes of the ledger file and its
	// WAL before the Purge and after its VACUUM.
	SizeBefore, SizeAfter int64
}

// purgeMeta is what the meta table keeps of a purged run (key
// "purged_run:<id>"): when, and what was dropped in total.
type purgeMeta struct {
	At           time.Time `json:"at"`
	Payloads     int64     `json:"payloads"`
	BeforeImages int64     `json:"before_images"`
	Unrestorable int64     `json:"unrestorable"`
}

func purgeKey(run RunID) string { return "purged_run:" + run.String() }

// ErrPurgeUnsettled is returned by Purge for a run still running or with
// intents whose outcome is pending or unknown: settling them may need
// their payloads (a lookup compares what was sent).
var ErrPurgeUnsettled = errors.New("rollback: run is not settled")

// Purge is the retention step after sign-off: it drops the payloads and
// before-images — the only columns holding field values — of the chosen
// runs and of the compensations an Undo journaled for them, then rebuilds the file (VACUUM) and truncates its WAL so that
// nothing of them is left in the file's free pages or in old WAL frames.
// Ids, digests, outcomes, reasons, the id map, watermarks, invalid records
// and the runs themselves stay: the audit trail, resume and delta work as
// before. Undo of a purged run still deletes, unlinks and drops what it
// created (without the change check, which needs the payload: such a
// delete is refused unless forced), but can no longer restore the records
// it updated; it says so for each (see UndoReport.Purged).
//
// The VACUUM and the WAL truncation wait (busy timeout) for other
// connections to the file; run Purge when no migration is running. It is
// idempotent: purging a purged run again drops nothing and vacuums again.
func (l *Ledger) Purge(ctx context.Context, opts PurgeOptions) (PurgeReport, error) {
	rep := PurgeReport{Runs: append([]RunID(nil), opts.Runs...)}
	if l.isClosed() {
		return rep, ErrClosed
	}
	if l.w == nil {
		return rep, ErrReadOnly
	}
	if len(opts.Runs) == 0 {
		return rep, invalidArg("PurgeOptions.Runs", "name at least one run")
	}
	args := make([]any, len(opts.Runs))
	for i, id := range opts.Runs {
		ri, err := l.Run(ctx, id)
		if err != nil {
			return rep, err
		}
		if ri.Status == StatusRunning {
			return rep, fmt.Errorf("%w: run %d is still running: finish it (or let it be closed as interrupted) first", ErrPurgeUnsettled, id)
		}
		args[i] = int64(id)
	}
	in := placeholders(len(opts.Runs))
	var unsettled int64
	if err := l.read.QueryRowContext(ctx, `SELECT count(*) FROM journal WHERE (run IN (`+in+`)
		OR compensates IN (SELECT id FROM journal WHERE run IN (`+in+`)))
		AND (outcome IS NULL OR outcome = 'unknown')`, append(append([]any(nil), args...), args...)...).Scan(&unsettled); err != nil {
		return rep, fmt.Errorf("rollback: purge: %w", err)
	}
	if unsettled > 0 {
		return rep, fmt.Errorf("%w: %d intents of these runs (or of undos of them) are pending or unknown: resolve them (a resume or a new undo does) before purging", ErrPurgeUnsettled, unsettled)
	}
	rep.SizeBefore = l.fileSize()

	now := l.now()
	err := l.w.submit(ctx, func(t *wtx) error {
		rep.Payloads, rep.BeforeImages, rep.Unrestorable = 0, 0, 0 // the writer may apply this twice
		q := t.w.conn.QueryRowContext
		for _, id := range opts.Runs {
			var m purgeMeta
			var payloads, befores, unrestorable int64
			// The run's entries and the compensations of them an Undo
			// journaled (a restore carries a before-image as its payload).
			if err := q(t.ctx, `SELECT count(payload), count(before) FROM journal WHERE run = ?
				OR compensates IN (SELECT id FROM journal WHERE run = ?)`, int64(id), int64(id)).
				Scan(&payloads, &befores); err != nil {
				return fmt.Errorf("rollback: purge: %w", err)
			}
			// Updates and replaced links Undo could still restore: done,
			// with what a restore needs, not compensated yet, of a record
			// the runs purged did not create (that one Undo deletes).
			if err := q(t.ctx, `SELECT count(*) FROM journal j WHERE j.run = ?
				AND j.compensates IS NULL AND j.outcome = 'done'
				AND (j.op = 'update' OR j.op = 'link') AND j.before IS NOT NULL AND j.payload IS NOT NULL
				AND NOT EXISTS (SELECT 1 FROM journal c WHERE c.compensates = j.id AND c.outcome = 'done')
				AND NOT EXISTS (SELECT 1 FROM journal k WHERE k.run IN (`+in+`) AND k.op = 'create'
					AND k.outcome = 'done' AND k.object_type = j.object_type AND k.hl_id = j.target_id)`,
				append([]any{int64(id)}, args...)...).Scan(&unrestorable); err != nil {
				return fmt.Errorf("rollback: purge: %w", err)
			}
			if _, err := t.execSQL(`UPDATE journal SET payload = NULL, before = NULL
				WHERE (run = ? OR compensates IN (SELECT id FROM journal WHERE run = ?))
				AND (payload IS NOT NULL OR before IS NOT NULL)`, int64(id), int64(id)); err != nil {
				return err
			}
			var prev string
			err := q(t.ctx, `SELECT value FROM meta WHERE key = ?`, purgeKey(id)).Scan(&prev)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return fmt.Errorf("rollback: purge: %w", err)
			default:
				_ = json.Unmarshal([]byte(prev), &m)
			}
			if m.At.IsZero() || payloads+befores > 0 {
				m.At = now.UTC()
			}
			m.Payloads += payloads
			m.BeforeImages += befores
			m.Unrestorable += unrestorable
			b, err := json.Marshal(m)
			if err != nil {
				return err
			}
			if _, err := t.execSQL(`INSERT INTO meta(key, value) VALUES(?, ?)
				ON CONFLICT(key) DO UPDATE SET value = excluded.value`, purgeKey(id), string(b)); err != nil {
				return err
			}
			rep.Payloads += payloads
			rep.BeforeImages += befores
			rep.Unrestorable += unrestorable
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	if err := l.vacuum(ctx); err != nil {
		return rep, err
	}
	rep.SizeAfter = l.fileSize()
	l.log.Info("rollback ledger purged", "runs", len(opts.Runs), "payloads", rep.Payloads,
		"before_images", rep.BeforeImages, "unrestorable_updates", rep.Unrestorable)
	return rep, nil
}

// vacuum rebuilds the file without free pages and truncates the WAL, on a
// connection of its own (VACUUM cannot run inside the writer's
// transactions). Until both are done, dropped values may remain in free
// pages of the file or in old WAL frames.
func (l *Ledger) vacuum(ctx context.Context) error {
	if l.pg != nil {
		return l.pgVacuum(ctx)
	}
	db, err := sql.Open("sqlite", dsn(l.path, l.opts, false))
	if err != nil {
		return fmt.Errorf("rollback: vacuum: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("rollback: vacuum: %w", err)
	}
	deadline := time.Now().Add(l.opts.BusyTimeout)
	for {
		var busy, frames, done int
		if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done); err != nil {
			return fmt.Errorf("rollback: checkpoint after vacuum: %w", err)
		}
		if busy == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("rollback: purged and vacuumed, but another connection kept the WAL busy so old frames may remain in it: run Purge again when nothing else has the ledger open")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (l *Ledger) fileSize() int64 {
	if l.pg != nil {
		return l.pgSize()
	}
	var n int64
	for _, p := range []string{l.path, l.path + "-wal"} {
		if st, err := os.Stat(p); err == nil {
			n += st.Size()
		}
	}
	return n
}

// PurgedAt reports whether and when (the last Purge that dropped
// something) run's payloads and before-images were purged.
func (l *Ledger) PurgedAt(ctx context.Context, run RunID) (time.Time, bool, error) {
	if l.isClosed() {
		return time.Time{}, false, ErrClosed
	}
	var v string
	err := l.read.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, purgeKey(run)).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("rollback: purged: %w", err)
	}
	var m purgeMeta
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		return time.Time{}, false, fmt.Errorf("rollback: purged: run %d: %w", run, err)
	}
	return m.At, true, nil
}

// purged returns the meta record of a purged run.
func (l *Ledger) purged(ctx context.Context, run RunID) (purgeMeta, bool) {
	var v string
	if err := l.read.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, purgeKey(run)).Scan(&v); err != nil {
		return purgeMeta{}, false
	}
	var m purgeMeta
	if json.Unmarshal([]byte(v), &m) != nil {
		return purgeMeta{}, false
	}
	return m, true
}

// purgedReason starts the reason of every compensation a Purge made
// impossible (UndoReport.Purged counts them).
const purgedReason = "purged: "

// missingBeforeReason explains why a restore has no before-image.
func (l *Ledger) missingBeforeReason(ctx context.Context, e Entry) string {
	if m, ok := l.purged(ctx, e.Run); ok {
		return fmt.Sprintf("%srun %d's payloads and before-images were purged on %s: Undo can no longer restore this update",
			purgedReason, e.Run, m.At.Format(time.DateOnly))
	}
	return "no before-image stored"
}

// unchecked decides a delete or restore whose last write's payload is not
// stored, so the change check cannot run: a purged run's is refused
// (records edited since sign-off would be lost) unless forced; one written
// without a payload goes ahead, as it always did.
func (l *Ledger) unchecked(ctx context.Context, last Entry, c *Compensation) {
	if m, ok := l.purged(ctx, last.Run); ok {
		c.State = StateRefused
		c.Reason = fmt.Sprintf("%srun %d's payloads were purged on %s, so whether the record changed since cannot be checked: undo with Force to %s it anyway",
			purgedReason, last.Run, m.At.Format(time.DateOnly), c.Action)
		return
	}
	c.Reason = "payload not stored: change check skipped"
}

// Purged counts the compensations a Purge of their run's payloads and
// before-images prevents: updates Undo can no longer restore, and deletes
// refused because the change check can no longer run.
func (r *UndoReport) Purged() int {
	n := 0
	for _, c := range r.Compensations {
		if strings.HasPrefix(c.Reason, purgedReason) {
			n++
		}
	}
	return n
}
