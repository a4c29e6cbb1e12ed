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
	"log/slog"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// ErrNotFound reports a record or document that does not exist (REST 404, or
// a document file missing from an export).
var ErrNotFound = errors.New("practicebynumbers: not found")

// ListOptions narrow an entity iteration. The zero value lists everything.
type ListOptions struct {
	// UpdatedSince keeps records with UpdatedAt >= UpdatedSince (inclusive,
	// for deltas). Records without an UpdatedAt are always kept: a source
	// that does not stamp a change cannot prove it did not happen.
	UpdatedSince time.Time
	// PatientID keeps only that patient's records; it applies to
	// patient-owned entities ([Entity.PatientOwned]) and is an error on
	// the others.
	PatientID Key
	// PageSize is the REST page size (1..1000; 0 means the client's
	// default). The ExportReader ignores it.
	PageSize int
}

// FieldError is one cell of a row, or one member of a JSON record, that
// could not be parsed.
type FieldError struct {
	Column int    // 1-based column number in the file; 0 for a JSON member
	Header string // the header as written, or the JSON member path ("custom.score")
	Err    error  // a *ValueError; never holds the value
}

// RowError reports a record that did not become a record value: a CSV row
// of an export, or a record of a REST list page whose members do not decode
// (a custom value that is an object, a malformed date...). It is reported,
// never silently dropped; iteration continues with the next record.
//
// For the REST [Client], File is the resource path ("/v1/patients", or
// "/v1/patients/42" for [Get]) and Line the record's 1-based position in
// the scan.
type RowError struct {
	File   string
	Line   int // 1-based line where the row starts (REST: position in the scan)
	ID     Key // the record id when it could be read, else NoKey
	Fields []FieldError
	Err    error // a row-shape problem (wrong number of cells, CSV syntax)
}

func (e *RowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d", e.File, e.Line)
	if e.ID != NoKey {
		fmt.Fprintf(&b, " (id %s)", e.ID)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	for i, f := range e.Fields {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Fields)-3)
			break
		}
		switch {
		case f.Column > 0:
			fmt.Fprintf(&b, "; column %d (%s): %v", f.Column, f.Header, f.Err)
		case f.Header != "":
			fmt.Fprintf(&b, "; member %s: %v", f.Header, f.Err)
		default:
			fmt.Fprintf(&b, "; %v", f.Err)
		}
	}
	return b.String()
}

// Unwrap returns the row-shape error and every field error.
func (e *RowError) Unwrap() []error {
	errs := make([]error, 0, len(e.Fields)+1)
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	for _, f := range e.Fields {
		errs = append(errs, f.Err)
	}
	return errs
}

// FileError reports a problem with a whole export file (unreadable, no id
// column, not UTF-8); iteration of that entity stops.
type FileError struct {
	File string
	Err  error
}

func (e *FileError) Error() string { return e.File + ": " + e.Err.Error() }

func (e *FileError) Unwrap() error { return e.Err }

// ExportOptions configure an [ExportReader].
type ExportOptions struct {
	// Location is the practice zone for timestamps written without an
	// offset. Nil means the time_zone of the office with the smallest id in
	// offices.csv, else UTC.
	Location *time.Location
	// Logger receives file names, line numbers and counts (never values).
	// Nil discards.
	Logger *slog.Logger
	// Encoding names the files' text encoding when it is not UTF-8 or
	// UTF-16 with a byte-order mark: "windows-1252" (also "latin1",
	// "cp1252"), "utf-16le", "utf-16be", "utf-16", or "utf-8" to read a
	// file without a mark as UTF-8 and report its invalid cells row by row.
	// Empty detects: UTF-8 (with or without a mark) and UTF-16 by its mark;
	// a file without a mark that is not valid UTF-8 is refused with its
	// first offending line (see [EncodingAuto]). Nothing is guessed.
	Encoding string
}

