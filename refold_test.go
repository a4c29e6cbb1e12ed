package pbnhl_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// deltaAfterTouch runs a full load of a practice, touches every patient
// (PMS bulk programs do: new stamps, same content) so that a delta must
// refold every patient's communication log and forms, and returns the
// delta's report and the PbN requests it made.
func deltaAfterTouch(t testing.TB, patients int) (*pbnhl.Report, int64, time.Duration) {
	day := pbntest.DefaultAsOf.Add(24 * time.Hour)
	e := newEnv(t, envOptions{patients: patients, seed: 5, now: func() time.Time { return day }})
	ctx := context.Background()
	m := e.migration(func(o *pbnhl.Options) { o.Concurrency = 16 })
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	_, err = m.Load(ctx)
	require.NoError(t, err)
	e.pbn.MutateWith(pbntest.MutateOptions{Touch: patients})
	before, _ := e.pbn.Requests()
	start := time.Now()
	rep, err := m.Delta(ctx)
	elapsed := time.Since(start)
	require.NoError(t, err)
	after, _ := e.pbn.Requests()
	return rep, after - before, elapsed
}

// BenchmarkDeltaSourceReads: a delta that refolds most of a practice (the
// case behind "15 s per aggregated field") reads the practice in pages,
// not one request per patient per folded object. Reported: PbN requests
// per delta, and the seconds they cost at the client's default pacing
// (pbn.DefaultRateLimit per second), which is what a real delta waits.
func BenchmarkDeltaSourceReads(b *testing.B) {
	const patients = 300
	for range b.N {
		_, reqs, elapsed := deltaAfterTouch(b, patients)
		b.ReportMetric(float64(reqs), "pbn-requests/delta")
		b.ReportMetric(float64(reqs)/pbn.DefaultRateLimit, "s-at-default-pbn-rate")
		b.ReportMetric(elapsed.Seconds(), "delta-s-unpaced")
	}
}

// TestDeltaRefoldReadsArePaged: touching every patient makes the delta
// refold all of them; the source requests stay within a few pages per
// entity instead of one per patient per folded object.
func TestDeltaRefoldReadsArePaged(t *testing.T) {
	if testing.Short() {
		t.Skip("a full load of 120 patients")
	}
	const patients = 120
	rep, reqs, _ := deltaAfterTouch(t, patients)
	require.NotNil(t, rep)
	// The default map folds communications and form submissions (and
	// indexes documents) into the contact: per patient, that was at least
	// 3×120 = 360 requests; paged, every entity fits in a page or a few.
	require.Less(t, reqs, int64(patients), "source requests of a delta refolding every patient")
}
