package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/handover"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
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
	// propose tags cohort members (issue 16.5): every cohort's tag is
	// applied and counted in HighLevel after the run.
	rows, err := csv.NewReader(bytes.NewReader(cohorts)).ReadAll()
	require.NoError(t, err)
	require.Greater(t, len(rows), 1)
	for _, row := range rows[1:] {
		require.Equal(t, "true", row[5], "cohort %s: tag applied", row[0])
		require.True(t, strings.HasPrefix(row[8], "checked"), "cohort %s counted in HighLevel: %s", row[0], row[8])
	}
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

// TestHandoverExportFolder: from a CSV export folder with PMS quirks (BOM,
// human headers, PMS dates), as TestExportFolderSource reads it, the pack
// is written, byte for byte the pack the API gives.
func TestHandoverExportFolder(t *testing.T) {
	r := newRig(t, 10, 0)
	export := r.path("export")
	_, err := r.pbn.WriteExport(context.Background(), export, pbntest.ExportOptions{BOM: true, HumanHeaders: true, PMSDates: true})
	require.NoError(t, err)
	out := r.path("pack")
	stdout := r.mustRun("handover", "-export", export, "-out", out)
	require.Contains(t, stdout, "automations: 7")
	guide, err := os.ReadFile(filepath.Join(out, handover.FileGuideMD))
	require.NoError(t, err)
	require.Contains(t, string(guide), "{{contact.first_name}}")
	// The same practice through the API gives the same pack.
	api := r.path("pack-api")
	r.mustRun(append([]string{"handover", "-out", api}, r.srcArgs()...)...)
	for _, name := range handover.Files {
		a, err := os.ReadFile(filepath.Join(api, name))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(out, name))
		require.NoError(t, err)
		require.Equal(t, string(a), string(b), "%s differs between the API and the export folder", name)
	}
}
