package rollback

// The PostgreSQL backend (issue 20.1): Open's branch for a postgres:// or
// postgresql:// location. The ledger keeps one code path for both
// backends — database/sql, the same statements, the same group-commit
// writer — and this file holds what differs:
//   - the driver: pgx's database/sql driver behind pgConnector, which
//     rewrites every statement with pgSQL (placeholders, planner hints) on
//     its way to the server, so no call site knows the dialect;
//   - no file: nothing to create, tighten or clean up; the database must
//     exist, Open creates and migrates the ledger's tables in it;
//   - one writer per ledger: the writer's connection holds a session
//     advisory lock keyed by the migration id for the ledger's life (SQLite
//     serialises writers on the file; PostgreSQL would let two processes
//     interleave runs, so a second writable Open is refused with
//     ErrLedgerLocked, naming the session that holds the lock);
//   - read-only handles: default_transaction_read_only on every connection;
//   - purge: VACUUM FULL of the tables that held the dropped values and a
//     CHECKPOINT (when the role may), PostgreSQL's counterpart of SQLite's
//     VACUUM and WAL truncation.
// Connection strings appear in errors and logs only through RedactDSN.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// ErrLedgerLocked is returned by a writable Open of a PostgreSQL ledger
// that another process (or another handle of this one) has open for
// writing. It is a *LockedError naming the session that holds the lock.
var ErrLedgerLocked = errors.New("rollback: ledger is open for writing by another process")

// LockedError says who holds a PostgreSQL ledger's writer lock. It matches
// ErrLedgerLocked with errors.Is. Location is redacted.
type LockedError struct {
	Location string
	// Holder describes the PostgreSQL session holding the lock (backend
	// pid, application name, client address, connected since), as far as
	// this role may see it.
	Holder string
	// holderGone: the session is a pbnhl ledger's of a process on this
	// host that no longer runs — the server has not yet ended it.
	holderGone bool
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("rollback: ledger %s is open for writing elsewhere (%s holds its writer lock): "+
		"it is freed when that process closes the ledger or its database session ends; "+
		"a read-only open (Options.ReadOnly) works meanwhile", e.Location, e.Holder)
}

func (e *LockedError) Unwrap() error { return ErrLedgerLocked }

// pgConnector hands database/sql connections whose statements are
// rewritten for PostgreSQL.
type pgConnector struct{ inner driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(*stdlib.Conn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("rollback: unexpected pgx connection type %T", conn)
	}
	return &pgConn{Conn: sc}, nil
}

func (c pgConnector) Driver() driver.Driver { return c.inner.Driver() }

// pgConn is pgx's database/sql connection with pgSQL applied to every
// statement it prepares, executes or queries.
type pgConn struct{ *stdlib.Conn }

// pgSQLCache keeps the rewrite of each statement text: the ledger sends a
// few dozen distinct texts, many times each.
var pgSQLCache sync.Map

func pgRewrite(q string) string {
	if v, ok := pgSQLCache.Load(q); ok {
		return v.(string)
	}
	r := pgSQL(q)
	pgSQLCache.Store(q, r)
	return r
}

func (c *pgConn) Prepare(q string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(context.Background(), pgRewrite(q))
}

func (c *pgConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, pgRewrite(q))
}

func (c *pgConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, pgRewrite(q), args)
}

func (c *pgConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, pgRewrite(q), args)
}

// pgLocation is a parsed PostgreSQL ledger location.
type pgLocation struct {
	redacted string
	password string
	cfg      *pgx.ConnConfig
}

// parsePostgres parses loc without letting its password reach an error.
func parsePostgres(loc string) (*pgLocation, error) {
	redacted := RedactDSN(loc)
	cfg, err := pgx.ParseConfig(loc)
	if err != nil {
		// pgx's own message redacts best effort only, and the url package's
		// error quotes the URL: name the problem without either.
		return nil, fmt.Errorf("rollback: ledger %s: not a valid PostgreSQL connection URL", redacted)
	}
	if cfg.RuntimeParams["application_name"] == "" {
		// What a LockedError shows another process.
		cfg.RuntimeParams["application_name"] = fmt.Sprintf("pbnhl ledger (pid %d on %s)", os.Getpid(), hostName())
	}
	return &pgLocation{redacted: redacted, password: cfg.Password, cfg: cfg}, nil
}

// db opens a database/sql handle on the location; readOnly makes every
// transaction of its connections read-only on the server.
func (p *pgLocation) db(readOnly bool) *sql.DB {
	cfg := p.cfg.Copy()
	if readOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	return sql.OpenDB(pgConnector{inner: stdlib.GetConnector(*cfg)})
}

