package practicebynumbers

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeCSV writes rows with encoding/csv, the way a canonical writer does.
func writeCSV(t testing.TB, dir, name string, header []string, rows [][]string, crlf, bom bool) {
	t.Helper()
	var buf bytes.Buffer
	if bom {
		buf.Write([]byte{0xEF, 0xBB, 0xBF})
	}
	w := csv.NewWriter(&buf)
	w.UseCRLF = crlf
	require.NoError(t, w.Write(header))
	require.NoError(t, w.WriteAll(rows))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o600))
}

func rowsOf[R Record](recs []R, loc *time.Location, keys []string) [][]string {
	out := make([][]string, 0, len(recs))
	for i := range recs {
		out = append(out, CSVRow(&recs[i], loc, keys))
	}
	return out
}

func customHeader(e Entity, keys []string) []string {
	h := CSVHeader(e)
	for _, k := range keys {
		h = append(h, CSVCustomHeader(k))
	}
	return h
}

// writeFixture writes f as a canonical export folder.
func writeFixture(t testing.TB, dir string, f fixture, loc *time.Location, crlf, bom bool) {
	t.Helper()
	keys := f.customKeys()
	writeCSV(t, dir, EntityOffices.FileName(), CSVHeader(EntityOffices), rowsOf(f.Offices, loc, nil), crlf, bom)
	writeCSV(t, dir, EntityStaff.FileName(), CSVHeader(EntityStaff), rowsOf(f.Staff, loc, nil), crlf, bom)
	writeCSV(t, dir, EntityCustomProperties.FileName(), CSVHeader(EntityCustomProperties), rowsOf(f.CustomProperties, loc, nil), crlf, bom)
	writeCSV(t, dir, EntityCohorts.FileName(), CSVHeader(EntityCohorts), rowsOf(f.Cohorts, loc, nil), crlf, bom)
	writeCSV(t, dir, EntityPatients.FileName(), customHeader(EntityPatients, keys), rowsOf(f.Patients, loc, keys), crlf, bom)
	writeCSV(t, dir, EntityInsuranceCarriers.FileName(), CSVHeader(EntityInsuranceCarriers), rowsOf(f.InsuranceCarriers, loc, nil), crlf, bom)
	writeCSV(t, dir, EntityCoverages.FileName(), CSVHeader(EntityCoverages), rowsOf(f.Coverages, loc, nil), crlf, bom)
	writeCSV(t, dir, EntityAppointments.FileName(), CSVHeader(EntityAppointments), rowsOf(f.Appointments, loc, nil), crlf, bom)
	writeCSV(t, dir, EntityProcedures.FileName(), CSVHeader(EntityProcedures), rowsOf(f.Procedures, loc, nil), crlf, bom)
	writeCSV(t, dir, EntityTreatmentPlans.FileName(), CSVHeader(EntityTreatmentPlans), rowsOf(f.TreatmentPlans, loc, nil), crlf, bom)
	writeCSV(t, dir, EntityCommunications.FileName(), CSVHeader(EntityCommunications), rowsOf(f.Communications, loc, nil), crlf, bom)
	writeCSV(t, dir, EntityFormSubmissions.FileName(), CSVHeader(EntityFormSubmissions), rowsOf(f.FormSubmissions, loc, nil), crlf, bom)
	writeCSV(t, dir, EntityDocuments.FileName(), CSVHeader(EntityDocuments), rowsOf(f.Documents, loc, nil), crlf, bom)
	writeCSV(t, dir, EntityKPIDefinitions.FileName(), CSVHeader(EntityKPIDefinitions), rowsOf(f.KPIDefinitions, loc, nil), crlf, bom)
	writeCSV(t, dir, EntityKPIValues.FileName(), CSVHeader(EntityKPIValues), rowsOf(f.KPIValues, loc, nil), crlf, bom)
	writeCSV(t, dir, EntityAutomations.FileName(), CSVHeader(EntityAutomations), rowsOf(f.Automations, loc, nil), crlf, bom)
	var dels [][]string
	for _, d := range f.Deletions {
		dels = append(dels, DeletionRow(d, loc))
	}
	writeCSV(t, dir, DeletionsFileName, DeletionsHeader(), dels, crlf, bom)
}

