package reconcile_test

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/internal/golden"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

// evidenceReport is a report with every section filled: a header, a count
// explained by kept and deleted records, a mismatch, a duplicate, an
// orphan, field differences and population.
func evidenceReport() *reconcile.Report {
	at := time.Date(2026, 12, 4, 17, 5, 0, 0, time.UTC)
	return &reconcile.Report{
		Practice:   "Maple Street Dental",
		LocationID: "loc_1234567890",
		MapDigest:  "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		Runs: []reconcile.RunChecked{
			{ID: 1, Kind: "schema", Status: "succeeded", MapDigest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", StartedAt: at.Add(-3 * time.Hour), FinishedAt: at.Add(-3*time.Hour + time.Minute)},
			{ID: 2, Kind: "full", Status: "succeeded", MapDigest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", StartedAt: at.Add(-2 * time.Hour), FinishedAt: at.Add(-90 * time.Minute)},
			{ID: 3, Kind: "delta", Status: "succeeded", MapDigest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", StartedAt: at.Add(-10 * time.Minute), FinishedAt: at.Add(-8 * time.Minute)},
		},
		CheckedAt: at,
		Counts: []reconcile.Count{
			{ObjectType: "business", Source: 2, Ledger: 2, HighLevel: 2, HighLevelBy: "listing"},
			{ObjectType: "contact", Source: 40, Ledger: 40, HighLevel: 41, HighLevelBy: "search total"},
			{ObjectType: "custom_objects.pbn_appointment", Source: 118, Rejected: 1, Kept: 3, Ledger: 120, HighLevel: 120, HighLevelBy: "search total",
				RejectedKeys: []string{"5007"}, KeptKeys: []string{"5011", "5032", "5090"}},
			{ObjectType: "custom_objects.pbn_insurance", Source: 30, Deleted: 2, Ledger: 30, HighLevel: 30, HighLevelBy: "search total", DeletedKeys: []string{"7001", "7019"}},
			{ObjectType: "opportunity", Source: 12, Ledger: 12, HighLevel: 12, HighLevelBy: "search total"},
		},
		Integrity: []reconcile.Integrity{{Check: "contacts linked to their office's business", Expected: 40, Found: 39,
			Orphans: []reconcile.Orphan{{ObjectType: "contact", SourceKey: "1012", HighLevelID: "hlC1012", Reason: "not linked to its office's business"}}},
			{Check: "custom records related to their contact (sampled 1 of 40 contacts)", Expected: 4, Found: 4, Calls: 1, Sampled: 1, SampledOf: 40}},
		Sample: reconcile.Diff{Records: 20, Fields: 240, Calls: 20, RecordsRead: 20},
		Buckets: &reconcile.Diff{Records: 40, Fields: 48, Calls: 7, RecordsRead: 9, Buckets: 5, Differences: []reconcile.Difference{
			{ObjectType: "contact", SourceKey: "1017", HighLevelID: "hlC1017", Kind: reconcile.KindField, Field: "city"},
			{ObjectType: "contact", SourceKey: "1021", HighLevelID: "hlCcopy", Kind: reconcile.KindExtra},
		}},
		Records:           &reconcile.Diff{Records: 60, Fields: 720, RecordsRead: 60, Sampled: 60, SampledOf: 150},
		Duplicates:        []reconcile.Duplicate{{ObjectType: "contact", SourceKey: "1021", HighLevelIDs: []string{"hlC1021", "hlCcopy"}}},
		DuplicatesChecked: []string{"contact", "custom_objects.pbn_appointment", "custom_objects.pbn_insurance", "opportunity"},
		Population: []reconcile.Population{
			{ObjectType: "contact", Field: "email", Records: 40, Sent: 36, Stored: 36, StoredOf: 40, StoredBy: "search total"},
			{ObjectType: "contact", Field: "customFields.contact.pbn_patient_id", Records: 40, Sent: 40, Stored: 40, StoredOf: 40, StoredBy: "search total"},
			{ObjectType: "custom_objects.pbn_appointment", Field: "status", Records: 120, Sent: 117, Stored: 19, StoredOf: 20, StoredBy: "random page read", SentRead: 20},
			{ObjectType: "opportunity", Field: "monetaryValue", Records: 12, Sent: 12, Stored: 0, StoredOf: -1},
		},
		Calls:             41,
		Differences:       4,
		LedgerDifferences: 4,
		SourceCompared:    true,
	}
}

// The HTML report as evidence: its golden file, the header, three charts
// as inline SVG with a size, the kept and deleted columns and the keys
// behind every difference, and nothing fetched from anywhere.
func TestHTMLReport(t *testing.T) {
	rep := evidenceReport()
	var b bytes.Buffer
	require.NoError(t, rep.WriteHTML(&b))
	golden.Assert(t, filepath.Join("testdata", "report.html"), b.Bytes())
	s := b.String()

	for _, want := range []string{
		"Maple Street Dental", "loc_1234567890", "sha256:0123456789ab", "2026-12-04 17:05 UTC",
		"3 (#1 schema, #2 full, #3 delta)",
		// The verdict, in one sentence.
		"HighLevel does not match the ledger (4 difference(s)); 1 external id(s) held twice; 3 records deleted in the source were kept in HighLevel.",
		// Kept and deleted: the count agrees and says why.
		"ok: 3 kept after their source deletion", "ok: 2 deleted with the source",
		"mismatch: HighLevel holds 41, the ledger 40",
		// The keys behind the numbers.
		"5011, 5032, 5090", "7001, 7019", "5007", "hlC1021, hlCcopy",
	} {
		assert.Contains(t, s, want)
	}
	for _, id := range []string{"chart-counts", "chart-population", "chart-differences"} {
		m := regexp.MustCompile(`<svg class="chart" id="` + id + `" width="(\d+)" height="(\d+)"`).FindStringSubmatch(s)
		require.NotNil(t, m, id)
		w, _ := strconv.Atoi(m[1])
		h, _ := strconv.Atoi(m[2])
		assert.Positive(t, w, id)
		assert.Greater(t, h, 30, id)
	}
	// Self-contained: no script, no stylesheet, font, image or frame
	// fetched, no address at all.
	for _, banned := range []string{"<script", "<link", "<img", "<iframe", "@import", "url(", "http://", "https://", "//cdn"} {
		assert.NotContains(t, s, banned)
	}
}

// A report with nothing to chart still draws its charts (a sentence in
// place of bars), so the page never has an empty figure.
func TestHTMLReportEmpty(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, (&reconcile.Report{}).WriteHTML(&b))
	s := b.String()
	assert.Contains(t, s, "The ledger holds no record.")
	assert.Contains(t, s, "No mapped body to measure.")
	assert.Contains(t, s, "No difference found.")
	assert.Contains(t, s, "not given")
}

// After a delta the counts say why they agree: with the default policy the
// source's deleted records stay in HighLevel — given as Options.Kept they
// are the kept column, with their keys, and the count is ok; without it
// the count is a mismatch that names the numbers. With DeleteDeleted the
// journal's deletes are the deleted column, with their keys.
func TestDeltaKeptAndDeletedAreExplained(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const appt = "custom_objects.pbn_appointment"
	for _, policy := range []pbnhl.DeletionPolicy{pbnhl.KeepDeleted, pbnhl.DeleteDeleted} {
		e := migrated(t, 20)
		changes := e.ps.MutateWith(pbntest.MutateOptions{Delete: 12})
		var keys []string
		for _, id := range changes.Deleted[pbn.EntityAppointments] {
			if _, ok, err := e.ledger.Lookup(ctx, appt, string(id)); err == nil && ok {
				keys = append(keys, string(id))
			}
		}
		require.NotEmpty(t, keys, "the mutation deletes migrated appointments")
		o := e.opts
		o.Deletions = policy
		mig, err := pbnhl.New(o)
		require.NoError(t, err)
		_, err = mig.Delta(ctx)
		require.NoError(t, err)
		pre, err := mig.Preflight(ctx)
		require.NoError(t, err)
		e.source = reconcile.SourceCounts(o.Map, pre.Validation)

		count := func(rep *reconcile.Report) reconcile.Count {
			for _, c := range rep.Counts {
				if c.ObjectType == appt {
					return c
				}
			}
			t.Fatalf("no count of %s", appt)
			return reconcile.Count{}
		}
		if policy == pbnhl.KeepDeleted {
			bare := count(e.run(t, reconcile.Options{Sample: -1}))
			assert.False(t, bare.OK(), "the ledger holds records the source no longer has")
			assert.Contains(t, bare.Status(), "the ledger holds")

			rep := e.run(t, reconcile.Options{Sample: -1, Kept: map[string][]string{appt: append(keys, "no-such-key")}})
			c := count(rep)
			assert.True(t, c.OK(), c.Status())
			assert.Equal(t, len(keys), c.Kept)
			assert.ElementsMatch(t, keys, c.KeptKeys, "keys the ledger does not map are ignored")
			assert.Equal(t, "ok: "+strconv.Itoa(len(keys))+" kept after their source deletion", c.Status())
			var page bytes.Buffer
			require.NoError(t, rep.WriteHTML(&page))
			assert.Contains(t, page.String(), "kept after their source deletion")
			for _, k := range keys {
				assert.Contains(t, page.String(), k)
			}
			continue
		}
		rep := e.run(t, reconcile.Options{Sample: -1, Full: true})
		c := count(rep)
		var txt bytes.Buffer
		require.NoError(t, rep.WriteText(&txt))
		assert.True(t, c.OK(), txt.String())
		assert.Equal(t, c.Ledger, c.HighLevel)
		assert.ElementsMatch(t, keys, c.DeletedKeys, txt.String())
		assert.Equal(t, len(keys), c.Deleted)
		assert.Contains(t, txt.String(), "deleted: "+strings.Join(c.DeletedKeys, ", "))
		assert.Empty(t, rep.Duplicates)
	}
}

// The header is filled from what reconcile knows: the client's location,
// the ledger's runs and their map digest, the time of the check.
func TestHeaderFromTheLedger(t *testing.T) {
	t.Parallel()
	e := migrated(t, 10)
	at := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)
	rep := e.run(t, reconcile.Options{Sample: -1, Practice: "Maple Street Dental", Now: func() time.Time { return at }})
	assert.Equal(t, "Maple Street Dental", rep.Practice)
	assert.Equal(t, e.hl.LocationID(), rep.LocationID)
	assert.Equal(t, at, rep.CheckedAt)
	runs, err := e.ledger.Runs(context.Background())
	require.NoError(t, err)
	require.Len(t, rep.Runs, len(runs))
	kinds := map[string]bool{}
	for _, r := range rep.Runs {
		kinds[r.Kind] = true
	}
	assert.True(t, kinds[string(rollback.KindFull)], "the full run is listed: %v", rep.Runs)
	digest, err := e.opts.Map.Digest()
	require.NoError(t, err)
	assert.Equal(t, digest, rep.MapDigest)
	var txt bytes.Buffer
	require.NoError(t, rep.WriteText(&txt))
	assert.Contains(t, txt.String(), "practice Maple Street Dental; location "+rep.LocationID)
}
