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

// serveJSON serves one request in process and decodes the answer.
func serveJSON(b *testing.B, s *Server, method, path, body string, want int) map[string]any {
	b.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, withAuth(httptest.NewRequest(method, path, strings.NewReader(body))))
	if rec.Code != want {
		b.Fatalf("%s %s: status %d: %s", method, path, rec.Code, rec.Body)
	}
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkServeCreateAppointment is POST /calendars/events/appointments:
// strict DTO, the calendar and contact checks, slot validation against the
// calendar's other events, and the toNotify record. Every appointment has
// its own future slot, so the calendar fills up as a migration's would.
func BenchmarkServeCreateAppointment(b *testing.B) {
	s := NewUnstartedServer(Options{RateLimit: RateLimit{Disabled: true}, RequestLogLimit: 100_000})
	cal := serveJSON(b, s, "POST", "/calendars/", fmt.Sprintf(`{"locationId":%q,"name":"Hygiene","slotDuration":30,"slotDurationUnit":"mins"}`,
		DefaultLocationID), 200)["calendar"].(map[string]any)["id"].(string)
	contact := serveJSON(b, s, "POST", "/contacts/", fmt.Sprintf(`{"locationId":%q,"firstName":"Bench"}`,
		DefaultLocationID), 201)["contact"].(map[string]any)["id"].(string)
	start := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Hour)
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			at := start.Add(time.Duration(n.Add(1)) * 30 * time.Minute)
			body := fmt.Sprintf(`{"calendarId":%q,"locationId":%q,"contactId":%q,"startTime":%q,"endTime":%q,"title":"Cleaning","toNotify":false}`,
				cal, DefaultLocationID, contact, at.Format(time.RFC3339), at.Add(30*time.Minute).Format(time.RFC3339))
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, withAuth(httptest.NewRequest("POST", "/calendars/events/appointments", strings.NewReader(body))))
			if rec.Code != 200 {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
	report(b, cpu0)
}

// BenchmarkServeInboundMessage is POST /conversations/messages/inbound: a
// contact's history imported into one conversation, each message with the
// date it was first sent.
func BenchmarkServeInboundMessage(b *testing.B) {
	s := NewUnstartedServer(Options{RateLimit: RateLimit{Disabled: true}, RequestLogLimit: 100_000})
	contact := serveJSON(b, s, "POST", "/contacts/", fmt.Sprintf(`{"locationId":%q,"firstName":"Bench"}`,
		DefaultLocationID), 201)["contact"].(map[string]any)["id"].(string)
	conv := serveJSON(b, s, "POST", "/conversations/", fmt.Sprintf(`{"locationId":%q,"contactId":%q}`,
		DefaultLocationID, contact), 201)["conversation"].(map[string]any)["id"].(string)
	first := time.Date(2020, 1, 1, 9, 0, 0, 0, time.UTC)
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body := fmt.Sprintf(`{"type":"SMS","conversationId":%q,"contactId":%q,"message":"Reminder %d","direction":"inbound","date":%q}`,
				conv, contact, i, first.Add(time.Duration(i)*time.Minute).Format(time.RFC3339))
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, withAuth(httptest.NewRequest("POST", "/conversations/messages/inbound", strings.NewReader(body))))
			if rec.Code != 200 {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
	report(b, cpu0)
}
