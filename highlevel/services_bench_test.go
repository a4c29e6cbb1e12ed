package highlevel

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// newBenchClient points a client with an unconstraining limiter at h
// (no contract validation: this measures the client).
func newBenchClient(b *testing.B, h http.Handler) *Client {
	b.Helper()
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	lim, err := NewLimiter(LimiterOptions{Name: "bench", Requests: 1_000_000, Window: time.Second, Margin: -1})
	if err != nil {
		b.Fatal(err)
	}
	c, err := NewClient(Options{BaseURL: srv.URL, LocationID: "loc-bench", Auth: StaticToken("pit-bench"), Limiter: lim})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkSearchRecords iterates 10,000 records in pages of 100 and
// reports records/s and calls/record.
func BenchmarkSearchRecords(b *testing.B) {
	const total = 10_000
	var page strings.Builder
	page.WriteString(`{"total":10000,"records":[`)
	for i := range 100 {
		if i > 0 {
			page.WriteByte(',')
		}
		fmt.Fprintf(&page, `{"id":"rec%05d","owner":["u1"],"followers":[],"properties":{"name":"Bitewing %d","tooth":"t14",`+
			`"cost":{"currency":"default","value":42.5}},"createdAt":"2024-02-03T04:05:06.000Z","updatedAt":"2024-02-03T04:05:06.000Z",`+
			`"searchAfter":[1706933106000,"rec%05d"]}`, i, i, i)
	}
	page.WriteString(`]}`)
	body := []byte(page.String())
	var calls atomic.Int64
	c := newBenchClient(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	records := 0
	for range b.N {
		n := 0
		for _, err := range c.Objects.SearchRecords(ctx, "custom_objects.xray", RecordSearch{}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
			if n == total {
				break
			}
		}
		records += n
	}
	b.ReportMetric(float64(records)/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(float64(calls.Load())/float64(records), "calls/record")
}

// BenchmarkOpportunityDecode measures decoding one opportunity with custom
// fields and its embedded contact.
func BenchmarkOpportunityDecode(b *testing.B) {
	data := []byte(opportunityJSON)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for range b.N {
		var o Opportunity
		if err := json.Unmarshal(data, &o); err != nil {
			b.Fatal(err)
		}
	}
}
