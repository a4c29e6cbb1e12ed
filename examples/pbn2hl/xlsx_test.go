package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// TestProposeFilesXLSX: propose -files drafts from an Excel report as from
// a CSV one.
func TestProposeFilesXLSX(t *testing.T) {
	r := newRig(t, 1, 0)
	dir := r.path("reports")
	require.NoError(t, os.Mkdir(dir, 0o700))
	f := excelize.NewFile()
	require.NoError(t, f.SetSheetName("Sheet1", "Patient List"))
	rows := [][]any{
		{"Chart #", "Last Name", "First Name", "Birthdate", "Cell Phone", "Email"},
		{"A-17", "Lima", "Ana", "03/18/1994", "555-201-0001", "ana@example.com"},
		{"A-18", "Ng", "Bo", "02/29/1980", "555-201-0002", "bo@example.com"},
		{"A-19", "Oto", "Cy", "11/02/1971", "555-201-0003", ""},
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		require.NoError(t, f.SetSheetRow("Patient List", cell, &row))
	}
	require.NoError(t, f.SaveAs(filepath.Join(dir, "Patient List.xlsx")))
	require.NoError(t, f.Close())

	r.mustRun("propose", "-export", dir, "-files", "-out", r.path("map.yaml"), "-review", r.path("review.md"))
	assert.Contains(t, r.stderr.String(), "XLSX")
	m, err := os.ReadFile(r.path("map.yaml"))
	require.NoError(t, err)
	for _, want := range []string{"source: Patient List", "target: contact", "from: Email", "to: email", "from: Cell Phone"} {
		assert.Contains(t, string(m), want)
	}
}