func collect[T any](t testing.TB, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

// readAll reads every entity of src into a fixture.
func readAll(t testing.TB, src Source) fixture {
	t.Helper()
	ctx := context.Background()
	var o ListOptions
	return fixture{
		Offices:           collect(t, src.Offices(ctx, o)),
		Staff:             collect(t, src.Staff(ctx, o)),
		CustomProperties:  collect(t, src.CustomProperties(ctx, o)),
		Cohorts:           collect(t, src.Cohorts(ctx, o)),
		Patients:          collect(t, src.Patients(ctx, o)),
		InsuranceCarriers: collect(t, src.InsuranceCarriers(ctx, o)),
		Coverages:         collect(t, src.Coverages(ctx, o)),
		Appointments:      collect(t, src.Appointments(ctx, o)),
		Procedures:        collect(t, src.Procedures(ctx, o)),
		TreatmentPlans:    collect(t, src.TreatmentPlans(ctx, o)),
		Communications:    collect(t, src.Communications(ctx, o)),
		FormSubmissions:   collect(t, src.FormSubmissions(ctx, o)),
		Documents:         collect(t, src.Documents(ctx, o)),
		KPIDefinitions:    collect(t, src.KPIDefinitions(ctx, o)),
		KPIValues:         collect(t, src.KPIValues(ctx, o)),
		Automations:       collect(t, src.Automations(ctx, o)),
		Deletions:         collect(t, src.Deletions(ctx, o)),
	}
}

func TestExportRoundTrip(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	require.NoError(t, err)
	for _, tc := range []struct {
		name      string
		crlf, bom bool
	}{{"lf", false, false}, {"crlf+bom", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			want := newFixture()
			writeFixture(t, dir, want, chicago, tc.crlf, tc.bom)
			r, err := OpenExport(dir, ExportOptions{})
			require.NoError(t, err)
			assert.Equal(t, "America/Chicago", r.Location().String(), "practice zone from the first office")
			got := readAll(t, r)
			assert.Equal(t, want, got)
		})
	}
}

func TestExportReaderMessyFolder(t *testing.T) {
	ctx := context.Background()
	r, err := OpenExport("testdata/export", ExportOptions{})
	require.NoError(t, err)
	assert.Equal(t, "Providers.csv", r.FileName(EntityStaff), "file names matched by alias and case")
	assert.Empty(t, r.UnrecognisedFiles())

	offices := collect(t, r.Offices(ctx, ListOptions{}))
	require.Len(t, offices, 2)
	assert.Equal(t, "Maple Dental - Downtown", offices[0].Name, "BOM stripped from the first header")
	assert.Equal(t, ts("2024-01-02T15:00:00Z"), offices[0].UpdatedAt, "offset-less time read in the practice zone")

	var patients []Patient
	var rowErrs []*RowError
	for p, err := range r.Patients(ctx, ListOptions{}) {
		if err != nil {
			var re *RowError
			require.ErrorAs(t, err, &re)
			rowErrs = append(rowErrs, re)
			continue
		}
		patients = append(patients, p)
	}
	require.Len(t, patients, 3)
	require.Len(t, rowErrs, 1, "the bad row is reported, never dropped")
	re := rowErrs[0]
	assert.Equal(t, "patients.csv", re.File)
	assert.Equal(t, 6, re.Line, "line counts the multi-line note of the row before")
	assert.Equal(t, Key("104"), re.ID)
	require.Len(t, re.Fields, 2)
	assert.Equal(t, FieldError{Column: 6, Header: "PatStatus", Err: re.Fields[0].Err}, re.Fields[0])
	assert.Equal(t, 8, re.Fields[1].Column)
	assert.NotContains(t, re.Error(), "Zombie", "no values in errors")
	assert.NotContains(t, re.Error(), "1990-13-45")
	assert.Contains(t, re.Error(), "patients.csv:6 (id 104)")

	john := patients[0]
	assert.Equal(t, Key("101"), john.ID)
	assert.Equal(t, PatientStatusPatient, john.Status, "Open Dental numeric code")
	assert.Equal(t, NewDate(1980, 2, 14), john.BirthDate)
	assert.Equal(t, ConsentYes, john.TextConsent)
	assert.Equal(t, "217.555.0102 x12", john.WorkPhone, "phones kept raw")
	assert.Equal(t, map[string]string{"Case Type": "Implant", "referral_source": "Google"}, john.Custom,
		"unknown columns and custom.* columns become custom values")
	assert.Equal(t, ts("2024-03-01T16:15:00Z"), john.UpdatedAt)

	mary := patients[1]
	assert.True(t, mary.BirthDate.IsZero(), "0001-01-01 is no date")
	assert.Equal(t, GenderFemale, mary.Gender)
	assert.Equal(t, "Prefers mornings.\nAnxious - offer nitrous.", mary.Notes, "quoted multi-line note kept whole (CR LF reads as LF)")
	assert.Nil(t, mary.Custom)

	pat := patients[2]
	assert.Equal(t, "O'Neil", pat.LastName)
	assert.Equal(t, PatientStatusDeceased, pat.Status)
	assert.Equal(t, NewDate(1949, 12, 31), pat.BirthDate)
	assert.Equal(t, "Maine", pat.Address.State)

	appts := collect(t, r.Appointments(ctx, ListOptions{}))
	require.Len(t, appts, 3)
	assert.Equal(t, 30, appts[0].DurationMinutes, "Pattern XXXX// is 6 × 5 minutes")
	assert.Equal(t, ts("2024-03-04T16:00:00Z"), appts[0].Start)
	assert.Equal(t, "PerEx, Pro", appts[0].ProcedureDescription)
	assert.Contains(t, appts[0].Note, "D1110 prophy adult $95\n")
	assert.Equal(t, AppointmentPtNote, appts[2].Status)
	assert.True(t, appts[2].Start.IsZero())

	var procs []Procedure
	var procErr error
	for p, err := range r.Procedures(ctx, ListOptions{}) {
		if err != nil {
			procErr = err
			continue
		}
		procs = append(procs, p)
	}
	require.Len(t, procs, 3)
	assert.Equal(t, Cents(9500), procs[0].Fee)
	assert.Equal(t, Cents(125000), procs[1].Fee)
	assert.True(t, procs[1].Date.IsZero())
	assert.Equal(t, ProcedureDeleted, procs[2].Status)
	var pre *RowError
	require.ErrorAs(t, procErr, &pre)
	assert.Equal(t, 4, pre.Line)
	var ve *ValueError
	require.ErrorAs(t, procErr, &ve, "RowError unwraps to the field's ValueError")
	assert.Equal(t, "money", ve.Kind)

	rc, err := r.OpenDocument(ctx, "7001")
	require.NoError(t, err)
	body, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, "%PDF-1.4 consent form\n", string(body))
	_, err = r.OpenDocument(ctx, "7002")
	assert.ErrorIs(t, err, ErrNotFound)

	inv, err := r.Inventory(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(4), inv.Counts[EntityPatients], "inventory counts rows, bad ones included")
	assert.Equal(t, int64(3), inv.Counts[EntityStaff])
	assert.Equal(t, int64(0), inv.Counts[EntityCohorts])
	assert.Len(t, inv.Counts, len(Entities()))
	require.Len(t, inv.CustomProperties, 2)
	assert.Equal(t, []string{"Implant", "Ortho", "Perio"}, inv.CustomProperties[0].Options)
	assert.Equal(t, int64(2+3+4+3+4+2+1), inv.Total())
}

