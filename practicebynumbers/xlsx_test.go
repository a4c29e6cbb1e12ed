package practicebynumbers_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/pbnhl/pbnhl/internal/golden"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// readCSVFile reads every record of a CSV export file (a UTF-8 mark
// dropped), as the workbook conversion below needs them.
func readCSVFile(t testing.TB, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	recs, err := cr.ReadAll()
	require.NoError(t, err, path)
	return recs
}

// writeSheet writes rows to a sheet, every cell as text.
func writeSheet(t testing.TB, f *excelize.File, sheet string, rows [][]string) {
	t.Helper()
	sw, err := f.NewStreamWriter(sheet)
	require.NoError(t, err)
	for i, row := range rows {
		cells := make([]any, len(row))
		for j, c := range row {
			cells[j] = c
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		require.NoError(t, err)
		require.NoError(t, sw.SetRow(cell, cells))
	}
	require.NoError(t, sw.Flush())
}

// csvToXLSX converts a CSV export folder into two workbook folders: one
// workbook per entity file ("patients.xlsx", first sheet "Sheet1"), and one
// workbook with a sheet per entity ("export.xlsx", sheets named as people
// name them: "Patients", "Treatment Plans"). deletions.csv and the manifest
// stay as they are.
func csvToXLSX(t testing.TB, csvDir, perFile, oneBook string) {
	t.Helper()
	entries, err := os.ReadDir(csvDir)
	require.NoError(t, err)
	book := excelize.NewFile()
	first := true
	for _, de := range entries {
		name := de.Name()
		if de.IsDir() {
			continue
		}
		src := filepath.Join(csvDir, name)
		base, isCSV := strings.CutSuffix(name, ".csv")
		if !isCSV || base == "deletions" {
			b, err := os.ReadFile(src)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(perFile, name), b, 0o600))
			require.NoError(t, os.WriteFile(filepath.Join(oneBook, name), b, 0o600))
			continue
		}
		rows := readCSVFile(t, src)
		f := excelize.NewFile()
		writeSheet(t, f, "Sheet1", rows)
		require.NoError(t, f.SaveAs(filepath.Join(perFile, base+".xlsx")))
		require.NoError(t, f.Close())

		sheet := strings.ReplaceAll(strings.Title(strings.ReplaceAll(base, "_", " ")), "Kpi", "KPI") //nolint:staticcheck // ASCII names
		if first {
			require.NoError(t, book.SetSheetName("Sheet1", sheet))
			first = false
		} else {
			_, err := book.NewSheet(sheet)
			require.NoError(t, err)
		}
		writeSheet(t, book, sheet, rows)
	}
	require.NoError(t, book.SaveAs(filepath.Join(oneBook, "export.xlsx")))
	require.NoError(t, book.Close())
}

// entityDump is everything a reader yields for one entity: the records as
// JSON and the row errors by record id (line numbers differ: a CSV note
// with line breaks spans several lines, a sheet row is one row).
type entityDump struct {
	Records []string
	Errors  []string
}

func dumpExport(t testing.TB, r *pbn.ExportReader) map[pbn.Entity]entityDump {
	t.Helper()
	ctx := context.Background()
	out := map[pbn.Entity]entityDump{}
	for _, e := range pbn.Entities() {
		seq, err := pbn.Records(ctx, r, e, pbn.ListOptions{})
		require.NoError(t, err)
		var d entityDump
		for rec, err := range seq {
			if err != nil {
				var re *pbn.RowError
				require.ErrorAs(t, err, &re, "%s: only row errors", e)
				msg := fmt.Sprintf("id %s: %v", re.ID, re.Err)
				for _, f := range re.Fields {
					msg += fmt.Sprintf("; column %d (%s): %v", f.Column, f.Header, f.Err)
				}
				d.Errors = append(d.Errors, msg)
				continue
			}
			b, err := json.Marshal(rec)
			require.NoError(t, err)
			d.Records = append(d.Records, string(b))
		}
		out[e] = d
	}
	return out
}

