package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

// testConfig is a small, fast demo: the window is compressed far enough
// that the limiter never sets the pace of a test.
func testConfig(t *testing.T, args ...string) config {
	t.Helper()
	cfg, err := parseFlags(append([]string{"-out", t.TempDir()}, args...), &bytes.Buffer{})
	require.NoError(t, err)
	return cfg
}

// checkOutcome asserts what the demo promises: the counts agree, nothing was
// rejected, the delta wrote the changes, and after undo the location holds
// only what HighLevel's API cannot delete.
func checkOutcome(t *testing.T, res *result, out string) {
	t.Helper()
	for _, rep := range []*reconcile.Report{res.AfterRun, res.AfterDelta} {
		require.NotNil(t, rep)
		require.NotEmpty(t, rep.Counts)
		assert.True(t, rep.LedgerMatches(), rep.Verdict)
		assert.Zero(t, rep.Differences, rep.Verdict)
		for _, c := range rep.Counts {
			assert.True(t, c.OK(), "%s: %s", c.ObjectType, c.Status())
			assert.Positive(t, c.HighLevel, "%s: the practice has some of every kind", c.ObjectType)
		}
		require.NotNil(t, rep.Buckets, "every contact compared")
		assert.Positive(t, rep.Buckets.Records)
	}
	require.NotNil(t, res.Run)
	assert.Zero(t, res.Run.Totals().Rejected, "no record is refused by HighLevel with the default map")
	require.NotNil(t, res.Delta)
	assert.Positive(t, res.Changes.Count())
	assert.Positive(t, res.Delta.Totals().Written, "the delta writes what changed")

	require.NotNil(t, res.Undo)
	assert.Zero(t, res.Undo.Count(rollback.StateFailed)+res.Undo.Count(rollback.StateRefused)+res.Undo.Count(rollback.StateUnresolved))
	for _, k := range []hltest.Kind{hltest.KindContact, hltest.KindBusiness, hltest.KindRecord, hltest.KindRelation, hltest.KindOpportunity,
		hltest.KindNote, hltest.KindTask, hltest.KindAssociation, hltest.KindMedia} {
		assert.Zero(t, res.AfterUndo[k], "%s left after undo", k)
	}
	assert.NotEmpty(t, res.Irreversible, "custom object schemas and pipelines are reported, not silently kept")

	for _, want := range []string{"== 1. The practice", "Auto-approved, because this is a demo", "Schema verified", "== 7. Full run",
		"Every record the map sends is in HighLevel exactly once", "the location is back to where it started"} {
		assert.Contains(t, out, want)
	}
}

// small is a test practice's size: smaller under -short, which CI runs with
// the race detector (several times slower).
func small(normal int) string {
	if testing.Short() {
		return strconv.Itoa(max(10, normal/3))
	}
	return strconv.Itoa(normal)
}

func TestDemoSmall(t *testing.T) {
	cfg := testConfig(t, "-patients", small(60), "-sample", "5", "-speedup", "2000", "-seed", "7")
	// What a previous demo or someone else left: a 0644 export and a link
	// to a file elsewhere. Both end as owner-only files of their own.
	require.NoError(t, os.WriteFile(filepath.Join(cfg.outDir, "problems.csv"), []byte("old\n"), 0o644))
	require.NoError(t, os.Chmod(filepath.Join(cfg.outDir, "problems.csv"), 0o644))
	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, []byte("victim\n"), 0o644))
	require.NoError(t, os.Symlink(victim, filepath.Join(cfg.outDir, "audit.jsonl")))
	var out bytes.Buffer
	res, err := run(context.Background(), cfg, &out)
	require.NoError(t, err, out.String())
	checkOutcome(t, res, out.String())
	checkLinks(t, res)
	for _, want := range []string{"cohorts → contact tags", "staff named on 3 provider/hygienist fields", "go in pbn_other_offices",
		"Links, read back through the HighLevel client"} {
		assert.Contains(t, out.String(), want)
	}
	require.NotNil(t, res.SampleDiff)
	assert.Positive(t, res.SampleDiff.Fields)
	assert.Equal(t, reconciled(res.Sample.Written), res.SampleDiff.Records, "every sampled record read back")
	assert.Empty(t, res.SampleDiff.Differences, "every field of the sample arrives as sent")
	for _, f := range []string{"proposed-map.yaml", "proposed-review.md", "approved-map.yaml", "approved-review.md", "problems.csv", "audit.jsonl"} {
		st, err := os.Lstat(cfg.outDir + "/" + f)
		if assert.NoError(t, err, f) {
			assert.Positive(t, st.Size(), f)
			assert.True(t, st.Mode().IsRegular(), "%s is a file, not a link", f)
			assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "%s is owner-only", f)
		}
	}
	b, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "victim\n", string(b), "the link at audit.jsonl was replaced, not written through")
	t.Logf("%d patients: %s, %d calls", cfg.patients, res.Wall.Round(time.Millisecond), res.Calls)
}

