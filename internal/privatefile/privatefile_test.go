package privatefile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func text(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func TestWriteIsOwnerOnlyOverAnExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "map.yaml")
	require.NoError(t, os.WriteFile(path, []byte("old, world-readable"), 0o644))
	require.NoError(t, Write(path, text("new")))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "new", string(b))
	if runtime.GOOS != "windows" {
		st, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "the old file's mode is not kept")
	}
	assertOnly(t, filepath.Dir(path), "map.yaml")
}

func TestWriteReplacesALinkWithoutFollowingIt(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	require.NoError(t, os.WriteFile(victim, []byte("untouched"), 0o644))
	path := filepath.Join(dir, "audit.jsonl")
	require.NoError(t, os.Symlink(victim, path))
	require.NoError(t, Write(path, text("phi")))
	b, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "untouched", string(b))
	st, err := os.Lstat(path)
	require.NoError(t, err)
	assert.True(t, st.Mode().IsRegular(), "the link is replaced by a file")
}

func TestFailedWriteKeepsTheOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "review.md")
	require.NoError(t, os.WriteFile(path, []byte("reviewed"), 0o600))
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		fmt.Fprint(w, "half")
		return boom
	})
	require.ErrorIs(t, err, boom)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "reviewed", string(b))
	assertOnly(t, dir, "review.md")
}

func TestWriteRefusesADirectory(t *testing.T) {
	dir := t.TempDir()
	err := Write(dir, text("x"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is a directory")
}

func TestWriteInTheWorkingDirectory(t *testing.T) {
	t.Chdir(t.TempDir())
	require.NoError(t, Write("plain.txt", text("x")))
	b, err := os.ReadFile("plain.txt")
	require.NoError(t, err)
	assert.Equal(t, "x", string(b))
}

// assertOnly checks that dir holds exactly the named files (no temporary
// file left behind).
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	assert.ElementsMatch(t, names, got)
}
