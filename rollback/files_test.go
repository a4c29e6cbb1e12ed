//go:build unix

package rollback

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withUmask runs f under umask m (process-wide: these tests do not run in
// parallel) and restores the previous umask.
func withUmask(t *testing.T, m int, f func()) {
	t.Helper()
	old := syscall.Umask(m)
	defer syscall.Umask(old)
	f()
}

func perm(t *testing.T, path string) fs.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	require.NoError(t, err)
	return st.Mode().Perm()
}

// writeSome journals a few entries so that SQLite has a WAL with frames.
func writeSome(t *testing.T, l *Ledger) {
	t.Helper()
	ctx := context.Background()
	run, err := l.BeginRun(ctx, RunOptions{Kind: KindFull})
	require.NoError(t, err)
	for i := range 5 {
		seq, err := run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: string(rune('a' + i)), Payload: []byte(`{"a":1}`)})
		require.NoError(t, err)
		require.NoError(t, run.Outcome(ctx, seq, Done("c"+string(rune('a'+i)))))
	}
}

// assertOwnerOnly checks the ledger and the -wal and -shm files SQLite
// keeps beside it while it is open.
func assertOwnerOnly(t *testing.T, path string) {
	t.Helper()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		assert.Equal(t, fs.FileMode(0o600), perm(t, p), "%s", filepath.Base(p))
	}
	if _, err := os.Stat(path + "-journal"); err == nil {
		assert.Equal(t, fs.FileMode(0o600), perm(t, path+"-journal"))
	}
}

func TestLedgerFilesOwnerOnlyWhateverTheUmask(t *testing.T) {
	for _, m := range []int{0o022, 0o002, 0o000} {
		t.Run(fs.FileMode(m).String(), func(t *testing.T) {
			withUmask(t, m, func() {
				path := filepath.Join(t.TempDir(), "ledger.db")
				l := openTest(t, path, Options{})
				writeSome(t, l)
				assertOwnerOnly(t, path)

				// A second handle (another process would do the same) and
				// more writes change nothing.
				l2 := openTest(t, path, Options{})
				writeSome(t, l2)
				assertOwnerOnly(t, path)
			})
		})
	}
}

func TestExistingLedgerOpenToOthersIsTightened(t *testing.T) {
	withUmask(t, 0o022, func() {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "ledger.db")
		l := openTest(t, path, Options{})
		writeSome(t, l)
		require.NoError(t, l.Close())
		// As an older version (or a copy) left it: world-readable.
		require.NoError(t, os.Chmod(path, 0o644))
		require.NoError(t, os.WriteFile(path+"-journal", nil, 0o644)) // a stale sidecar
		require.NoError(t, os.Chmod(path+"-journal", 0o644))

		// Read-only leaves modes alone (it changes nothing)...
		ro := openTest(t, path, Options{ReadOnly: true})
		require.NoError(t, ro.Close())
		assert.Equal(t, fs.FileMode(0o644), perm(t, path))

		// ...a writable open makes the ledger and its sidecars owner-only.
		l = openTest(t, path, Options{})
		assert.Equal(t, fs.FileMode(0o600), perm(t, path+"-journal"))
		require.NoError(t, os.Remove(path+"-journal"))
		writeSome(t, l)
		assertOwnerOnly(t, path)
		es := collect(t, l.Entries(ctx, EntryFilter{}))
		assert.Len(t, es, 10, "the tightened ledger keeps its data")
	})
}

func TestEmptyFileCreatedByOthersIsTightened(t *testing.T) {
	withUmask(t, 0o022, func() {
		path := filepath.Join(t.TempDir(), "ledger.db")
		require.NoError(t, os.WriteFile(path, nil, 0o666))
		require.Equal(t, fs.FileMode(0o644), perm(t, path))
		l := openTest(t, path, Options{})
		writeSome(t, l)
		assertOwnerOnly(t, path)
	})
}

// dirState lists a directory's names, modes, sizes and modification times.
func dirState(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range es {
		fi, err := e.Info()
		require.NoError(t, err)
		out = append(out, fmt.Sprintf("%s %v %d %v", e.Name(), fi.Mode(), fi.Size(), fi.ModTime()))
	}
	sort.Strings(out)
	return out
}

func TestMustExistCreatesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "typo.ledger")
	for _, opts := range []Options{
		{MustExist: true, Plaintext: true},
		{MustExist: true, Key: testKey(1)},
		{ReadOnly: true},
		{ReadOnly: true, MustExist: true, Key: testKey(1)},
	} {
		opts.Logger = quietLogger()
		l, err := Open(ctx, path, opts)
		require.Error(t, err)
		assert.Nil(t, l)
		assert.ErrorIs(t, err, ErrNoLedger)
		assert.ErrorIs(t, err, fs.ErrNotExist)
		assert.Contains(t, err.Error(), path)
		assert.Empty(t, dirState(t, dir), "no ledger, WAL or SHM may be created")
	}

	// An existing ledger opens with MustExist.
	l := openTest(t, path, Options{})
	writeSome(t, l)
	require.NoError(t, l.Close())
	l = openTest(t, path, Options{MustExist: true})
	assert.Len(t, collect(t, l.Entries(ctx, EntryFilter{})), 5)
	writeSome(t, l)
}

func TestReadOnlyCreatesAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	l := openTest(t, path, Options{})
	writeSome(t, l)
	info, err := l.Info(ctx)
	require.NoError(t, err)
	require.NoError(t, l.Close())
	before := dirState(t, dir)
	require.Len(t, before, 1, "a closed ledger is one file: %v", before)

	time.Sleep(20 * time.Millisecond) // a modification would show in the time
	ro := openTest(t, path, Options{ReadOnly: true})
	got, err := ro.Info(ctx)
	require.NoError(t, err)
	assert.True(t, got.ReadOnly)
	assert.Equal(t, "none", got.Encryption)
	assert.Equal(t, info.MigrationID, got.MigrationID)
	assert.Len(t, collect(t, ro.Entries(ctx, EntryFilter{})), 5)
	runs, err := ro.Runs(ctx)
	require.NoError(t, err)
	assert.Len(t, runs, 1)
	_, err = ro.BeginRun(ctx, RunOptions{Kind: KindFull})
	assert.ErrorIs(t, err, ErrReadOnly)
	err = ro.Outcome(ctx, runs[0].ID, 1, Done("x"))
	assert.ErrorIs(t, err, ErrReadOnly)
	require.NoError(t, ro.Close())
	assert.Equal(t, before, dirState(t, dir), "a read-only open leaves the directory as it found it")
}

func TestReadOnlyBesideAWriter(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	w := openTest(t, path, Options{})
	writeSome(t, w)

	ro := openTest(t, path, Options{ReadOnly: true})
	assert.Len(t, collect(t, ro.Entries(ctx, EntryFilter{})), 5)
	require.NoError(t, ro.Close())
	// The writer's WAL and SHM are the writer's: they stay, and it goes on.
	for _, p := range []string{path + "-wal", path + "-shm"} {
		_, err := os.Stat(p)
		require.NoError(t, err)
	}
	writeSome(t, w)
	assert.Len(t, collect(t, w.Entries(ctx, EntryFilter{})), 10)
}

func TestReadOnlyRefusesAnOldSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := Open(ctx, path, Options{schemaVersion: 1, Plaintext: true, Logger: quietLogger()})
	require.NoError(t, err)
	require.NoError(t, old.Close())
	_, err = Open(ctx, path, Options{ReadOnly: true, Logger: quietLogger()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "without ReadOnly")
	assert.False(t, errors.Is(err, ErrNoLedger))
}