// ExportReader reads a folder of CSV export files, one per entity (see
// CONTRACT.md). It streams: memory does not grow with file size. It is safe
// for concurrent use; each iteration opens its own file handle.
type ExportReader struct {
	fsys     fs.FS
	loc      *time.Location
	log      *slog.Logger
	enc      string               // canonical ExportOptions.Encoding
	files    map[Entity]string    // entity → file name in fsys
	dels     string               // deletions file name, "" if none
	docs     string               // documents folder name, "" if none
	manifest string               // manifest file name, "" if none
	extra    []string             // CSV files that match no entity
	sheets   map[string]xlsxSheet // .xlsx sources by their name in files (xlsx.go)

	scanMu  sync.Mutex
	scanned map[string]scanResult // file name → UTF-8 check of an undeclared file
}

// scanResult is the UTF-8 check of one file, valid while the file keeps its
// size and modification time.
type scanResult struct {
	size int64
	mod  time.Time
	err  error
}

// fileAliases are other base names PMS and report exports use for an
// entity's file (compared with normKey).
var fileAliases = map[Entity][]string{
	EntityOffices:           {"office", "clinics", "clinic", "locations", "practices"},
	EntityStaff:             {"providers", "provider", "users", "staff members"},
	EntityCustomProperties:  {"custom property", "custom properties definitions", "custom fields"},
	EntityCohorts:           {"cohort", "tags", "segments"},
	EntityPatients:          {"patient", "pat"},
	EntityInsuranceCarriers: {"carriers", "carrier", "insurance carrier", "payers"},
	EntityCoverages:         {"coverage", "patplans", "patplan", "insurance", "insurance plans"},
	EntityAppointments:      {"appointment", "appts", "appt", "schedule"},
	EntityProcedures:        {"procedure", "procedurelog", "procedure log", "treatment history", "procs"},
	EntityTreatmentPlans:    {"treatment plan", "treatplans", "treatplan", "cases"},
	EntityCommunications:    {"communication", "commlog", "commlogs", "communication log"},
	EntityFormSubmissions:   {"form submission", "forms", "sheets"},
	EntityDocuments:         {"document", "docs"},
	EntityKPIDefinitions:    {"kpi definition", "kpis", "metrics"},
	EntityKPIValues:         {"kpi value", "metric values"},
	EntityAutomations:       {"automation", "workflows", "campaigns", "templates"},
}

// OpenExport returns a reader of the export folder dir.
func OpenExport(dir string, opts ExportOptions) (*ExportReader, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("practicebynumbers: open export: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("practicebynumbers: open export: %s is not a folder", dir)
	}
	return NewExportReader(os.DirFS(dir), opts)
}

// NewExportReader returns a reader of the export folder at the root of fsys.
// File names are matched tolerantly ("Patients.csv", "patient.csv",
// "PROCEDURELOG.CSV"); a missing file means the entity has no records.
func NewExportReader(fsys fs.FS, opts ExportOptions) (*ExportReader, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("practicebynumbers: open export: %w", err)
	}
	enc, err := NormalizeEncoding(opts.Encoding)
	if err != nil {
		return nil, fmt.Errorf("practicebynumbers: open export: %w", err)
	}
	r := &ExportReader{fsys: fsys, loc: opts.Location, log: opts.Logger, enc: enc, files: map[Entity]string{},
		scanned: map[string]scanResult{}}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	byKey := map[string]Entity{}
	for _, e := range allEntities {
		byKey[normKey(string(e))] = e
		for _, a := range fileAliases[e] {
			byKey[normKey(a)] = e
		}
	}
	for _, de := range entries {
		name := de.Name()
		if de.IsDir() {
			if normKey(name) == normKey(DocumentsDir) {
				r.docs = name
			}
			continue
		}
		if strings.EqualFold(name, ManifestFile) {
			r.manifest = name
			continue
		}
		if isWorkbook(name) {
			if err := r.addWorkbook(name, byKey); err != nil {
				return nil, err
			}
			continue
		}
		base, ok := strings.CutSuffix(strings.ToLower(name), ".csv")
		if !ok {
			continue
		}
		base = name[:len(base)]
		k := normKey(base)
		if k == "deletions" || k == "deleted" {
			r.dels = name
			continue
		}
		e, ok := byKey[k]
		if !ok {
			r.extra = append(r.extra, name)
			continue
		}
		if prev, dup := r.files[e]; dup {
			// Prefer the canonical name; an ambiguous folder is refused
			// rather than half read.
			if prev == e.FileName() {
				continue
			}
			if name != e.FileName() {
				return nil, fmt.Errorf("practicebynumbers: open export: both %s and %s hold %s", prev, name, e)
			}
		}
		r.files[e] = name
	}
	if r.loc == nil {
		r.loc = r.practiceZone()
	}
	r.log.Debug("pbn export opened", "files", len(r.files), "unrecognised", len(r.extra), "zone", r.loc.String())
	return r, nil
}

