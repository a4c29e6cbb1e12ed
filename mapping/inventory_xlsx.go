package mapping

import (
	"fmt"
	"io/fs"
	"strings"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// addWorkbook samples an .xlsx report of an InventoryDir folder when d is
// one, and reports whether it was. Each sheet with a header row is one
// entity: named after the file when the workbook has one such sheet (as a
// CSV report is), after the sheet otherwise ("Patients" of export.xlsx,
// File "export.xlsx#Patients"). The rows stream (the workbook is read
// through practicebynumbers' streaming sheet reader); an unreadable
// workbook or sheet is listed in Unreadable and the others are still read.
func addWorkbook(fsys fs.FS, d fs.DirEntry, opts InventoryOptions, inv *SourceInventory) bool {
	name := d.Name()
	if d.IsDir() || !strings.HasSuffix(strings.ToLower(name), ".xlsx") {
		return false
	}
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") { // hidden, or Excel's lock file
		return true
	}
	wb, err := pbn.OpenWorkbook(fsys, name)
	if err != nil {
		inv.Unreadable = append(inv.Unreadable, FileProblem{File: name, Reason: err.Error()})
		return true
	}
	defer wb.Close()
	var ents []EntityInventory
	for _, sheet := range wb.Sheets() {
		e, err := sampleSheet(wb, sheet, opts)
		if err != nil {
			inv.Unreadable = append(inv.Unreadable, FileProblem{File: name + "#" + sheet, Reason: err.Error()})
		}
		if len(e.Fields) > 0 {
			e.Name, e.File = sheet, name+"#"+sheet
			ents = append(ents, e)
		}
	}
	if len(ents) == 1 {
		ents[0].Name, ents[0].File = name[:len(name)-len(".xlsx")], name
	}
	inv.Entities = append(inv.Entities, ents...)
	return true
}

// sampleSheet samples one sheet as SampleCSV samples a file: the first row
// is the header, then the first opts.Samples rows are kept and the rows
// counted up to maxCSVSampleRows. A sheet without rows has no fields.
func sampleSheet(wb *pbn.Workbook, sheet string, opts InventoryOptions) (EntityInventory, error) {
	var e EntityInventory
	n := opts.samples()
	head := true
	for row, err := range wb.Rows(sheet) {
		if err != nil {
			return e, fmt.Errorf("mapping: read sheet %s: %w", sheet, err)
		}
		if head {
			for i, h := range row {
				h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
				if h == "" {
					h = fmt.Sprintf("column_%d", i+1)
				}
				e.Fields = append(e.Fields, FieldInventory{Name: h})
			}
			head = false
			continue
		}
		e.Count++
		if e.Count >= maxCSVSampleRows {
			break
		}
		if int(e.Count) > n {
			continue
		}
		for i := range e.Fields {
			v := ""
			if i < len(row) {
				v = row[i]
			}
			e.Fields[i].Samples = append(e.Fields[i].Samples, v)
		}
	}
	return e, nil
}
