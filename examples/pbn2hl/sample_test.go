package main

import (
	"context"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/rollback"
)

// skipSample gives "run" -skip-sample unless the rig tests the gate: the
// CLI refuses a full run without an approved sample, and the tests of the
// other phases are not about that (TestSampleApproveRun is).
func (r *rig) skipSample(args []string) []string {
	if r.gateSample || len(args) == 0 || args[0] != "run" || slices.Contains(args, "-skip-sample") {
		return args
	}
	return append([]string{"run", "-skip-sample"}, args[1:]...)
}

// TestSampleApproveRun is the session sample → diff → approve-sample →
// run: run is refused without an approved sample, the sample prints its
// field diff (no value) and writes its report and the values page (0600,
// marked), approve-sample stamps it, run proceeds; after a map edit run
// is refused again, and -skip-sample proceeds, printed and journaled.
func TestSampleApproveRun(t *testing.T) {
	r, args := prepared(t, 40)
	r.gateSample = true

	code, _, errOut := r.run(append([]string{"run"}, args...)...)
	require.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "no approved sample for this map")
	assert.Contains(t, errOut, "pbn2hl approve-sample")

	report, values := r.path("sample-report.json"), r.path("values.html")
	out := r.mustRun(append([]string{"sample", "-records", "100", "-report", report, "-values", values}, args...)...)
	assert.Contains(t, out, "Sample diff: ")
	assert.Contains(t, out, "0 differed, 0 missing")
	assert.Regexp(t, regexp.MustCompile(`contact: \d+ records`), out)
	assert.Contains(t, out, "custom_objects.pbn_appointment")
	assert.Contains(t, out, "CONTAINS PATIENT DATA")
	// The sample's progress off a terminal: lines ending with its overall
	// line (issue 19.2).
	assert.Regexp(t, `(?m)^sample finished · [\d,]+/[\d,]+ records`, r.stderr.String())
	for _, p := range []string{report, values} {
		st, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), p)
	}
	page, err := os.ReadFile(values)
	require.NoError(t, err)
	assert.Contains(t, string(page), "CONTAINS PATIENT DATA")
	js, err := os.ReadFile(report)
	require.NoError(t, err)
	shown := 0
	for _, c := range r.hl.Contacts(hltest.DefaultLocationID) {
		for _, v := range []string{c.Email, c.LastName, c.Address1, c.Phone} {
			if len(v) > 3 {
				require.NotContains(t, out, v, "a value on the terminal")
				require.NotContains(t, r.stderr.String(), v, "a value in the log")
				require.NotContains(t, string(js), v, "a value in the report")
				if regexp.MustCompile(regexp.QuoteMeta(v)).Match(page) {
					shown++
				}
			}
		}
	}
	assert.Positive(t, shown, "the values page shows the values")

	out = r.mustRun(append([]string{"approve-sample", "-report", report, "-actor", "Dr. Reviewer"}, args...)...)
	assert.Contains(t, out, "sample approved by Dr. Reviewer")
	r.mustRun(append([]string{"run"}, args...)...)

	// A map edit: approved again, but the sample was of the old map.
	mapPath := args[slices.Index(args, "-map")+1]
	m, err := os.ReadFile(mapPath)
	require.NoError(t, err)
	edited := regexp.MustCompile(`(?m)^name: .*$`).ReplaceAll(m, []byte("name: edited after the sample"))
	require.NotEqual(t, m, edited)
	require.NoError(t, os.WriteFile(mapPath, edited, 0o600))
	r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	code, _, errOut = r.run(append([]string{"run"}, args...)...)
	require.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "changed since")
	code, _, errOut = r.run(append([]string{"approve-sample", "-report", report}, args...)...)
	require.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "run the sample again")

	out = r.mustRun(append([]string{"run", "-skip-sample"}, args...)...)
	assert.Contains(t, out, "-skip-sample: going without an approved sample")
	status := r.mustRun(append([]string{"status"}, r.led(r.path("l.ledger"))...)...)
	assert.Contains(t, status, "sample approvals: 1")
	assert.Contains(t, status, "by Dr. Reviewer")
	assert.Regexp(t, `run \d+ went without an approved sample \(-skip-sample\)`, status)

	key, err := os.ReadFile(r.key)
	require.NoError(t, err)
	l, err := rollback.Open(context.Background(), r.path("l.ledger"), rollback.Options{ReadOnly: true, Key: key})
	require.NoError(t, err)
	defer l.Close()
	runs, err := l.Runs(context.Background())
	require.NoError(t, err)
	last := runs[len(runs)-1]
	require.Equal(t, rollback.KindFull, last.Kind)
	skipped, err := l.SampleSkipped(context.Background(), last.ID)
	require.NoError(t, err)
	assert.True(t, skipped, "the run's journal says it went without a sample")
}