// TestXLSXReadsLikeCSV: a generated practice's export, converted cell for
// cell to workbooks (one per file, and one with a sheet per entity), reads
// to the same records, the same row errors and the same inventory as the
// CSV folder.
func TestXLSXReadsLikeCSV(t *testing.T) {
	patients := 40
	if testing.Short() {
		patients = 12
	}
	ctx := context.Background()
	csvDir, perFile, oneBook := t.TempDir(), t.TempDir(), t.TempDir()
	_, err := pbntest.MustPractice(11, patients).WriteExport(ctx, csvDir, pbntest.ExportOptions{
		HumanHeaders: true, ShuffleColumns: true, PMSDates: true, BOM: true, CRLF: true})
	require.NoError(t, err)
	// Rows the reader rejects: a bad date, a row too wide, a missing id.
	pf := filepath.Join(csvDir, "patients.csv")
	recs := readCSVFile(t, pf)
	width := len(recs[0])
	for i, bad := range [][]string{{"999001", "bad date"}, {"999002", "too wide"}, {"", "no id"}} {
		row := make([]string, width)
		for j := range row {
			row[j] = bad[1]
		}
		if i == 1 {
			row = append(row, "extra")
		}
		for j, h := range recs[0] {
			if h == "Patient Id" || h == "Id" {
				row[j] = bad[0]
			}
		}
		recs = append(recs, row)
	}
	var b bytes.Buffer
	require.NoError(t, csv.NewWriter(&b).WriteAll(recs))
	require.NoError(t, os.WriteFile(pf, b.Bytes(), 0o600))
	csvToXLSX(t, csvDir, perFile, oneBook)

	want, err := pbn.OpenExport(csvDir, pbn.ExportOptions{})
	require.NoError(t, err)
	wantDump := dumpExport(t, want)
	wantInv, err := want.Inventory(ctx)
	require.NoError(t, err)
	var rows, bad int
	for _, d := range wantDump {
		rows += len(d.Records)
		bad += len(d.Errors)
	}
	require.Greater(t, rows, 500, "the practice is big enough to say something")
	require.Len(t, wantDump[pbn.EntityPatients].Errors, 3, "%q", wantDump[pbn.EntityPatients].Errors)

	for _, dir := range []string{perFile, oneBook} {
		got, err := pbn.OpenExport(dir, pbn.ExportOptions{})
		require.NoError(t, err)
		for _, e := range pbn.Entities() {
			if want.FileName(e) == "" {
				assert.Empty(t, got.FileName(e), "%s", e)
				continue
			}
			name := got.FileName(e)
			if dir == perFile {
				assert.True(t, strings.HasSuffix(name, ".xlsx"), "%s held by %q", e, name)
			} else {
				assert.True(t, strings.HasPrefix(name, "export.xlsx#"), "%s held by %q", e, name)
			}
		}
		assert.Empty(t, got.UnrecognisedFiles())
		gotDump := dumpExport(t, got)
		for _, e := range pbn.Entities() {
			assert.Equal(t, wantDump[e].Records, gotDump[e].Records, "%s records from %s", e, filepath.Base(dir))
			assert.Equal(t, wantDump[e].Errors, gotDump[e].Errors, "%s row errors from %s", e, filepath.Base(dir))
		}
		inv, err := got.Inventory(ctx)
		require.NoError(t, err)
		assert.Equal(t, wantInv.Counts, inv.Counts)
		assert.Equal(t, wantInv.CustomProperties, inv.CustomProperties)
		assert.True(t, wantInv.ServerTime.Equal(inv.ServerTime), "%v vs %v", wantInv.ServerTime, inv.ServerTime)
		cols, err := got.Columns(ctx, pbn.EntityPatients)
		require.NoError(t, err)
		wantCols, err := want.Columns(ctx, pbn.EntityPatients)
		require.NoError(t, err)
		assert.Equal(t, wantCols.Fields, cols.Fields)
	}
	t.Logf("%d records and %d row errors read alike from CSV, per-file workbooks and one workbook", rows, bad)
}

// patientsWorkbook is a report as Excel users make them: typed cells (a
// numeric id, a date in Excel's short date format, money with a currency
// format, a phone as a number), a blank row, a row whose trailing cells
// are empty, a row with a bad date, and a second sheet nobody asked for.
func patientsWorkbook(t testing.TB, sh string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if sh != "Sheet1" {
		require.NoError(t, f.SetSheetName("Sheet1", sh))
	}
	require.NoError(t, f.SetSheetRow(sh, "A1", &[]any{" Patient ID", "First Name", "Last Name", "Birth Date", "Home Phone", "E-mail", "Balance", "Favourite Colour"}))
	require.NoError(t, f.SetSheetRow(sh, "A2", &[]any{1, "Ana", "Lima", 34411, 5551230001, "ana@example.com", 12.5, "teal"}))
	require.NoError(t, f.SetSheetRow(sh, "A3", &[]any{2, "Bo", "Ng", "1980-02-29", "(555) 123-0002"}))
	// row 4 left blank
	require.NoError(t, f.SetSheetRow(sh, "A5", &[]any{3, "Cy", "Oto", "not a date", "", "", "", "red"}))
	require.NoError(t, f.SetSheetRow(sh, "A6", &[]any{4, "Di", "Park", 29221.75}))
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	require.NoError(t, err)
	require.NoError(t, f.SetCellStyle(sh, "D2", "D6", dateStyle))
	money, err := f.NewStyle(&excelize.Style{NumFmt: 7}) // $#,##0.00_);($#,##0.00)
	require.NoError(t, err)
	require.NoError(t, f.SetCellStyle(sh, "G2", "G2", money))
	_, err = f.NewSheet("Summary")
	require.NoError(t, err)
	require.NoError(t, f.SetCellValue("Summary", "A1", "Total patients: 4"))
	var b bytes.Buffer
	_, err = f.WriteTo(&b)
	require.NoError(t, err)
	return b.Bytes()
}

