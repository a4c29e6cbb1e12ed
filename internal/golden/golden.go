// Package golden compares a test's output with a file checked in under
// testdata/ ("a golden file"), and rewrites that file when the test binary
// runs with -update.
//
// It is a test helper: only _test.go files import it. The -update flag is
// registered here, once, so every package that uses the helper accepts
//
//	go test ./pkg -run TestName -update
//
// and no test file declares its own flag (two declarations in one test
// binary would panic at start-up).
//
// A mismatch is reported with the file's path, the first differing line and
// a short line diff (not the two whole files), so a reviewer sees what
// changed; run with -update only after deciding the change is intended, and
// say so in the commit.
package golden

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ from the current output")

// Update reports whether the test binary runs with -update, for a test that
// prepares its output differently when rewriting (most need not ask).
func Update() bool { return *update }

// Assert compares got with the file at path byte for byte. Under -update it
// writes got to path (creating its directory) and passes. A missing file
// stops the test; a different one fails it (the test goes on, so a loop over
// several files reports each).
func Assert(t testing.TB, path string, got []byte) {
	t.Helper()
	want, ok := Load(t, path, got)
	if !ok || bytes.Equal(want, got) {
		return
	}
	t.Errorf("%s differs from the golden file (%d bytes expected, %d got)%s\n%s",
		path, len(want), len(got), hint(t), Diff(string(want), string(got)))
}

// AssertJSON compares got with the JSON file at path as JSON values: key
// order and white space do not matter, values do. Under -update it writes
// got as it is. Both must be valid JSON.
func AssertJSON(t testing.TB, path string, got []byte) {
	t.Helper()
	want, ok := Load(t, path, got)
	if !ok {
		return
	}
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("golden file %s is not JSON: %v", path, err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("output compared with %s is not JSON: %v", path, err)
	}
	if reflect.DeepEqual(w, g) {
		return
	}
	// Re-encoded values have sorted keys and one layout, so the diff shows
	// only what differs.
	wi, _ := json.MarshalIndent(w, "", "  ")
	gi, _ := json.MarshalIndent(g, "", "  ")
	t.Errorf("%s differs from the golden file as JSON%s\n%s", path, hint(t), Diff(string(wi), string(gi)))
}

// Load is for a test with its own comparison (for example decoding both
// sides into a type first). Under -update it writes got to path and returns
// (nil, false): there is nothing left to compare. Otherwise it returns the
// file's content and true; a missing or unreadable file stops the test with
// the command that creates it.
func Load(t testing.TB, path string, got []byte) ([]byte, bool) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("golden: %v", err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("golden: %v", err)
		}
		return nil, false
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("golden file %s is missing: run go test -run '^%s$' -update to create it", path, topName(t))
	}
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	return want, true
}

func hint(t testing.TB) string {
	return fmt.Sprintf("; if the change is intended, rerun with go test -run '^%s$' -update and say so in the commit", topName(t))
}

// topName is the top-level test's name: -run matches it for every subtest.
func topName(t testing.TB) string {
	name, _, _ := strings.Cut(t.Name(), "/")
	return name
}

// Diff returns a line diff of want and got in the unified style ("-" a line
// only in want, "+" only in got, " " context), limited to the changed region
// and at most maxDiffLines lines, each headed by its line number in want.
func Diff(want, got string) string {
	if want == got {
		return ""
	}
	a, b := splitLines(want), splitLines(got)
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var out []string
	from := max(0, pre-contextLines)
	out = append(out, fmt.Sprintf("@@ line %d of the golden file @@", from+1))
	for _, l := range a[from:pre] {
		out = append(out, " "+l)
	}
	out = append(out, middle(a[pre:len(a)-suf], b[pre:len(b)-suf])...)
	for _, l := range a[len(a)-suf : min(len(a), len(a)-suf+contextLines)] {
		out = append(out, " "+l)
	}
	if len(out) > maxDiffLines {
		n := len(out) - maxDiffLines
		out = append(out[:maxDiffLines], fmt.Sprintf("… %d more diff lines", n))
	}
	return strings.Join(out, "\n")
}

const (
	contextLines = 3
	maxDiffLines = 60
	// maxCells bounds the longest-common-subsequence table of the changed
	// region; a larger region is shown as all removed then all added.
	maxCells = 1 << 20
)

// middle diffs the changed region line by line (longest common subsequence)
// when it is small enough, else shows it as removed then added.
func middle(a, b []string) []string {
	var out []string
	if len(a)*len(b) > maxCells {
		for _, l := range a {
			out = append(out, "-"+l)
		}
		for _, l := range b {
			out = append(out, "+"+l)
		}
		return out
	}
	// lcs[i][j] is the length of the longest common subsequence of a[i:], b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			out = append(out, " "+a[i])
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, "-"+a[i])
			i++
		default:
			out = append(out, "+"+b[j])
			j++
		}
	}
	return out
}

// splitLines splits s into lines; a missing final newline shows as a line
// of its own so that a diff in it alone is visible.
func splitLines(s string) []string {
	lines := strings.Split(s, "\n")
	if lines[len(lines)-1] == "" {
		return lines[:len(lines)-1]
	}
	lines[len(lines)-1] += "⏎ (no newline at end)"
	return lines
}
