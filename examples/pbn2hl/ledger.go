package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pbnhl/pbnhl/rollback"
)

// envLedgerKeyFile names the key file when -ledger-key-file is not given.
// It holds a path, not the key: a key in the environment would be inherited
// by every child process and readable in /proc/PID/environ, while a file's
// mode is checked (readKey refuses one others can read).
const envLedgerKeyFile = "PBN2HL_LEDGER_KEY_FILE"

// ledgerMode is what a command does with its ledger.
type ledgerMode int

const (
	// ledgerRead: the command only reads (status, audit, preflight, undo
	// -dry-run). The ledger must exist; nothing is ever created.
	ledgerRead ledgerMode = iota
	// ledgerWrite: the command journals into the ledger. The ledger must
	// exist unless -new-ledger is given, and a key (or -plaintext-ledger)
	// is required.
	ledgerWrite
)

// missingLedgerError is a -ledger path with no file behind it. A new, empty
// ledger knows nothing of what an earlier run wrote: opening one by mistake
// (a typo, another folder) would write the practice a second time, so the
// tool never creates one unasked.
type missingLedgerError struct {
	path string
	mode ledgerMode
	// canCreate: the command takes -new-ledger.
	canCreate bool
}

func (e *missingLedgerError) Error() string {
	return fmt.Sprintf("the ledger %s does not exist (nothing was created)", e.path)
}

// advice is what to do, one line each.
func (e *missingLedgerError) advice(cmd string) []string {
	out := []string{"a mistyped or moved -ledger: give the path of this migration's ledger (pbn2hl status -ledger PATH shows what a ledger holds)"}
	if e.mode == ledgerRead && cmd == "preflight" {
		out = append(out, "a new migration: leave -ledger out (preflight then counts every record as still to write)")
	}
	if e.mode == ledgerWrite && e.canCreate {
		out = append(out, fmt.Sprintf("a new migration into a location nothing was migrated to: pbn2hl %s -new-ledger ... creates %s", cmd, e.path))
	}
	out = append(out, "a lost ledger: pbn2hl adopt -new-ledger ... rebuilds its id map from HighLevel without writing there")
	return out
}

// openLedger opens -ledger for what the command does with it: read-only
// commands never create a file, writing ones only with -new-ledger, and
// writing ones need the key or an explicit -plaintext-ledger.
func (c *cli) openLedger(ctx context.Context, mode ledgerMode) (*rollback.Ledger, error) {
	if c.cfg.ledger == "" {
		return nil, usagef("-ledger is required")
	}
	exists, err := ledgerExists(c.cfg.ledger)
	if err != nil {
		return nil, err
	}
	if !exists && (mode == ledgerRead || !c.cfg.newLedger) {
		return nil, &missingLedgerError{path: c.cfg.ledger, mode: mode, canCreate: c.def.creates}
	}
	if exists && c.cfg.newLedger && mode == ledgerWrite {
		// Not an error: the same command line runs again to resume.
		c.progressf("pbn2hl %s: the ledger %s exists: using it (-new-ledger creates one only when there is none)", c.cmd, c.cfg.ledger)
	}
	// The library enforces both rules too (race-free: a file removed after
	// the check above is not re-created): ReadOnly writes nothing, needs no
	// encryption choice and never creates; MustExist refuses a missing file.
	opts := rollback.Options{Logger: c.log, ReadOnly: mode == ledgerRead, MustExist: mode == ledgerRead || !c.cfg.newLedger,
		Plaintext: mode == ledgerWrite && c.cfg.plaintextLedger}
	keyFile := c.keyFile()
	if keyFile != "" {
		key, err := readKey(keyFile)
		if err != nil {
			return nil, err
		}
		opts.Key = key
	}
	if mode == ledgerWrite {
		if keyFile == "" && !c.cfg.plaintextLedger {
			return nil, usagef("the ledger holds patient data (request bodies, before-images): give its key with -ledger-key-file FILE (or $%s), "+
				"or say -plaintext-ledger to store it in clear (a rehearsal on simulated data)", envLedgerKeyFile)
		}
		if keyFile != "" && c.cfg.plaintextLedger {
			return nil, usagef("-plaintext-ledger and a ledger key (-ledger-key-file or $%s) exclude each other", envLedgerKeyFile)
		}
		if c.cfg.plaintextLedger {
			// Every time, -v or not: a plaintext ledger of a real practice is
			// a breach waiting for a copied file.
			fmt.Fprintf(c.stderr, "pbn2hl %s: WARNING: -plaintext-ledger: %s stores patient data (names, contact details, notes) in clear; "+
				"anyone who can read the file or a copy of it reads them. Use -ledger-key-file for a real practice.\n", c.cmd, c.cfg.ledger)
		}
	}
	l, err := rollback.Open(ctx, c.cfg.ledger, opts)
	if errors.Is(err, rollback.ErrNoLedger) {
		return nil, &missingLedgerError{path: c.cfg.ledger, mode: mode, canCreate: c.def.creates}
	}
	if err != nil {
		return nil, fmt.Errorf("open the ledger: %w", err)
	}
	return l, nil
}