// scrubbed is an error whose message has a password cut out; errors.Is
// and errors.As still reach the original.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// scrub returns err with the location's password, should a driver message
// ever quote it, replaced by "xxxxx".
func (p *pgLocation) scrub(err error) error {
	if err == nil || p.password == "" || !strings.Contains(err.Error(), p.password) {
		return err
	}
	return &scrubbed{msg: strings.ReplaceAll(err.Error(), p.password, "xxxxx"), err: err}
}

// pgReadConns caps a PostgreSQL ledger's read sessions: with the writer's
// one, an open ledger uses at most 1 + pgReadConns server connections
// (size max_connections for the ledgers open at once; a pooler must run in
// session mode, since the writer lock is a session advisory lock).
const pgReadConns = 8

// pgUndefinedDatabase is SQLSTATE invalid_catalog_name (3D000).
const pgUndefinedDatabase = "3D000"

// openPostgres is Open's PostgreSQL branch, after the options were checked.
func openPostgres(ctx context.Context, loc string, l *Ledger) (*Ledger, error) {
	p, err := parsePostgres(loc)
	if err != nil {
		return nil, err
	}
	l.pg = p
	l.path = p.redacted
	opts := l.opts
	if _, set := p.cfg.RuntimeParams["synchronous_commit"]; !set && opts.Durability == DurabilityNormal {
		// SQLite's synchronous=NORMAL: a commit returns before the server
		// flushes its WAL; a server crash can lose the last commits.
		p.cfg.RuntimeParams["synchronous_commit"] = "off"
	}
	mustExist := opts.MustExist || opts.ReadOnly
	l.write = p.db(opts.ReadOnly)
	l.write.SetMaxOpenConns(1)
	fail := func(err error) (*Ledger, error) {
		if l.read != nil {
			l.read.Close()
		}
		l.write.Close()
		return nil, p.scrub(err)
	}
	if err := l.write.PingContext(ctx); err != nil {
		var pe *pgconn.PgError
		if mustExist && errors.As(err, &pe) && pe.Code == pgUndefinedDatabase {
			return fail(fmt.Errorf("%w: %s (the database does not exist; nothing was created): %w", ErrNoLedger, p.redacted, fs.ErrNotExist))
		}
		return fail(fmt.Errorf("rollback: open %s: %w", p.redacted, err))
	}
	target := len(migrations)
	if opts.schemaVersion > 0 {
		target = opts.schemaVersion
	}
	var from int
	if mustExist {
		if from, err = pgExistingVersion(ctx, l.write, p.redacted); err != nil {
			return fail(err)
		}
	}
	if opts.ReadOnly {
		if from != len(migrations) {
			if from > len(migrations) {
				return fail(fmt.Errorf("%w: database has version %d, library knows %d", ErrSchemaTooNew, from, len(migrations)))
			}
			return fail(fmt.Errorf("rollback: %s has schema version %d and this library reads %d: open it once without ReadOnly to bring it forward", p.redacted, from, len(migrations)))
		}
	} else if from, err = migratePostgres(ctx, l.write, target); err != nil {
		return fail(err)
	}
	l.read = p.db(true)
	l.read.SetMaxOpenConns(pgReadConns)
	// An idle ledger (a fleet keeps many open) gives its read sessions back.
	l.read.SetConnMaxIdleTime(30 * time.Second)
	if opts.schemaVersion > 0 {
		return l, nil
	}
	l.migratedFrom = from
	if err := l.initMeta(ctx); err != nil {
		return fail(err)
	}
	if opts.ReadOnly {
		return l, nil
	}
	if l.w, err = newWriter(ctx, l); err != nil {
		return fail(err)
	}
	if !l.seal.enabled() {
		l.log.Info("rollback ledger stores payloads and before-images in clear (Options.Plaintext)", "path", p.redacted)
	}
	return l, nil
}

// postgresExists is Exists for a PostgreSQL location.
func postgresExists(ctx context.Context, loc string) (bool, error) {
	p, err := parsePostgres(loc)
	if err != nil {
		return false, err
	}
	db := p.db(true)
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == pgUndefinedDatabase {
			return false, nil
		}
		return false, p.scrub(fmt.Errorf("rollback: ledger %s: %w", p.redacted, err))
	}
	if _, err := pgExistingVersion(ctx, db, p.redacted); err != nil {
		if errors.Is(err, ErrNoLedger) {
			return false, nil
		}
		return false, p.scrub(err)
	}
	return true, nil
}

