package rollback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// runCallsKey is the meta key holding the API calls a run spent.
func runCallsKey(id RunID) string { return "run_calls/" + id.String() }

// SetCalls records the API calls the run spent. A read-only run — a
// reconcile (KindReconcile) journals no intent — would otherwise leave no
// trace of its cost; kept in the meta table, so no schema change.
func (r *Run) SetCalls(ctx context.Context, n int) error {
	if n < 0 {
		return invalidArg("calls", "negative")
	}
	return r.l.w.submit(ctx, func(t *wtx) error {
		_, err := t.execSQL(`INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
			runCallsKey(r.id), strconv.Itoa(n))
		return err
	})
}

// RunCalls returns the API calls recorded for a run by SetCalls, and
// whether any were.
func (l *Ledger) RunCalls(ctx context.Context, id RunID) (int, bool, error) {
	if l.isClosed() {
		return 0, false, ErrClosed
	}
	var v string
	err := l.read.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, runCallsKey(id)).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("rollback: run calls: %w", err)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false, fmt.Errorf("rollback: run calls of run %d: %w", id, err)
	}
	return n, true, nil
}
