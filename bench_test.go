package pbnhl_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// BenchmarkRun measures a full load against the simulators with the burst
// limit scaled (100 requests per 500 ms; the client keeps a 2.5% margin): API calls per written record by
// object — the design minimum is 1 per contact, business, opportunity and
// note, 2 per custom record with its relation (3 for insurance, linked to
// contact and carrier), business links at most 1 per 100 contacts — and
// the limiter's utilisation (calls made / calls the window allowed over the
// run), with the number of 429 answers (must be 0 without faults).
func BenchmarkRun(b *testing.B) {
	const window = 500 * time.Millisecond
	for range b.N {
		b.StopTimer()
		e := newEnv(b, envOptions{patients: 80, seed: 17, window: window})
		ctx := context.Background()
		m := e.migration(func(o *pbnhl.Options) { o.Concurrency = 16 })
		_, err := m.ApplySchema(ctx)
		require.NoError(b, err)
		e.resetCounts()
		b.StartTimer()
		start := time.Now()
		rep, err := m.Load(ctx)
		elapsed := time.Since(start)
		b.StopTimer()
		require.NoError(b, err)
		b.StartTimer()

		for _, p := range rep.Objects {
			b.Logf("%-20s %6d written %6d calls %8s %7.0f calls/s", p.Object, p.Written, p.Calls, p.Elapsed.Round(time.Millisecond), float64(p.Calls)/p.Elapsed.Seconds())
		}
		per := func(op, object string) float64 {
			p, _ := rep.Object(object)
			if p.Written == 0 {
				return 0
			}
			return float64(e.opCount(op)) / float64(p.Written)
		}
		b.ReportMetric(per("contacts.create", "patients"), "calls/contact")
		b.ReportMetric(per("businesses.create", "offices"), "calls/business")
		b.ReportMetric(per("opportunities.create", "treatment_plans"), "calls/opportunity")
		b.ReportMetric(per("contacts.notes.create", "communications"), "calls/note")
		appts, _ := rep.Object("appointments")
		b.ReportMetric(float64(appts.Calls)/float64(appts.Written), "calls/appointment+relation")
		procs, _ := rep.Object("procedures")
		b.ReportMetric(float64(procs.Calls)/float64(procs.Written), "calls/treatment+relation")
		// The bulk link takes one business: the least possible is one call
		// per business and 100 of its contacts.
		perBiz := map[string]int{}
		for _, c := range e.hl.Contacts(hltest.DefaultLocationID) {
			if c.BusinessID != "" {
				perBiz[c.BusinessID]++
			}
		}
		least := 0
		for _, n := range perBiz {
			least += (n + 99) / 100
		}
		b.ReportMetric(float64(e.opCount("businesses.linkContacts"))/float64(least), "link-calls/least")
		tot := rep.Totals()
		b.ReportMetric(float64(e.calls.Load())/float64(tot.Written), "calls/record")
		b.ReportMetric(float64(tot.Written)/elapsed.Seconds(), "records/s")
		capacity := elapsed.Seconds() / window.Seconds() * 100
		b.ReportMetric(100*float64(e.calls.Load())/capacity, "%limiter")
		n429 := 0
		for _, r := range e.hl.RequestLog() {
			if r.Status == http.StatusTooManyRequests {
				n429++
			}
		}
		b.ReportMetric(float64(n429), "429s")
	}
}

// BenchmarkDelta measures a delta after content updates in the source:
// calls per changed note (the design minimum is 2: the before-image read
// and the update in place; the former delete + re-create took 3 and could
// not be undone), calls per written record over the whole delta (lookups
// of touched records included) and records written per second.
func BenchmarkDelta(b *testing.B) {
	day := pbntest.DefaultAsOf.Add(24 * time.Hour)
	for range b.N {
		b.StopTimer()
		e := newEnv(b, envOptions{patients: 60, seed: 5, now: func() time.Time { return day }})
		ctx := context.Background()
		m := e.migration(func(o *pbnhl.Options) { o.Concurrency = 16 })
		_, err := m.ApplySchema(ctx)
		require.NoError(b, err)
		_, err = m.Load(ctx)
		require.NoError(b, err)
		e.pbn.MutateWith(pbntest.MutateOptions{Update: 150})
		e.resetCounts()
		b.StartTimer()
		start := time.Now()
		rep, err := m.Delta(ctx)
		elapsed := time.Since(start)
		b.StopTimer()
		require.NoError(b, err)
		b.StartTimer()
		notes := e.opCount("contacts.notes.update")
		require.Positive(b, notes, "the mutation must change messages")
		b.ReportMetric(float64(e.opCount("contacts.notes.get")+notes+e.opCount("contacts.notes.create")+e.opCount("contacts.notes.delete"))/float64(notes), "calls/changed-note")
		tot := rep.Totals()
		b.ReportMetric(float64(e.calls.Load())/float64(tot.Written), "calls/written")
		b.ReportMetric(float64(tot.Written)/elapsed.Seconds(), "records/s")
	}
}
