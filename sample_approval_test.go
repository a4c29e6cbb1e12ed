package pbnhl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

// TestSampleDiff: the default sample lands in the spec's 100–300 records,
// spans patients, appointments and treatment history, reads every record
// it wrote back once, and a clean sample agrees field by field. Its text
// and JSON name keys and fields, never a value.
func TestSampleDiff(t *testing.T) {
	e := newEnv(t, envOptions{patients: 60})
	ctx := context.Background()
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	before := e.calls.Load()
	rep, err := m.Sample(ctx, pbnhl.SampleOptions{})
	require.NoError(t, err)
	s := rep.Sample
	require.NotNil(t, s)
	assert.GreaterOrEqual(t, s.Selection.Records, pbnhl.DefaultSampleRecords)
	assert.LessOrEqual(t, s.Selection.Records, 300)
	assert.Less(t, s.Selection.Patients, 60, "a slice, not the practice")
	types := map[string]int{}
	for _, o := range s.Diff.Objects {
		types[o.ObjectType] = o.Records
	}
	// Patients the map finds invalid (duplicates held for review) are not
	// written, so not compared.
	assert.Positive(t, types[rollback.TypeContact])
	assert.LessOrEqual(t, types[rollback.TypeContact], s.Selection.Patients, "sampled patients compared: %v", types)
	assert.Positive(t, types["custom_objects.pbn_appointment"], "appointments: %v", types)
	assert.Positive(t, types[rollback.TypeOpportunity]+types["custom_objects.pbn_treatment"], "treatment history: %v", types)
	var txt bytes.Buffer
	require.NoError(t, s.WriteText(&txt))
	require.True(t, s.Diff.Agrees(), txt.String())
	assert.Equal(t, s.Diff.Records, s.Diff.RecordsRead)
	assert.LessOrEqual(t, s.Diff.ReadsPerRecord(), 1.1)
	assert.Positive(t, s.Diff.Calls)
	assert.LessOrEqual(t, int64(s.Diff.Calls), e.calls.Load()-before)
	assert.Equal(t, hltest.DefaultLocationID, s.LocationID)
	d, err := e.m.Digest()
	require.NoError(t, err)
	assert.Equal(t, d, s.MapDigest)
	t.Log(txt.String())

	var js bytes.Buffer
	require.NoError(t, s.WriteJSON(&js))
	back, err := pbnhl.ReadSampleReport(bytes.NewReader(js.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, s.Digest, back.Digest)
	for _, c := range e.hl.Contacts(hltest.DefaultLocationID) {
		for _, v := range []string{c.Email, c.Phone, c.LastName, c.Address1, c.City} {
			if len(v) > 3 {
				require.NotContains(t, txt.String(), v, "a value in the text")
				require.NotContains(t, js.String(), v, "a value in the JSON")
			}
		}
	}

	// An edited report is refused.
	edited := strings.Replace(js.String(), `"matched": `, `"matched": 1`, 1)
	_, err = pbnhl.ReadSampleReport(strings.NewReader(edited))
	assert.ErrorIs(t, err, pbnhl.ErrSampleReport)

	// A field changed in HighLevel shows in the next diff, with its key.
	key, id := firstContact(t, e)
	city := "Elsewhere"
	_, err = e.client.Contacts.Update(ctx, id, highlevel.ContactUpdate{City: &city})
	require.NoError(t, err)
	rep, err = m.Sample(ctx, pbnhl.SampleOptions{Values: true})
	require.NoError(t, err)
	require.Equal(t, 1, rep.Sample.Diff.Differed)
	for _, o := range rep.Sample.Diff.Objects {
		for _, f := range o.Fields {
			if f.Differed > 0 {
				assert.Equal(t, "city", f.Field)
				assert.Equal(t, []string{key}, f.DifferedKeys)
			}
		}
	}
	var page bytes.Buffer
	require.NoError(t, reconcile.WriteSampleValuesHTML(&page, rep.Sample.Diff, reconcile.SampleValuesHeader{MapDigest: d}))
	assert.Contains(t, page.String(), "Elsewhere")
}

func firstContact(t *testing.T, e *env) (string, string) {
	t.Helper()
	for m, err := range e.ledger.IDMap(context.Background(), rollback.TypeContact) {
		require.NoError(t, err)
		return m.SourceKey, m.HighLevelID
	}
	t.Fatal("no contact")
	return "", ""
}

// TestRunRequiresSampleApproval: with RequireSampleApproval (the CLI's
// setting) a full run is refused without an approved sample, proceeds
// with one, is refused again after a map edit, and SkipSample proceeds
// and is journaled in the run.
func TestRunRequiresSampleApproval(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(40)})
	ctx := context.Background()
	gated := func(o *pbnhl.Options) { o.RequireSampleApproval = true }
	m := e.migration(gated)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)

	_, err = m.Load(ctx)
	require.ErrorIs(t, err, pbnhl.ErrSampleNotApproved)
	assert.Contains(t, err.Error(), "pbn2hl approve-sample")
	runs, err := e.ledger.Runs(ctx)
	require.NoError(t, err)
	for _, r := range runs {
		assert.NotEqual(t, rollback.KindFull, r.Kind, "a refused run begins nothing")
	}

	// A dry run writes nothing and needs no approval.
	_, err = e.migration(func(o *pbnhl.Options) { gated(o); o.DryRun = true }).Load(ctx)
	require.NoError(t, err)

	rep, err := m.Sample(ctx, pbnhl.SampleOptions{Patients: 3})
	require.NoError(t, err)
	require.NotNil(t, rep.Sample)
	// The report travels as a file from the staging ledger to this one.
	var js bytes.Buffer
	require.NoError(t, rep.Sample.WriteJSON(&js))
	sr, err := pbnhl.ReadSampleReport(&js)
	require.NoError(t, err)

	_, err = m.ApproveSample(ctx, sr, pbnhl.ApproveSampleOptions{Actor: "  "})
	require.NoError(t, err, "Options.Actor stands in for an empty actor") // "test"
	a, err := e.ledger.SampleApproval(ctx)
	require.NoError(t, err)
	require.NotNil(t, a)
	assert.Equal(t, sr.Digest, a.ReportDigest)
	assert.Equal(t, sr.MapDigest, a.MapDigest)

	full, err := m.Load(ctx)
	require.NoError(t, err, "approved: the run proceeds")
	assert.Positive(t, full.Totals().Written)
	skipped, err := e.ledger.SampleSkipped(ctx, full.Run)
	require.NoError(t, err)
	assert.False(t, skipped)

	// A map edit invalidates the approval.
	e.m.Description += " (edited after the sample)"
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)))
	m2 := e.migration(gated)
	_, err = m2.Load(ctx)
	require.ErrorIs(t, err, pbnhl.ErrSampleNotApproved)
	assert.Contains(t, err.Error(), "changed since")
	// ... and the old report cannot be approved for the new map.
	_, err = m2.ApproveSample(ctx, sr, pbnhl.ApproveSampleOptions{Actor: "reviewer"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "run the sample again")

	// SkipSample proceeds, and the run says so in the ledger.
	rep2, err := e.migration(func(o *pbnhl.Options) { gated(o); o.SkipSample = true }).Load(ctx)
	require.NoError(t, err)
	skipped, err = e.ledger.SampleSkipped(ctx, rep2.Run)
	require.NoError(t, err)
	assert.True(t, skipped)
}

