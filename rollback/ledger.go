package rollback

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
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

// Options configure Open. The zero value is a plaintext ledger with full
// durability.
type Options struct {
	// Key, if set, is a 32-byte AES-256 key used to encrypt payloads and
	// before-images. Mutually exclusive with KeyProvider.
	Key []byte
	// KeyProvider supplies keys by id (rotation, KMS).
	KeyProvider KeyProvider
	// Durability defaults to DurabilityFull.
	Durability Durability
	// BusyTimeout is how long SQLite waits for a lock held by another
	// process before failing; default 10 s.
	BusyTimeout time.Duration
	// MaxBatch caps how many queued writes one group commit takes; default 4096.
	MaxBatch int
	// Logger receives operational messages (never payloads); default slog.Default().
	Logger *slog.Logger
	// Now is the clock; default time.Now. Tests pin it.
	Now func() time.Time

	schemaVersion int // tests open at an older schema version
}

// Ledger is one migration project's run ledger: a single SQLite file.
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

	closeOnce sync.Once
	closeErr  error
}

// Info describes a ledger file.
type Info struct {
	Path          string
	SchemaVersion int
	// MigratedFrom is the schema version this handle's Open found (0 for a
	// new file, SchemaVersion when nothing needed migrating).
	MigratedFrom int
	// Encryption is "aes-256-gcm" when payloads and before-images are
	// encrypted, "none" when they are stored in clear.
	Encryption string
	// KeyID is the id of the key new entries are sealed with.
	KeyID string
	// PlaintextEntries counts journal entries whose payload or before-image
	// is stored in clear (written before a key was configured, or without one).
	PlaintextEntries int64
}

// Open opens or creates the ledger at path and brings its schema forward.
func Open(ctx context.Context, path string, opts Options) (*Ledger, error) {
	if path == "" {
		return nil, invalidArg("path", "empty")
	}
	if opts.Key != nil && opts.KeyProvider != nil {
		return nil, invalidArg("Options", "set Key or KeyProvider, not both")
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
		l.log = slog.Default()
	}
	if l.now == nil {
		l.now = time.Now
	}
	var err error
	if l.write, err = sql.Open("sqlite", dsn(path, opts, false)); err != nil {
		return nil, fmt.Errorf("rollback: open %s: %w", path, err)
	}
	// One connection: all writes go through the group-commit writer.
	l.write.SetMaxOpenConns(1)
	target := len(migrations)
	if opts.schemaVersion > 0 {
		target = opts.schemaVersion
	}
	from, err := migrate(ctx, l.write, target)
	if err != nil {
		l.write.Close()
		return nil, err
	}
	if l.read, err = sql.Open("sqlite", dsn(path, opts, true)); err != nil {
		l.write.Close()
		return nil, fmt.Errorf("rollback: open %s: %w", path, err)
	}
	l.read.SetMaxOpenConns(8)
	if opts.schemaVersion > 0 {
		// An old-schema handle exists only for migration tests.
		return l, nil
	}
	l.migratedFrom = from
	if err := l.initMeta(ctx); err != nil {
		l.read.Close()
		l.write.Close()
		return nil, err
	}
	if l.w, err = newWriter(ctx, l); err != nil {
		l.read.Close()
		l.write.Close()
		return nil, err
	}
	if !l.seal.enabled() {
		l.log.Info("rollback ledger stores payloads and before-images in clear (no key given)", "path", path)
	}
	return l, nil
}

func dsn(path string, opts Options, readOnly bool) string {
	sync := "FULL"
	if opts.Durability == DurabilityNormal {
		sync = "NORMAL"
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+sync+")")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
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
	encrypted := meta["encryption"] == "aes-256-gcm"
	switch {
	case !l.seal.enabled() && encrypted:
		return &KeyError{KeyID: meta["key_id"], Err: ErrKeyRequired}
	case !l.seal.enabled():
		set["encryption"] = "none"
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
	for k, v := range set {
		if _, err := l.write.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES(?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
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
	if err := l.read.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&info.SchemaVersion); err != nil {
		return info, fmt.Errorf("rollback: info: %w", err)
	}
	info.MigratedFrom = l.migratedFrom
	if l.seal.enabled() {
		info.Encryption, info.KeyID = "aes-256-gcm", l.seal.currentID
	}
	err := l.read.QueryRowContext(ctx, `SELECT count(*) FROM journal
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
