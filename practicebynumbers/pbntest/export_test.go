package pbntest

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

func readCSV(t *testing.T, path string) (raw []byte, rows [][]string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff"))))
	rows, err = r.ReadAll() // also checks every row has the header's width
	require.NoError(t, err, path)
	return raw, rows
}

func TestWriteExportIsValidCSV(t *testing.T) {
	p := MustPractice(17, 120)
	counts := p.Counts()
	for name, opts := range map[string]ExportOptions{
		"canonical": {},
		"messy":     {BOM: true, CRLF: true, HumanHeaders: true, ShuffleColumns: true, PMSDates: true, Documents: true},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			st, err := p.WriteExport(context.Background(), dir, opts)
			require.NoError(t, err)
			multiLine := 0
			for _, e := range pbn.Entities() {
				raw, rows := readCSV(t, filepath.Join(dir, e.FileName()))
				assert.Equal(t, opts.BOM, bytes.HasPrefix(raw, []byte("\ufeff")), "%s BOM", e)
				assert.Equal(t, opts.CRLF, bytes.Contains(raw, []byte("\r\n")), "%s line endings", e)
				require.NotEmpty(t, rows)
				want := pbn.CSVHeader(e)
				if e == pbn.EntityPatients {
					for _, d := range p.CustomProperties() {
						want = append(want, pbn.CSVCustomHeader(d.Key))
					}
				}
				header := rows[0]
				if opts.HumanHeaders {
					for i, h := range want {
						want[i] = humanHeader(h)
					}
				}
				if opts.ShuffleColumns {
					assert.ElementsMatch(t, want, header, "%s header", e)
				} else {
					assert.Equal(t, want, header, "%s header", e)
				}
				assert.Len(t, rows[1:], counts[e], "%s rows", e)
				assert.Equal(t, counts[e], st.Rows[e])
				for _, row := range rows[1:] {
					for _, cell := range row {
						if strings.Contains(cell, "\n") {
							multiLine++
						}
						assert.NotContains(t, cell, "\r", "csv readers turn CRLF inside quotes into LF; the data never relies on it")
					}
				}
			}
			assert.Positive(t, multiLine, "quoted multi-line notes")
			if opts.Documents {
				assert.Equal(t, counts[pbn.EntityDocuments], st.DocumentFiles)
				for d := range p.Documents() {
					b, err := os.ReadFile(filepath.Join(dir, pbn.DocumentsDir, strconv.FormatInt(num(d.ID), 10)))
					require.NoError(t, err)
					want, _ := io.ReadAll(p.DocumentContent(d))
					require.Equal(t, want, b)
					break
				}
			}
		})
	}
}

func TestPMSDates(t *testing.T) {
	header := []string{"patient_id", "birth_date", "first_visit", "created_at", "notes"}
	row := []string{"1", "", "2019-03-04", "", "2019-03-04"}
	pmsDates(header, row)
	assert.Equal(t, []string{"1", "0001-01-01", "03/04/2019", "0001-01-01 00:00:00", "2019-03-04"}, row)

	// Every column named here exists in the contract's headers.
	all := map[string]bool{}
	for _, e := range pbn.Entities() {
		for _, h := range pbn.CSVHeader(e) {
			all[h] = true
		}
	}
	for h := range dateColumns {
		assert.True(t, all[h], h)
	}
	for h := range timestampColumns {
		assert.True(t, all[h], h)
	}
}

func TestWriteExportDeterministic(t *testing.T) {
	p := MustPractice(2, 60)
	a, b := t.TempDir(), t.TempDir()
	opts := ExportOptions{BOM: true, ShuffleColumns: true}
	_, err := p.WriteExport(context.Background(), a, opts)
	require.NoError(t, err)
	_, err = MustPractice(2, 60).WriteExport(context.Background(), b, opts)
	require.NoError(t, err)
	for _, e := range pbn.Entities() {
		x, _ := os.ReadFile(filepath.Join(a, e.FileName()))
		y, _ := os.ReadFile(filepath.Join(b, e.FileName()))
		assert.Equal(t, x, y, e)
	}
}

func TestWriteExportCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := MustPractice(2, 60).WriteExport(ctx, t.TempDir(), ExportOptions{})
	assert.ErrorIs(t, err, context.Canceled)
}

func drain[T any](t *testing.T, seq iter.Seq2[T, error]) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

// The export reader of package practicebynumbers must read back exactly
// the generated records, in the canonical and in the messy form.
func TestExportRoundTripsThroughReader(t *testing.T) {
	p := MustPractice(31, 150)
	ctx := context.Background()
	for name, opts := range map[string]ExportOptions{
		"canonical": {},
		"messy":     {BOM: true, CRLF: true, HumanHeaders: true, ShuffleColumns: true, PMSDates: true},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := p.WriteExport(ctx, dir, opts)
			require.NoError(t, err)
			r, err := pbn.OpenExport(dir, pbn.ExportOptions{})
			require.NoError(t, err)
			o := pbn.ListOptions{}
			assert.Equal(t, normalise(t, collect(p.Patients())), normalise(t, drain(t, r.Patients(ctx, o))))
			assert.Equal(t, normalise(t, collect(p.Appointments())), normalise(t, drain(t, r.Appointments(ctx, o))))
			assert.Equal(t, normalise(t, collect(p.Procedures())), normalise(t, drain(t, r.Procedures(ctx, o))))
			assert.Equal(t, normalise(t, collect(p.TreatmentPlans())), normalise(t, drain(t, r.TreatmentPlans(ctx, o))))
			assert.Equal(t, normalise(t, collect(p.Coverages())), normalise(t, drain(t, r.Coverages(ctx, o))))
			assert.Equal(t, normalise(t, collect(p.Communications())), normalise(t, drain(t, r.Communications(ctx, o))))
			assert.Equal(t, normalise(t, collect(p.FormSubmissions())), normalise(t, drain(t, r.FormSubmissions(ctx, o))))
			assert.Equal(t, normalise(t, collect(p.Documents())), normalise(t, drain(t, r.Documents(ctx, o))))
			assert.Equal(t, normalise(t, p.Offices()), normalise(t, drain(t, r.Offices(ctx, o))))
			assert.Equal(t, normalise(t, p.Staff()), normalise(t, drain(t, r.Staff(ctx, o))))
			assert.Equal(t, normalise(t, p.CustomProperties()), normalise(t, drain(t, r.CustomProperties(ctx, o))))
			assert.Equal(t, normalise(t, p.KPIValues()), normalise(t, drain(t, r.KPIValues(ctx, o))))
			assert.Equal(t, normalise(t, p.Cohorts()), normalise(t, drain(t, r.Cohorts(ctx, o))))
			assert.Equal(t, normalise(t, p.Automations()), normalise(t, drain(t, r.Automations(ctx, o))))
			inv, err := r.Inventory(ctx)
			require.NoError(t, err)
			assert.Equal(t, p.Inventory().Counts, inv.Counts)
		})
	}
}

func TestSimulatorExportHasDeletions(t *testing.T) {
	srv := newTestServer(t, Options{Seed: 6, Patients: 80})
	ch := srv.MutateWith(MutateOptions{Update: 5, Create: 3, Delete: 6})
	dir := t.TempDir()
	st, err := srv.WriteExport(context.Background(), dir, ExportOptions{})
	require.NoError(t, err)
	total := 0
	for _, ids := range ch.Deleted {
		total += len(ids)
	}
	assert.Equal(t, total, st.Deletions)
	_, rows := readCSV(t, filepath.Join(dir, pbn.DeletionsFileName))
	assert.Equal(t, pbn.DeletionsHeader(), rows[0])
	assert.Len(t, rows[1:], total)
	for e, ids := range ch.Created {
		_, rows := readCSV(t, filepath.Join(dir, e.FileName()))
		var got []string
		for _, row := range rows[1:] {
			got = append(got, row[0])
		}
		for _, id := range ids {
			assert.True(t, slices.Contains(got, strconv.FormatInt(num(id), 10)), "created %s %d exported", e, id)
		}
	}
}
