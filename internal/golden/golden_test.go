package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a testing.TB that records failures instead of failing the
// test that uses it; Fatalf ends the calling goroutine like the real one.
type recorder struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return "TestSomething/sub" }
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
	r.fatal = true
	runtime.Goexit()
}

// run calls f with a recorder on its own goroutine (Fatalf ends it).
func run(t *testing.T, f func(testing.TB)) *recorder {
	t.Helper()
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func withUpdate(t *testing.T, v bool) {
	old := *update
	*update = v
	t.Cleanup(func() { *update = old })
}

func TestAssertEqualPasses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.txt")
	require.NoError(t, os.WriteFile(path, []byte("one\ntwo\n"), 0o644))
	r := run(t, func(tb testing.TB) { Assert(tb, path, []byte("one\ntwo\n")) })
	assert.Empty(t, r.errors)
}

func TestAssertDifferenceFailsWithDiff(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.txt")
	var want strings.Builder
	for i := 1; i <= 100; i++ {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	got := strings.Replace(want.String(), "line 50\n", "line fifty\n", 1)
	require.NoError(t, os.WriteFile(path, []byte(want.String()), 0o644))
	r := run(t, func(tb testing.TB) { Assert(tb, path, []byte(got)) })
	require.Len(t, r.errors, 1)
	assert.False(t, r.fatal, "a difference fails the test but lets it go on")
	msg := r.errors[0]
	assert.Contains(t, msg, path+" differs from the golden file")
	assert.Contains(t, msg, "@@ line 47 of the golden file @@")
	assert.Contains(t, msg, "\n-line 50\n+line fifty\n")
	assert.Contains(t, msg, "-run '^TestSomething$' -update")
	assert.NotContains(t, msg, "line 10\n", "only the changed region and its context are shown")
}

func TestAssertMissingFileStops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.txt")
	r := run(t, func(tb testing.TB) { Assert(tb, path, []byte("x")) })
	require.True(t, r.fatal)
	assert.Contains(t, r.errors[0], "is missing: run go test -run '^TestSomething$' -update")
}

func TestUpdateRewrites(t *testing.T) {
	withUpdate(t, true)
	path := filepath.Join(t.TempDir(), "sub", "dir", "a.txt")
	r := run(t, func(tb testing.TB) { Assert(tb, path, []byte("new\n")) })
	assert.Empty(t, r.errors)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "new\n", string(b))
	assert.True(t, Update())

	*update = false
	r = run(t, func(tb testing.TB) { Assert(tb, path, []byte("new\n")) })
	assert.Empty(t, r.errors, "the rewritten file is what the next run compares with")
}

func TestAssertJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"b": [1, 2], "a": "x"}`), 0o644))
	r := run(t, func(tb testing.TB) { AssertJSON(tb, path, []byte("{\n  \"a\": \"x\",\n  \"b\": [1,2]\n}\n")) })
	assert.Empty(t, r.errors, "key order and layout do not matter")

	r = run(t, func(tb testing.TB) { AssertJSON(tb, path, []byte(`{"a": "y", "b": [1, 2]}`)) })
	require.Len(t, r.errors, 1)
	assert.Contains(t, r.errors[0], "-  \"a\": \"x\",\n+  \"a\": \"y\",")

	r = run(t, func(tb testing.TB) { AssertJSON(tb, path, []byte(`not json`)) })
	assert.True(t, r.fatal)
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.txt")
	require.NoError(t, os.WriteFile(path, []byte("stored"), 0o644))
	var want []byte
	var ok bool
	r := run(t, func(tb testing.TB) { want, ok = Load(tb, path, []byte("current")) })
	assert.Empty(t, r.errors)
	assert.True(t, ok)
	assert.Equal(t, "stored", string(want))

	withUpdate(t, true)
	r = run(t, func(tb testing.TB) { want, ok = Load(tb, path, []byte("current")) })
	assert.Empty(t, r.errors)
	assert.False(t, ok, "under -update there is nothing to compare")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "current", string(b))
}

func TestDiff(t *testing.T) {
	assert.Empty(t, Diff("same\n", "same\n"))
	assert.Equal(t, "@@ line 1 of the golden file @@\n a\n-b\n+B\n+b2\n c", Diff("a\nb\nc\n", "a\nB\nb2\nc\n"))
	assert.Equal(t, "@@ line 1 of the golden file @@\n a\n-b\n+b⏎ (no newline at end)", Diff("a\nb\n", "a\nb"),
		"a missing final newline is a visible difference")
	// Two separate changes in a small region are shown as a line diff, the
	// unchanged lines between them as context.
	d := Diff("1\n2\n3\n4\n5\n", "1\nX\n3\n4\nY\n")
	assert.Equal(t, "@@ line 1 of the golden file @@\n 1\n-2\n+X\n 3\n 4\n-5\n+Y", d)
	// A long diff is cut.
	var a, b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&a, "a%d\n", i)
		fmt.Fprintf(&b, "b%d\n", i)
	}
	d = Diff(a.String(), b.String())
	assert.Len(t, strings.Split(d, "\n"), maxDiffLines+1)
	assert.True(t, strings.HasSuffix(d, "more diff lines"))
}