// TestDemoNoPHI checks the printed output against the practice's own
// identifying values: none may appear.
func TestDemoNoPHI(t *testing.T) {
	// Without -out: a new private directory under $TMPDIR, not a fixed,
	// shared name.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	cfg, err := parseFlags([]string{"-patients", small(30), "-sample", "3", "-speedup", "2000", "-seed", "11"}, &bytes.Buffer{})
	require.NoError(t, err)
	var out bytes.Buffer
	_, err = run(context.Background(), cfg, &out)
	require.NoError(t, err, out.String())
	dirs, err := filepath.Glob(filepath.Join(tmp, "pbnhl-demo-*"))
	require.NoError(t, err)
	require.Len(t, dirs, 1, "the output directory is kept; the ledger's is removed")
	st, err := os.Stat(dirs[0])
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm(), "the output directory is private")
	assert.Contains(t, out.String(), "Files in "+dirs[0])
	checked := 0
	for ch := range mustPractice(t, 11, cfg.patients).Charts() {
		p := ch.Patient
		for _, v := range []string{p.Email, p.LastName, p.MobilePhone, p.HomePhone, p.Address.Line1} {
			if v = strings.TrimSpace(v); len(v) >= 5 {
				assert.NotContains(t, out.String(), v)
				checked++
			}
		}
	}
	assert.Positive(t, checked)
}

// TestDemoProposedMap runs the proposer's raw draft: whatever it gets wrong
// must show as invalid or rejected records with the counts still agreeing,
// and the undo must still leave nothing behind.
func TestDemoProposedMap(t *testing.T) {
	cfg := testConfig(t, "-patients", small(30), "-sample", "3", "-speedup", "2000", "-seed", "5", "-map", "proposed")
	var out bytes.Buffer
	res, err := run(context.Background(), cfg, &out)
	require.NoError(t, err, out.String())
	for _, rep := range []*reconcile.Report{res.AfterRun, res.AfterDelta} {
		require.NotNil(t, rep)
		assert.True(t, rep.LedgerMatches(), rep.Verdict)
		for _, c := range rep.Counts {
			assert.True(t, c.OK(), "%s: %s", c.ObjectType, c.Status())
		}
	}
	assert.Contains(t, out.String(), "This demo runs the raw draft")
	for _, k := range []hltest.Kind{hltest.KindContact, hltest.KindRecord, hltest.KindRelation, hltest.KindNote} {
		assert.Zero(t, res.AfterUndo[k], "%s left after undo", k)
	}
}

func TestDemoDefaultSize(t *testing.T) {
	if testing.Short() || os.Getenv("DEMO_FULL") == "" {
		t.Skip("the default 2,000-patient demo takes a minute or more: set DEMO_FULL=1 without -short")
	}
	cfg := testConfig(t)
	var out bytes.Buffer
	res, err := run(context.Background(), cfg, &out)
	require.NoError(t, err, out.String())
	checkOutcome(t, res, out.String())
	t.Logf("default size: %s, %d calls, %d answered 429", res.Wall.Round(time.Second), res.Calls, res.Throttled)
}

