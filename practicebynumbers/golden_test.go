package practicebynumbers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/internal/golden"
)

// TestGoldenContract pins the wire forms of the fixture: the canonical CSV
// export (one file per entity) and the JSON of every record type. A change
// here is a change of CONTRACT.md; run with -update after deciding it is
// intended.
func TestGoldenContract(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	require.NoError(t, err)
	dir := t.TempDir()
	f := newFixture()
	writeFixture(t, dir, f, chicago, false, false)

	got := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		got["csv/"+e.Name()] = b
	}
	js, err := json.MarshalIndent(map[string]any{
		"offices": f.Offices, "staff": f.Staff, "custom_properties": f.CustomProperties, "cohorts": f.Cohorts,
		"patients": f.Patients, "insurance_carriers": f.InsuranceCarriers, "coverages": f.Coverages,
		"appointments": f.Appointments, "procedures": f.Procedures, "treatment_plans": f.TreatmentPlans,
		"communications": f.Communications, "form_submissions": f.FormSubmissions, "documents": f.Documents,
		"kpi_definitions": f.KPIDefinitions, "kpi_values": f.KPIValues, "automations": f.Automations,
		"deletions": f.Deletions,
	}, "", "  ")
	require.NoError(t, err)
	got["records.json"] = append(js, '\n')

	names := make([]string, 0, len(got))
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		golden.Assert(t, filepath.Join("testdata", "golden", filepath.FromSlash(n)), got[n])
	}
}
