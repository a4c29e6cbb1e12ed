package practicebynumbers

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Excel workbooks (.xlsx) in an export folder are read like CSV files: a
// workbook named after an entity ("Patients.xlsx", "appts.xlsx") holds it
// in its first sheet; any other workbook holds, in each sheet named after
// an entity ("Patients", "Appointments"), that entity, and its other sheets
// are listed by [ExportReader.UnrecognisedFiles] as "workbook.xlsx#Sheet".
// A cell reads as Excel displays it (the text a "Save as CSV" writes),
// except that Excel's locale-dependent short date (number format 14, and
// 22 with a time) reads as ISO 8601 "2006-01-02" rather than "1/2/06".
// Rows stream: worksheets and the shared-string table larger than
// xlsxXMLInMemory are unpacked to temporary files and read from there.

// xlsxSheetSep joins a workbook and a sheet in the name the reader gives
// an entity held by a named sheet: "export.xlsx#Patients". It appears in
// row and file errors as the file name.
const xlsxSheetSep = "#"

// xlsxXMLInMemory bounds the size of a worksheet (or shared-string table)
// the reader unpacks in memory; larger ones are unpacked to a temporary file.
const xlsxXMLInMemory = 4 << 20

// xlsxSheet is where an entity's rows are: a workbook file of the folder
// and one of its sheets ("" for the first).
type xlsxSheet struct {
	file, sheet string
}

func isWorkbook(name string) bool {
	return strings.HasSuffix(strings.ToLower(name), ".xlsx") && !strings.HasPrefix(name, "~$") // ~$: Excel's lock file
}

// addWorkbook places the sheets of workbook name (see above).
func (r *ExportReader) addWorkbook(name string, byKey map[string]Entity) error {
	base := name[:len(name)-len(".xlsx")]
	if e, ok := byKey[normKey(base)]; ok {
		return r.claimSheet(e, name, xlsxSheet{file: name})
	}
	wb, done, err := r.openWorkbook(name)
	if err != nil {
		// A workbook the folder holds but that cannot be read must not
		// pass unnoticed: it may hold patients.
		return fmt.Errorf("practicebynumbers: open export: %s: %w", name, err)
	}
	defer done()
	for _, sh := range wb.GetSheetList() {
		display := name + xlsxSheetSep + sh
		e, ok := byKey[normKey(sh)]
		if !ok {
			r.extra = append(r.extra, display)
			continue
		}
		if err := r.claimSheet(e, display, xlsxSheet{file: name, sheet: sh}); err != nil {
			return err
		}
	}
	return nil
}

// claimSheet assigns a sheet to e under the same rule as CSV files: the
// canonical CSV file name wins, and any other two sources of one entity are
// refused rather than half read.
func (r *ExportReader) claimSheet(e Entity, display string, s xlsxSheet) error {
	if prev, dup := r.files[e]; dup {
		if prev == e.FileName() {
			return nil
		}
		return fmt.Errorf("practicebynumbers: open export: both %s and %s hold %s", prev, display, e)
	}
	if r.sheets == nil {
		r.sheets = map[string]xlsxSheet{}
	}
	r.sheets[display] = s
	r.files[e] = display
	return nil
}

func (r *ExportReader) openWorkbook(name string) (*excelize.File, func(), error) {
	return openWorkbook(r.fsys, name)
}

// openWorkbook opens a workbook of fsys. excelize reads a zip archive
// from a named file (random access, parts unpacked on demand), so a file
// that is not an *os.File (an fs.FS in memory, an archive) is first copied
// to an owner-only temporary file. done closes and cleans up.
func openWorkbook(fsys fs.FS, name string) (wb *excelize.File, done func(), err error) {
	defer func() {
		// excelize parses untrusted zip and XML: a panic in it is this
		// file's problem, not the process's.
		if p := recover(); p != nil {
			wb, done, err = nil, nil, fmt.Errorf("not a readable .xlsx workbook (%v)", p)
		}
	}()
	f, err := fsys.Open(name)
	if err != nil {
		return nil, nil, err
	}
	path, tmp := "", ""
	if of, ok := f.(*os.File); ok {
		path = of.Name()
		f.Close()
	} else {
		t, err := os.CreateTemp("", "pbnhl-xlsx-*")
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		tmp, path = t.Name(), t.Name()
		_, err = io.Copy(t, f)
		f.Close()
		if cerr := t.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(tmp)
			return nil, nil, err
		}
	}
	wb, err = excelize.OpenFile(path, excelize.Options{
		UnzipXMLSizeLimit: xlsxXMLInMemory,
		UnzipSizeLimit:    excelize.UnzipSizeLimit,
		ShortDatePattern:  "yyyy-mm-dd",
	})
	if err != nil {
		if tmp != "" {
			os.Remove(tmp)
		}
		return nil, nil, workbookErr(err)
	}
	return wb, func() {
		wb.Close() // removes excelize's own temporary files
		if tmp != "" {
			os.Remove(tmp)
		}
	}, nil
}