// TestApproveSampleRefuses: a sample with differences needs
// AcceptDifferences, an edited report is refused, and a sample that
// compared nothing cannot be approved.
func TestApproveSampleRefuses(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(24)})
	ctx := context.Background()
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	rep, err := m.Sample(ctx, pbnhl.SampleOptions{Patients: 4})
	require.NoError(t, err)
	good := *rep.Sample

	tampered := good
	tampered.Diff = &reconcile.SampleDiff{}
	*tampered.Diff = *good.Diff
	tampered.Diff.Matched++
	_, err = m.ApproveSample(ctx, &tampered, pbnhl.ApproveSampleOptions{Actor: "reviewer"})
	assert.ErrorIs(t, err, pbnhl.ErrSampleReport)

	empty := good
	empty.Diff = &reconcile.SampleDiff{}
	empty.Digest, err = empty.ComputeDigest()
	require.NoError(t, err)
	_, err = m.ApproveSample(ctx, &empty, pbnhl.ApproveSampleOptions{Actor: "reviewer"})
	assert.ErrorContains(t, err, "compared no record")

	_, id := firstContact(t, e)
	_, err = e.client.Contacts.Update(ctx, id, highlevel.ContactUpdate{City: new("Elsewhere")})
	require.NoError(t, err)
	rep, err = m.Sample(ctx, pbnhl.SampleOptions{Patients: 4})
	require.NoError(t, err)
	_, err = m.ApproveSample(ctx, rep.Sample, pbnhl.ApproveSampleOptions{Actor: "reviewer"})
	assert.ErrorContains(t, err, "1 differing")
	a, err := e.ledger.SampleApproval(ctx)
	require.NoError(t, err)
	assert.Nil(t, a, "nothing refused was stamped")
	got, err := m.ApproveSample(ctx, rep.Sample, pbnhl.ApproveSampleOptions{Actor: "reviewer", AcceptDifferences: true})
	require.NoError(t, err)
	assert.Equal(t, "reviewer", got.Actor)
	js, err := json.Marshal(got)
	require.NoError(t, err)
	assert.Contains(t, string(js), rep.Sample.Digest)
}

// BenchmarkSampleDiff reports the reads the sample diff spends per sampled
// record (issue 14: at most 1.1).
func BenchmarkSampleDiff(b *testing.B) {
	e := newEnv(b, envOptions{patients: 60})
	ctx := context.Background()
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(b, err)
	rep, err := m.Sample(ctx, pbnhl.SampleOptions{})
	require.NoError(b, err)
	b.ResetTimer()
	var d *reconcile.SampleDiff
	for b.Loop() {
		again, err := m.Sample(ctx, pbnhl.SampleOptions{}) // writes nothing new: the diff is the work
		require.NoError(b, err)
		d = again.Sample.Diff
	}
	require.Equal(b, rep.Sample.Diff.Records, d.Records)
	b.ReportMetric(d.ReadsPerRecord(), "reads/sampled-record")
	b.ReportMetric(float64(d.Records), "records")
}
