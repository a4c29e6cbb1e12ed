package practicebynumbers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"path"
	"slices"
	"strings"
)

// Report files read as they are. A practice system's own reports (a
// Dentrix "Patient List.csv", an Eaglesoft "Scheduled Appointments.csv",
// an .xlsx report) are not PbN entities: a map drafted from them
// (mapping.InventoryDir, pbn2hl propose -files) names, as each object's
// source, the file that feeds it, and the ExportReader reads that file's
// rows keyed by their header — no column is typed or renamed, the map's
// rules say what each column is. The file of an object can be changed in
// the map by hand (its source: line). See [FileEntity].

// FileEntity reports whether e names a report file of an export folder
// rather than a PbN entity: a name that is not one of [Entities] and ends
// like a report — the file's name in the folder ("Patient List.csv",
// "Report.txt", "visits.tsv", "book.xlsx" for its first sheet), or
// "book.xlsx#Patients" for a sheet. [Records], [ExportReader.Columns] and
// [FieldColumn] honour it; any other name stays an unknown entity.
func FileEntity(e Entity) bool {
	if e == "" || e.Valid() {
		return false
	}
	name := string(e)
	if book, _, ok := strings.Cut(name, xlsxSheetSep); ok && isWorkbook(book) {
		return true
	}
	return isWorkbook(name) || slices.Contains(reportExts, strings.ToLower(path.Ext(name)))
}

// reportExts are the endings of the text reports FileRows reads.
var reportExts = []string{".csv", ".txt", ".tsv"}

// FileRow is one data row of a report file read as it is: its cells by
// the header's column names.
type FileRow struct {
	head  *fileHeader
	cells []string
	// File and Line say where the row is (Line: 1-based, of its start).
	File string
	Line int
}

// Get returns the cell under column (a header as written, trimmed; an
// empty header reads as "column_N") and whether the file has that column.
// Of two columns with the same header the first is read.
func (r *FileRow) Get(column string) (string, bool) {
	if r == nil || r.head == nil {
		return "", false
	}
	i, ok := r.head.index[column]
	if !ok {
		return "", false
	}
	if i >= len(r.cells) {
		return "", true
	}
	return r.cells[i], true
}

// Columns lists the file's column names in header order.
func (r *FileRow) Columns() []string {
	if r == nil || r.head == nil {
		return nil
	}
	return slices.Clone(r.head.names)
}

// fileHeader is a report's header: column names as written (trimmed, a
// byte-order mark dropped, an empty one named column_N — the names the
// proposer's inventory gives them) and each name's first column.
type fileHeader struct {
	names []string
	index map[string]int
}

func newFileHeader(cells []string) (*fileHeader, error) {
	h := &fileHeader{names: make([]string, len(cells)), index: make(map[string]int, len(cells))}
	for i, c := range cells {
		c = strings.TrimSpace(strings.TrimPrefix(c, "\uFEFF"))
		if bad := firstInvalidUTF8(c); bad >= 0 {
			return nil, &EncodingError{Line: 1, Column: i + 1, Reason: fmt.Sprintf(
				"header of column %d is not valid UTF-8 (byte %d of the cell): name the file's encoding (e.g. windows-1252)", i+1, bad+1)}
		}
		if c == "" {
			c = fmt.Sprintf("column_%d", i+1)
		}
		h.names[i] = c
		if _, dup := h.index[c]; !dup {
			h.index[c] = i
		}
	}
	return h, nil
}

// reportSource is where a file entity's rows are: a text file, or a
// workbook's sheet ("" for the first).
type reportSource struct {
	file, sheet string
	workbook    bool
}

// reportFile resolves a file entity to a file of the folder: the exact
// name (one path element), or "book.xlsx#Sheet".
func (r *ExportReader) reportFile(name string) (reportSource, error) {
	notFound := func(why string) (reportSource, error) {
		return reportSource{}, &FileError{File: name, Err: errors.New(why)}
	}
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return notFound("not the name of one file of the export folder")
	}
	if book, sheet, ok := strings.Cut(name, xlsxSheetSep); ok && isWorkbook(book) {
		if sheet == "" {
			return notFound("no sheet named after " + xlsxSheetSep)
		}
		if !r.isFile(book) {
			return notFound("no such workbook in the export folder")
		}
		return reportSource{file: book, sheet: sheet, workbook: true}, nil
	}
	if !r.isFile(name) {
		return notFound("no such file in the export folder")
	}
	if isWorkbook(name) {
		return reportSource{file: name, workbook: true}, nil
	}
	if !slices.Contains(reportExts, strings.ToLower(path.Ext(name))) {
		return notFound("not a report file (.csv, .txt, .tsv or .xlsx)")
	}
	return reportSource{file: name}, nil
}

func (r *ExportReader) isFile(name string) bool {
	st, err := fs.Stat(r.fsys, name)
	return err == nil && st.Mode().IsRegular()
}

