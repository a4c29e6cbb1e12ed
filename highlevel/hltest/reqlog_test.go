package hltest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// At a fixed window's edge a client may send a burst at the end of one
// window and another at the start of the next: up to 2×Max inside one
// Window. The sliding mode admits only what leaves at most Max in any
// span of Window, so every request it admits a fixed window admits too
// (it is the stricter): this test pins the difference at the edge.
func TestRateModesAtWindowEdge(t *testing.T) {
	path := "/contacts/?locationId=" + loc
	for _, sliding := range []bool{false, true} {
		clk := newFakeClock()
		_, tc := newTestServer(t, Options{Clock: clk.Now, RateLimit: RateLimit{Max: 4, Window: 10 * time.Second, Sliding: sliding}})
		tc.do("GET", path, nil).must(t, 200) // t=0 opens the fixed window
		clk.Advance(9 * time.Second)
		for range 3 {
			tc.do("GET", path, nil).must(t, 200) // t=9: the window is full
		}
		tc.do("GET", path, nil).must(t, 429)
		clk.Advance(time.Second) // t=10: the fixed window ends, the t=0 request slides out
		admitted := 0
		for range 5 {
			if tc.do("GET", path, nil).Status == 200 {
				admitted++
			}
		}
		if sliding {
			assert.Equal(t, 1, admitted, "sliding: three of the last 10 s are still counted")
			clk.Advance(9 * time.Second) // t=19: the t=9 requests slide out
			for range 3 {
				tc.do("GET", path, nil).must(t, 200)
			}
			tc.do("GET", path, nil).must(t, 429)
		} else {
			assert.Equal(t, 4, admitted, "fixed: a new window, 7 requests within 1 s")
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Served counts every request exactly after the capped RequestLog has
// dropped its oldest entries, and the stream has one line per request.
func TestServedExactPastTheLogCap(t *testing.T) {
	var out syncBuffer
	s, tc := newTestServer(t, Options{RequestLogLimit: 10, RequestLogTo: &out})
	for range 37 {
		tc.do("GET", "/contacts/?locationId="+loc, nil).must(t, 200)
	}
	tc.do("GET", "/no/such/route", nil).must(t, 404)
	assert.Less(t, len(s.RequestLog()), 38, "the in-memory log is capped")
	assert.EqualValues(t, 38, s.Served())
	require.NoError(t, s.FlushRequestLog())
	assert.Equal(t, 38, strings.Count(out.String(), "\n"))
}

// The request log stream carries the route template, never the path, the
// query, the body or a header: no name, e-mail, phone, id, search term or
// token reaches it. Every line is one JSON object with the documented keys.
func TestRequestLogStreamHasNoPHI(t *testing.T) {
	var out syncBuffer
	s, tc := newTestServer(t, Options{RequestLogTo: &out})
	c := obj(t, tc.do("POST", "/contacts/", map[string]any{"locationId": loc, "firstName": "Philomena",
		"lastName": "Quartermaine", "email": "philomena.q@example.com", "phone": "+14155550123"}).must(t, 201)["contact"])
	id := c["id"].(string)
	tc.do("GET", "/contacts/"+id, nil).must(t, 200)
	tc.do("GET", "/contacts/search/duplicate?locationId="+loc+"&email=philomena.q@example.com", nil).must(t, 200)
	tc.do("POST", "/contacts/"+id+"/notes", map[string]any{"body": "Quartermaine's crown on 14"}).must(t, 201)
	tc.do("GET", "/contacts/Quartermaine", nil)
	s.Close()
	text := out.String()
	for _, secret := range []string{"Philomena", "Quartermaine", "philomena", "5550123", id, DefaultToken, "crown", "email="} {
		assert.NotContains(t, text, secret)
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	lines := 0
	for sc.Scan() {
		lines++
		var l map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		for k := range l {
			assert.Contains(t, []string{"time", "method", "route", "status", "durationMs", "locationId", "fault"}, k)
		}
		assert.NotEmpty(t, l["method"])
		assert.NotZero(t, l["status"])
	}
	assert.Equal(t, 5, lines)
	assert.Contains(t, text, `"method":"GET","route":"/contacts/{contactId}","status":200`)
	assert.Contains(t, text, `"route":"/contacts/{contactId}/notes","status":201`)
}

// BenchmarkServeGetContactReqLog is BenchmarkServeGetContact with the
// request log stream on (to io.Discard): the cost of a line per request.
func BenchmarkServeGetContactReqLog(b *testing.B) {
	s := NewUnstartedServer(Options{RateLimit: RateLimit{Disabled: true}, RequestLogLimit: 100_000, RequestLogTo: io.Discard})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, withAuth(httptest.NewRequest("POST", "/contacts/",
		strings.NewReader(`{"locationId":"`+DefaultLocationID+`","firstName":"Bench","email":"b@x.com"}`))))
	id := s.Contacts(DefaultLocationID)[0].ID
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
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
