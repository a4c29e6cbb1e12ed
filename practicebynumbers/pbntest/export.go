package pbntest

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// ExportOptions shape a CSV export folder. The zero value writes the
// canonical form of CONTRACT.md: UTF-8 without BOM, LF line endings,
// canonical headers in canonical order.
type ExportOptions struct {
	// BOM starts every file with a UTF-8 byte-order mark, as Excel does.
	BOM bool
	// CRLF ends rows with \r\n (line breaks inside quoted notes too).
	CRLF bool
	// HumanHeaders writes headers as people title them ("Patient Id",
	// "Birth Date") instead of snake_case; readers match them ignoring case,
	// spaces and punctuation.
	HumanHeaders bool
	// ShuffleColumns writes the columns of each file in a seeded random
	// order (the contract allows any order).
	ShuffleColumns bool
	// PMSDates writes dates the way practice-management exports do: US
	// order (03/04/2019) and 0001-01-01 for "no date"; empty timestamps
	// become 0001-01-01 00:00:00. Readers of the contract accept both.
	PMSDates bool
	// Documents writes each document's content to documents/<id>.
	Documents bool
}

// Columns holding a date or a timestamp, by canonical header name.
var (
	dateColumns = map[string]bool{
		"birth_date": true, "first_visit": true, "date": true, "presented_on": true, "effective_date": true,
		"term_date": true, "signed_on": true, "period_start": true, "period_end": true,
	}
	timestampColumns = map[string]bool{"start": true, "at": true, "submitted_at": true, "created_at": true, "updated_at": true}
)

// pmsDates rewrites the date and timestamp cells of a canonical row in
// place (see ExportOptions.PMSDates).
func pmsDates(header, row []string) {
	for i, h := range header {
		switch {
		case dateColumns[h] && row[i] == "":
			row[i] = "0001-01-01"
		case dateColumns[h]:
			if t, err := time.Parse("2006-01-02", row[i]); err == nil {
				row[i] = t.Format("01/02/2006")
			}
		case timestampColumns[h] && row[i] == "":
			row[i] = "0001-01-01 00:00:00"
		}
	}
}

// ExportStats reports what an export wrote.
type ExportStats struct {
	Rows          map[pbn.Entity]int
	Deletions     int
	DocumentFiles int
	Bytes         int64
	Duration      time.Duration
}

// recordSource is what an export reads: every entity's records in id order,
// and the deletions (if any).
type recordSource interface {
	records(ctx context.Context, e pbn.Entity) iter.Seq2[any, error]
	deletionList() []pbn.Deletion
	practice() *Practice
}

// WriteExport writes the practice as a CSV export folder: one file per
// entity named by [pbn.Entity.FileName], with [pbn.CSVHeader] columns (and a
// custom.<key> column per custom property on patients). Rows stream; memory
// does not grow with the practice. dir is created if needed.
func (p *Practice) WriteExport(ctx context.Context, dir string, opts ExportOptions) (ExportStats, error) {
	return writeExport(ctx, practiceSource{p}, dir, opts)
}

// WriteExport writes the simulator's live data (generated practice plus
// every Mutate) as a CSV export folder, with deletions.csv.
func (s *Simulator) WriteExport(ctx context.Context, dir string, opts ExportOptions) (ExportStats, error) {
	return writeExport(ctx, simSource{s}, dir, opts)
}

type practiceSource struct{ p *Practice }

func (s practiceSource) practice() *Practice          { return s.p }
func (s practiceSource) deletionList() []pbn.Deletion { return nil }

func (s practiceSource) records(ctx context.Context, e pbn.Entity) iter.Seq2[any, error] {
	return func(yield func(any, error) bool) {
		if !e.PatientOwned() && e != pbn.EntityPatients {
			for _, rec := range s.p.referenceRecords(e) {
				if !yield(rec, nil) {
					return
				}
			}
			return
		}
		pt := partOf(e)
		for i := range s.p.patients {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			ch := s.p.chart(i, pt)
			for _, rec := range chartRecords(&ch, e) {
				if !yield(rec, nil) {
					return
				}
			}
		}
	}
}

type simSource struct{ s *Simulator }

func (s simSource) practice() *Practice { return s.s.st.p }

func (s simSource) deletionList() []pbn.Deletion {
	s.s.st.mu.RLock()
	defer s.s.st.mu.RUnlock()
	return append([]pbn.Deletion(nil), s.s.st.deletions...)
}

func (s simSource) records(ctx context.Context, e pbn.Entity) iter.Seq2[any, error] {
	return func(yield func(any, error) bool) {
		q := listQuery{entity: e, limit: 1000}
		for {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			page, next := s.s.st.list(q)
			for _, rec := range page {
				if !yield(rec, nil) {
					return
				}
			}
			if next == 0 {
				return
			}
			q.after = next
		}
	}
}