// workbookErr words excelize's open errors for a person.
func workbookErr(err error) error {
	switch {
	case errors.Is(err, excelize.ErrWorkbookPassword), errors.Is(err, excelize.ErrWorkbookFileFormat):
		return fmt.Errorf("not an .xlsx workbook, or one protected by a password: save it unprotected as .xlsx (%w)", err)
	}
	return fmt.Errorf("not a readable .xlsx workbook: %w", err)
}

// openSheet opens the sheet behind name for the row readers.
func (r *ExportReader) openSheet(name string, s xlsxSheet) (io.Closer, rowReader, *csvTail, error) {
	wb, done, err := r.openWorkbook(s.file)
	if err != nil {
		return nil, nil, nil, &FileError{File: name, Err: err}
	}
	sheet := s.sheet
	if sheet == "" {
		list := wb.GetSheetList()
		if len(list) == 0 {
			done()
			return nil, nil, nil, &FileError{File: name, Err: errors.New("the workbook has no sheet")}
		}
		sheet = list[0]
	}
	rows, err := safeRows(wb, sheet)
	if err != nil {
		done()
		return nil, nil, nil, &FileError{File: name, Err: workbookErr(err)}
	}
	sr := &sheetRows{rows: rows, done: done}
	// Rows have no quoting to end inside of: a zero tail reports no
	// truncation (a workbook cut short does not open at all).
	return sr, sr, &csvTail{}, nil
}

func safeRows(wb *excelize.File, sheet string) (rows *excelize.Rows, err error) {
	defer func() {
		if p := recover(); p != nil {
			rows, err = nil, fmt.Errorf("unreadable sheet (%v)", p)
		}
	}()
	return wb.Rows(sheet)
}

// rowReader is what the export readers need of a CSV parser; *csv.Reader
// and a sheet's rows provide it.
type rowReader interface {
	// Read returns the next row; io.EOF after the last.
	Read() ([]string, error)
	// FieldPos returns the 1-based line (for a sheet, the row number) of
	// the last row read.
	FieldPos(field int) (line, column int)
}

// sheetRows reads a worksheet's rows like CSV records: as wide as the
// header (excelize leaves out a row's trailing empty cells, which a CSV
// file writes as empty fields), and without empty rows (encoding/csv skips
// blank lines). Row numbers are the sheet's.
type sheetRows struct {
	rows  *excelize.Rows
	done  func()
	width int // cells of the header row
	line  int
	read  int // rows returned
	err   error
}

func (s *sheetRows) Read() (cells []string, err error) {
	if s.err != nil {
		return nil, s.err
	}
	defer func() {
		if p := recover(); p != nil {
			s.err = fmt.Errorf("row %d: unreadable (%v)", s.line+1, p)
			cells, err = nil, s.err
		}
	}()
	for s.rows.Next() {
		s.line++
		cells, err := s.rows.Columns()
		if err != nil {
			s.err = fmt.Errorf("row %d: %w", s.line, err)
			return nil, s.err
		}
		if len(cells) == 0 {
			continue
		}
		if s.read == 0 {
			s.width = len(cells)
		}
		s.read++
		for len(cells) < s.width {
			cells = append(cells, "")
		}
		return cells, nil
	}
	if err := s.rows.Error(); err != nil {
		s.err = err
		return nil, err
	}
	s.err = io.EOF
	return nil, io.EOF
}

func (s *sheetRows) FieldPos(int) (int, int) { return s.line, 1 }

func (s *sheetRows) Close() error {
	err := s.rows.Close()
	s.done()
	return err
}

// Workbook is an .xlsx report opened to read its sheets as tables, for
// readers that are not bound to an entity (the map proposer samples a
// folder of a practice-management system's reports). Rows read as the
// export reader reads them: as Excel displays the cells (short dates as
// 2006-01-02), as wide as the sheet's first row, empty rows left out.
type Workbook struct {
	wb   *excelize.File
	done func()
}

// OpenWorkbook opens the .xlsx file name of fsys. The caller closes it.
func OpenWorkbook(fsys fs.FS, name string) (*Workbook, error) {
	wb, done, err := openWorkbook(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("practicebynumbers: %s: %w", name, err)
	}
	return &Workbook{wb: wb, done: done}, nil
}

// Sheets lists the workbook's sheets in their order.
func (w *Workbook) Sheets() []string { return w.wb.GetSheetList() }

// Rows streams the rows of sheet, its header row first. An error ends the
// iteration.
func (w *Workbook) Rows(sheet string) iter.Seq2[[]string, error] {
	return func(yield func([]string, error) bool) {
		rows, err := safeRows(w.wb, sheet)
		if err != nil {
			yield(nil, workbookErr(err))
			return
		}
		sr := &sheetRows{rows: rows, done: func() {}}
		defer sr.Close()
		for {
			cells, err := sr.Read()
			if err == io.EOF {
				return
			}
			if !yield(cells, err) || err != nil {
				return
			}
		}
	}
}

// Close releases the workbook and its temporary files.
func (w *Workbook) Close() error {
	w.done()
	return nil
}
