package rollback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// writer is the ledger's single writing goroutine. Callers queue a write
// and wait; the writer takes everything queued (up to MaxBatch) into one
// transaction and one commit (group commit), so the cost of the fsync is
// shared by every caller waiting at that moment. Under load the batch grows
// by itself; with a single caller each write is its own commit.
type writer struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
	max   int
	// pg: PostgreSQL's transactions start with a plain BEGIN (the writer
	// lock, not the transaction, keeps other writers out) and the batched
	// intent inserts return their ids (no LastInsertId in pgx).
	pg    bool
	begin string

	commits atomic.Int64 // transactions committed
	entries atomic.Int64 // requests they carried

	mu      sync.RWMutex
	closing bool
	reqs    chan *writeReq
	done    chan struct{}
}

type writeReq struct {
	// apply runs inside the batch transaction. An error aborts the whole
	// batch, which is then retried one request per transaction so that only
	// the faulty request fails.
	apply func(*wtx) error
	// intent, when set instead of apply, is a journal row: the batch's
	// intents are inserted with multi-row statements (far less per-row
	// overhead than one statement each) before the other requests run.
	// Nothing in a batch can depend on an intent of the same batch: an
	// outcome is only submitted once its intent's commit has returned.
	intent *intentRow
	done   chan error
}

// intentRow is the journal row of an intent, in insert column order.
type intentRow struct {
	args  [intentColumns]any
	entry int64 // set once inserted
}

const (
	intentColumns = 16
	// Chunk sizes for multi-row inserts: a few prepared shapes cover any batch.
	maxIntentChunk = 64
)

var intentChunks = []int{maxIntentChunk, 16, 4, 1}

const insertIntentPrefix = `INSERT INTO journal(run, seq, op, object_type, source_key, entity, target_id,
		related_id, payload_digest, payload, before, key_id, source_modified, intent_at, compensates, inflight_until) VALUES `

var reqPool = sync.Pool{New: func() any { return &writeReq{done: make(chan error, 1)} }}

const (
	stInsertRun      = "insertRun"
	stFinishRun      = "finishRun"
	stReopenRun      = "reopenRun"
	stSetOutcome     = "setOutcome"
	stSetOutcomeFew  = "setOutcomeFew"
	stUpsertIDMap    = "upsertIDMap"
	stInsertInvalid  = "insertInvalid"
	stSetWatermark   = "setWatermark"
	stDeleteIDMap    = "deleteIDMap"
	stDeleteIDMapKey = "deleteIDMapKey"
	stClearDigest    = "clearDigest"
)

var statements = map[string]string{
	stInsertRun: `INSERT INTO runs(kind, map_digest, location, actor, started_at, status, owner)
		VALUES(?, ?, ?, ?, ?, 'running', ?) RETURNING id`,
	stFinishRun: `UPDATE runs SET status = ?, finished_at = ? WHERE id = ?`,
	stReopenRun: `UPDATE runs SET status = 'running', finished_at = NULL, owner = ? WHERE id = ?`,
	stSetOutcome: `UPDATE journal SET outcome = ?, hl_id = ?, http_status = ?, reason = ?, outcome_at = ?, origin = ?
		WHERE run = ? AND seq = ? AND (outcome IS NULL OR outcome = 'unknown')
		RETURNING id, op, object_type, source_key, target_id, payload_digest, coalesce(compensates, 0)`,
	stSetOutcomeFew: `UPDATE journal SET outcome = ?, hl_id = ?, http_status = ?, reason = ?, outcome_at = ?, origin = ?
		WHERE id = ? AND (outcome IS NULL OR outcome = 'unknown')`,
	// ?8 is a new row's origin, ?9 an existing row's ('' keeps it).
	stUpsertIDMap: `INSERT INTO idmap(object_type, source_key, hl_id, digest, run, updated_at, entry, origin)
		VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
		ON CONFLICT(object_type, source_key) DO UPDATE SET hl_id = excluded.hl_id,
		digest = excluded.digest, run = excluded.run, updated_at = excluded.updated_at, entry = excluded.entry,
		origin = CASE WHEN ?9 = '' THEN idmap.origin ELSE ?9 END`,
	stInsertInvalid: `INSERT INTO invalid(run, entity, source_key, source_modified, reasons, at)
		VALUES(?, ?, ?, ?, ?, ?)`,
	stSetWatermark: `INSERT INTO watermarks(entity, at, run, updated_at) VALUES(?, ?, ?, ?)
		ON CONFLICT(entity) DO UPDATE SET at = excluded.at, run = excluded.run, updated_at = excluded.updated_at`,
	stDeleteIDMap:    `DELETE FROM idmap WHERE object_type = ? AND hl_id = ?`,
	stDeleteIDMapKey: `DELETE FROM idmap WHERE object_type = ? AND source_key = ? AND hl_id = ?`,
	stClearDigest:    `UPDATE idmap SET digest = '', updated_at = ? WHERE object_type = ? AND hl_id = ?`,
}

