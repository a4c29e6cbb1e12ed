package practicebynumbers_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// countAll reads every entity of src and returns the number of records.
func countAll(b *testing.B, src pbn.Source) int {
	ctx := context.Background()
	n := 0
	count := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	var o pbn.ListOptions
	for _, err := range src.Offices(ctx, o) {
		count(err)
	}
	for _, err := range src.Staff(ctx, o) {
		count(err)
	}
	for _, err := range src.Patients(ctx, o) {
		count(err)
	}
	for _, err := range src.Coverages(ctx, o) {
		count(err)
	}
	for _, err := range src.Appointments(ctx, o) {
		count(err)
	}
	for _, err := range src.Procedures(ctx, o) {
		count(err)
	}
	for _, err := range src.TreatmentPlans(ctx, o) {
		count(err)
	}
	for _, err := range src.Communications(ctx, o) {
		count(err)
	}
	for _, err := range src.FormSubmissions(ctx, o) {
		count(err)
	}
	for _, err := range src.Documents(ctx, o) {
		count(err)
	}
	return n
}

// BenchmarkExportReader reads a whole export folder (1,000 patients and
// their charts, in the messiest CSV form) and reports records/s.
func BenchmarkExportReader(b *testing.B) {
	p, err := pbntest.NewPractice(42, 1000)
	require.NoError(b, err)
	dir := b.TempDir()
	_, err = p.WriteExport(context.Background(), dir, pbntest.ExportOptions{BOM: true, CRLF: true, HumanHeaders: true, ShuffleColumns: true})
	require.NoError(b, err)
	r, err := pbn.OpenExport(dir, pbn.ExportOptions{})
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	records := 0
	for b.Loop() {
		records += countAll(b, r)
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(records), "ns/record")
}

// BenchmarkClient reads the same practice through the REST client from the
// simulator on loopback (no pacing) and reports records/s and HTTP calls
// per record.
func BenchmarkClient(b *testing.B) {
	srv, err := pbntest.NewServer(pbntest.Options{Seed: 42, Patients: 1000})
	require.NoError(b, err)
	defer srv.Close()
	c, err := pbn.NewClient(pbn.Options{BaseURL: srv.URL, Token: srv.Token(), RateLimit: -1, PageSize: pbn.MaxPageSize})
	require.NoError(b, err)
	b.ReportAllocs()
	before, _ := srv.Requests()
	b.ResetTimer()
	records := 0
	for b.Loop() {
		records += countAll(b, c)
	}
	after, _ := srv.Requests()
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(after-before)/float64(records), "calls/record")
}

type memProbe struct {
	start runtime.MemStats
	peak  uint64
	early uint64 // peak heap after the first sample (20,000 records)
}

func newMemProbe() *memProbe {
	runtime.GC()
	m := &memProbe{}
	runtime.ReadMemStats(&m.start)
	m.peak = m.start.HeapAlloc
	return m
}

// sample records the live heap: a forced GC first, so that the figure does
// not depend on when the collector last ran.
func (m *memProbe) sample() {
	runtime.GC()
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.peak = max(m.peak, s.HeapAlloc)
	if m.early == 0 {
		m.early = m.peak
	}
}

func (m *memProbe) report(b *testing.B, records int) {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	b.ReportMetric(float64(s.TotalAlloc-m.start.TotalAlloc)/float64(records), "alloc-B/record")
	b.ReportMetric(float64(m.peak-min(m.peak, m.start.HeapAlloc))/float64(records), "live-heap-B/record")
	b.ReportMetric(float64(m.peak-min(m.peak, m.start.HeapAlloc))/(1<<20), "peak-live-heap-MB")
	// Flat memory: the heap after 200,000 records is no bigger than after
	// the first 20,000 (give or take GC timing).
	b.ReportMetric((float64(m.peak)-float64(m.early))/(1<<20), "live-heap-growth-after-20k-MB")
}

const bigPatients = 200_000