func TestDemoInterrupted(t *testing.T) {
	cfg := testConfig(t, "-patients", "20", "-speedup", "2000")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := run(ctx, cfg, &bytes.Buffer{})
	require.ErrorIs(t, err, context.Canceled)
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags(nil, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, defaultPatients, cfg.patients)
	assert.Equal(t, defaultConcurrency, cfg.concurrency)
	assert.Equal(t, float64(defaultSpeedup), cfg.speedup)
	assert.Equal(t, defaultPatients/20, cfg.changes, "about 5% of patients change before the delta")

	cfg, err = parseFlags([]string{"-real-limits"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, 1.0, cfg.speedup)

	for _, args := range [][]string{{"-patients", "0"}, {"-speedup", "0.5"}, {"-real-limits", "-speedup", "10"}, {"-changes", "-1"},
		{"-sample", "-2"}, {"-concurrency", "0"}, {"-map", " "}, {"extra"}, {"-nope"}} {
		_, err := parseFlags(args, &bytes.Buffer{})
		assert.Error(t, err, "%q", args)
	}

	var help bytes.Buffer
	_, err = parseFlags([]string{"-h"}, &help)
	require.Error(t, err)
	for _, f := range []string{"-patients", "-seed", "-real-limits", "-speedup", "-ledger", "-map", "-sample", "-changes", "-out"} {
		assert.Contains(t, help.String(), f)
	}
}

func mustPractice(t *testing.T, seed int64, patients int) *pbntest.Practice {
	t.Helper()
	p, err := pbntest.NewPractice(seed, patients)
	require.NoError(t, err)
	return p
}

// reconciled counts the written records a reconcile reads back:
// contacts, businesses, custom object records and opportunities (not
// links, notes or tasks).
func reconciled(ws []pbnhl.Written) int {
	n := 0
	for _, w := range ws {
		switch {
		case w.ObjectType == rollback.TypeContact, w.ObjectType == rollback.TypeBusiness, w.ObjectType == rollback.TypeOpportunity,
			strings.HasPrefix(w.ObjectType, rollback.RecordTypePrefix):
			n++
		}
	}
	return n
}

// BenchmarkDemo runs the whole demo at 100 patients and the default
// compressed limit: HighLevel calls per patient (load, delta and undo
// together), patients per second, and how full the full run kept the
// limiter.
func BenchmarkDemo(b *testing.B) {
	for b.Loop() {
		cfg, err := parseFlags([]string{"-patients", "100", "-out", b.TempDir()}, &bytes.Buffer{})
		require.NoError(b, err)
		res, err := run(context.Background(), cfg, io.Discard)
		require.NoError(b, err)
		window := time.Duration(float64(realWindow) / cfg.speedup)
		admitted := float64(realLimit) * (math.Floor(float64(res.Run.Duration)/float64(window)) + 1)
		b.ReportMetric(float64(res.Calls)/float64(cfg.patients), "calls/patient")
		var written int64 // records of objects that make calls (not the folded JSON fields)
		for _, o := range res.Run.Objects {
			if o.Calls > 0 && o.Object != "business_links" {
				written += o.Written
			}
		}
		b.ReportMetric(float64(res.Run.Calls)/float64(written), "run-calls/record")
		b.ReportMetric(float64(cfg.patients)/res.Wall.Seconds(), "patients/s")
		b.ReportMetric(100*float64(res.Run.Calls)/admitted, "run-limiter-%")
		b.ReportMetric(float64(res.Throttled), "429s")
	}
}

// checkLinks (issue 16.5): what the demo read back through the HighLevel
// client after the delta is the practice's links, compared with the source
// as the PbN client read it then: every migrated patient's contact carries
// exactly its cohorts' tags and, in pbn_other_offices, exactly the other
// offices of its completed visits (some patients were seen elsewhere by
// the delta's changes); every provider/hygienist id on an appointment or
// treatment record has the staff member's name beside it.
func checkLinks(t *testing.T, res *result) {
	t.Helper()
	l, p := res.Links, res.Practice
	require.NotNil(t, l, "the demo read the links back")
	require.NotNil(t, p)
	require.NotEmpty(t, l.Patients)
	// The tables the map was drafted with (the practice's lists).
	tagOf := map[string]string{}
	for _, c := range p.Cohorts() {
		tagOf[string(c.ID)] = mapping.CohortTag(c)
	}
	officeName := map[string]string{}
	for _, o := range p.Offices() {
		officeName[string(o.ID)] = mapping.OfficeName(o)
	}
	migrated := map[string]bool{}
	compared, tagged := 0, 0
	for pid, pt := range l.Patients {
		got, ok := l.Tags[pid]
		if pt.Deleted || !ok {
			continue // not migrated (filtered, or invalid and listed)
		}
		migrated[pid] = true
		var want []string
		for _, id := range pt.Cohorts {
			if tag, ok := tagOf[id]; ok { // a cohort made after the draft: left off with a warning
				want = append(want, tag)
			}
		}
		assert.ElementsMatch(t, want, got, "patient %s's contact carries exactly its cohorts' tags", pid)
		compared++
		if len(got) > 0 {
			tagged++
		}
	}
	assert.Greater(t, compared, len(l.Patients)*8/10, "most patients compared")
	assert.Positive(t, tagged, "some contacts carry cohort tags")

	others := map[string][]string{}
	for _, v := range l.Visits {
		if !migrated[v.Patient] || v.Office == "" || v.Office == l.Patients[v.Patient].Office {
			continue
		}
		n := officeName[v.Office]
		require.NotEmpty(t, n, "office %s is one of the practice's", v.Office)
		if !slices.Contains(others[v.Patient], n) {
			others[v.Patient] = append(others[v.Patient], n)
		}
	}
	for pid := range migrated {
		assert.ElementsMatch(t, others[pid], l.OtherOffices[pid], "patient %s: the other offices it was seen at", pid)
	}
	assert.NotEmpty(t, others, "the delta moved some visits to another office")

	staff := map[string]string{}
	for _, s := range p.Staff() {
		staff[string(s.ID)] = mapping.StaffName(s)
	}
	for _, typ := range []string{"custom_objects.pbn_appointment", "custom_objects.pbn_treatment"} {
		refs := l.Staff[typ]
		assert.NotEmpty(t, refs, "%s records name their staff", typ)
		for _, r := range refs {
			require.Contains(t, staff, r.ID, "%s %s: %s is a staff member's id", typ, r.Record, r.Field)
			assert.Equal(t, staff[r.ID], r.Name, "%s %s: %s names the person", typ, r.Record, r.Field)
		}
	}
}