// keyFile is -ledger-key-file, or $PBN2HL_LEDGER_KEY_FILE.
func (c *cli) keyFile() string {
	if c.cfg.ledgerKeyFile != "" {
		return c.cfg.ledgerKeyFile
	}
	return c.getenv(envLedgerKeyFile)
}

// ledgerExists reports whether -ledger names an existing ledger: a file
// (a path, or sqlite:PATH) or, for a postgres:// URL, a database holding
// one (rollback.Exists; nothing is created). Any answer but "there is
// nothing there" (a permission error, a directory, a server that does not
// answer) is an error: guessing "missing" could lead to a new ledger
// beside the real one. A password in a postgres:// -ledger is refused: a
// command line is readable by every user of the machine (ps) and -ledger
// is repeated in messages, so the password goes in $PGPASSWORD or
// ~/.pgpass (pgx reads both); the refusal names the URL through
// rollback.RedactDSN.
func ledgerExists(path string) (bool, error) {
	if redacted := rollback.RedactDSN(path); redacted != path {
		return false, usagef("-ledger %s carries a password: give it in $PGPASSWORD or ~/.pgpass instead "+
			"(a command line is visible to every user of this machine)", redacted)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ok, err := rollback.Exists(ctx, path)
	var bad *rollback.InvalidArgumentError
	switch {
	case errors.As(err, &bad):
		return false, usagef("-ledger: %s: give the ledger file", bad.Reason)
	case err != nil:
		return false, fmt.Errorf("ledger: %w", err)
	}
	return ok, nil
}

// readKey reads a 32-byte key file: raw bytes or 64 hex digits. A key
// others can read is refused: it would protect nothing.
func readKey(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("ledger key file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("ledger key file %s is readable by others (mode %v): chmod 600 it", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ledger key file: %w", err)
	}
	if len(b) == 32 {
		return b, nil
	}
	if s := strings.TrimSpace(string(b)); len(s) == 64 {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	return nil, fmt.Errorf("ledger key file %s: want 32 raw bytes or 64 hex digits, found %d bytes", path, len(b))
}

// checkLocation refuses a ledger whose runs were made in another location:
// its id map and undo would be wrong there.
func (c *cli) checkLocation(ctx context.Context, l *rollback.Ledger) error {
	runs, err := l.Runs(ctx)
	if err != nil {
		return fmt.Errorf("read the ledger's runs: %w", err)
	}
	for _, r := range runs {
		if r.Location != "" && r.Location != c.cfg.location {
			return usagef("the ledger %s holds runs of location %s, not %s: one ledger per location (a sample into staging needs its own)",
				c.cfg.ledger, r.Location, c.cfg.location)
		}
	}
	return nil
}