// BenchmarkStream200kPatients streams 200,000 patients through the CSV
// reader and through the REST client and reports bytes per record: memory
// stays flat (peak heap is a few MB, independent of the patient count) while
// allocation per record is constant. Skipped under -short; runs only with
// -bench (it is a benchmark), so it never slows `go test ./...`.
func BenchmarkStream200kPatients(b *testing.B) {
	if testing.Short() {
		b.Skip("200k-patient stream skipped under -short")
	}
	p, err := pbntest.NewPractice(42, bigPatients)
	require.NoError(b, err)

	b.Run("reader", func(b *testing.B) {
		dir := b.TempDir()
		f, err := os.Create(filepath.Join(dir, pbn.EntityPatients.FileName()))
		require.NoError(b, err)
		bw := bufio.NewWriterSize(f, 1<<20)
		w := csv.NewWriter(bw)
		keys := make([]string, 0)
		for _, d := range p.CustomProperties() {
			keys = append(keys, d.Key)
		}
		header := pbn.CSVHeader(pbn.EntityPatients)
		for _, k := range keys {
			header = append(header, pbn.CSVCustomHeader(k))
		}
		require.NoError(b, w.Write(header))
		for pt := range p.Patients() {
			require.NoError(b, w.Write(pbn.CSVRow(&pt, nil, keys)))
		}
		w.Flush()
		require.NoError(b, w.Error())
		require.NoError(b, bw.Flush())
		require.NoError(b, f.Close())
		r, err := pbn.OpenExport(dir, pbn.ExportOptions{})
		require.NoError(b, err)
		b.ResetTimer()
		for b.Loop() {
			mp := newMemProbe()
			n := 0
			for _, err := range r.Patients(context.Background(), pbn.ListOptions{}) {
				if err != nil {
					b.Fatal(err)
				}
				if n++; n%20_000 == 0 {
					mp.sample()
				}
			}
			require.Equal(b, bigPatients, n)
			mp.report(b, n)
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		}
	})

	b.Run("client", func(b *testing.B) {
		srv, err := pbntest.NewServer(pbntest.Options{Practice: p})
		require.NoError(b, err)
		defer srv.Close()
		c, err := pbn.NewClient(pbn.Options{BaseURL: srv.URL, Token: srv.Token(), RateLimit: -1, PageSize: pbn.MaxPageSize})
		require.NoError(b, err)
		b.ResetTimer()
		for b.Loop() {
			mp := newMemProbe()
			n := 0
			for _, err := range c.Patients(context.Background(), pbn.ListOptions{}) {
				if err != nil {
					b.Fatal(err)
				}
				if n++; n%20_000 == 0 {
					mp.sample()
				}
			}
			require.Equal(b, bigPatients, n)
			mp.report(b, n)
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		}
	})
}

// BenchmarkExportInventory counts an export folder (1,000 patients and
// their charts) and finds its export time (newest change stamp: no
// manifest), reporting rows/s.
func BenchmarkExportInventory(b *testing.B) {
	p, err := pbntest.NewPractice(42, 1000)
	require.NoError(b, err)
	dir := b.TempDir()
	_, err = p.WriteExport(context.Background(), dir, pbntest.ExportOptions{HumanHeaders: true})
	require.NoError(b, err)
	r, err := pbn.OpenExport(dir, pbn.ExportOptions{})
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	var rows int64
	for b.Loop() {
		inv, err := r.Inventory(context.Background())
		require.NoError(b, err)
		require.False(b, inv.ServerTime.IsZero())
		rows += inv.Total()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkClientNumericCustom reads patients whose custom values are JSON
// numbers and booleans (the lenient path) from a loopback server, and
// reports records/s.
func BenchmarkClientNumericCustom(b *testing.B) {
	var page bytes.Buffer
	page.WriteString(`{"data":[`)
	for i := 1; i <= 1000; i++ {
		if i > 1 {
			page.WriteByte(',')
		}
		fmt.Fprintf(&page, `{"id":%d,"firstName":"F%d","lastName":"L","status":"Patient","birthDate":"1980-01-02",`+
			`"updatedAt":"2026-11-01T00:00:00Z","custom":{"score":%d.5,"vip":true,"tier":"gold","gone":null}}`, i, i, i)
	}
	page.WriteString(`]}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(page.Bytes())
	}))
	defer srv.Close()
	c, err := pbn.NewClient(pbn.Options{BaseURL: srv.URL, RateLimit: -1})
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	records := 0
	for b.Loop() {
		for p, err := range c.Patients(context.Background(), pbn.ListOptions{}) {
			if err != nil || p.Custom["score"] == "" {
				b.Fatal("lenient decode failed")
			}
			records++
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
