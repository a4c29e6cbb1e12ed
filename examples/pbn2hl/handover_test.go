package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/handover"
)

// TestHandoverAfterRun: after a real run (approved default map, ledger,
// simulated HighLevel), pbn2hl handover writes every file of the pack; the
// cutover sheet counts what the ledger holds, and the exit is 0.
func TestHandoverAfterRun(t *testing.T) {
	r, args := prepared(t, practiceSize())
	r.mustRun(append([]string{"run"}, args...)...)
	out := r.path("pack")
	stdout := r.mustRun(append([]string{"handover", "-out", out, "-practice", "Test Dental"}, args...)...)
	require.Contains(t, stdout, "handover pack written to "+out)
	require.Contains(t, stdout, "cutover.md")
	for _, name := range handover.Files {
		fi, err := os.Stat(filepath.Join(out, name))
		require.NoError(t, err, name)
		require.NotZero(t, fi.Size(), name)
	}
	cut, err := os.ReadFile(filepath.Join(out, handover.FileCutoverMD))
	require.NoError(t, err)
	contacts := r.contacts()
	require.Contains(t, string(cut), fmt.Sprintf("| contact | patients | %d | 0 |", contacts), "the patients' row counts every contact")
	require.Regexp(t, `\| custom_field \| schema \(the schema phase\) \| \d+ \| 0 \|`, string(cut))
	require.Contains(t, string(cut), "Last finished data run: run ")
	require.Contains(t, string(cut), "The next delta reads, per source entity:")
	require.Positive(t, contacts)
	cohorts, err := os.ReadFile(filepath.Join(out, handover.FileCohortsCSV))
	require.NoError(t, err)
	require.Contains(t, string(cohorts), "not checked: the map applies no cohort tag")
	guide, err := os.ReadFile(filepath.Join(out, handover.FileGuideMD))
	require.NoError(t, err)
	require.Contains(t, string(guide), "Happy birthday {{contact.first_name}}!")
	require.Contains(t, string(guide), "# Workflow rebuild guide — Test Dental")
}

// TestHandoverSourceOnly: only a source and -out; the sheet says the counts
// are unknown. Without -out the command is a usage error (exit 2).
func TestHandoverSourceOnly(t *testing.T) {
	r := newRig(t, 10, 0)
	out := r.path("pack")
	stdout := r.mustRun(append([]string{"handover", "-out", out}, r.srcArgs()...)...)
	require.Contains(t, stdout, "cutover sheet without counts: give -ledger")
	cut, err := os.ReadFile(filepath.Join(out, handover.FileCutoverMD))
	require.NoError(t, err)
	require.Contains(t, string(cut), "Not known: the pack was written without the run ledger")
	code, _, stderr := r.run(append([]string{"handover"}, r.srcArgs()...)...)
	require.Equal(t, exitUsage, code)
	require.True(t, strings.Contains(stderr, "-out DIR is required"), stderr)
}