// init adds the batched intent inserts to statements once: newWriter
// only reads the table, so ledgers opened concurrently in one process
// (a service running several migrations) share it without a race.
func init() {
	for _, n := range intentChunks {
		statements[fmt.Sprintf("insertIntent%d", n)] = insertIntentPrefix +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),", n), ",")
	}
}

func newWriter(ctx context.Context, l *Ledger) (*writer, error) {
	conn, err := l.write.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("rollback: writer: %w", err)
	}
	w := &writer{
		conn:  conn,
		stmts: make(map[string]*sql.Stmt, len(statements)),
		max:   l.opts.MaxBatch,
		reqs:  make(chan *writeReq, l.opts.MaxBatch),
		done:  make(chan struct{}),
		pg:    l.pg != nil,
		begin: `BEGIN IMMEDIATE`,
	}
	if w.pg {
		w.begin = `BEGIN`
		// A lock held by a ledger process of this host that has exited
		// (kill -9, a crash) is freed once the server has ended its
		// session: wait for that, a few seconds at most. A live holder
		// is reported at once.
		err := l.pgLockWriter(ctx, conn)
		for deadline := time.Now().Add(5 * time.Second); err != nil && time.Now().Before(deadline); {
			var le *LockedError
			if !errors.As(err, &le) || !le.holderGone {
				break
			}
			select {
			case <-ctx.Done():
				conn.Close()
				return nil, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			err = l.pgLockWriter(ctx, conn)
		}
		if err != nil {
			conn.Close()
			return nil, err
		}
	}
	for name, q := range statements {
		if w.pg && strings.HasPrefix(name, "insertIntent") {
			q += ` RETURNING id, run, seq`
		}
		st, err := conn.PrepareContext(ctx, q)
		if err != nil {
			w.closeStmts()
			conn.Close()
			return nil, fmt.Errorf("rollback: prepare %s: %w", name, err)
		}
		w.stmts[name] = st
	}
	go w.loop()
	return w, nil
}

func (w *writer) closeStmts() {
	for _, st := range w.stmts {
		st.Close()
	}
}

// submit queues apply and waits for its commit. If ctx ends after the write
// was queued, the write may still commit.
func (w *writer) submit(ctx context.Context, apply func(*wtx) error) error {
	return w.enqueue(ctx, apply, nil)
}

// submitIntent queues a journal row and waits for its commit; row.entry
// is then set.
func (w *writer) submitIntent(ctx context.Context, row *intentRow) error {
	return w.enqueue(ctx, nil, row)
}

