package rollback

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// Durability selects what a commit waits for.
type Durability int

const (
	// DurabilityFull fsyncs the WAL on every commit (SQLite synchronous=FULL):
	// once Intent returns, the intent survives a power loss.
	DurabilityFull Durability = iota
	// DurabilityNormal fsyncs only at WAL checkpoints (synchronous=NORMAL):
	// a process crash loses nothing, a power loss can lose the last commits.
	DurabilityNormal
)

// Options configure Open. A writable Open needs an explicit choice of
// encryption: Key or KeyProvider, or Plaintext (the zero value is refused
// with ErrNoKey).
type Options struct {
	// Key, if set, is a 32-byte AES-256 key used to encrypt payloads and
	// before-images. Mutually exclusive with KeyProvider.
	Key []byte
	// KeyProvider supplies keys by id (rotation, KMS).
	KeyProvider KeyProvider
	// Plaintext chooses, knowingly, to store payloads and before-images
	// (patient data) in clear. A writable Open with neither a key nor
	// Plaintext fails with ErrNoKey; Plaintext with a key is refused as
	// contradictory. A ReadOnly Open needs no choice: it writes nothing.
	Plaintext bool
	// MustExist refuses to create the ledger: a missing file fails with an
	// error matching ErrNoLedger and fs.ErrNotExist, and nothing is created.
	MustExist bool
	// ReadOnly opens an existing ledger for reading only: it implies
	// MustExist, never migrates the schema, writes nothing (every writing
	// method fails with ErrReadOnly), and leaves no file behind that was
	// not there before it (SQLite's -wal and -shm it had to create are
	// removed again by Close, unless another connection still uses them).
	ReadOnly bool
	// Durability defaults to DurabilityFull.
	Durability Durability
	// BusyTimeout is how long SQLite waits for a lock held by another
	// process before failing; default 10 s. (PostgreSQL: unused; a second
	// writer is refused at once with ErrLedgerLocked.)
	BusyTimeout time.Duration
	// MaxBatch caps how many queued writes one group commit takes; default 4096.
	MaxBatch int
	// Logger receives operational messages (never payloads). Nil discards
	// them: a library writes nothing the host did not ask for.
	Logger *slog.Logger
	// Now is the clock; default time.Now. Tests pin it.
	Now func() time.Time

	schemaVersion int // tests open at an older schema version
}

// Ledger is one migration project's run ledger: a single SQLite file, or
// a PostgreSQL database (or schema) — see the package doc's Backends.
// It is safe for concurrent use by many goroutines.
type Ledger struct {
	path   string
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	read   *sql.DB
	write  *sql.DB
	seal   *sealer
	w      *writer
	closed chan struct{}

	migratedFrom int
	// pg is the PostgreSQL location of a ledger on that backend (nil for
	// SQLite); path is then the redacted location.
	pg *pgLocation
	// sidecars are the -wal and -shm paths a ReadOnly handle found absent:
	// Close removes them again if SQLite left them.
	sidecars []string

	closeOnce sync.Once
	closeErr  error
}

// Info describes a ledger file.
type Info struct {
	// Path is the ledger's file, or its PostgreSQL URL with the password
	// redacted (RedactDSN).
	Path          string
	SchemaVersion int
	// MigratedFrom is the schema version this handle's Open found (0 for a
	// new file, SchemaVersion when nothing needed migrating).
	MigratedFrom int
	// Encryption is "aes-256-gcm" when payloads and before-images are
	// encrypted, "none" when they are stored in clear (for a ReadOnly
	// handle, as the file records it).
	Encryption string
	// KeyID is the id of the key new entries are sealed with.
	KeyID string
	// PlaintextEntries counts journal entries whose payload or before-image
	// is stored in clear (written before a key was configured, or without one).
	PlaintextEntries int64
	// MigrationID identifies the migration this ledger records: 128 random
	// bits in hex, made once when the ledger is created (a ledger created
	// before ids existed gets one on its first writable Open) and never
	// changed. Empty only for such an old ledger opened ReadOnly.
	MigrationID string
	// ReadOnly reports a handle opened with Options.ReadOnly.
	ReadOnly bool
}

