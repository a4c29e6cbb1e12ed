package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// chainedExport writes a practice system's reports where procedures name
// their appointment only (AptNum), not the patient: patients (2 clinics),
// appointments (PatNum) and procedures (AptNum). It returns how many
// appointments and procedures each patient owns.
func chainedExport(t *testing.T, dir string) (appts, procs map[int]int) {
	t.Helper()
	appts, procs = map[int]int{}, map[int]int{}
	first := []string{"Ava", "Noah", "Liam", "Emma", "Mia", "Lucas", "Zoe", "Ella"}
	last := []string{"Patel", "Smith", "Nguyen", "Garcia", "Brown", "Lee", "Khan", "Jones", "Wong"}
	var p, a, pr strings.Builder
	p.WriteString("PatNum,LName,FName,Birthdate,Email,ClinicNum\n")
	a.WriteString("AptNum,PatNum,AptDateTime,AptStatus\n")
	pr.WriteString("ProcNum,AptNum,ProcCode,ProcFee\n")
	apt, proc := 1000, 5000
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&p, "%d,%s,%s,19%02d-%02d-%02d,p%d@example.com,%d\n", i, last[i%len(last)], first[i%len(first)], 50+i, 1+i%12, 1+i%28, i, 1+i%2)
		for k := 0; k < 1+i%4; k++ {
			apt++
			appts[i]++
			fmt.Fprintf(&a, "%d,%d,2024-%02d-%02d 09:00,Complete\n", apt, i, 1+k, 10+i%18)
			for m := 0; m < (i+k)%3; m++ {
				proc++
				procs[i]++
				fmt.Fprintf(&pr, "%d,%d,D%04d,%d.00\n", proc, apt, 1000+(i*7+m)%9000, 50+(i*13+m*31)%800)
			}
		}
	}
	for name, body := range map[string]string{"patients.csv": p.String(), "appointments.csv": a.String(), "procedures.csv": pr.String(),
		"clinics.csv": "ClinicNum,Description,Phone\n1,North Office,555-201-0001\n2,South Office,555-201-0002\n"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600))
	}
	return appts, procs
}

// TestSampleOfChainedReports: a map of reports where a procedure reaches
// its patient only through its appointment. propose -files drafts the
// procedure → appointment association from the column naming the
// appointment report's key; the sample then slices all three reports by
// patient — each sampled patient's appointments and the procedures of
// those appointments, nothing of the others — says which reports it
// loaded whole (the clinics), diffs clean, and once approved the run
// goes through the gate and reconcile -deep agrees.
func TestSampleOfChainedReports(t *testing.T) {
	r := newRig(t, 1, 0)
	delete(r.env, envPBNToken)
	export := r.path("export")
	require.NoError(t, os.Mkdir(export, 0o700))
	appts, procs := chainedExport(t, export)
	srcArgs := []string{"-export", export}
	mapPath := r.path("map.yaml")
	r.mustRun(append([]string{"propose", "-files", "-out", mapPath, "-review", r.path("review.md")}, srcArgs...)...)
	m, err := os.ReadFile(mapPath)
	require.NoError(t, err)
	require.Contains(t, string(m), "association: pbn_treatment_appointment", "the procedure → appointment link is drafted")
	r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	args := join([]string{"-map", mapPath}, r.led(r.path("l.ledger")), srcArgs, r.hlArgs())
	r.mustRun(append([]string{"schema", "-apply", "-new-ledger"}, args...)...)
	r.gateSample = true

	report := r.path("sample-report.json")
	out := r.mustRun(append([]string{"sample", "-records", "20", "-report", report}, args...)...)
	assert.Contains(t, out, "0 differed, 0 missing")
	assert.Contains(t, out, "each with its rows in appointments.csv, procedures.csv")
	assert.Contains(t, out, "loaded whole, as no lookup leads from their rows to a patient: clinics.csv")
	sel := regexp.MustCompile(`selection: (\d+) patients, (\d+) source records`).FindStringSubmatch(out)
	require.NotNil(t, sel, out)
	patients, _ := strconv.Atoi(sel[1])
	rows, _ := strconv.Atoi(sel[2])
	require.Positive(t, patients)
	require.Less(t, patients, 40, "a slice")
	assert.GreaterOrEqual(t, rows, 20)
	assert.LessOrEqual(t, rows, 30, "at most 1.5× -records")

	// What arrived is exactly the sampled patients' rows: every
	// appointment and procedure record belongs to a sampled patient, and
	// each sampled patient has all of theirs.
	keyOf := map[string]string{} // contact id → PatNum
	for _, c := range r.hl.Records(hltest.DefaultLocationID, hltest.KindContact) {
		keyOf[fmt.Sprint(c["id"])] = strings.TrimPrefix(fmt.Sprint(c["email"]), "p")
	}
	require.Len(t, keyOf, patients)
	wantAppts, wantProcs := 0, 0
	for _, email := range keyOf {
		n, err := strconv.Atoi(strings.TrimSuffix(email, "@example.com"))
		require.NoError(t, err, email)
		wantAppts += appts[n]
		wantProcs += procs[n]
	}
	assert.Equal(t, patients+wantAppts+wantProcs, rows, "the slice's rows are the sampled patients' own")
	assert.Equal(t, wantAppts+wantProcs, r.hl.Count(hltest.DefaultLocationID, hltest.KindRecord), "appointments and procedures of the sampled patients only")

	// No full load yet: a delta has no baseline (a sample is not one).
	code, _, errOut := r.run(append([]string{"delta"}, args...)...)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "no full load of this ledger has finished")

	r.mustRun(append([]string{"approve-sample", "-report", report, "-actor", "Dr. Reviewer"}, args...)...)
	out = r.mustRun(append([]string{"run"}, args...)...)
	require.Contains(t, out, "run done")
	allProcs := 0
	for _, n := range procs {
		allProcs += n
	}
	allAppts := 0
	for _, n := range appts {
		allAppts += n
	}
	assert.Equal(t, 40, r.contacts())
	assert.Equal(t, allAppts+allProcs, r.hl.Count(hltest.DefaultLocationID, hltest.KindRecord))
	// Two associations: each appointment related to its patient's
	// contact, each procedure to its appointment.
	byAssoc := map[string]int{}
	for _, rel := range r.hl.Records(hltest.DefaultLocationID, hltest.KindRelation) {
		byAssoc[fmt.Sprint(rel["associationId"])]++
	}
	sizes := []int{}
	for _, n := range byAssoc {
		sizes = append(sizes, n)
	}
	assert.ElementsMatch(t, []int{allAppts, allProcs}, sizes)
	out = r.mustRun(append([]string{"reconcile", "-deep"}, args...)...)
	assert.Contains(t, out, "OK: source, ledger and HighLevel agree")

	// A later export in the same folder, no manifest.json: the delta
	// reads every row again and writes the one patient whose row changed.
	pf := filepath.Join(export, "patients.csv")
	raw, err := os.ReadFile(pf)
	require.NoError(t, err)
	changed := strings.Replace(string(raw), "p7@example.com", "p7.new@example.com", 1)
	require.NotEqual(t, string(raw), changed)
	require.NoError(t, os.WriteFile(pf, []byte(changed), 0o600))
	out = r.mustRun(append([]string{"delta"}, args...)...)
	assert.Equal(t, "1", deltaColumn(t, out, "patients", 2), "the changed patient written\n%s", out)
	assert.Equal(t, "1", deltaColumn(t, out, "total", 2), "nothing else\n%s", out)
}
