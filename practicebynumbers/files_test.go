package practicebynumbers_test

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// utf16le encodes ASCII text as UTF-16LE with its byte-order mark.
func utf16le(s string) []byte {
	out := []byte{0xFF, 0xFE}
	for _, c := range []byte(s) {
		out = append(out, c, 0)
	}
	return out
}

// fileRows collects the rows of a report through Records (as a run reads
// them): each row's cells by column, and the errors.
func fileRows(t *testing.T, r *pbn.ExportReader, name string) (rows []map[string]string, errs []error) {
	t.Helper()
	seq, err := pbn.Records(context.Background(), r, pbn.Entity(name), pbn.ListOptions{})
	require.NoError(t, err)
	for rec, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fr, ok := rec.(*pbn.FileRow)
		require.True(t, ok, "%T", rec)
		row := map[string]string{}
		for _, c := range fr.Columns() {
			row[c], _ = fr.Get(c)
		}
		rows = append(rows, row)
	}
	return rows, errs
}

// TestFileRows: a practice system's report is read as it is, by the file
// name a map's source gives — comma, tab or semicolon separated, UTF-16,
// a workbook or one of its sheets — each row keyed by
// the header as written (an empty header is column_N), ids as written
// ("0042", "DRE1"). A row with more cells than the header, or a cell not
// valid in the file's encoding, is a row error and the others are read; a
// name that is no file of the folder (or not one path element) is a file
// error saying so; a name that is no report ("invoices") stays an unknown
// entity. A file named like a PbN entity is still read as
// a report when the source names the file.
func TestFileRows(t *testing.T) {
	ctx := context.Background()
	fsys := fstest.MapFS{
		"Patient List.csv":        {Data: []byte("\ufeffChart #, Last Name ,,Prim Provider\n0042,Garcia,x,DRE1\nA-17,\"Shah, A\",,HYG2\n9,too,many,cells,here\n42,Lee,\xff,DRE1\n")},
		"Scheduled Appts.txt":     {Data: []byte("Appt ID\tPatient ID\tNotes\n0501\t0042\ta;b\n")},
		"visits.tsv":              {Data: utf16le("Visit;Client;Fee\r\nV1;0042;12,50\r\n")},
		"patients.csv":            {Data: []byte("Acct,Name\n1,Ana\n")},
		"book.xlsx":               {Data: minimalXLSX(t, [][]string{{"Pt #", "Name"}, {"0007", "Bo"}})},
		"Empty.csv":               {Data: []byte{}},
		"sub/Patient List 2.csv":  {Data: []byte("x\n1\n")},
		"Windows-1252 Report.csv": {Data: []byte("Name\nJos\xe9\n")},
	}
	r, err := pbn.NewExportReader(fsys, pbn.ExportOptions{})
	require.NoError(t, err)

	rows, errs := fileRows(t, r, "Patient List.csv")
	require.Len(t, rows, 2)
	assert.Equal(t, map[string]string{"Chart #": "0042", "Last Name": "Garcia", "column_3": "x", "Prim Provider": "DRE1"}, rows[0])
	assert.Equal(t, "Shah, A", rows[1]["Last Name"])
	require.Len(t, errs, 2, "the long row and the row with a cell that is not UTF-8")
	var re *pbn.RowError
	require.ErrorAs(t, errs[0], &re)
	assert.Equal(t, 4, re.Line)
	assert.Contains(t, re.Error(), "5 cells, header has 4")
	require.ErrorAs(t, errs[1], &re)
	assert.Equal(t, 5, re.Line)
	assert.Contains(t, re.Error(), "column 3 (column_3)")
	assert.NotContains(t, re.Error(), "Lee", "no value in an error")

	rows, errs = fileRows(t, r, "Scheduled Appts.txt")
	assert.Empty(t, errs)
	assert.Equal(t, []map[string]string{{"Appt ID": "0501", "Patient ID": "0042", "Notes": "a;b"}}, rows, "tab separated")
	rows, errs = fileRows(t, r, "visits.tsv")
	assert.Empty(t, errs)
	assert.Equal(t, []map[string]string{{"Visit": "V1", "Client": "0042", "Fee": "12,50"}}, rows, "UTF-16, semicolon separated")
	rows, _ = fileRows(t, r, "patients.csv")
	assert.Equal(t, []map[string]string{{"Acct": "1", "Name": "Ana"}}, rows, "a PbN-like name read as the report it is")
	for _, name := range []string{"book.xlsx", "book.xlsx#Patients"} {
		rows, errs = fileRows(t, r, name)
		assert.Empty(t, errs, name)
		assert.Equal(t, []map[string]string{{"Pt #": "0007", "Name": "Bo"}}, rows, name)
	}
	rows, errs = fileRows(t, r, "Empty.csv")
	assert.Empty(t, rows)
	assert.Empty(t, errs)

	for name, why := range map[string]string{
		"Patient List 2.csv":      "no such file in the export folder",
		"sub/Patient List 2.csv":  "not the name of one file",
		"../Patient List.csv":     "not the name of one file",
		"..\\x.csv":               "not the name of one file",
		"book.xlsx#Nope":          "Nope",
		"other.xlsx#Patients":     "no such workbook",
		"Windows-1252 Report.csv": "windows-1252",
	} {
		_, errs := fileRows(t, r, name)
		require.Len(t, errs, 1, name)
		var fe *pbn.FileError
		assert.True(t, errors.As(errs[0], &fe), "%s: %T %v", name, errs[0], errs[0])
		assert.Contains(t, errs[0].Error(), why, name)
	}

	// Columns gives the header as the rows are keyed; FieldColumn names a
	// report's field as its column, so preflight can say one is missing.
	c, err := r.Columns(ctx, "Patient List.csv")
	require.NoError(t, err)
	assert.Equal(t, pbn.FileColumns{File: "Patient List.csv", Fields: []string{"Chart #", "Last Name", "column_3", "Prim Provider"}}, c)
	_, err = r.Columns(ctx, "nothing.csv")
	var fe *pbn.FileError
	assert.ErrorAs(t, err, &fe)
	col, _ := pbn.FieldColumn("Patient List.csv", "Chart #")
	assert.Equal(t, "Chart #", col)
	col, _ = pbn.FieldColumn(pbn.EntityPatients, "Chart #")
	assert.Empty(t, col, "a PbN entity's fields are its model's")
	assert.True(t, pbn.FileEntity("Patient List.csv"))
	assert.False(t, pbn.FileEntity(pbn.EntityPatients))
	assert.False(t, pbn.FileEntity(""))
	assert.False(t, pbn.FileEntity("invoices"))
	assert.False(t, pbn.FileEntity("notes.pdf"))
	assert.True(t, pbn.FileEntity("book.XLSX#Sheet 1"))

	// A report is owned by no patient; the REST client reads no files.
	for _, err := range r.FileRows(ctx, "Patient List.csv", pbn.ListOptions{PatientID: "0042"}) {
		assert.ErrorContains(t, err, "not patient-owned")
	}
	_, err = pbn.Records(ctx, pbn.Source(nil), "Patient List.csv", pbn.ListOptions{})
	assert.ErrorContains(t, err, "unknown entity")
}