var (
	// ErrNoKey is returned by a writable Open given neither a key
	// (Options.Key, Options.KeyProvider) nor Options.Plaintext: storing
	// patient data in clear must be a choice, never a default.
	ErrNoKey = errors.New("rollback: no encryption key given: set Options.Key (32 bytes) or Options.KeyProvider " +
		"to encrypt payloads and before-images, or set Options.Plaintext to store them in clear knowingly")
	// ErrNoLedger is returned by Open with Options.MustExist or
	// Options.ReadOnly when there is no file at the path; the error also
	// matches fs.ErrNotExist.
	ErrNoLedger = errors.New("rollback: no ledger at this path")
	// ErrReadOnly is returned by every writing method of a ledger opened
	// with Options.ReadOnly.
	ErrReadOnly = errors.New("rollback: ledger is open read-only")
)

// filePerm is the mode of the ledger and of the -wal, -shm and -journal
// files SQLite creates beside it (SQLite gives them the main file's mode):
// they hold patient data, so only the owner may read them.
const filePerm fs.FileMode = 0o600

// sidecarSuffixes are the files SQLite keeps beside a database.
var sidecarSuffixes = []string{"-wal", "-shm", "-journal"}

// Open opens or creates the ledger at path and brings its schema forward.
// path is a file path, optionally prefixed "sqlite:" (see parseLocation),
// or a postgres:// or postgresql:// URL naming an existing database (or a
// schema in it, with search_path=…) where Open creates the ledger's tables
// (see the package doc's Backends section). A writable Open of a
// PostgreSQL ledger another process has open for writing fails with
// ErrLedgerLocked.
func Open(ctx context.Context, path string, opts Options) (*Ledger, error) {
	if path == "" {
		return nil, invalidArg("path", "empty")
	}
	backend, path := parseLocation(path)
	if backend != backendSQLite && backend != backendPostgres {
		return nil, &BackendError{Backend: backend, Location: RedactDSN(path), Err: ErrBackendUnavailable}
	}
	if path == "" {
		return nil, invalidArg("path", "empty after the sqlite: prefix")
	}
	if opts.Key != nil && opts.KeyProvider != nil {
		return nil, invalidArg("Options", "set Key or KeyProvider, not both")
	}
	hasKey := opts.Key != nil || opts.KeyProvider != nil
	if opts.Plaintext && hasKey {
		return nil, invalidArg("Options", "Plaintext and a key contradict each other: set one")
	}
	if !hasKey && !opts.Plaintext && !opts.ReadOnly {
		return nil, ErrNoKey
	}
	if opts.Key != nil {
		if len(opts.Key) != 32 {
			return nil, invalidArg("Options.Key", fmt.Sprintf("AES-256 needs 32 bytes, got %d", len(opts.Key)))
		}
		opts.KeyProvider = StaticKey(append([]byte(nil), opts.Key...))
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 10 * time.Second
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 4096
	}
	l := &Ledger{path: path, opts: opts, log: opts.Logger, now: opts.Now, closed: make(chan struct{})}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.now == nil {
		l.now = time.Now
	}
	if backend == backendPostgres {
		return openPostgres(ctx, path, l)
	}
	var err error
	if err := prepareFile(path, opts); err != nil {
		return nil, err
	}
	if opts.ReadOnly {
		l.sidecars = absentSidecars(path)
	}
	if l.write, err = sql.Open("sqlite", dsn(path, opts, opts.ReadOnly)); err != nil {
		return nil, fmt.Errorf("rollback: open %s: %w", path, err)
	}
	// One connection: all writes go through the group-commit writer.
	l.write.SetMaxOpenConns(1)
	fail := func(err error) (*Ledger, error) {
		if l.read != nil {
			l.read.Close()
		}
		l.write.Close()
		l.removeSidecars()
		return nil, err
	}
	target := len(migrations)
	if opts.schemaVersion > 0 {
		target = opts.schemaVersion
	}
	var from int
	if opts.ReadOnly {
		from, err = schemaVersion(ctx, l.write, path)
	} else {
		from, err = migrate(ctx, l.write, target)
	}
	if err != nil {
		return fail(err)
	}
	if l.read, err = sql.Open("sqlite", dsn(path, opts, true)); err != nil {
		return fail(fmt.Errorf("rollback: open %s: %w", path, err))
	}
	l.read.SetMaxOpenConns(8)
	if opts.schemaVersion > 0 {
		// An old-schema handle exists only for migration tests.
		return l, nil
	}
	l.migratedFrom = from
	if err := l.initMeta(ctx); err != nil {
		return fail(err)
	}
	if opts.ReadOnly {
		// No writer: its methods answer ErrReadOnly.
		return l, nil
	}
	if l.w, err = newWriter(ctx, l); err != nil {
		return fail(err)
	}
	if !l.seal.enabled() {
		l.log.Info("rollback ledger stores payloads and before-images in clear (Options.Plaintext)", "path", path)
	}
	return l, nil
}

