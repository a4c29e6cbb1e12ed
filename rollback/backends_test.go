package rollback

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The ledger suite over both backends (issue 20.1). eachBackend runs a
// test body once per backend, as subtests "sqlite" and "postgres"; inside
// the body, openTest(t, "", …) opens a new ledger of that backend — a
// temp file for SQLite, a fresh database of the PostgreSQL test server
// (postgresDB) for PostgreSQL. The postgres subtest skips, with the
// harness's message, only when no PostgreSQL server can be reached or
// started.

// pgTests holds the names of the tests (and so of their subtests) running
// on PostgreSQL.
var pgTests sync.Map

func eachBackend(t *testing.T, body func(t *testing.T)) {
	t.Helper()
	t.Run(backendSQLite, body)
	t.Run(backendPostgres, func(t *testing.T) {
		postgresDB(t) // skips when there is no server; the database is unused
		pgTests.Store(t.Name(), true)
		t.Cleanup(func() { pgTests.Delete(t.Name()) })
		body(t)
	})
}

// onPostgres reports whether t (or a test it is a subtest of) runs the
// body of eachBackend on PostgreSQL.
func onPostgres(t testing.TB) bool {
	name := t.Name()
	for {
		if _, ok := pgTests.Load(name); ok {
			return true
		}
		i := strings.LastIndexByte(name, '/')
		if i < 0 {
			return false
		}
		name = name[:i]
	}
}

// newLocation is where openTest puts a new ledger of t's backend.
func newLocation(t testing.TB) string {
	if onPostgres(t) {
		return postgresURL(t)
	}
	return t.TempDir() + "/ledger.db"
}

// sqliteOnly skips the rest of a body on PostgreSQL, saying why: what it
// checks is a SQLite file's (modes, sidecars, the file's bytes).
func sqliteOnly(t testing.TB, why string) {
	t.Helper()
	if onPostgres(t) {
		t.Skip("SQLite only: " + why)
	}
}

// postgresURL is postgresDB: a postgres:// URL, the form a ledger
// location takes.
func postgresURL(t testing.TB) string {
	t.Helper()
	return postgresDB(t)
}

// openWhenUnlocked opens a PostgreSQL ledger whose previous writer was
// just killed: the server frees its lock once it notices the session
// ended, which may take a moment.
func openWhenUnlocked(t testing.TB, path string, opts Options) *Ledger {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		l, err := Open(context.Background(), path, Options{Plaintext: opts.Key == nil && opts.KeyProvider == nil, Key: opts.Key, KeyProvider: opts.KeyProvider, Logger: quietLogger(), Now: opts.Now})
		if err == nil {
			t.Cleanup(func() { _ = l.Close() })
			return l
		}
		if !errors.Is(err, ErrLedgerLocked) || time.Now().After(deadline) {
			t.Fatalf("open after the writer was killed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pgDatabaseFiles lists the files of the database at loc in the local
// test cluster, after a CHECKPOINT has written every dirty page out; it
// skips the test on a server given by PBNHL_POSTGRES_URL, whose files it
// cannot read.
func pgDatabaseFiles(t *testing.T, loc string) []string {
	t.Helper()
	if pg == nil || pg.DataDir() == "" {
		t.Skip("the raw-bytes check needs the throwaway local cluster (PBNHL_POSTGRES_URL names a server whose files the test cannot read)")
	}
	db := pgTestLocation(t, loc).db(false)
	defer db.Close()
	_, err := db.Exec(`CHECKPOINT`)
	require.NoError(t, err)
	var oid int64
	require.NoError(t, db.QueryRow(`SELECT oid FROM pg_database WHERE datname = current_database()`).Scan(&oid))
	files, err := filepath.Glob(filepath.Join(pg.DataDir(), "base", fmt.Sprint(oid), "*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}