// practiceZone is the time_zone of the office with the smallest id, or UTC.
func (r *ExportReader) practiceZone() *time.Location {
	r.loc = time.UTC // offices.csv timestamps are read in UTC here; only time_zone is used
	var best Key
	zone := ""
	for o, err := range r.Offices(context.Background(), ListOptions{}) {
		if err != nil {
			continue
		}
		if o.TimeZone != "" && (best == NoKey || o.ID.Compare(best) < 0) {
			best, zone = o.ID, o.TimeZone
		}
	}
	if zone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		r.log.Warn("pbn export: office time zone unknown to this host, using UTC", "office_id", best)
		return time.UTC
	}
	return loc
}

// Encoding is the encoding the reader was told files are in ("" detects).
func (r *ExportReader) Encoding() string { return r.enc }

// Location is the practice zone used for timestamps without an offset.
func (r *ExportReader) Location() *time.Location { return r.loc }

// UnrecognisedFiles lists the CSV files of the folder that match no entity.
func (r *ExportReader) UnrecognisedFiles() []string { return slices.Clone(r.extra) }

// FileName returns the file holding e, or "" if the export has none.
func (r *ExportReader) FileName(e Entity) string { return r.files[e] }

// Offices streams offices.csv.
func (r *ExportReader) Offices(ctx context.Context, opts ListOptions) iter.Seq2[Office, error] {
	return readEntity(ctx, r, officeMeta, r.files[EntityOffices], opts)
}

// Staff streams staff.csv.
func (r *ExportReader) Staff(ctx context.Context, opts ListOptions) iter.Seq2[Staff, error] {
	return readEntity(ctx, r, staffMeta, r.files[EntityStaff], opts)
}

// Patients streams patients.csv.
func (r *ExportReader) Patients(ctx context.Context, opts ListOptions) iter.Seq2[Patient, error] {
	return readEntity(ctx, r, patientMeta, r.files[EntityPatients], opts)
}

// Appointments streams appointments.csv.
func (r *ExportReader) Appointments(ctx context.Context, opts ListOptions) iter.Seq2[Appointment, error] {
	return readEntity(ctx, r, appointmentMeta, r.files[EntityAppointments], opts)
}

// Procedures streams procedures.csv.
func (r *ExportReader) Procedures(ctx context.Context, opts ListOptions) iter.Seq2[Procedure, error] {
	return readEntity(ctx, r, procedureMeta, r.files[EntityProcedures], opts)
}

// TreatmentPlans streams treatment_plans.csv.
func (r *ExportReader) TreatmentPlans(ctx context.Context, opts ListOptions) iter.Seq2[TreatmentPlan, error] {
	return readEntity(ctx, r, treatmentPlanMeta, r.files[EntityTreatmentPlans], opts)
}

// InsuranceCarriers streams insurance_carriers.csv.
func (r *ExportReader) InsuranceCarriers(ctx context.Context, opts ListOptions) iter.Seq2[InsuranceCarrier, error] {
	return readEntity(ctx, r, carrierMeta, r.files[EntityInsuranceCarriers], opts)
}

// Coverages streams coverages.csv.
func (r *ExportReader) Coverages(ctx context.Context, opts ListOptions) iter.Seq2[Coverage, error] {
	return readEntity(ctx, r, coverageMeta, r.files[EntityCoverages], opts)
}

// Communications streams communications.csv.
func (r *ExportReader) Communications(ctx context.Context, opts ListOptions) iter.Seq2[Communication, error] {
	return readEntity(ctx, r, communicationMeta, r.files[EntityCommunications], opts)
}