// prepareFile makes sure the ledger file exists with owner-only access
// before SQLite opens it, whatever the umask: SQLite would create it with
// 0644 less the umask, and creates its -wal, -shm and -journal files with
// the main file's mode. A new file is created here, exclusively, 0600; an
// existing one readable or writable by others is tightened to 0600 by a
// writable Open (and its sidecars with it), or refused if that fails. A
// ReadOnly or MustExist Open creates nothing.
func prepareFile(path string, opts Options) error {
	if opts.ReadOnly || opts.MustExist {
		st, err := os.Stat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("%w: %s (nothing was created): %w", ErrNoLedger, path, fs.ErrNotExist)
		case err != nil:
			return fmt.Errorf("rollback: open %s: %w", path, err)
		case st.IsDir():
			return fmt.Errorf("rollback: open %s: is a directory", path)
		}
		if opts.ReadOnly {
			return nil
		}
	} else {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
		switch {
		case err == nil:
			// The umask can only have removed bits; set them exactly.
			err = f.Chmod(filePerm)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("rollback: create %s: %w", path, err)
			}
			return nil
		case !errors.Is(err, fs.ErrExist):
			return fmt.Errorf("rollback: create %s: %w", path, err)
		}
	}
	for _, p := range append([]string{path}, sidecarPaths(path)...) {
		if err := tighten(p); err != nil {
			return err
		}
	}
	return nil
}

// tighten removes group and other permissions from an existing file.
func tighten(path string) error {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("rollback: open %s: %w", path, err)
	}
	if st.IsDir() {
		return fmt.Errorf("rollback: open %s: is a directory", path)
	}
	if st.Mode().Perm()&^filePerm == 0 {
		return nil
	}
	if err := os.Chmod(path, st.Mode().Perm()&filePerm); err != nil {
		return fmt.Errorf("rollback: %s is readable by others and could not be made owner-only: %w", path, err)
	}
	return nil
}

func sidecarPaths(path string) []string {
	out := make([]string, len(sidecarSuffixes))
	for i, s := range sidecarSuffixes {
		out[i] = path + s
	}
	return out
}

// absentSidecars lists the -wal and -shm files not present now.
func absentSidecars(path string) []string {
	var out []string
	for _, s := range []string{"-wal", "-shm"} {
		if _, err := os.Lstat(path + s); errors.Is(err, fs.ErrNotExist) {
			out = append(out, path+s)
		}
	}
	return out
}