// openReport opens a file entity's rows: a text report in its encoding
// (as openCSV, the separator — comma, tab or semicolon — taken from the
// header line), or a sheet.
func (r *ExportReader) openReport(name string) (io.Closer, rowReader, string, error) {
	src, err := r.reportFile(name)
	if err != nil {
		return nil, nil, "", err
	}
	display := src.file
	if src.sheet != "" {
		display += xlsxSheetSep + src.sheet
	}
	if src.workbook {
		c, rr, _, err := r.openSheet(display, xlsxSheet{file: src.file, sheet: src.sheet})
		return c, rr, display, err
	}
	f, text, err := r.openText(src.file, display)
	if err != nil {
		return nil, nil, "", err
	}
	tb := bufio.NewReaderSize(text, 64<<10)
	cr := csv.NewReader(tb)
	cr.Comma = separator(tb)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return f, cr, display, nil
}

// separator is the cell separator a report's first line uses: tab or
// semicolon when the line holds more of them than commas (as the
// proposer's inventory reads it).
func separator(br *bufio.Reader) rune {
	peek, _ := br.Peek(4096)
	line, _, _ := bytes.Cut(peek, []byte("\n"))
	comma := ','
	n := bytes.Count(line, []byte(","))
	if t := bytes.Count(line, []byte("\t")); t > n {
		comma, n = '\t', t
	}
	if bytes.Count(line, []byte(";")) > n {
		comma = ';'
	}
	return comma
}

// FileRows streams the data rows of a report file of the folder (see
// [FileEntity] for the names it takes), each a *FileRow keyed by the
// header. A row that cannot be read (CSV syntax, more non-empty cells than
// the header, a cell not valid in the file's encoding) yields a *RowError
// and iteration goes on; a file that cannot be opened or whose header
// cannot be read yields a *FileError and ends it. Rows carry no change
// stamp, so opts.UpdatedSince keeps every row; a report is owned by no
// patient, so opts.PatientID is an error.
func (r *ExportReader) FileRows(ctx context.Context, name string, opts ListOptions) iter.Seq2[*FileRow, error] {
	return func(yield func(*FileRow, error) bool) {
		if opts.PatientID != NoKey {
			yield(nil, fmt.Errorf("practicebynumbers: %s is a report file, not patient-owned: PatientID filter not allowed", name))
			return
		}
		if err := ctx.Err(); err != nil {
			yield(nil, err)
			return
		}
		f, cr, display, err := r.openReport(name)
		if err != nil {
			yield(nil, err)
			return
		}
		defer f.Close()
		cells, err := cr.Read()
		if err == io.EOF {
			return // an empty file: no rows
		}
		if err != nil {
			yield(nil, &FileError{File: display, Err: fmt.Errorf("header: %w", err)})
			return
		}
		head, err := newFileHeader(cells)
		if err != nil {
			yield(nil, &FileError{File: display, Err: err})
			return
		}
		for n := 0; ; n++ {
			if n&255 == 0 {
				if err := ctx.Err(); err != nil {
					yield(nil, err)
					return
				}
			}
			cells, err := cr.Read()
			if err == io.EOF {
				return
			}
			if err != nil {
				var pe *csv.ParseError
				if !errors.As(err, &pe) {
					yield(nil, &FileError{File: display, Err: err})
					return
				}
				if !yield(nil, &RowError{File: display, Line: pe.StartLine, Err: pe.Err}) {
					return
				}
				continue
			}
			line, _ := cr.FieldPos(0)
			row, rowErr := fileRow(head, cells)
			if rowErr != nil {
				rowErr.File, rowErr.Line = display, line
				if !yield(nil, rowErr) {
					return
				}
				continue
			}
			row.File, row.Line = display, line
			if !yield(row, nil) {
				return
			}
		}
	}
}

// fileRow checks one row's cells against the header and keeps a copy.
func fileRow(head *fileHeader, cells []string) (*FileRow, *RowError) {
	var rowErr *RowError
	if len(cells) > len(head.names) {
		for _, x := range cells[len(head.names):] {
			if strings.TrimSpace(x) != "" {
				return nil, &RowError{Err: fmt.Errorf("%d cells, header has %d", len(cells), len(head.names))}
			}
		}
		cells = cells[:len(head.names)]
	}
	for i, c := range cells {
		if bad := firstInvalidUTF8(c); bad >= 0 {
			if rowErr == nil {
				rowErr = &RowError{}
			}
			rowErr.Fields = append(rowErr.Fields, FieldError{Column: i + 1, Header: head.names[i],
				Err: &EncodingError{Column: i + 1, Reason: fmt.Sprintf("not valid text in the file's encoding (byte %d of the cell)", bad+1)}})
		}
	}
	if rowErr != nil {
		return nil, rowErr
	}
	return &FileRow{head: head, cells: slices.Clone(cells)}, nil
}

// fileColumns is Columns for a file entity: the header's column names.
func (r *ExportReader) fileColumns(name string) (FileColumns, error) {
	f, cr, display, err := r.openReport(name)
	if err != nil {
		return FileColumns{}, err
	}
	defer f.Close()
	out := FileColumns{File: display}
	cells, err := cr.Read()
	if err == io.EOF {
		return out, nil
	}
	if err != nil {
		return out, &FileError{File: display, Err: fmt.Errorf("header: %w", err)}
	}
	head, err := newFileHeader(cells)
	if err != nil {
		return out, &FileError{File: display, Err: err}
	}
	out.Fields = head.names
	return out, nil
}

// fileRowSource is a source that reads report files (the ExportReader).
type fileRowSource interface {
	FileRows(ctx context.Context, name string, opts ListOptions) iter.Seq2[*FileRow, error]
}