// FormSubmissions streams form_submissions.csv.
func (r *ExportReader) FormSubmissions(ctx context.Context, opts ListOptions) iter.Seq2[FormSubmission, error] {
	return readEntity(ctx, r, formSubmissionMeta, r.files[EntityFormSubmissions], opts)
}

// Documents streams documents.csv (metadata; see [ExportReader.OpenDocument]).
func (r *ExportReader) Documents(ctx context.Context, opts ListOptions) iter.Seq2[Document, error] {
	return readEntity(ctx, r, documentMeta, r.files[EntityDocuments], opts)
}

// CustomProperties streams custom_properties.csv.
func (r *ExportReader) CustomProperties(ctx context.Context, opts ListOptions) iter.Seq2[CustomPropertyDefinition, error] {
	return readEntity(ctx, r, customPropertyMeta, r.files[EntityCustomProperties], opts)
}

// KPIDefinitions streams kpi_definitions.csv.
func (r *ExportReader) KPIDefinitions(ctx context.Context, opts ListOptions) iter.Seq2[KPIDefinition, error] {
	return readEntity(ctx, r, kpiDefinitionMeta, r.files[EntityKPIDefinitions], opts)
}

// KPIValues streams kpi_values.csv.
func (r *ExportReader) KPIValues(ctx context.Context, opts ListOptions) iter.Seq2[KPIValue, error] {
	return readEntity(ctx, r, kpiValueMeta, r.files[EntityKPIValues], opts)
}

// Cohorts streams cohorts.csv.
func (r *ExportReader) Cohorts(ctx context.Context, opts ListOptions) iter.Seq2[Cohort, error] {
	return readEntity(ctx, r, cohortMeta, r.files[EntityCohorts], opts)
}

// Automations streams automations.csv.
func (r *ExportReader) Automations(ctx context.Context, opts ListOptions) iter.Seq2[Automation, error] {
	return readEntity(ctx, r, automationMeta, r.files[EntityAutomations], opts)
}

// Deletions streams deletions.csv (empty when the export has none);
// UpdatedSince filters on DeletedAt.
func (r *ExportReader) Deletions(ctx context.Context, opts ListOptions) iter.Seq2[Deletion, error] {
	return readEntity(ctx, r, deletionMeta, r.dels, opts)
}

// OpenDocument opens the content of document id (documents/<id> in the
// export). A missing file is [ErrNotFound]. The caller closes it.
func (r *ExportReader) OpenDocument(ctx context.Context, id Key) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !documentFileName(id) {
		return nil, fmt.Errorf("practicebynumbers: open document: id is empty or not a file name")
	}
	if r.docs == "" {
		return nil, fmt.Errorf("practicebynumbers: document %s: %w", id, ErrNotFound)
	}
	f, err := r.fsys.Open(path.Join(r.docs, string(id)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("practicebynumbers: document %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("practicebynumbers: document %s: %w", id, err)
	}
	return f, nil
}

// HasDocumentFile reports whether the export holds the file of document
// id, without reading it: an export written without its documents (no
// documents folder, or a file missing from it) lists documents whose
// content cannot be migrated, and a caller can say so before sending
// anything.
func (r *ExportReader) HasDocumentFile(ctx context.Context, id Key) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if !documentFileName(id) || r.docs == "" {
		return false, nil
	}
	_, err := fs.Stat(r.fsys, path.Join(r.docs, string(id)))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("practicebynumbers: document %s: %w", id, err)
	}
}

