package pbnhl

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pbnhl/pbnhl/mapping"

	_ "modernc.org/sqlite" // the spool's SQLite driver
)

// spool keeps the contact_field payloads (communication log, forms) on
// disk between the pass that reads them and the creation of their
// contacts, so memory does not grow with the practice: a contact's
// entries are read back when its create call is built. The file is
// temporary, in the OS temp directory, and removed when the phase ends;
// entries are sealed with AES-256-GCM under a random key that only this
// process holds, so the patient data in it is unreadable once the process
// is gone, even if the file is left behind by a crash.
type spool struct {
	dir  string
	aead cipher.AEAD
	db   *sql.DB
	tx   *sql.Tx
	ins  *sql.Stmt
	seq  int64
	read *sql.Stmt
}

func newSpool(ctx context.Context) (*spool, error) {
	dir, err := os.MkdirTemp("", "pbnhl-spool-")
	if err != nil {
		return nil, fmt.Errorf("pbnhl: spool: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "spool.db")+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)")
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pbnhl: spool: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pbnhl: spool key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pbnhl: spool key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pbnhl: spool key: %w", err)
	}
	s := &spool{dir: dir, db: db, aead: aead}
	if _, err := db.ExecContext(ctx, `CREATE TABLE entry (contact TEXT NOT NULL, seq INTEGER NOT NULL, payload BLOB NOT NULL, PRIMARY KEY (contact, seq)) WITHOUT ROWID`); err != nil {
		_ = s.close()
		return nil, fmt.Errorf("pbnhl: spool: %w", err)
	}
	return s, nil
}

// add stores one payload under its contact's source key.
func (s *spool) add(ctx context.Context, contact string, p *mapping.Payload) error {
	if s.tx == nil {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("pbnhl: spool: %w", err)
		}
		s.tx = tx
		if s.ins, err = tx.PrepareContext(ctx, `INSERT INTO entry(contact, seq, payload) VALUES (?, ?, ?)`); err != nil {
			return fmt.Errorf("pbnhl: spool: %w", err)
		}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("pbnhl: spool: %w", err)
	}
	s.seq++
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("pbnhl: spool: %w", err)
	}
	sealed := s.aead.Seal(nonce, nonce, b, []byte(contact))
	if _, err := s.ins.ExecContext(ctx, contact, s.seq, sealed); err != nil {
		return fmt.Errorf("pbnhl: spool: %w", err)
	}
	return nil
}

// seal commits what was added; the spool is then read-only.
func (s *spool) seal(ctx context.Context) error {
	if s.tx != nil {
		_ = s.ins.Close()
		if err := s.tx.Commit(); err != nil {
			return fmt.Errorf("pbnhl: spool: %w", err)
		}
		s.tx = nil
	}
	var err error
	s.read, err = s.db.PrepareContext(ctx, `SELECT payload FROM entry WHERE contact = ? ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("pbnhl: spool: %w", err)
	}
	return nil
}

// take returns a contact's payloads in the order they were added.
func (s *spool) take(ctx context.Context, contact string) ([]mapping.Payload, error) {
	rows, err := s.read.QueryContext(ctx, contact)
	if err != nil {
		return nil, fmt.Errorf("pbnhl: spool: %w", err)
	}
	defer rows.Close()
	var out []mapping.Payload
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("pbnhl: spool: %w", err)
		}
		n := s.aead.NonceSize()
		if len(b) < n {
			return nil, fmt.Errorf("pbnhl: spool: short entry")
		}
		plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(contact))
		if err != nil {
			return nil, fmt.Errorf("pbnhl: spool: %w", err)
		}
		var p mapping.Payload
		if err := json.Unmarshal(plain, &p); err != nil {
			return nil, fmt.Errorf("pbnhl: spool: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (s *spool) close() error {
	if s.tx != nil {
		_ = s.tx.Rollback()
	}
	err := s.db.Close()
	if rerr := os.RemoveAll(s.dir); err == nil {
		err = rerr
	}
	return err
}
