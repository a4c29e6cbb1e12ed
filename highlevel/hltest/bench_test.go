package hltest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkServeGetContact measures the handler alone (no network): the
// simulator's own cost per request, with limits off.
func BenchmarkServeGetContact(b *testing.B) {
	s := NewUnstartedServer(Options{RateLimit: RateLimit{Disabled: true}, RequestLogLimit: 100_000})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, withAuth(httptest.NewRequest("POST", "/contacts/",
		strings.NewReader(`{"locationId":"`+DefaultLocationID+`","firstName":"Bench","email":"b@x.com"}`))))
	id := s.Contacts(DefaultLocationID)[0].ID
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		// A GET has no body, so one request per goroutine can be served
		// again and again: the benchmark measures the simulator, not
		// request construction.
		req := withAuth(httptest.NewRequest("GET", "/contacts/"+id, nil))
		for pb.Next() {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
	report(b, cpu0)
}

// BenchmarkServeCreateContact is the write path (strict DTO, duplicate
// check, indexing).
func BenchmarkServeCreateContact(b *testing.B) {
	s := NewUnstartedServer(Options{RateLimit: RateLimit{Disabled: true}, RequestLogLimit: 100_000})
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			rec := httptest.NewRecorder()
			body := fmt.Sprintf(`{"locationId":%q,"firstName":"P%d","email":"p%d@x.com","phone":"+1415555%04d","tags":["a"]}`,
				DefaultLocationID, i, i, i%10000)
			s.ServeHTTP(rec, withAuth(httptest.NewRequest("POST", "/contacts/", strings.NewReader(body))))
			if rec.Code != 201 && rec.Code != 400 {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
	report(b, cpu0)
}

// BenchmarkLoopbackGetContact is what a client sees: real HTTP over
// loopback with keep-alive, 32 concurrent clients, limits off.
func BenchmarkLoopbackGetContact(b *testing.B) {
	s := NewServer(Options{RateLimit: RateLimit{Disabled: true}, RequestLogLimit: 100_000})
	defer s.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	post, _ := http.NewRequest("POST", s.URL+"/contacts/", strings.NewReader(`{"locationId":"`+DefaultLocationID+`","firstName":"B"}`))
	res, err := client.Do(withAuth(post))
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	url := s.URL + "/contacts/" + s.Contacts(DefaultLocationID)[0].ID
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 4096)
		for pb.Next() {
			req, _ := http.NewRequest("GET", url, nil)
			res, err := client.Do(withAuth(req))
			if err != nil {
				b.Fatal(err)
			}
			for {
				if _, err := res.Body.Read(buf); err != nil {
					break
				}
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	})
	report(b, cpu0)
}

func withAuth(r *http.Request) *http.Request {
	r.Header.Set("Authorization", "Bearer "+DefaultToken)
	r.Header.Set("Version", "2021-07-28")
	r.Header.Set("Content-Type", "application/json")
	return r
}

// report prints wall-clock throughput and throughput per CPU-second (the
// machine's capacity is that times its cores when nothing else runs).
func report(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "requests/cpu-s")
	}
}

// BenchmarkSearchPaging pages through 20,000 contacts with searchAfter,
// 100 per page, as a reconciliation does: the cost per page must not grow
// into a sort of the whole location.
func BenchmarkSearchPaging(b *testing.B) {
	s := NewUnstartedServer(Options{RateLimit: RateLimit{Disabled: true}, RequestLogLimit: 100_000})
	const n = 20_000
	for i := range n {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, withAuth(httptest.NewRequest("POST", "/contacts/",
			strings.NewReader(fmt.Sprintf(`{"locationId":%q,"firstName":"P%d"}`, DefaultLocationID, i)))))
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	pages := 0
	for b.Loop() {
		after := ""
		for {
			body := fmt.Sprintf(`{"locationId":%q,"pageLimit":100%s}`, DefaultLocationID, after)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, withAuth(httptest.NewRequest("POST", "/contacts/search", strings.NewReader(body))))
			var res struct {
				Contacts []struct {
					SearchAfter []any `json:"searchAfter"`
				} `json:"contacts"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || rec.Code != 200 {
				b.Fatalf("%d %v", rec.Code, err)
			}
			pages++
			if len(res.Contacts) == 0 {
				break
			}
			sa, _ := json.Marshal(res.Contacts[len(res.Contacts)-1].SearchAfter)
			after = `,"searchAfter":` + string(sa)
		}
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(pages)/cpu.Seconds(), "pages/cpu-s")
	}
}
