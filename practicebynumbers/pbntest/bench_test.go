package pbntest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// BenchmarkGenerate measures records per second of the full generator
// (every entity of every patient).
func BenchmarkGenerate(b *testing.B) {
	p := MustPractice(42, 1_000_000)
	b.ReportAllocs()
	records := 0
	i := 0
	for b.Loop() {
		ch := p.chart(i%p.patients, partAll)
		records += 1 + len(ch.Appointments) + len(ch.Procedures) + len(ch.TreatmentPlans) + len(ch.Coverages) +
			len(ch.Communications) + len(ch.FormSubmissions) + len(ch.Documents)
		i++
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "patients/s")
}

// BenchmarkPatients measures the patient iterator alone.
func BenchmarkPatients(b *testing.B) {
	p := MustPractice(42, 1_000_000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = p.patientAt(i % p.patients)
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "records/s")
}

func benchServer(b *testing.B, patients int) *Server {
	b.Helper()
	srv, err := NewServer(Options{Seed: 42, Patients: patients})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	return srv
}

func benchGet(b *testing.B, c *http.Client, url, token string) int {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
	return int(n)
}

// BenchmarkServerPages measures list requests per second over loopback
// HTTP (pages of 100 records at spread-out cursors), in parallel.
func BenchmarkServerPages(b *testing.B) {
	for _, e := range []pbn.Entity{pbn.EntityPatients, pbn.EntityAppointments, pbn.EntityCommunications} {
		b.Run(string(e), func(b *testing.B) {
			srv := benchServer(b, 200_000)
			c := srv.Client()
			var seq atomic.Int64
			var bytes atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					k := seq.Add(7919) % 200_000
					after := k
					if e != pbn.EntityPatients {
						after = k * childStride
					}
					cursor := encodeCursor(fmt.Sprintf("%s|%d|%d", e, time.Time{}.Unix(), 0), after)
					bytes.Add(int64(benchGet(b, c, srv.URL+"/v1/"+string(e)+"?limit=100&cursor="+cursor, srv.Token())))
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
			b.ReportMetric(float64(b.N)*100/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(bytes.Load())/float64(b.N), "bytes/page")
		})
	}
}

// BenchmarkServerGet measures Get-by-id requests per second.
func BenchmarkServerGet(b *testing.B) {
	srv := benchServer(b, 200_000)
	c := srv.Client()
	var seq atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := 1 + seq.Add(7919)%200_000
			benchGet(b, c, srv.URL+"/v1/patients/"+strconv.FormatInt(id, 10), srv.Token())
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
}

// BenchmarkServe200kScan pages through every patient of a 200,000-patient
// practice with limit=1000 and reports the heap in use afterwards: the
// simulator never materialises the practice, so it stays flat.
func BenchmarkServe200kScan(b *testing.B) {
	for b.Loop() {
		srv := benchServer(b, 200_000)
		c := srv.Client()
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		url := srv.URL + "/v1/patients?limit=1000"
		requests := 0
		for {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Authorization", "Bearer "+srv.Token())
			resp, err := c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var pg struct {
				NextCursor string `json:"nextCursor"`
			}
			err = json.NewDecoder(resp.Body).Decode(&pg)
			resp.Body.Close()
			if err != nil {
				b.Fatal(err)
			}
			requests++
			if pg.NextCursor == "" {
				break
			}
			url = srv.URL + "/v1/patients?limit=1000&cursor=" + pg.NextCursor
		}
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(200_000)/time.Since(start).Seconds(), "patients/s")
		b.ReportMetric(float64(requests), "requests")
		b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/200_000, "heap-growth-bytes/patient")
	}
}

// BenchmarkStream200k walks every chart of a 200,000-patient practice and
// reports the heap growth per record: the generator holds one patient at a
// time, so it stays near zero however large the practice.
func BenchmarkStream200k(b *testing.B) {
	for b.Loop() {
		p := MustPractice(42, 200_000)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		records := 0
		var peak uint64
		for ch := range p.Charts() {
			records += 1 + len(ch.Appointments) + len(ch.Procedures) + len(ch.TreatmentPlans) + len(ch.Coverages) +
				len(ch.Communications) + len(ch.FormSubmissions) + len(ch.Documents)
			if num(ch.Patient.ID)%50_000 == 0 {
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(records), "records")
		b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/float64(records), "heap-growth-bytes/record")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	}
}
