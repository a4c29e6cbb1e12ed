package mapping

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// tableRows reads every row of a report file as InventoryDir reads it
// (UTF-16 decoded, the separator detected).
func tableRows(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	text, comma := decodeTable(f)
	cr := csv.NewReader(text)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	rows, err := cr.ReadAll()
	require.NoError(t, err, path)
	return rows
}

func sheetFrom(t testing.TB, f *excelize.File, sheet string, rows [][]string) {
	t.Helper()
	sw, err := f.NewStreamWriter(sheet)
	require.NoError(t, err)
	for i, row := range rows {
		cells := make([]any, len(row))
		for j, c := range row {
			cells[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		require.NoError(t, sw.SetRow(cell, cells))
	}
	require.NoError(t, sw.Flush())
}

func workbookBytes(t testing.TB, f *excelize.File) []byte {
	t.Helper()
	b, err := f.WriteToBuffer()
	require.NoError(t, err)
	require.NoError(t, f.Close())
	return b.Bytes()
}

// TestInventoryDirReadsWorkbooks: the labelled export folders saved as
// Excel workbooks — one per report, and all reports as sheets of one
// workbook — inventory like the CSV reports (same names, counts, headers
// and samples) and draft the same map.
func TestInventoryDirReadsWorkbooks(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join("testdata", "exports")
	dirs, err := os.ReadDir(root)
	require.NoError(t, err)
	folders := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		folders++
		dir := filepath.Join(root, d.Name())
		want, err := InventoryDir(os.DirFS(dir), InventoryOptions{})
		require.NoError(t, err)
		perFile, oneBook := fstest.MapFS{}, fstest.MapFS{}
		book := excelize.NewFile()
		files, err := os.ReadDir(dir)
		require.NoError(t, err)
		first := true
		for _, f := range files {
			base, ext, _ := strings.Cut(f.Name(), ".")
			if !strings.EqualFold(ext, "csv") {
				continue
			}
			rows := tableRows(t, filepath.Join(dir, f.Name()))
			one := excelize.NewFile()
			sheetFrom(t, one, "Sheet1", rows)
			perFile[base+".xlsx"] = &fstest.MapFile{Data: workbookBytes(t, one)}
			if first {
				require.NoError(t, book.SetSheetName("Sheet1", base))
				first = false
			} else {
				_, err := book.NewSheet(base)
				require.NoError(t, err)
			}
			sheetFrom(t, book, base, rows)
		}
		bookName := "reports.xlsx"
		if len(perFile) == 1 { // a one-sheet workbook is named after its file, as a CSV report
			for n := range perFile {
				bookName = n
			}
		}
		oneBook[bookName] = &fstest.MapFile{Data: workbookBytes(t, book)}
		oneBook["~$"+bookName] = &fstest.MapFile{Data: []byte("Excel's lock file")}

		wantMap, err := Propose(ctx, want, Destination{}, ProposeOptions{})
		require.NoError(t, err)
		wantYAML, err := wantMap.Map.Marshal()
		require.NoError(t, err)
		for label, fsys := range map[string]fstest.MapFS{"per file": perFile, "one workbook": oneBook} {
			got, err := InventoryDir(fsys, InventoryOptions{})
			require.NoError(t, err)
			assert.Empty(t, got.Unreadable, "%s %s", d.Name(), label)
			require.Len(t, got.Entities, len(want.Entities), "%s %s", d.Name(), label)
			byName := map[string]EntityInventory{}
			for _, e := range got.Entities {
				byName[e.Name] = e
			}
			for _, w := range want.Entities {
				g, ok := byName[w.Name]
				require.True(t, ok, "%s %s: no entity %q", d.Name(), label, w.Name)
				assert.Equal(t, w.Count, g.Count, "%s %s %s", d.Name(), label, w.Name)
				assert.Equal(t, w.Fields, g.Fields, "%s %s %s", d.Name(), label, w.Name)
				if label == "one workbook" && len(want.Entities) > 1 {
					assert.Equal(t, "reports.xlsx#"+w.Name, g.File)
				}
			}
			// Sheets come in workbook order, files in name order: the
			// proposal is compared over the same entity order.
			ordered := got
			ordered.Entities = nil
			for _, w := range want.Entities {
				ordered.Entities = append(ordered.Entities, byName[w.Name])
				ordered.Entities[len(ordered.Entities)-1].File = w.File
			}
			pr, err := Propose(ctx, ordered, Destination{}, ProposeOptions{})
			require.NoError(t, err)
			y, err := pr.Map.Marshal()
			require.NoError(t, err)
			assert.Equal(t, string(wantYAML), string(y), "%s %s: the same map", d.Name(), label)
		}
	}
	assert.GreaterOrEqual(t, folders, 6)

	// An unreadable workbook is listed; the other reports are still read.
	inv, err := InventoryDir(fstest.MapFS{"broken.xlsx": {Data: []byte("PK not a zip")}, "patients.csv": {Data: []byte("id,name\n1,A\n")}}, InventoryOptions{})
	require.NoError(t, err)
	require.Len(t, inv.Unreadable, 1)
	assert.Equal(t, "broken.xlsx", inv.Unreadable[0].File)
	assert.Contains(t, inv.Unreadable[0].Reason, "not a readable .xlsx workbook")
	require.Len(t, inv.Entities, 1)
}