// documentFileName reports whether id can name a file of the documents
// folder: one path element, not "." or "..", no separator.
func documentFileName(id Key) bool {
	s := string(id)
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, `/\`) && fs.ValidPath(s)
}

// Inventory counts the rows of every entity's file (a missing file counts 0)
// and reads the custom property catalogue. Rows are counted, not parsed: a
// row that would be a RowError still counts, so the count is what the
// source holds.
//
// ServerTime is the export's time, the watermark of the next delta: the
// manifest's ExportedAt when the folder has a [ManifestFile]; else the
// newest change stamp in the folder (updated_at of every file, deleted_at
// of deletions.csv), ignoring stamps more than a few minutes past this
// host's clock — every change made after the export carries a later stamp,
// so nothing is missed; else (no manifest, no stamps) zero: the folder
// does not say, and the caller must take the watermark from what it knows
// of the export (never from its own clock at reading time, which may be
// days after the export was taken).
func (r *ExportReader) Inventory(ctx context.Context) (Inventory, error) {
	inv := Inventory{Counts: make(map[Entity]int64, len(allEntities))}
	_, hasManifest, err := r.readManifest()
	if err != nil {
		return Inventory{}, err
	}
	var stamps *newestStamp
	if !hasManifest {
		stamps = &newestStamp{loc: r.loc, limit: time.Now().Add(stampSkew)}
	}
	for _, e := range allEntities {
		n, err := r.countRows(ctx, r.files[e], stampFinder(e), stamps)
		if err != nil {
			return Inventory{}, err
		}
		inv.Counts[e] = n
	}
	for def, err := range r.CustomProperties(ctx, ListOptions{}) {
		if err != nil {
			var re *RowError
			if errors.As(err, &re) {
				r.log.Warn("pbn export: custom property row skipped in inventory", "file", re.File, "line", re.Line)
				continue
			}
			return Inventory{}, err
		}
		inv.CustomProperties = append(inv.CustomProperties, def)
	}
	if stamps == nil {
		stamps = &newestStamp{}
	}
	if inv.ServerTime, err = r.exportTime(ctx, stamps); err != nil {
		return Inventory{}, err
	}
	return inv, nil
}

// countRows counts the data rows of file name; when stamps is not nil it
// also sees the change stamp of every row (the column find picks from the
// header).
func (r *ExportReader) countRows(ctx context.Context, name string, find func([]string) int, stamps *newestStamp) (int64, error) {
	if name == "" {
		return 0, nil
	}
	f, cr, _, err := r.openCSV(name, false) // counting: a cut row still counts
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n int64
	col := -1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return 0, &FileError{File: name, Err: err}
		}
		if n == 0 && err == nil && stamps != nil {
			col = find(rec)
		} else if col >= 0 && col < len(rec) && err == nil {
			if cell := rec[col]; utf8.ValidString(cell) {
				stamps.see(cell) // an invalid cell is a row error when the rows are read
			}
		}
		n++
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
	}
	if n > 0 {
		n-- // the header
	}
	return n, nil
}

// openCSV opens name for the CSV parser: the file's encoding is chosen
// from ExportOptions.Encoding and its byte-order mark (see [EncodingAuto]);
// the mark is skipped and the text decoded to UTF-8. A file that declares
// nothing is checked to be UTF-8 throughout first, so a file in another
// encoding is refused before any of its records is read. The tail reports
// whether the file ended inside a quoted cell (nil unless track). A sheet of
// an .xlsx workbook is opened by openSheet instead (xlsx.go).
func (r *ExportReader) openCSV(name string, track bool) (io.Closer, rowReader, *csvTail, error) {
	if s, ok := r.sheets[name]; ok {
		return r.openSheet(name, s)
	}
	f, text, err := r.openText(name, name)
	if err != nil {
		return nil, nil, nil, err
	}
	var tail *csvTail
	if track {
		tail = &csvTail{src: text}
		text = bufio.NewReaderSize(tail, 64<<10)
	}
	cr := csv.NewReader(text)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return f, cr, tail, nil
}

// openText opens a text file of the folder as UTF-8: its encoding chosen
// from ExportOptions.Encoding and its byte-order mark, the mark skipped, an
// undeclared file checked to be UTF-8 throughout first. Errors are
// *FileError naming display (the file, or the report name it was opened
// as). The caller closes the file.
func (r *ExportReader) openText(name, display string) (fs.File, io.Reader, error) {
	f, err := r.fsys.Open(name)
	if err != nil {
		return nil, nil, &FileError{File: display, Err: err}
	}
	br := bufio.NewReaderSize(f, 64<<10)
	mode, err := chooseMode(br, r.enc)
	if err == nil && mode.mustScan {
		err = r.checkUTF8(name, f)
	}
	if err != nil {
		f.Close()
		return nil, nil, &FileError{File: display, Err: err}
	}
	if mode.decode != nil {
		return f, mode.decode(br), nil
	}
	return f, br, nil
}

// checkUTF8 scans an undeclared file once (the answer is kept while the
// file keeps its size and modification time).
func (r *ExportReader) checkUTF8(name string, f fs.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	r.scanMu.Lock()
	res, ok := r.scanned[name]
	r.scanMu.Unlock()
	if ok && res.size == st.Size() && res.mod.Equal(st.ModTime()) {
		return res.err
	}
	g, err := r.fsys.Open(name)
	if err != nil {
		return err
	}
	defer g.Close()
	serr := scanUTF8(g)
	var ee *EncodingError
	if serr != nil && !errors.As(serr, &ee) {
		return serr // a read error: not remembered
	}
	r.scanMu.Lock()
	r.scanned[name] = scanResult{size: st.Size(), mod: st.ModTime(), err: serr}
	r.scanMu.Unlock()
	if serr != nil {
		r.log.Warn("pbn export file refused: not valid UTF-8 and no encoding named", "file", name, "line", ee.Line)
	}
	return serr
}

// ErrTruncated matches (errors.Is) a file that ends inside a row: cut
// short, or holding a quote that is never closed and swallows the rest.
var ErrTruncated = errors.New("practicebynumbers: file ends inside a row")

// TruncatedError is the Err of the *[FileError] for a file that ends inside
// a row. The row is reported once, as this, not also as a *RowError.
type TruncatedError struct {
	Line   int // 1-based line where the unfinished row starts
	Reason string
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// Is makes every TruncatedError match ErrTruncated.
func (e *TruncatedError) Is(target error) bool { return target == ErrTruncated }

// csvTail follows the quoting state of the text the CSV parser reads, so
// the reader can tell a file that ends inside a quoted cell (cut short, or
// a stray quote that swallowed every later row into one cell) from one
// that ends cleanly. encoding/csv cannot say: with or without LazyQuotes it
// returns such a row at EOF as if it were complete. It follows the parser's
// rules (LazyQuotes): a quote opens a cell only at the cell's start; in a
// quoted cell "" is a quote and a quote followed by anything but a
// separator or line end is kept as text.
type csvTail struct {
	src   io.Reader
	state uint8 // tailFieldStart, tailUnquoted, tailQuoted, tailQuoteInQuoted
	last  byte  // last byte read
	any   bool
}

const (
	tailFieldStart = iota
	tailUnquoted
	tailQuoted
	tailQuoteInQuoted
)

func (t *csvTail) Read(p []byte) (int, error) {
	n, err := t.src.Read(p)
	b := p[:n]
	for i := 0; i < len(b); {
		switch t.state {
		case tailQuoted:
			// Most of a quoted cell is text: jump to its next quote.
			j := bytes.IndexByte(b[i:], '"')
			if j < 0 {
				i = len(b)
				continue
			}
			t.state = tailQuoteInQuoted
			i += j + 1
		case tailUnquoted:
			j := bytes.IndexAny(b[i:], ",\n")
			if j < 0 {
				i = len(b)
				continue
			}
			t.state = tailFieldStart
			i += j + 1
		case tailFieldStart:
			switch b[i] {
			case '"':
				t.state = tailQuoted
			case ',', '\n', '\r':
			default:
				t.state = tailUnquoted
			}
			i++
		case tailQuoteInQuoted:
			switch b[i] {
			case '"':
				t.state = tailQuoted // an escaped quote
			case ',', '\n':
				t.state = tailFieldStart
			case '\r':
			default:
				t.state = tailQuoted // a lazy quote inside the cell
			}
			i++
		}
	}
	if n > 0 {
		t.last, t.any = p[n-1], true
	}
	return n, err
}

// openQuote reports, at EOF, whether the file ended inside a quoted cell.
func (t *csvTail) openQuote() bool { return t.state == tailQuoted }

// unterminated reports, at EOF, whether the last line has no line break.
func (t *csvTail) unterminated() bool { return t.any && t.last != '\n' }

// binding maps the columns of one file to the fields of T.
type binding struct {
	field   []int    // per file column: index in meta.cols, or -1 for a custom value
	custom  []string // per file column: custom key when field is -1
	headers []string
	idCol   int // file column of the id
}

func bindHeader[T any](m *meta[T], header []string) (binding, error) {
	b := binding{field: make([]int, len(header)), custom: make([]string, len(header)),
		headers: make([]string, len(header)), idCol: -1}
	taken := make([]bool, len(m.cols))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		if bad := firstInvalidUTF8(h); bad >= 0 {
			// A header is not a row: a file whose header is not text
			// cannot be bound, so the file is refused.
			return b, &EncodingError{Line: 1, Column: i + 1, Reason: fmt.Sprintf(
				"header of column %d is not valid UTF-8 (byte %d of the cell): name the file's encoding (e.g. windows-1252)", i+1, bad+1)}
		}
		b.headers[i] = h
		b.field[i] = -1
		if key, ok := cutPrefixFold(h, CustomColumnPrefix); ok && key != "" {
			b.custom[i] = key
			continue
		}
		if j, ok := m.index[normKey(h)]; ok && !taken[j] {
			taken[j] = true
			b.field[i] = j
			if j == m.idIndex {
				b.idCol = i
			}
			continue
		}
		b.custom[i] = h
	}
	if b.idCol < 0 {
		return b, fmt.Errorf("no %s column (the record id)", m.cols[m.idIndex].name)
	}
	return b, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return "", false
}

// readEntity streams the records of one file. Row problems yield a
// *RowError and iteration goes on; file problems yield a *FileError and end
// it; a cancelled ctx yields ctx.Err() and ends it.
func readEntity[T any](ctx context.Context, r *ExportReader, m *meta[T], name string, opts ListOptions) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if opts.PatientID != NoKey && m.patient == nil {
			yield(zero, fmt.Errorf("practicebynumbers: %s are not patient-owned: PatientID filter not allowed", m.entity))
			return
		}
		if name == "" {
			return
		}
		f, cr, tail, err := r.openCSV(name, true)
		if err != nil {
			yield(zero, err)
			return
		}
		defer f.Close()
		header, err := cr.Read()
		if err == io.EOF {
			return // an empty file: no records
		}
		if err != nil {
			yield(zero, &FileError{File: name, Err: fmt.Errorf("header: %w", err)})
			return
		}
		b, err := bindHeader(m, header)
		if err != nil {
			yield(zero, &FileError{File: name, Err: err})
			return
		}
		c := &codecCtx{loc: r.loc}
		var rows, bad int
		// Each row is held until the next one is read: only then is it
		// known whether it was the last, and a last row the file cuts
		// short is reported once, as the file's problem, not also as a
		// record or a row error.
		var held struct {
			ok     bool
			rec    T
			err    *RowError
			line   int
			cells  int
			output bool // rec passes the filters
		}
		flush := func() bool {
			if !held.ok {
				return true
			}
			held.ok = false
			if held.err != nil {
				bad++
				return yield(zero, held.err)
			}
			if !held.output {
				return true
			}
			return yield(held.rec, nil)
		}
		for {
			if rows&255 == 0 {
				if err := ctx.Err(); err != nil {
					yield(zero, err)
					return
				}
			}
			cells, err := cr.Read()
			if err == io.EOF {
				if terr := truncation(tail, held.ok, held.line, held.cells, len(b.field)); terr != nil {
					r.log.Warn("pbn export file ends inside a row", "file", name, "line", terr.Line)
					yield(zero, &FileError{File: name, Err: terr})
					return
				}
				if !flush() {
					return
				}
				break
			}
			if !flush() {
				return
			}
			rows++
			if err != nil {
				var pe *csv.ParseError
				if !errors.As(err, &pe) {
					yield(zero, &FileError{File: name, Err: err})
					return
				}
				held.ok, held.err, held.line, held.cells = true, &RowError{File: name, Line: pe.StartLine, Err: pe.Err}, pe.StartLine, 0
				continue
			}
			line, _ := cr.FieldPos(0)
			rec, rowErr := decodeRow(m, &b, cells, c)
			held.ok, held.line, held.cells, held.err = true, line, len(cells), nil
			if rowErr != nil {
				rowErr.File, rowErr.Line = name, line
				held.err = rowErr
				continue
			}
			held.rec, held.output = rec, keep(m, &rec, opts)
		}
		r.log.Debug("pbn export file read", "file", name, "rows", rows, "row_errors", bad)
	}
}

// truncation says whether a file that just ended was cut inside its last
// row: it ended inside a quoted cell, or its last row has fewer cells than
// the header and no line break.
func truncation(tail *csvTail, last bool, line, cells, want int) *TruncatedError {
	if tail.openQuote() {
		if !last {
			line = 1 // the header swallowed the file
		}
		return &TruncatedError{Line: line, Reason: "a quoted cell of the row starting on this line is never closed, so the rest of the file is one unreadable row: " +
			"the file is cut short or holds a stray quote; re-export it (or fix that quote)"}
	}
	if !last {
		return nil
	}
	if tail.unterminated() && cells < want {
		return &TruncatedError{Line: line, Reason: fmt.Sprintf("the last row has %d of the header's %d cells and no line break: "+
			"the file looks cut short; re-export it", cells, want)}
	}
	return nil
}

func keep[T any](m *meta[T], rec *T, opts ListOptions) bool {
	if !opts.UpdatedSince.IsZero() {
		if u := m.updated(rec); !u.IsZero() && u.Before(opts.UpdatedSince) {
			return false
		}
	}
	if opts.PatientID != NoKey && m.patient(rec) != opts.PatientID {
		return false
	}
	return true
}

func decodeRow[T any](m *meta[T], b *binding, cells []string, c *codecCtx) (T, *RowError) {
	var rec T
	var rowErr *RowError
	fail := func() *RowError {
		if rowErr == nil {
			rowErr = &RowError{}
		}
		return rowErr
	}
	if len(cells) != len(b.field) {
		extraEmpty := len(cells) > len(b.field)
		for _, x := range cells[min(len(cells), len(b.field)):] {
			extraEmpty = extraEmpty && strings.TrimSpace(x) == ""
		}
		if !extraEmpty {
			e := fail()
			e.Err = fmt.Errorf("%d cells, header has %d", len(cells), len(b.field))
			if b.idCol < len(cells) {
				e.ID, _ = ParseKey(cells[b.idCol])
			}
			return rec, e
		}
		cells = cells[:len(b.field)]
	}
	var custom map[string]string
	for i, cell := range cells {
		if bad := firstInvalidUTF8(cell); bad >= 0 {
			// Never re-read in another encoding: the file said (or was
			// named) UTF-8, and a guess would send mojibake on.
			e := fail()
			e.Fields = append(e.Fields, FieldError{Column: i + 1, Header: b.headers[i],
				Err: &EncodingError{Column: i + 1, Reason: fmt.Sprintf("not valid text in the file's encoding (byte %d of the cell)", bad+1)}})
			continue
		}
		if j := b.field[i]; j >= 0 {
			if err := m.cols[j].parse(&rec, cell, c); err != nil {
				e := fail()
				e.Fields = append(e.Fields, FieldError{Column: i + 1, Header: b.headers[i], Err: err})
			}
			continue
		}
		if cell == "" || m.custom == nil {
			continue
		}
		if custom == nil {
			custom = make(map[string]string, 4)
		}
		custom[b.custom[i]] = cell
	}
	if rowErr == nil && m.id(&rec) == NoKey {
		e := fail()
		e.Fields = append(e.Fields, FieldError{Column: b.idCol + 1, Header: b.headers[b.idCol],
			Err: valueErr("id", "missing")})
	}
	if rowErr != nil {
		rowErr.ID, _ = ParseKey(cells[b.idCol])
		return rec, rowErr
	}
	if m.custom != nil {
		*m.custom(&rec) = custom
	}
	return rec, nil
}