// removeSidecars undoes what opening a ReadOnly handle left behind: SQLite
// creates -wal and -shm even for a read-only connection to a WAL database.
// They are removed by SQLite itself, which deletes them when the last
// connection to the file closes: a connection opened (without creating the
// database) and closed here is that last one unless another process still
// has the ledger open, in which case the files are its and stay.
func (l *Ledger) removeSidecars() {
	left := false
	for _, p := range l.sidecars {
		if _, err := os.Lstat(p); err == nil {
			left = true
		}
	}
	if !left {
		return
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", l.opts.BusyTimeout.Milliseconds()))
	q.Set("mode", "rw")
	db, err := sql.Open("sqlite", "file:"+l.path+"?"+q.Encode())
	if err != nil {
		return
	}
	db.SetMaxOpenConns(1)
	var n int
	_ = db.QueryRow(`SELECT count(*) FROM sqlite_master`).Scan(&n)
	_ = db.Close()
}

// schemaVersion reads the schema version for a ReadOnly handle, which
// cannot bring an older file forward.
func schemaVersion(ctx context.Context, db *sql.DB, path string) (int, error) {
	var v int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("rollback: read schema version: %w", err)
	}
	switch {
	case v > len(migrations):
		return v, fmt.Errorf("%w: file has version %d, library knows %d", ErrSchemaTooNew, v, len(migrations))
	case v < len(migrations):
		return v, fmt.Errorf("rollback: %s has schema version %d and this library reads %d: open it once without ReadOnly to bring it forward", path, v, len(migrations))
	}
	return v, nil
}

func dsn(path string, opts Options, readOnly bool) string {
	sync := "FULL"
	if opts.Durability == DurabilityNormal {
		sync = "NORMAL"
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeout.Milliseconds()))
	if !opts.ReadOnly {
		q.Add("_pragma", "journal_mode(WAL)")
	}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+sync+")")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	switch {
	case opts.ReadOnly:
		q.Set("mode", "ro")
	case opts.MustExist:
		// Never let SQLite create the file, even if it vanished since
		// Open checked it.
		q.Set("mode", "rw")
	}
	return "file:" + path + "?" + q.Encode()
}

// newMigrationID returns 128 random bits in hex.
func newMigrationID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("rollback: migration id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// initMeta records creation time and checks or records the encryption key.
func (l *Ledger) initMeta(ctx context.Context) error {
	meta := map[string]string{}
	rows, err := l.write.QueryContext(ctx, `SELECT key, value FROM meta`)
	if err != nil {
		return fmt.Errorf("rollback: read meta: %w", err)
	}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return fmt.Errorf("rollback: read meta: %w", err)
		}
		meta[k] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rollback: read meta: %w", err)
	}
	l.seal, err = newSealer(ctx, l.opts.KeyProvider)
	if err != nil {
		return err
	}
	set := map[string]string{}
	if _, ok := meta["created_at"]; !ok {
		set["created_at"] = l.now().UTC().Format(time.RFC3339Nano)
	}
	if meta["migration_id"] == "" {
		// Made once, with the ledger (or on the first writable Open of a
		// ledger older than migration ids); never rewritten after.
		if set["migration_id"], err = newMigrationID(); err != nil {
			return err
		}
	}
	encrypted := meta["encryption"] == "aes-256-gcm"
	switch {
	case !l.seal.enabled() && encrypted:
		return &KeyError{KeyID: meta["key_id"], Err: ErrKeyRequired}
	case !l.seal.enabled():
		set["encryption"] = "none"
	case l.opts.ReadOnly:
		// Check the key against the file's check value when there is
		// one; a read-only handle records nothing.
		if check, ok := meta["key_check:"+l.seal.currentID]; ok {
			if err := l.verifyKeyCheck(ctx, l.seal.currentID, check); err != nil {
				return err
			}
		} else if prev := meta["key_id"]; encrypted && prev != "" {
			if err := l.verifyKeyCheck(ctx, prev, meta["key_check:"+prev]); err != nil {
				return err
			}
		}
	default:
		id := l.seal.currentID
		if check, ok := meta["key_check:"+id]; ok {
			if err := l.verifyKeyCheck(ctx, id, check); err != nil {
				return err
			}
		} else {
			if prev := meta["key_id"]; encrypted && prev != "" {
				// A new key id on an encrypted ledger is a rotation only if
				// the provider still opens the previous key.
				if err := l.verifyKeyCheck(ctx, prev, meta["key_check:"+prev]); err != nil {
					return err
				}
			}
			blob, _, err := l.seal.seal([]byte(keyCheckPlain), keyCheckAAD(id))
			if err != nil {
				return err
			}
			set["key_check:"+id] = hex.EncodeToString(blob)
		}
		set["encryption"] = "aes-256-gcm"
		set["key_id"] = id
	}
	if l.opts.ReadOnly {
		return nil
	}
	for k, v := range set {
		q := `INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`
		if k == "migration_id" {
			// Another process opening the file at the same time may have
			// made the id first: the first one stays.
			q = `INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO NOTHING`
		}
		if _, err := l.write.ExecContext(ctx, q, k, v); err != nil {
			return fmt.Errorf("rollback: write meta: %w", err)
		}
	}
	return nil
}