// FuzzFileRows: whatever a report holds — any header, any cells, any
// bytes — reading it by name never panics, every error is a row or file
// error, and every row's columns are the header's.
func FuzzFileRows(f *testing.F) {
	f.Add([]byte("Chart #,Last Name,,x\n0042,Garcia,,\n9,a,b,c,d\n"), "r.csv")
	f.Add(utf16le("a;b\r\n1;2\r\n"), "r.txt")
	f.Add([]byte("\xFF\xFE\x00"), "r")
	f.Add([]byte("a\tb\n\"x\ty\n"), "r.tsv")
	f.Add([]byte("id\n\xff\n"), "../r.csv")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		r, err := pbn.NewExportReader(fstest.MapFS{"r.csv": {Data: data}, "r.txt": {Data: data}, "r.tsv": {Data: data}}, pbn.ExportOptions{})
		require.NoError(t, err)
		ctx := context.Background()
		for row, err := range r.FileRows(ctx, name, pbn.ListOptions{}) {
			if err != nil {
				var re *pbn.RowError
				var fe *pbn.FileError
				if !errors.As(err, &re) && !errors.As(err, &fe) {
					t.Fatalf("unexpected error kind %T: %v", err, err)
				}
				continue
			}
			for _, c := range row.Columns() {
				if _, ok := row.Get(c); !ok {
					t.Fatalf("column %q of the header not in the row", c)
				}
			}
		}
		if _, err := r.Columns(ctx, pbn.Entity(name)); err != nil {
			var fe *pbn.FileError
			if !errors.As(err, &fe) && pbn.FileEntity(pbn.Entity(name)) {
				t.Fatalf("unexpected error kind %T: %v", err, err)
			}
		}
	})
}