// TestXLSXGolden: what the reader makes of such a workbook, named after
// the entity ("first sheet") and as a sheet of another workbook.
func TestXLSXGolden(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	for _, fsys := range []fstest.MapFS{
		{"Patients.xlsx": {Data: patientsWorkbook(t, "Sheet1")}},
		{"report.xlsx": {Data: patientsWorkbook(t, "PATIENT")}, "~$report.xlsx": {Data: []byte("lock")}},
	} {
		r, err := pbn.NewExportReader(fsys, pbn.ExportOptions{Location: mustZone(t, "America/Chicago")})
		require.NoError(t, err)
		fmt.Fprintf(&out, "== patients from %q; unrecognised: %q\n", r.FileName(pbn.EntityPatients), r.UnrecognisedFiles())
		for p, err := range r.Patients(ctx, pbn.ListOptions{}) {
			if err != nil {
				fmt.Fprintf(&out, "error: %v\n", err)
				continue
			}
			b, err := json.Marshal(p)
			require.NoError(t, err)
			fmt.Fprintf(&out, "%s\n", b)
		}
		inv, err := r.Inventory(ctx)
		require.NoError(t, err)
		fmt.Fprintf(&out, "inventory: %d patients\n", inv.Counts[pbn.EntityPatients])
	}
	golden.Assert(t, filepath.Join("testdata", "golden", "xlsx_patients.txt"), out.Bytes())
}

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// TestXLSXRefusals: an unreadable workbook, and two sources of one entity.
func TestXLSXRefusals(t *testing.T) {
	ctx := context.Background()
	_, err := pbn.NewExportReader(fstest.MapFS{"export.xlsx": {Data: []byte("PK\x03\x04 not really")}}, pbn.ExportOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "export.xlsx: not a readable .xlsx workbook")

	r, err := pbn.NewExportReader(fstest.MapFS{"patients.xlsx": {Data: []byte("garbage")}}, pbn.ExportOptions{})
	require.NoError(t, err, "a workbook named after an entity is opened when read")
	var n int
	for _, err := range r.Patients(ctx, pbn.ListOptions{}) {
		n++
		var fe *pbn.FileError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, "patients.xlsx", fe.File)
	}
	assert.Equal(t, 1, n)

	book := patientsWorkbook(t, "Sheet1")
	_, err = pbn.NewExportReader(fstest.MapFS{"Patients.xlsx": {Data: book}, "patient.xlsx": {Data: book}}, pbn.ExportOptions{})
	assert.ErrorContains(t, err, "both Patients.xlsx and patient.xlsx hold patients")
	r, err = pbn.NewExportReader(fstest.MapFS{"Patients.xlsx": {Data: book}, "patients.csv": {Data: []byte("id\n1\n")}}, pbn.ExportOptions{})
	require.NoError(t, err)
	assert.Equal(t, "patients.csv", r.FileName(pbn.EntityPatients), "the canonical CSV file wins, as among CSV files")
}