func (l *Ledger) verifyKeyCheck(ctx context.Context, id, check string) error {
	blob, err := hex.DecodeString(check)
	if err != nil {
		return &KeyError{KeyID: id, Err: fmt.Errorf("%w: corrupt key check", ErrWrongKey)}
	}
	plain, err := l.seal.open(ctx, blob, id, keyCheckAAD(id))
	if err != nil {
		return err
	}
	if string(plain) != keyCheckPlain {
		return &KeyError{KeyID: id, Err: ErrWrongKey}
	}
	return nil
}

// Info reports the file's schema version and encryption state.
func (l *Ledger) Info(ctx context.Context) (Info, error) {
	if l.isClosed() {
		return Info{}, ErrClosed
	}
	info := Info{Path: l.path, Encryption: "none"}
	if l.pg != nil {
		v, err := pgSchemaVersion(ctx, l.read)
		if err != nil {
			return info, err
		}
		info.SchemaVersion = v
	} else if err := l.read.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&info.SchemaVersion); err != nil {
		return info, fmt.Errorf("rollback: info: %w", err)
	}
	info.MigratedFrom = l.migratedFrom
	info.ReadOnly = l.opts.ReadOnly
	switch {
	case l.opts.ReadOnly:
		// A read-only handle seals nothing: report what the file says.
		err := l.read.QueryRowContext(ctx, `SELECT coalesce((SELECT value FROM meta WHERE key = 'encryption'), 'none'),
			coalesce((SELECT value FROM meta WHERE key = 'key_id'), '')`).Scan(&info.Encryption, &info.KeyID)
		if err != nil {
			return info, fmt.Errorf("rollback: info: %w", err)
		}
	case l.seal.enabled():
		info.Encryption, info.KeyID = "aes-256-gcm", l.seal.currentID
	}
	err := l.read.QueryRowContext(ctx, `SELECT coalesce((SELECT value FROM meta WHERE key = 'migration_id'), '')`).Scan(&info.MigrationID)
	if err != nil {
		return info, fmt.Errorf("rollback: info: %w", err)
	}
	err = l.read.QueryRowContext(ctx, `SELECT count(*) FROM journal
		WHERE key_id = '' AND (payload IS NOT NULL OR before IS NOT NULL)`).Scan(&info.PlaintextEntries)
	if err != nil {
		return info, fmt.Errorf("rollback: info: %w", err)
	}
	return info, nil
}

// Encrypted reports whether new payloads and before-images are encrypted.
func (l *Ledger) Encrypted() bool { return l.seal != nil && l.seal.enabled() }

func (l *Ledger) isClosed() bool {
	select {
	case <-l.closed:
		return true
	default:
		return false
	}
}

// Close waits for queued writes to commit, then closes the file.
func (l *Ledger) Close() error {
	l.closeOnce.Do(func() {
		close(l.closed)
		var errs []error
		if l.w != nil {
			errs = append(errs, l.w.close())
		}
		if l.read != nil {
			errs = append(errs, l.read.Close())
		}
		if l.write != nil {
			errs = append(errs, l.write.Close())
		}
		l.removeSidecars()
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}

func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}
