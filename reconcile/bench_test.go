package reconcile_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

// BenchmarkFullReconcile reports the HighLevel reads a full reconcile
// (every contact read 500 a page, or by the bucketed diff past some 15,000;
// counts by counted searches; population over the records read; a random
// search page per custom object and of opportunities,
// read with the count; a random sample of related contacts' relations —
// with PBNHL_RECONCILE_DEEP=1 every record scanned, every opportunity
// listed, every relation read —; no sample diff) spends per contact of a
// clean migration, and what each part costs: the bucketed diff per
// contact (the contact pages when read whole), the record scan per
// record (0 when sampled: the page comes with the count), the relation
// check per contact (HighLevel lists relations per record only: one call
// per related contact read) and the fixed rest (field listings, counts,
// business links: independent of size, so reads/contact falls as the
// practice grows). It logs the reads by step (Report.StepCalls).
// PBNHL_RECONCILE_PATIENTS scales the practice (default 300).
func BenchmarkFullReconcile(b *testing.B) {
	patients := 300
	if n, err := strconv.Atoi(os.Getenv("PBNHL_RECONCILE_PATIENTS")); err == nil && n > 0 {
		patients = n
	}
	e := migrated(b, patients)
	var rep *reconcile.Report
	for b.Loop() {
		rep = e.run(b, reconcile.Options{Full: true, Deep: os.Getenv("PBNHL_RECONCILE_DEEP") == "1", Sample: -1})
	}
	if rep.Differences != 0 {
		b.Fatalf("a clean migration reconciles with differences: %s", rep.Verdict)
	}
	contacts := 0
	for _, c := range rep.Counts {
		if c.ObjectType == rollback.TypeContact {
			contacts = c.Ledger
		}
	}
	relCalls := 0
	for _, in := range rep.Integrity {
		if strings.HasPrefix(in.Check, "custom records related to their contact") {
			relCalls = in.Calls
		}
	}
	b.ReportMetric(float64(contacts), "contacts")
	b.ReportMetric(float64(rep.Calls)/float64(contacts), "reads/contact")
	b.ReportMetric(rep.Buckets.ReadsPerRecord(), "bucket-reads/contact")
	b.ReportMetric(rep.Records.ReadsPerRecord(), "scan-reads/record")
	b.ReportMetric(float64(relCalls)/float64(contacts), "relation-reads/contact")
	b.ReportMetric(float64(rep.Calls-rep.Buckets.Calls-rep.Records.Calls-relCalls), "fixed-reads")
	b.ReportMetric(float64(rep.Records.Sampled), "records-sampled")
	b.Logf("reads by step: %+v", rep.StepCalls)
}

// BenchmarkSampleDiff reports the HighLevel reads the sample diff (each
// sampled record read back by id and compared field by field; the
// relations of one related contact per four sampled records, listed once
// each, the custom records sampled drawn from those contacts) spends per
// sampled record, apart from the steps every check makes (counts, field
// listings, population).
// PBNHL_RECONCILE_PATIENTS scales the practice (default 300).
func BenchmarkSampleDiff(b *testing.B) {
	patients := 300
	if n, err := strconv.Atoi(os.Getenv("PBNHL_RECONCILE_PATIENTS")); err == nil && n > 0 {
		patients = n
	}
	e := migrated(b, patients)
	var rep *reconcile.Report
	for b.Loop() {
		rep = e.run(b, reconcile.Options{Sample: 20})
	}
	if rep.Differences != 0 {
		b.Fatalf("a clean migration reconciles with differences: %s", rep.Verdict)
	}
	if rep.Sample.Records == 0 {
		b.Fatal("nothing sampled")
	}
	b.ReportMetric(float64(rep.Sample.Records), "sampled-records")
	b.ReportMetric(rep.Sample.ReadsPerRecord(), "reads/sampled-record")
	b.ReportMetric(float64(rep.Calls-rep.Sample.Calls), "other-reads")
}
