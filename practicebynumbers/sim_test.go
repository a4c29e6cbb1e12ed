package practicebynumbers_test

import (
	"bytes"
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// dataset is everything a Source yields, keyed by entity ("deletions" for
// the deletions feed).
type dataset map[pbn.Entity][]any

func drain[T any](t testing.TB, seq func(func(T, error) bool)) []any {
	t.Helper()
	var out []any
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

func readSource(t testing.TB, src pbn.Source, opts pbn.ListOptions) dataset {
	t.Helper()
	ctx := context.Background()
	return dataset{
		pbn.EntityOffices:           drain(t, src.Offices(ctx, opts)),
		pbn.EntityStaff:             drain(t, src.Staff(ctx, opts)),
		pbn.EntityCustomProperties:  drain(t, src.CustomProperties(ctx, opts)),
		pbn.EntityCohorts:           drain(t, src.Cohorts(ctx, opts)),
		pbn.EntityPatients:          drain(t, src.Patients(ctx, opts)),
		pbn.EntityInsuranceCarriers: drain(t, src.InsuranceCarriers(ctx, opts)),
		pbn.EntityCoverages:         drain(t, src.Coverages(ctx, opts)),
		pbn.EntityAppointments:      drain(t, src.Appointments(ctx, opts)),
		pbn.EntityProcedures:        drain(t, src.Procedures(ctx, opts)),
		pbn.EntityTreatmentPlans:    drain(t, src.TreatmentPlans(ctx, opts)),
		pbn.EntityCommunications:    drain(t, src.Communications(ctx, opts)),
		pbn.EntityFormSubmissions:   drain(t, src.FormSubmissions(ctx, opts)),
		pbn.EntityDocuments:         drain(t, src.Documents(ctx, opts)),
		pbn.EntityKPIDefinitions:    drain(t, src.KPIDefinitions(ctx, opts)),
		pbn.EntityKPIValues:         drain(t, src.KPIValues(ctx, opts)),
		pbn.EntityAutomations:       drain(t, src.Automations(ctx, opts)),
		"deletions":                 drain(t, src.Deletions(ctx, opts)),
	}
}

// ids returns the id of every record (deletions: "entity/id" is not needed,
// callers filter by entity first).
func ids(recs []any) []pbn.Key {
	out := make([]pbn.Key, 0, len(recs))
	for _, r := range recs {
		switch v := r.(type) {
		case pbn.Office:
			out = append(out, v.ID)
		case pbn.Staff:
			out = append(out, v.ID)
		case pbn.CustomPropertyDefinition:
			out = append(out, v.ID)
		case pbn.Cohort:
			out = append(out, v.ID)
		case pbn.Patient:
			out = append(out, v.ID)
		case pbn.InsuranceCarrier:
			out = append(out, v.ID)
		case pbn.Coverage:
			out = append(out, v.ID)
		case pbn.Appointment:
			out = append(out, v.ID)
		case pbn.Procedure:
			out = append(out, v.ID)
		case pbn.TreatmentPlan:
			out = append(out, v.ID)
		case pbn.Communication:
			out = append(out, v.ID)
		case pbn.FormSubmission:
			out = append(out, v.ID)
		case pbn.Document:
			out = append(out, v.ID)
		case pbn.KPIDefinition:
			out = append(out, v.ID)
		case pbn.KPIValue:
			out = append(out, v.ID)
		case pbn.Automation:
			out = append(out, v.ID)
		}
	}
	slices.SortFunc(out, pbn.CompareKeys)
	return out
}

// newSim serves a generated practice whose clock starts a day after the
// practice's AsOf (a practice exported yesterday, migrated today), so that
// every generated change stamp precedes the first watermark.
func newSim(t testing.TB, patients int) *pbntest.Server {
	t.Helper()
	p, err := pbntest.NewPractice(42, patients)
	require.NoError(t, err)
	start, base := time.Now(), p.AsOf().Add(24*time.Hour)
	srv, err := pbntest.NewServer(pbntest.Options{Practice: p,
		Now: func() time.Time { return base.Add(time.Since(start)) }})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv
}

func newSimClient(t testing.TB, srv *pbntest.Server) *pbn.Client {
	t.Helper()
	c, err := pbn.NewClient(pbn.Options{BaseURL: srv.URL, Token: srv.Token(), RateLimit: -1})
	require.NoError(t, err)
	return c
}

// TestClientAndReaderAgree: for the same dataset (the simulator after a
// mutation, and the export of that state, written in its messiest form),
// the REST client and the CSV reader yield identical records, documents
// and inventories.
func TestClientAndReaderAgree(t *testing.T) {
	ctx := context.Background()
	srv := newSim(t, 120)
	srv.Mutate(20) // deletions and changes in both forms
	c := newSimClient(t, srv)

	dir := t.TempDir()
	_, err := srv.WriteExport(ctx, dir, pbntest.ExportOptions{BOM: true, CRLF: true, HumanHeaders: true,
		ShuffleColumns: true, Documents: true})
	require.NoError(t, err)
	r, err := pbn.OpenExport(dir, pbn.ExportOptions{})
	require.NoError(t, err)

	fromAPI := readSource(t, c, pbn.ListOptions{})
	fromCSV := readSource(t, r, pbn.ListOptions{})
	for _, e := range pbn.Entities() {
		require.NotEmpty(t, fromAPI[e], "entity %s", e)
		assert.Equal(t, fromAPI[e], fromCSV[e], "entity %s", e)
	}
	assert.NotEmpty(t, fromAPI["deletions"])
	assert.Equal(t, fromAPI["deletions"], fromCSV["deletions"])

	invAPI, err := c.Inventory(ctx)
	require.NoError(t, err)
	invCSV, err := r.Inventory(ctx)
	require.NoError(t, err)
	assert.Equal(t, invAPI.Counts, invCSV.Counts)
	assert.Equal(t, invAPI.CustomProperties, invCSV.CustomProperties)
	for _, e := range pbn.Entities() {
		assert.Equal(t, int64(len(fromAPI[e])), invAPI.Counts[e], "inventory count of %s", e)
	}

	docs := fromAPI[pbn.EntityDocuments]
	for _, d := range docs[:min(5, len(docs))] {
		doc := d.(pbn.Document)
		a, err := c.OpenDocument(ctx, doc.ID)
		require.NoError(t, err)
		b, err := r.OpenDocument(ctx, doc.ID)
		require.NoError(t, err)
		ab, err := io.ReadAll(a)
		require.NoError(t, err)
		bb, err := io.ReadAll(b)
		require.NoError(t, err)
		require.NoError(t, a.Close())
		require.NoError(t, b.Close())
		assert.True(t, bytes.Equal(ab, bb), "document %d", doc.ID)
		assert.Equal(t, doc.Size, int64(len(ab)), "document %d size", doc.ID)
	}

	one, err := pbn.Get[pbn.Patient](ctx, c, "7")
	require.NoError(t, err)
	for _, p := range fromCSV[pbn.EntityPatients] {
		if p.(pbn.Patient).ID == "7" {
			assert.Equal(t, p, any(one))
		}
	}
}

// TestDeltaIsExactlyTheChangedSet: after a full read, a mutation, and a
// delta from the watermark, the client returns exactly the records the
// simulator changed (updated, created and touched) and the deletions feed
// exactly the deleted ones; the reader over an export of the new state
// agrees.
func TestDeltaIsExactlyTheChangedSet(t *testing.T) {
	ctx := context.Background()
	srv := newSim(t, 150)
	c := newSimClient(t, srv)

	inv, err := c.Inventory(ctx)
	require.NoError(t, err)
	watermark := inv.ServerTime
	require.False(t, watermark.IsZero())

	ch := srv.MutateWith(pbntest.MutateOptions{Update: 40, Create: 12, Delete: 8, Touch: 6})
	require.Positive(t, ch.Count())

	since := pbn.ListOptions{UpdatedSince: watermark}
	delta := readSource(t, c, since)
	total := 0
	for _, e := range pbn.Entities() {
		want := ch.Changed(e)
		if want == nil {
			want = []pbn.Key{}
		}
		assert.Equal(t, want, ids(delta[e]), "delta of %s", e)
		total += len(want)
	}
	require.Positive(t, total)

	wantDel := map[pbn.Entity][]pbn.Key{}
	for e, ids := range ch.Deleted {
		wantDel[e] = slices.SortedFunc(slices.Values(ids), pbn.CompareKeys)
	}
	gotDel := map[pbn.Entity][]pbn.Key{}
	for _, d := range delta["deletions"] {
		del := d.(pbn.Deletion)
		gotDel[del.Entity] = append(gotDel[del.Entity], del.ID)
		assert.Equal(t, ch.At, del.DeletedAt)
	}
	for e := range gotDel {
		slices.SortFunc(gotDel[e], pbn.CompareKeys)
	}
	assert.Equal(t, wantDel, gotDel)

	// The same delta through the CSV path.
	dir := t.TempDir()
	_, err = srv.WriteExport(ctx, dir, pbntest.ExportOptions{})
	require.NoError(t, err)
	r, err := pbn.OpenExport(dir, pbn.ExportOptions{})
	require.NoError(t, err)
	fromCSV := readSource(t, r, since)
	for _, e := range pbn.Entities() {
		assert.Equal(t, delta[e], fromCSV[e], "CSV delta of %s", e)
	}
	assert.Equal(t, delta["deletions"], fromCSV["deletions"])

	// A second delta from a watermark after the mutation is empty.
	inv2, err := c.Inventory(ctx)
	require.NoError(t, err)
	again := readSource(t, c, pbn.ListOptions{UpdatedSince: inv2.ServerTime})
	for e, recs := range again {
		assert.Empty(t, recs, "nothing changed since the second watermark: %s", e)
	}
}

// TestClientSurvivesFaults reads everything through seeded 5xx and 429
// faults and gets the same data as without them.
func TestClientSurvivesFaults(t *testing.T) {
	clean := newSim(t, 40)
	faulty, err := pbntest.NewServer(pbntest.Options{Seed: 42, Patients: 40, Faults: pbntest.Faults{
		ServerErrors: 0.2, TooManyRequests: 0.1, RetryAfter: time.Second}})
	require.NoError(t, err)
	t.Cleanup(faulty.Close)
	c, err := pbn.NewClient(pbn.Options{BaseURL: faulty.URL, Token: faulty.Token(), RateLimit: -1,
		MaxAttempts: 12, BreakerFailures: 50, PageSize: 200, RetryBaseDelay: time.Millisecond})
	require.NoError(t, err)
	want := readSource(t, newSimClient(t, clean), pbn.ListOptions{})
	got := readSource(t, c, pbn.ListOptions{})
	assert.Equal(t, want, got)
	_, byStatus := faulty.Requests()
	assert.Positive(t, byStatus[429], "faults were injected")
}