// minimalXLSX is the smallest workbook Excel opens: one sheet of inline
// strings. The fuzz target builds it by hand, cheaply, so the fuzzer's
// time goes to the reader.
func minimalXLSX(t testing.TB, rows [][]string) []byte {
	t.Helper()
	var sheet strings.Builder
	sheet.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for i, row := range rows {
		fmt.Fprintf(&sheet, `<row r="%d">`, i+1)
		for j, c := range row {
			var esc bytes.Buffer
			xml.EscapeText(&esc, []byte(c))
			fmt.Fprintf(&sheet, `<c r="%c%d" t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>`, 'A'+rune(j%26), i+1, esc.String())
		}
		sheet.WriteString(`</row>`)
	}
	sheet.WriteString(`</sheetData></worksheet>`)
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
			`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Patients" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", sheet.String()},
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, p := range parts {
		w, err := zw.Create(p.name)
		require.NoError(t, err)
		_, err = io.WriteString(w, p.body)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return b.Bytes()
}

// FuzzXLSX: whatever a workbook holds — any header, any cell, or bytes
// that are not a workbook at all — reading it never panics, and every
// problem is a row or file error.
func FuzzXLSX(f *testing.F) {
	f.Add([]byte("PK\x03\x04"), "id,first_name,birth_date", "1,Ana,1980-01-02")
	f.Add([]byte{}, "Patient #,Name,,DOB", "x,\x00,\"\",99999999999")
	f.Add(minimalXLSX(f, [][]string{{"id", "custom.x"}, {"7", "y"}}), " id ,custom.x,id", "0042,=1+1,7")
	f.Add(patientsWorkbook(f, "Patients"), "id", "")
	f.Fuzz(func(t *testing.T, raw []byte, header, row string) {
		ctx := context.Background()
		book := minimalXLSX(t, [][]string{strings.Split(header, ","), strings.Split(row, ",")})
		for _, fsys := range []fstest.MapFS{
			{"patients.xlsx": {Data: book}, "appointments.xlsx": {Data: raw}},
			{"export.xlsx": {Data: raw}},
			{"export.xlsx": {Data: book}},
		} {
			r, err := pbn.NewExportReader(fsys, pbn.ExportOptions{})
			if err != nil {
				continue
			}
			for _, err := range r.Patients(ctx, pbn.ListOptions{}) {
				var re *pbn.RowError
				var fe *pbn.FileError
				if err != nil && !errors.As(err, &re) && !errors.As(err, &fe) {
					t.Fatalf("neither a row nor a file error: %v", err)
				}
			}
			for range r.Appointments(ctx, pbn.ListOptions{}) {
			}
			r.Inventory(ctx)
			r.Columns(ctx, pbn.EntityPatients)
		}
	})
}

// writeBigPatients writes a patients workbook of n rows to dir.
func writeBigPatients(t testing.TB, dir string, n int) string {
	t.Helper()
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	require.NoError(t, err)
	require.NoError(t, sw.SetRow("A1", []any{"id", "first_name", "last_name", "email", "notes"}))
	for i := 1; i <= n; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		require.NoError(t, sw.SetRow(cell, []any{i, fmt.Sprintf("First%d", i), fmt.Sprintf("Last%d", i),
			fmt.Sprintf("p%d@example.com", i), "Prefers morning appointments; allergic to latex."}))
	}
	require.NoError(t, sw.Flush())
	path := filepath.Join(dir, "patients.xlsx")
	require.NoError(t, f.SaveAs(path))
	require.NoError(t, f.Close())
	return path
}

// TestXLSXLargeSheet: a sheet larger than the reader unpacks in memory is
// read from a temporary file, every row, and the heap does not grow with
// the sheet.
func TestXLSXLargeSheet(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 60,000-row workbook")
	}
	dir := t.TempDir()
	const n = 60000
	writeBigPatients(t, dir, n)
	r, err := pbn.OpenExport(dir, pbn.ExportOptions{})
	require.NoError(t, err)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, uint64(0)
	count := 0
	for p, err := range r.Patients(context.Background(), pbn.ListOptions{}) {
		require.NoError(t, err)
		count++
		require.Equal(t, pbn.KeyOf(int64(count)), p.ID)
		if count%10000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	assert.Equal(t, n, count)
	st, err := os.Stat(filepath.Join(dir, "patients.xlsx"))
	require.NoError(t, err)
	// The sheet's XML is about 19 MB unpacked (over four times the
	// in-memory bound); reading it must not hold it, let alone its 60,000
	// parsed rows.
	grew := int64(peak) - int64(base)
	t.Logf("workbook %d bytes; heap grew by %d bytes at most while reading %d rows", st.Size(), grew, count)
	assert.Less(t, grew, int64(16<<20))
}

func BenchmarkXLSXPatients(b *testing.B) {
	dir := b.TempDir()
	const n = 20000
	writeBigPatients(b, dir, n)
	r, err := pbn.OpenExport(dir, pbn.ExportOptions{})
	require.NoError(b, err)
	b.ResetTimer()
	for range b.N {
		count := 0
		for _, err := range r.Patients(context.Background(), pbn.ListOptions{}) {
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		if count != n {
			b.Fatalf("%d rows", count)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}