func (w *writer) enqueue(ctx context.Context, apply func(*wtx) error, row *intentRow) error {
	if w == nil {
		return ErrReadOnly // a ReadOnly ledger has no writer
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	req := reqPool.Get().(*writeReq)
	req.apply, req.intent = apply, row
	w.mu.RLock()
	if w.closing {
		w.mu.RUnlock()
		reqPool.Put(req)
		return ErrClosed
	}
	select {
	case w.reqs <- req:
	case <-ctx.Done():
		w.mu.RUnlock()
		reqPool.Put(req)
		return ctx.Err()
	}
	w.mu.RUnlock()
	select {
	case err := <-req.done:
		req.apply, req.intent = nil, nil
		reqPool.Put(req)
		return err
	case <-ctx.Done():
		// The request is still owned by the writer: do not recycle it.
		return ctx.Err()
	}
}

func (w *writer) loop() {
	defer close(w.done)
	batch := make([]*writeReq, 0, w.max)
	for req := range w.reqs {
		batch = append(batch[:0], req)
		// Drain what is queued; yield once when the queue runs dry so that
		// callers woken by the previous commit can join this one.
		yielded := false
	drain:
		for len(batch) < w.max {
			select {
			case r, ok := <-w.reqs:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				if yielded {
					break drain
				}
				yielded = true
				runtime.Gosched()
			}
		}
		w.commit(batch)
	}
}

func (w *writer) commit(batch []*writeReq) {
	err := w.runTx(batch)
	if err == nil || len(batch) == 1 {
		for _, r := range batch {
			r.done <- err
		}
		return
	}
	for _, r := range batch {
		r.done <- w.runTx(batch[:0:0], r)
	}
}

func (w *writer) runTx(batch []*writeReq, extra ...*writeReq) (err error) {
	ctx := context.Background()
	if _, err := w.conn.ExecContext(ctx, w.begin); err != nil {
		return fmt.Errorf("rollback: begin: %w", err)
	}
	tx := &wtx{ctx: ctx, w: w}
	defer func() {
		if err != nil {
			_, _ = w.conn.ExecContext(ctx, `ROLLBACK`)
		}
	}()
	all := append(batch, extra...)
	if err := w.insertIntents(tx, all); err != nil {
		return err
	}
	for _, r := range all {
		if r.apply == nil {
			continue
		}
		if err := r.apply(tx); err != nil {
			return err
		}
	}
	if _, err := w.conn.ExecContext(ctx, `COMMIT`); err != nil {
		return fmt.Errorf("rollback: commit: %w", err)
	}
	w.commits.Add(1)
	w.entries.Add(int64(len(batch) + len(extra)))
	return nil
}

func (w *writer) close() error {
	w.mu.Lock()
	if w.closing {
		w.mu.Unlock()
		<-w.done
		return nil
	}
	w.closing = true
	close(w.reqs)
	w.mu.Unlock()
	<-w.done
	w.closeStmts()
	if w.pg {
		// Release the writer lock before the session goes: closing the
		// connection ends the server's session only asynchronously, and
		// an Open right after this Close (a resumed run, the next
		// command) must not find the lock still held. A lost session
		// holds nothing, so its error is not this Close's.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _ = w.conn.ExecContext(ctx, `SELECT pg_advisory_unlock_all()`)
		cancel()
	}
	if err := w.conn.Close(); err != nil && !errors.Is(err, sql.ErrConnDone) {
		// ErrConnDone: the connection was lost already (a PostgreSQL
		// session the server ended); nothing was left to release.
		return err
	}
	return nil
}

// wtx is the view of the batch transaction given to a request.
type wtx struct {
	ctx context.Context
	w   *writer
}

func (t *wtx) exec(name string, args ...any) (sql.Result, error) {
	res, err := t.w.stmts[name].ExecContext(t.ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("rollback: %s: %w", name, err)
	}
	return res, nil
}

func (t *wtx) queryRow(name string, args ...any) *sql.Row {
	return t.w.stmts[name].QueryRowContext(t.ctx, args...)
}

// execSQL runs an ad-hoc statement inside the batch (rare paths only).
func (t *wtx) execSQL(q string, args ...any) (sql.Result, error) {
	res, err := t.w.conn.ExecContext(t.ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("rollback: %w", err)
	}
	return res, nil
}

// insertIntents inserts the batch's intent rows in request order with
// multi-row statements and records each row's journal id. Rows of one
// INSERT get consecutive rowids, so the ids follow from the last one.
func (w *writer) insertIntents(tx *wtx, reqs []*writeReq) error {
	var rows []*intentRow
	for _, r := range reqs {
		if r.intent != nil {
			rows = append(rows, r.intent)
		}
	}
	args := make([]any, 0, maxIntentChunk*intentColumns)
	for len(rows) > 0 {
		n := intentChunks[len(intentChunks)-1]
		for _, c := range intentChunks {
			if c <= len(rows) {
				n = c
				break
			}
		}
		args = args[:0]
		for _, row := range rows[:n] {
			args = append(args, row.args[:]...)
		}
		if w.pg {
			if err := w.insertIntentsReturning(tx, n, rows[:n], args); err != nil {
				return err
			}
			rows = rows[n:]
			continue
		}
		res, err := tx.exec(fmt.Sprintf("insertIntent%d", n), args...)
		if err != nil {
			return err
		}
		last, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("rollback: intent id: %w", err)
		}
		for i, row := range rows[:n] {
			row.entry = last - int64(n-1-i)
		}
		rows = rows[n:]
	}
	return nil
}

// insertIntentsReturning is insertIntents' chunk on PostgreSQL: the ids
// come back by RETURNING, matched to their rows by (run, seq), which is
// unique, since PostgreSQL does not promise RETURNING's row order.
func (w *writer) insertIntentsReturning(tx *wtx, n int, rows []*intentRow, args []any) error {
	name := fmt.Sprintf("insertIntent%d", n)
	res, err := w.stmts[name].QueryContext(tx.ctx, args...)
	if err != nil {
		return fmt.Errorf("rollback: %s: %w", name, err)
	}
	defer res.Close()
	type runSeq struct{ run, seq int64 }
	ids := make(map[runSeq]int64, n)
	for res.Next() {
		var id int64
		var k runSeq
		if err := res.Scan(&id, &k.run, &k.seq); err != nil {
			return fmt.Errorf("rollback: %s: %w", name, err)
		}
		ids[k] = id
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("rollback: %s: %w", name, err)
	}
	for _, row := range rows {
		run, _ := row.args[0].(int64)
		seq, _ := row.args[1].(int64)
		id, ok := ids[runSeq{run, seq}]
		if !ok {
			return fmt.Errorf("rollback: %s: no id returned for run %d seq %d", name, run, seq)
		}
		row.entry = id
	}
	return nil
}
