package pbntest

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/internal/golden"
)

// goldenJSON compares got with testdata/name after decoding both into T (so a
// field added to a model later, absent from both, changes nothing), or
// rewrites the file under -update.
func goldenJSON[T any](t *testing.T, name string, got T) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	require.NoError(t, err)
	raw, ok := golden.Load(t, filepath.Join("testdata", name), append(b, '\n'))
	if !ok {
		return
	}
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
	goldenJSON(t, "charts-seed42-first3.json", charts)
	goldenJSON(t, "census-seed42-1000.json", p.Census())
	goldenJSON(t, "staff-seed42-1000.json", p.Staff())
}
