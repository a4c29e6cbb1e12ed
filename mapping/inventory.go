package mapping

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"path"
	"reflect"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// SourceInventory describes a source for the proposer: its entities, their
// fields and a few sample values per field. Samples are PHI: they are used to
// sniff types and never copied into a proposal (pick-list options excepted,
// when a field has few distinct short values).
type SourceInventory struct {
	Entities []EntityInventory
	// Unreadable lists the files of a folder ([InventoryDir]) that could not
	// be read as a table, with why; the other files are still proposed.
	Unreadable []FileProblem
	// Properties is the source's custom property catalogue: fields named
	// custom.<key> take the declared type instead of a sniffed one.
	Properties []pbn.CustomPropertyDefinition
}

// EntityInventory is one entity of a source inventory.
type EntityInventory struct {
	Name   string
	Count  int64
	Fields []FieldInventory
	// File is the file the entity was read from, when it was a file.
	File string
	// Rejects counts the records the reader could not turn into records, by
	// reason (reasons name fields and types, never values). The proposer
	// shows them; they are not in Count.
	Rejects map[string]int
}

// FileProblem is a file of an export folder the inventory could not read.
type FileProblem struct {
	File   string
	Reason string
}

// FieldInventory is one field with sample values (blank ones included, so
// the fill rate can be judged).
type FieldInventory struct {
	Name    string
	Samples []string
}

// Entity returns the named entity, or nil.
func (inv *SourceInventory) Entity(name string) *EntityInventory {
	for i := range inv.Entities {
		if inv.Entities[i].Name == name {
			return &inv.Entities[i]
		}
	}
	return nil
}

// InventoryOptions tune inventory sampling.
type InventoryOptions struct {
	// Samples caps the sample values kept per field; 0 means 50.
	Samples int
}

func (o InventoryOptions) samples() int {
	if o.Samples <= 0 {
		return 50
	}
	return o.Samples
}

// SampleRecords builds an entity inventory from records (for example typed
// PbN models through Struct). fields lists the field names to sample; nil
// means every field FieldNames finds in the sampled records (custom
// properties vary from record to record, so their union is taken).
func SampleRecords(name string, recs iter.Seq[Record], fields []string, opts InventoryOptions) EntityInventory {
	e := EntityInventory{Name: name}
	idx := map[string]int{}
	n := opts.samples()
	add := func(f string, sampled int) int {
		i, ok := idx[f]
		if !ok {
			i = len(e.Fields)
			idx[f] = i
			// Records sampled before the field appeared did not have it.
			e.Fields = append(e.Fields, FieldInventory{Name: f, Samples: make([]string, sampled)})
		}
		return i
	}
	for r := range recs {
		e.Count++
		if int(e.Count) > n {
			continue
		}
		names := fields
		if names == nil {
			names = FieldNames(r)
		}
		sampled := int(e.Count) - 1
		for _, f := range names {
			i := add(f, sampled)
			v, _ := r.Get(f)
			e.Fields[i].Samples = append(e.Fields[i].Samples, v)
		}
		for i := range e.Fields { // fields this record lacks
			if len(e.Fields[i].Samples) == sampled {
				e.Fields[i].Samples = append(e.Fields[i].Samples, "")
			}
		}
	}
	return e
}

// FieldNames lists a record's field names when the record can tell: a Row's
// keys (sorted) or a Struct's fields in declaration order (custom maps as
// their present keys). Other records give nil.
func FieldNames(r Record) []string {
	switch r := r.(type) {
	case Row:
		return slices.Sorted(func(yield func(string) bool) {
			for k := range r {
				if !yield(k) {
					return
				}
			}
		})
	case structRecord:
		return r.names()
	}
	return nil
}

func (s structRecord) names() []string {
	type named struct {
		name  string
		index []int
	}
	var all []named
	for name, a := range s.acc {
		if a.mapKey {
			v, err := s.v.FieldByIndexErr(a.index)
			if err != nil || v.IsNil() {
				continue
			}
			for _, k := range v.MapKeys() {
				all = append(all, named{name + "." + k.String(), append(slices.Clone(a.index), 1<<20)})
			}
			continue
		}
		if v, err := s.v.FieldByIndexErr(a.index); err == nil && v.Kind() == reflect.Struct && !leaf(v.Type()) {
			continue // reached through its inner fields
		}
		all = append(all, named{name, a.index})
	}
	slices.SortFunc(all, func(a, b named) int {
		if c := slices.Compare(a.index, b.index); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]string, len(all))
	for i, n := range all {
		out[i] = n.name
	}
	return out
}

// maxCSVSampleRows bounds how much of a CSV the inventory reads.
const maxCSVSampleRows = 10000

