package pbnhl_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
)

// TestSampleWritesOnlyWhatTheRunWould: a sample decides validity exactly as
// the full run does. Cross-record checks (duplicate patients in a family,
// references) look at the whole source, so a patient the full run holds back
// as the duplicate of an unsampled one is held back by the sample too.
func TestSampleWritesOnlyWhatTheRunWould(t *testing.T) {
	o := envOptions{patients: size(200), seed: 42}
	full := map[string]int{}
	for _, line := range baseline(t, o) {
		full[line]++
	}
	for _, n := range []int{size(200) / 4, size(200) / 2} {
		e := newEnv(t, o)
		ctx := context.Background()
		m := e.migration(nil)
		_, err := m.ApplySchema(ctx)
		require.NoError(t, err)
		_, err = m.Sample(ctx, pbnhl.SampleOptions{Patients: n})
		require.NoError(t, err)
		left := maps(full)
		for _, line := range e.fingerprint() {
			if left[line] == 0 {
				assert.Fail(t, "the sample wrote a record the full run does not", "sample of %d: %s", n, line)
				continue
			}
			left[line]--
		}
	}
}

func maps(m map[string]int) map[string]int {
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
