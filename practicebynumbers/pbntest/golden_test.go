package pbntest

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name after decoding both into T (so a
// field added to a model later, absent from both, changes nothing), or
// rewrites the file under -update.
func golden[T any](t *testing.T, name string, got T) {
	t.Helper()
	path := filepath.Join("testdata", name)
	b, err := json.MarshalIndent(got, "", "  ")
	require.NoError(t, err)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
		return
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run Golden -update to create it")
	var want, have T
	require.NoError(t, json.Unmarshal(raw, &want))
	require.NoError(t, json.Unmarshal(b, &have))
	require.Equal(t, want, have, "seed 42 no longer generates the same practice: if intended, rerun with -update and say so in the commit")
}

// The goldens pin what a seed produces, so a change to the generator that
// reshuffles every practice (and every test fixture built on one) is seen,
// reviewed and deliberate.
func TestGoldenPractice(t *testing.T) {
	p := MustPractice(42, 1000)
	var charts []Chart
	for ch := range p.Charts() {
		charts = append(charts, ch)
		if len(charts) == 3 {
			break
		}
	}
	golden(t, "charts-seed42-first3.json", charts)
	golden(t, "census-seed42-1000.json", p.Census())
	golden(t, "staff-seed42-1000.json", p.Staff())
}