// SampleCSV builds an entity inventory from a CSV stream with a header row:
// header names as written, the first samples rows as samples, and the rows
// counted up to maxCSVSampleRows (Count is a lower bound beyond that).
//
// Reports exported on Windows are often UTF-16 (with a byte-order mark, or
// without one and recognisable by its NUL bytes) and tab- or
// semicolon-separated: both are detected from the first bytes.
func SampleCSV(name string, r io.Reader, opts InventoryOptions) (EntityInventory, error) {
	text, comma := decodeTable(r)
	cr := csv.NewReader(text)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return EntityInventory{}, fmt.Errorf("mapping: read CSV header of %s: %w", name, err)
	}
	e := EntityInventory{Name: name}
	for i, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if h == "" {
			h = fmt.Sprintf("column_%d", i+1)
		}
		e.Fields = append(e.Fields, FieldInventory{Name: h})
	}
	n := opts.samples()
	for e.Count < maxCSVSampleRows {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return e, fmt.Errorf("mapping: %s line %d: malformed CSV", name, pe.Line)
			}
			return e, fmt.Errorf("mapping: read %s: %w", name, err)
		}
		e.Count++
		if int(e.Count) > n {
			continue
		}
		for i := range e.Fields {
			v := ""
			if i < len(rec) {
				v = rec[i]
			}
			e.Fields[i].Samples = append(e.Fields[i].Samples, v)
		}
	}
	return e, nil
}

// decodeTable returns r as UTF-8 text (UTF-16 decoded, a UTF-8 mark
// dropped) and the separator its first line uses: tab or semicolon when
// the line holds more of them than commas.
func decodeTable(r io.Reader) (io.Reader, rune) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(4096)
	var text io.Reader = br
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		_, _ = br.Discard(2)
		text = &utf16Reader{r: br}
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		_, _ = br.Discard(2)
		text = &utf16Reader{r: br, big: true}
	case len(head) >= 4 && head[0] != 0 && head[1] == 0 && head[3] == 0:
		text = &utf16Reader{r: br} // UTF-16LE without a mark: ASCII with NUL high bytes
	case len(head) >= 4 && head[0] == 0 && head[1] != 0 && head[2] == 0:
		text = &utf16Reader{r: br, big: true}
	}
	tb := bufio.NewReaderSize(text, 64<<10)
	peek, _ := tb.Peek(4096)
	line, _, _ := bytes.Cut(peek, []byte("\n"))
	comma := ','
	commas := bytes.Count(line, []byte(","))
	if t := bytes.Count(line, []byte("\t")); t > commas {
		comma, commas = '\t', t
	}
	if bytes.Count(line, []byte(";")) > commas {
		comma = ';'
	}
	return tb, comma
}

// utf16Reader decodes UTF-16 into UTF-8; a lone surrogate becomes U+FFFD.
type utf16Reader struct {
	r   *bufio.Reader
	big bool
	out []byte
	hi  rune // a pending high surrogate
	err error
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 && u.err == nil {
		var b [2]byte
		if _, err := io.ReadFull(u.r, b[:]); err != nil {
			if u.hi != 0 {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
				u.hi = 0
			}
			u.err = io.EOF
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				u.err = err
			}
			break
		}
		c := rune(b[0]) | rune(b[1])<<8
		if u.big {
			c = rune(b[1]) | rune(b[0])<<8
		}
		switch {
		case u.hi != 0 && utf16.IsSurrogate(c) && c >= 0xDC00:
			u.out = utf8.AppendRune(u.out, utf16.DecodeRune(u.hi, c))
			u.hi = 0
		case u.hi != 0:
			u.out = utf8.AppendRune(u.out, utf8.RuneError)
			u.hi = 0
			fallthrough
		default:
			if utf16.IsSurrogate(c) && c < 0xDC00 {
				u.hi = c
			} else if utf16.IsSurrogate(c) {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
			} else {
				u.out = utf8.AppendRune(u.out, c)
			}
		}
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	if n == 0 {
		return 0, u.err
	}
	return n, nil
}

// tableExts are the file name endings InventoryDir reads as tables.
var tableExts = []string{".csv", ".txt", ".tsv"}

// InventoryDir samples every table file (.csv, .txt, .tsv) at the root of
// fsys, one entity per file named after the file without its extension, in
// file name order, and every .xlsx workbook, one entity per sheet (see
// addWorkbook). A file that cannot be read is listed in Unreadable with
// why and the others are still read: one bad report does not stop a
// proposal. Hidden files are ignored.
func InventoryDir(fsys fs.FS, opts InventoryOptions) (SourceInventory, error) {
	var inv SourceInventory
	ents, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return inv, fmt.Errorf("mapping: list the export folder: %w", err)
	}
	for _, d := range ents {
		name := d.Name()
		if addWorkbook(fsys, d, opts, &inv) { // inventory_xlsx.go
			continue
		}
		ext := strings.ToLower(path.Ext(name))
		if d.IsDir() || strings.HasPrefix(name, ".") || !slices.Contains(tableExts, ext) {
			continue
		}
		e, err := sampleFile(fsys, name, opts)
		if err != nil {
			inv.Unreadable = append(inv.Unreadable, FileProblem{File: name, Reason: err.Error()})
			if len(e.Fields) == 0 {
				continue
			}
			// A file malformed part-way still has a header and the rows
			// before the fault: propose from those, the problem is listed.
		}
		inv.Entities = append(inv.Entities, e)
	}
	return inv, nil
}

func sampleFile(fsys fs.FS, name string, opts InventoryOptions) (EntityInventory, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return EntityInventory{}, err
	}
	defer f.Close()
	e, err := SampleCSV(strings.TrimSuffix(name, path.Ext(name)), f, opts)
	e.File = name
	return e, err
}