func TestExportReaderFilters(t *testing.T) {
	ctx := context.Background()
	r, err := OpenExport("testdata/export", ExportOptions{})
	require.NoError(t, err)
	since := ts("2024-03-02T00:00:00Z")
	var ids []int64
	for p, err := range r.Patients(ctx, ListOptions{UpdatedSince: since}) {
		if err == nil {
			ids = append(ids, keyNum(p.ID))
		}
	}
	assert.Equal(t, []int64{102}, ids)

	ids = nil
	for a, err := range r.Appointments(ctx, ListOptions{PatientID: "101"}) {
		require.NoError(t, err)
		ids = append(ids, keyNum(a.ID))
	}
	assert.Equal(t, []int64{5001, 5003}, ids)

	for _, err := range r.Offices(ctx, ListOptions{PatientID: "101"}) {
		require.Error(t, err, "offices are not patient-owned")
	}

	// Stopping early and cancelling are honoured.
	n := 0
	for range r.Procedures(ctx, ListOptions{}) {
		n++
		break
	}
	assert.Equal(t, 1, n)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for _, err := range r.Patients(cctx, ListOptions{}) {
		require.ErrorIs(t, err, context.Canceled)
	}
}

func TestExportReaderFileProblems(t *testing.T) {
	ctx := context.Background()
	fsys := fstest.MapFS{
		"patients.csv":       {Data: []byte("first_name,last_name\nA,B\n")},
		"appointments.csv":   {Data: []byte("\xFF\xFEa\x00")},
		"procedures.csv":     {Data: []byte("")},
		"offices.csv":        {Data: []byte("office_id,name,extra\n1,Main,x,,,\n2,\"broken\n")},
		"staff.csv":          {Data: []byte("id,first_name\n1,Ren\xe9e\n,Nobody\n")},
		"notes.csv":          {Data: []byte("x\n")},
		"cohorts.csv":        {Data: []byte("cohort_id,name\n1,\"a \"quoted\" word\"\n")},
		"communications.csv": {Data: []byte("communication_id,patient_id,channel\n1,2\n")},
	}
	r, err := NewExportReader(fsys, ExportOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"notes.csv"}, r.UnrecognisedFiles())

	var fe *FileError
	for _, err := range r.Patients(ctx, ListOptions{}) {
		require.ErrorAs(t, err, &fe)
		assert.Contains(t, err.Error(), "no patient_id column")
	}
	for _, err := range r.Appointments(ctx, ListOptions{}) {
		require.ErrorAs(t, err, &fe)
		assert.Contains(t, err.Error(), "no appointment_id column", "UTF-16 is decoded: its header \"a\" is read")
	}
	assert.Empty(t, collect(t, r.Procedures(ctx, ListOptions{})), "an empty file has no records")

	var offices []Office
	var errs []error
	for o, err := range r.Offices(ctx, ListOptions{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		offices = append(offices, o)
	}
	require.Len(t, offices, 1, "trailing empty cells are tolerated")
	assert.Equal(t, map[string]string{"extra": "x"}, offices[0].Custom)
	require.Len(t, errs, 1, "the unterminated quote is reported once, as the file's problem")
	var te *TruncatedError
	require.ErrorAs(t, errs[0], &fe)
	require.ErrorAs(t, errs[0], &te)
	assert.ErrorIs(t, errs[0], ErrTruncated)
	assert.Equal(t, 3, te.Line)
	var re *RowError

	var staff []Staff
	errs = nil
	for s, err := range r.Staff(ctx, ListOptions{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		staff = append(staff, s)
	}
	require.Empty(t, staff, "a file that is not UTF-8 and names no encoding is refused whole, never re-read as Windows-1252")
	require.Len(t, errs, 1)
	var ee *EncodingError
	require.ErrorAs(t, errs[0], &fe)
	require.ErrorAs(t, errs[0], &ee)
	assert.Equal(t, "staff.csv", fe.File)
	assert.Equal(t, 2, ee.Line)
	assert.Equal(t, 6, ee.Column)
	assert.NotContains(t, errs[0].Error(), "Ren", "no value in the message")

	named, err := NewExportReader(fsys, ExportOptions{Encoding: "latin1"})
	require.NoError(t, err)
	staff, errs = nil, nil
	for s, err := range named.Staff(ctx, ListOptions{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		staff = append(staff, s)
	}
	require.Len(t, staff, 1)
	assert.Equal(t, "Renée", staff[0].FirstName, "named Windows-1252 is decoded")
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Error(), "invalid id: missing")

	cohorts := collect(t, r.Cohorts(ctx, ListOptions{}))
	require.Len(t, cohorts, 1, "lazy quotes are tolerated")

	for _, err := range r.Communications(ctx, ListOptions{}) {
		require.ErrorAs(t, err, &re)
		assert.Contains(t, err.Error(), "2 cells, header has 3")
		assert.Equal(t, Key("1"), re.ID)
	}

	_, err = NewExportReader(fstest.MapFS{"patients.csv": {}, "Patient.csv": {}}, ExportOptions{})
	require.NoError(t, err, "the canonical name wins over an alias")
	_, err = NewExportReader(fstest.MapFS{"patient.csv": {}, "Patient.csv": {}}, ExportOptions{})
	require.Error(t, err, "two non-canonical candidates are ambiguous")
	_, err = OpenExport("testdata/export/offices.csv", ExportOptions{})
	require.Error(t, err)
	_, err = OpenExport("testdata/nope", ExportOptions{})
	require.Error(t, err)
}

func TestHeaderAliasesUnambiguous(t *testing.T) {
	check := func(name string, cols []string, aliases [][]string) {
		seen := map[string]string{}
		for i, c := range cols {
			for _, a := range append([]string{c}, aliases[i]...) {
				k := normKey(a)
				if prev, ok := seen[k]; ok && prev != c {
					// An alias equal to another column's canonical name is
					// shadowed by design; anything else is ambiguous.
					if !slices.Contains(cols, a) && normKey(prev) != k {
						t.Errorf("%s: alias %q maps to both %s and %s", name, a, prev, c)
					}
				}
				if _, ok := seen[k]; !ok {
					seen[k] = c
				}
			}
		}
	}
	names := func(cs []string) []string { return cs }
	_ = names
	check("patients", headerOf(patientColumns), aliasesOf(patientColumns))
	check("appointments", headerOf(appointmentColumns), aliasesOf(appointmentColumns))
	check("procedures", headerOf(procedureColumns), aliasesOf(procedureColumns))
	check("communications", headerOf(communicationColumns), aliasesOf(communicationColumns))
	check("documents", headerOf(documentColumns), aliasesOf(documentColumns))
	for _, h := range CSVHeader(EntityPatients) {
		assert.False(t, strings.HasPrefix(h, CustomColumnPrefix))
	}
}

func aliasesOf[T any](cols []column[T]) [][]string {
	out := make([][]string, len(cols))
	for i, c := range cols {
		out[i] = c.aliases
	}
	return out
}

var _ = errors.New