// pgExistingVersion is the schema version of an existing ledger, or
// ErrNoLedger when the database holds none (MustExist and ReadOnly create
// nothing).
func pgExistingVersion(ctx context.Context, db *sql.DB, redacted string) (int, error) {
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('pbnhl_schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("rollback: open %s: %w", redacted, err)
	}
	if !exists {
		return 0, fmt.Errorf("%w: %s (the database holds no ledger; nothing was created): %w", ErrNoLedger, redacted, fs.ErrNotExist)
	}
	v, err := pgSchemaVersion(ctx, db)
	if err != nil {
		return 0, err
	}
	if v == 0 {
		return 0, fmt.Errorf("%w: %s (the database holds no ledger; nothing was created): %w", ErrNoLedger, redacted, fs.ErrNotExist)
	}
	return v, nil
}

// pgWriterLockKey is the advisory-lock key of a ledger's writer: the first
// 63 bits of its migration id, so ledgers in separate schemas of one
// database (each with its own id) do not contend.
func pgWriterLockKey(migrationID string) (int64, error) {
	b, err := hex.DecodeString(migrationID)
	if err != nil || len(b) < 8 {
		return 0, fmt.Errorf("rollback: ledger has a malformed migration id")
	}
	var k int64
	for _, c := range b[:8] {
		k = k<<8 | int64(c)
	}
	return k & (1<<63 - 1), nil
}

// pgLockWriter takes the ledger's writer lock on conn, the connection the
// writer keeps for the ledger's life: the lock lasts as long as it does
// (a killed process's session ends and frees it).
func (l *Ledger) pgLockWriter(ctx context.Context, conn *sql.Conn) error {
	var id string
	if err := conn.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'migration_id'`).Scan(&id); err != nil {
		return fmt.Errorf("rollback: writer lock: read migration id: %w", err)
	}
	key, err := pgWriterLockKey(id)
	if err != nil {
		return err
	}
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
		return fmt.Errorf("rollback: writer lock: %w", err)
	}
	if got {
		return nil
	}
	holder := "another session"
	var pid int64
	var app, client string
	var since sql.NullTime
	err = conn.QueryRowContext(ctx, `SELECT l.pid, coalesce(a.application_name, ''),
		coalesce(host(a.client_addr), 'local socket'), a.backend_start
		FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid
		LIMIT 1`, key).Scan(&pid, &app, &client, &since)
	gone := false
	if err == nil {
		gone = ledgerProcessGone(app)
		holder = fmt.Sprintf("PostgreSQL session pid %d", pid)
		if app != "" {
			holder += fmt.Sprintf(" %q", app)
		}
		holder += " from " + client
		if since.Valid {
			holder += ", connected since " + since.Time.UTC().Format(time.RFC3339)
		}
	}
	return &LockedError{Location: l.path, Holder: holder, holderGone: gone}
}

// ledgerProcessGone reports whether app, a session's application name, is
// a pbnhl ledger's ("pbnhl ledger (pid N on HOST)") of a process on this
// host that has exited: its session outlives it until the server notices
// the closed socket, which it does asynchronously.
func ledgerProcessGone(app string) bool {
	var pid int
	var host string
	if n, err := fmt.Sscanf(app, "pbnhl ledger (pid %d on %s", &pid, &host); n != 2 || err != nil {
		return false
	}
	if strings.TrimSuffix(host, ")") != hostName() || pid <= 0 || pid == os.Getpid() {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return errors.Is(p.Signal(syscall.Signal(0)), os.ErrProcessDone)
}

// pgVacuum is Purge's rebuild on PostgreSQL: VACUUM FULL rewrites the
// journal (and meta) into new files, so the dropped payloads and
// before-images no longer sit in dead tuples of the table or its TOAST
// table; a CHECKPOINT then lets the server recycle the WAL segments that
// still hold them. CHECKPOINT needs superuser or pg_checkpoint: without
// it the server recycles them on its own schedule (checkpoint_timeout),
// which is logged, not an error.
func (l *Ledger) pgVacuum(ctx context.Context) error {
	db := l.pg.db(false)
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `VACUUM FULL journal, meta`); err != nil {
		return l.pg.scrub(fmt.Errorf("rollback: vacuum: %w", err))
	}
	if _, err := db.ExecContext(ctx, `CHECKPOINT`); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "42501" { // insufficient_privilege
			l.log.Warn("rollback ledger purged and vacuumed; this role may not CHECKPOINT, so the server's WAL keeps the dropped values until its next checkpoint",
				"path", l.path)
			return nil
		}
		return l.pg.scrub(fmt.Errorf("rollback: checkpoint after vacuum: %w", err))
	}
	return nil
}

// pgSize is the bytes the ledger's tables take (with indexes and TOAST).
func (l *Ledger) pgSize() int64 {
	var n sql.NullInt64
	_ = l.read.QueryRow(`SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c
		WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
		AND c.relname IN ('meta', 'runs', 'journal', 'idmap', 'invalid', 'watermarks', 'pbnhl_schema_version')`).Scan(&n)
	return n.Int64
}