func writeExport(ctx context.Context, src recordSource, dir string, opts ExportOptions) (ExportStats, error) {
	start := time.Now()
	st := ExportStats{Rows: map[pbn.Entity]int{}}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, fmt.Errorf("pbntest: export: %w", err)
	}
	p := src.practice()
	loc := p.locs[1] // the zone of the office with the smallest id: the contract's practice zone
	var keys []string
	for _, d := range p.properties {
		keys = append(keys, d.Key)
	}
	r := newRNG(p.seed, domPractice, 99)
	for _, e := range pbn.Entities() {
		var ck []string
		if e == pbn.EntityPatients {
			ck = keys
		}
		header := pbn.CSVHeader(e)
		for _, k := range ck {
			header = append(header, pbn.CSVCustomHeader(k))
		}
		order := identityOrder(len(header))
		if opts.ShuffleColumns {
			for i := len(order) - 1; i > 0; i-- {
				j := r.intn(i + 1)
				order[i], order[j] = order[j], order[i]
			}
		}
		n, bytes, err := writeFile(filepath.Join(dir, e.FileName()), opts, header, order, opts.HumanHeaders, func(emit func([]string) error) error {
			for rec, err := range src.records(ctx, e) {
				if err != nil {
					return err
				}
				row := csvRow(rec, loc, ck)
				if opts.PMSDates {
					pmsDates(header, row)
				}
				if err := emit(row); err != nil {
					return err
				}
			}
			return nil
		})
		st.Bytes += bytes
		st.Rows[e] = n
		if err != nil {
			return st, fmt.Errorf("pbntest: export %s: %w", e.FileName(), err)
		}
	}
	if dels := src.deletionList(); len(dels) > 0 {
		header := pbn.DeletionsHeader()
		n, bytes, err := writeFile(filepath.Join(dir, pbn.DeletionsFileName), opts, header, identityOrder(len(header)), false, func(emit func([]string) error) error {
			for _, d := range dels {
				if err := emit(pbn.DeletionRow(d, loc)); err != nil {
					return err
				}
			}
			return nil
		})
		st.Bytes += bytes
		st.Deletions = n
		if err != nil {
			return st, fmt.Errorf("pbntest: export %s: %w", pbn.DeletionsFileName, err)
		}
	}
	if opts.Documents {
		ddir := filepath.Join(dir, pbn.DocumentsDir)
		if err := os.MkdirAll(ddir, 0o755); err != nil {
			return st, fmt.Errorf("pbntest: export: %w", err)
		}
		for rec, err := range src.records(ctx, pbn.EntityDocuments) {
			if err != nil {
				return st, fmt.Errorf("pbntest: export documents: %w", err)
			}
			d := rec.(pbn.Document)
			n, err := writeContent(filepath.Join(ddir, string(d.ID)), p.DocumentContent(d))
			st.Bytes += n
			if err != nil {
				return st, fmt.Errorf("pbntest: export document %s: %w", d.ID, err)
			}
			st.DocumentFiles++
		}
	}
	st.Duration = time.Since(start)
	return st, nil
}

func identityOrder(n int) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = i
	}
	return o
}

func csvRow(rec any, loc *time.Location, keys []string) []string {
	switch r := rec.(type) {
	case pbn.Office:
		return pbn.CSVRow(&r, loc, keys)
	case pbn.Staff:
		return pbn.CSVRow(&r, loc, keys)
	case pbn.Patient:
		return pbn.CSVRow(&r, loc, keys)
	case pbn.Appointment:
		return pbn.CSVRow(&r, loc, keys)
	case pbn.Procedure:
		return pbn.CSVRow(&r, loc, keys)
	case pbn.TreatmentPlan:
		return pbn.CSVRow(&r, loc, keys)
	case pbn.InsuranceCarrier:
		return pbn.CSVRow(&r, loc, keys)
	case pbn.Coverage:
		return pbn.CSVRow(&r, loc, keys)
	case pbn.Communication:
		return pbn.CSVRow(&r, loc, keys)
	case pbn.FormSubmission:
		return pbn.CSVRow(&r, loc, keys)
	case pbn.Document:
		return pbn.CSVRow(&r, loc, keys)
	case pbn.CustomPropertyDefinition:
		return pbn.CSVRow(&r, loc, keys)
	case pbn.KPIDefinition:
		return pbn.CSVRow(&r, loc, keys)
	case pbn.KPIValue:
		return pbn.CSVRow(&r, loc, keys)
	case pbn.Cohort:
		return pbn.CSVRow(&r, loc, keys)
	case pbn.Automation:
		return pbn.CSVRow(&r, loc, keys)
	}
	panic(fmt.Sprintf("pbntest: no CSV row for %T", rec))
}

// humanHeader turns "patient_id" into "Patient Id"; custom.<key> columns
// keep their prefix so readers still see them as custom values.
func humanHeader(h string) string {
	if strings.HasPrefix(h, pbn.CustomColumnPrefix) {
		return h
	}
	words := strings.Split(h, "_")
	for i, w := range words {
		if w != "" {
			rs := []rune(w)
			rs[0] = unicode.ToUpper(rs[0])
			words[i] = string(rs)
		}
	}
	return strings.Join(words, " ")
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

func writeFile(path string, opts ExportOptions, header []string, order []int, human bool, rows func(emit func([]string) error) error) (n int, bytes int64, err error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	bw := bufio.NewWriterSize(f, 256<<10)
	cw := &countingWriter{w: bw}
	if opts.BOM {
		if _, err := cw.Write([]byte("\ufeff")); err != nil {
			return 0, cw.n, err
		}
	}
	w := csv.NewWriter(cw)
	w.UseCRLF = opts.CRLF
	out := make([]string, len(order))
	permute := func(row []string) []string {
		for i, j := range order {
			out[i] = row[j]
		}
		return out
	}
	h := permute(header)
	if human {
		for i := range h {
			h[i] = humanHeader(h[i])
		}
	}
	if err := w.Write(h); err != nil {
		return 0, cw.n, err
	}
	err = rows(func(row []string) error {
		if len(row) != len(order) {
			return errors.New("row and header lengths differ")
		}
		n++
		return w.Write(permute(row))
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return n, cw.n, err
}

func writeContent(path string, r io.Reader) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}
