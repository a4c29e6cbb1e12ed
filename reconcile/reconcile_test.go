package reconcile_test

import (
	"bytes"
	"context"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/internal/golden"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

// clock is the simulator's clock: tests move it so changes made after the
// run carry a later dateUpdated.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.offset) }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

type env struct {
	hs     *hltest.Server
	hl     *highlevel.Client
	ledger *rollback.Ledger
	clk    *clock
	extID  string
	source map[string]int
	// ps and opts let a test change the source and run a delta.
	ps   *pbntest.Server
	opts pbnhl.Options
}

// migrated runs a whole migration of a generated practice into the
// simulator and returns what reconcile needs.
func migrated(t testing.TB, patients int, locMods ...func(*hltest.Location)) *env {
	t.Helper()
	loc := hltest.Location{ID: hltest.DefaultLocationID, Token: hltest.DefaultToken, AllowDuplicates: true, AllowDuplicateOpportunities: true}
	for _, m := range locMods {
		m(&loc)
	}
	ctx := context.Background()
	ps, err := pbntest.NewServer(pbntest.Options{Seed: 7, Patients: patients})
	require.NoError(t, err)
	t.Cleanup(ps.Close)
	src, err := pbn.NewClient(pbn.Options{BaseURL: ps.URL, Token: ps.Token(), RateLimit: -1})
	require.NoError(t, err)
	clk := &clock{}
	hs := hltest.NewServer(hltest.Options{
		Users:     []hltest.User{{ID: "hlUserFrontDesk00001", FirstName: "Front", LastName: "Desk", Email: "desk@example.com"}},
		Locations: []hltest.Location{loc},
		RateLimit: hltest.RateLimit{Max: 100000, Window: time.Second, Daily: 100_000_000}, // a 10,000-patient benchmark outruns the default 200,000 a day
		Clock:     clk.Now,
		Seed:      1,
	})
	t.Cleanup(hs.Close)
	lim, err := highlevel.NewLimiter(highlevel.LimiterOptions{Requests: 100000, Window: time.Second})
	require.NoError(t, err)
	hl, err := highlevel.NewClient(highlevel.Options{BaseURL: hs.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), Limiter: lim})
	require.NoError(t, err)
	inv, err := src.Inventory(ctx)
	require.NoError(t, err)
	m, err := mapping.Default(inv.CustomProperties)
	require.NoError(t, err)
	require.NoError(t, m.Approve("test", time.Now()))
	ledger, err := rollback.Open(ctx, filepath.Join(t.TempDir(), "l.ledger"), rollback.Options{Plaintext: true})
	require.NoError(t, err)
	t.Cleanup(func() { ledger.Close() })
	opts := pbnhl.Options{Source: src, Client: hl, Map: m, Ledger: ledger,
		CompanyID: hltest.DefaultCompanyID, FallbackOwner: "desk@example.com", SearchLag: -1}
	mig, err := pbnhl.New(opts)
	require.NoError(t, err)
	_, err = mig.ApplySchema(ctx)
	require.NoError(t, err)
	_, err = mig.Load(ctx)
	require.NoError(t, err)
	pre, err := mig.Preflight(ctx)
	require.NoError(t, err)
	fields, err := hl.CustomFields.List(ctx, highlevel.FieldModelContact)
	require.NoError(t, err)
	e := &env{hs: hs, hl: hl, ledger: ledger, clk: clk, source: reconcile.SourceCounts(m, pre.Validation), ps: ps, opts: opts}
	for _, f := range fields {
		if f.FieldKey == "contact.pbn_patient_id" {
			e.extID = f.ID
		}
	}
	require.NotEmpty(t, e.extID)
	clk.Add(time.Minute)
	return e
}

func (e *env) run(t testing.TB, o reconcile.Options) *reconcile.Report {
	t.Helper()
	o.Client, o.Ledger, o.ContactExternalField, o.Source = e.hl, e.ledger, e.extID, e.source
	rep, err := reconcile.Check(context.Background(), o)
	require.NoError(t, err)
	return rep
}

func TestCleanMigrationReconciles(t *testing.T) {
	e := migrated(t, 40)
	// A tight slack: the fingerprints agree because the ledger's write times
	// cover every call that touched a contact (links included).
	before := len(e.hs.RequestLog())
	rep := e.run(t, reconcile.Bisect(reconcile.Options{Full: true, BucketSize: 1000, LeafSize: 8, Slack: time.Millisecond}))
	assert.Equal(t, len(e.hs.RequestLog())-before, rep.Calls, "calls counted = requests HighLevel served")
	var txt bytes.Buffer
	require.NoError(t, rep.WriteText(&txt))
	require.True(t, rep.LedgerMatches(), txt.String())
	require.Zero(t, rep.Differences, txt.String())
	// The practice has invalid records (duplicates held back for review
	// and their records): HighLevel matches the ledger, and the verdict
	// says what is still missing instead of "OK".
	invalid := 0
	for p, err := range e.ledger.Problems(context.Background()) {
		require.NoError(t, err)
		if p.Kind == rollback.ProblemInvalid {
			invalid++
		}
	}
	require.Positive(t, invalid, "this practice has invalid records")
	assert.Equal(t, invalid, rep.Invalid)
	assert.Zero(t, rep.Rejected)
	assert.False(t, rep.OK())
	assert.Equal(t, fmt.Sprintf("HighLevel matches the ledger; %d source records are not in HighLevel (rejected 0, invalid %d)", invalid, invalid), rep.Verdict)
	assert.NotContains(t, txt.String(), "OK")
	t.Log(txt.String())
	require.NotEmpty(t, rep.Counts)
	for _, c := range rep.Counts {
		assert.Equal(t, c.Ledger, c.HighLevel, c.ObjectType)
		assert.Equal(t, c.Source-c.Rejected, c.Ledger, c.ObjectType)
	}
	require.NotNil(t, rep.Buckets)
	assert.Equal(t, 0, rep.Buckets.RecordsRead, "no bucket differs: nothing read")
	assert.Equal(t, 1, rep.Buckets.Calls)
	require.NotNil(t, rep.Records)
	assert.Positive(t, rep.Records.Records)
	assert.Equal(t, rep.Records.Records, rep.Records.RecordsRead)
	assert.Positive(t, rep.Sample.Fields)
	assert.NotEmpty(t, rep.Integrity)

	// Every rendering of a real report: no value of any contact appears.
	var js, page bytes.Buffer
	require.NoError(t, rep.WriteJSON(&js))
	require.NoError(t, rep.WriteHTML(&page))
	require.True(t, strings.HasPrefix(page.String(), "<!doctype html>"))
	assert.Contains(t, page.String(), "<svg")
	assert.NotContains(t, page.String(), "<script")
	assert.NotContains(t, page.String(), "<link")
	for _, out := range []string{txt.String(), js.String(), page.String()} {
		for _, c := range e.hs.Contacts(hltest.DefaultLocationID) {
			for _, v := range []string{c.Email, c.Phone, c.LastName, c.Address1, c.DateOfBirth} {
				if len(v) > 3 {
					require.NotContains(t, out, v, "a contact's value in the report")
				}
			}
		}
	}
}

func contactOf(t *testing.T, e *env, i int) (string, string) {
	t.Helper()
	n := 0
	for m, err := range e.ledger.IDMap(context.Background(), rollback.TypeContact) {
		require.NoError(t, err)
		if n == i {
			return m.SourceKey, m.HighLevelID
		}
		n++
	}
	t.Fatal("no such contact")
	return "", ""
}

func TestDamageIsFoundExactly(t *testing.T) {
	ctx := context.Background()
	e := migrated(t, 60)
	delKey, delID := contactOf(t, e, 3)
	chgKey, chgID := contactOf(t, e, 17)
	require.NoError(t, e.hl.Contacts.Delete(ctx, delID))
	city := "Elsewhere"
	_, err := e.hl.Contacts.Update(ctx, chgID, highlevel.ContactUpdate{City: &city})
	require.NoError(t, err)

	before := len(e.hs.RequestLog())
	rep := e.run(t, reconcile.Bisect(reconcile.Options{Full: true, Sample: -1, LeafSize: 4}))
	assert.Equal(t, len(e.hs.RequestLog())-before, rep.Calls, "calls counted = requests HighLevel served")
	require.False(t, rep.OK())
	require.NotNil(t, rep.Buckets)
	assert.ElementsMatch(t, []reconcile.Difference{
		{ObjectType: "contact", SourceKey: delKey, HighLevelID: delID, Kind: reconcile.KindMissing},
		{ObjectType: "contact", SourceKey: chgKey, HighLevelID: chgID, Kind: reconcile.KindField, Field: "city"},
	}, rep.Buckets.Differences)
	for _, c := range rep.Counts {
		if c.ObjectType == rollback.TypeContact {
			assert.Equal(t, c.Ledger-1, c.HighLevel)
		}
	}
	// Bisection reads only the two damaged leaves, not every contact.
	contacts := rep.Buckets.Records
	assert.LessOrEqual(t, rep.Buckets.RecordsRead, 2*4, "records read")
	// Calls: the root fingerprint, two per level of bisection per damaged
	// record, one read per damaged leaf — against one read per contact by id.
	depth := bits.Len(uint(contacts/4)) + 1
	assert.LessOrEqual(t, rep.Buckets.Calls, 1+2*depth*2+2, "calls")
	assert.Less(t, rep.Buckets.Calls, contacts/2, "calls")
	t.Logf("bucketed diff: %d contacts, %d calls, %d records read", contacts, rep.Buckets.Calls, rep.Buckets.RecordsRead)
}

func TestBrokenLinksAreOrphans(t *testing.T) {
	ctx := context.Background()
	e := migrated(t, 30)
	key, id := contactOf(t, e, 5)
	_, err := e.hl.Businesses.UnlinkContacts(ctx, []string{id})
	require.NoError(t, err)
	rep := e.run(t, reconcile.Options{Sample: -1})
	var orphans []reconcile.Orphan
	for _, i := range rep.Integrity {
		orphans = append(orphans, i.Orphans...)
	}
	require.Len(t, orphans, 1)
	assert.Equal(t, key, orphans[0].SourceKey)
	assert.Equal(t, id, orphans[0].HighLevelID)
}

// The golden report: a fixed report rendered as text and JSON.
// Issue 11.5: with duplicate opportunities off, HighLevel refused some
// treatment plans, and reconcile printed "OK: HighLevel matches the
// ledger". The verdict compares source → ledger → HighLevel and says which
// pair agreed and what is missing. (Since issue 17.2 the run holds those
// plans back before sending: invalid, not rejected.)
func TestVerdictNamesMissingSourceRecords(t *testing.T) {
	e := migrated(t, 30, func(l *hltest.Location) { l.AllowDuplicateOpportunities = false })
	rep := e.run(t, reconcile.Options{})
	var txt bytes.Buffer
	require.NoError(t, rep.WriteText(&txt))
	var opp reconcile.Count
	for _, c := range rep.Counts {
		if c.ObjectType == rollback.TypeOpportunity {
			opp = c
		}
	}
	assert.Zero(t, opp.Rejected, "the second plan of a contact in a pipeline is held back, not sent: %s", txt.String())
	require.Positive(t, rep.Invalid, "the held-back plans are invalid records")
	assert.Equal(t, opp.Source-opp.Rejected, opp.Ledger, "the ledger accounts for the source")
	assert.Equal(t, opp.Ledger, opp.HighLevel)
	require.True(t, rep.LedgerMatches(), txt.String())
	assert.Zero(t, rep.Differences)
	assert.False(t, rep.OK(), "never OK while source records are missing")
	assert.Equal(t, rep.Rejected+rep.Invalid, rep.SourceMissing)
	assert.GreaterOrEqual(t, rep.Rejected, opp.Rejected)
	want := fmt.Sprintf("HighLevel matches the ledger; %d source records are not in HighLevel (rejected %d, invalid %d)",
		rep.SourceMissing, rep.Rejected, rep.Invalid)
	assert.Equal(t, want, rep.Verdict)
	assert.True(t, strings.HasPrefix(txt.String(), "Reconciliation: "+want), txt.String())
	assert.NotContains(t, txt.String(), "OK")
	var page bytes.Buffer
	require.NoError(t, rep.WriteHTML(&page))
	assert.Contains(t, page.String(), "source records are not in HighLevel")

	// Without source counts the verdict says the source was not compared.
	o := reconcile.Options{Client: e.hl, Ledger: e.ledger, ContactExternalField: e.extID}
	bare, err := reconcile.Check(context.Background(), o)
	require.NoError(t, err)
	assert.False(t, bare.SourceCompared)
	assert.Contains(t, bare.Verdict, "HighLevel matches the ledger; the source was not compared; ")
}

func TestGoldenReports(t *testing.T) {
	rep := &reconcile.Report{
		Counts: []reconcile.Count{{ObjectType: "contact", Source: 3, Ledger: 3, HighLevel: 2}},
		Integrity: []reconcile.Integrity{{Check: "contacts linked to their office's business", Expected: 3, Found: 2,
			Orphans: []reconcile.Orphan{{ObjectType: "contact", SourceKey: "12", HighLevelID: "c12", Reason: "not linked to its office's business"}}}},
		Sample:            reconcile.Diff{Records: 3, Fields: 30, Calls: 3, RecordsRead: 2, Differences: []reconcile.Difference{{ObjectType: "contact", SourceKey: "13", HighLevelID: "c13", Kind: reconcile.KindMissing}}},
		Population:        []reconcile.Population{{ObjectType: "contact", Field: "email", Records: 3, Sent: 2, Stored: 2, StoredOf: 3}},
		Calls:             9,
		Differences:       3,
		LedgerDifferences: 3,
		SourceCompared:    true,
	}
	for _, f := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"report.txt", func(b *bytes.Buffer) error { return rep.WriteText(b) }},
		{"report.json", func(b *bytes.Buffer) error { return rep.WriteJSON(b) }},
	} {
		var b bytes.Buffer
		require.NoError(t, f.write(&b))
		golden.Assert(t, filepath.Join("testdata", f.name), b.Bytes())
	}
	var h bytes.Buffer
	require.NoError(t, rep.WriteHTML(&h))
	s := h.String()
	assert.True(t, strings.HasPrefix(s, "<!doctype html>"))
	assert.Contains(t, s, "<svg")
	assert.Contains(t, s, "not linked to its office")
	assert.NotContains(t, s, "http://")
	assert.NotContains(t, s, "https://")
	assert.NotContains(t, s, "<script")
}

// A record's property changed and a record's relation to its contact
// removed are found by the sample, which reads every field by id.
func TestSampleFindsRecordDamage(t *testing.T) {
	ctx := context.Background()
	e := migrated(t, 12)
	const typ = "custom_objects.pbn_appointment"
	var ids []rollback.IDMapEntry
	for m, err := range e.ledger.IDMap(ctx, typ) {
		require.NoError(t, err)
		ids = append(ids, m)
	}
	require.GreaterOrEqual(t, len(ids), 2)
	changed, unlinked := ids[0], ids[1]
	_, err := e.hl.Objects.UpdateRecord(ctx, typ, changed.HighLevelID, highlevel.RecordUpdate{
		Properties: map[string]highlevel.FieldValue{"title": highlevel.TextValue("renamed")}})
	require.NoError(t, err)
	// Only the relation to its contact: the treatments done at the
	// appointment keep theirs (pbn_treatment_appointment).
	toContact, err := e.hl.Associations.GetByKey(ctx, "pbn_appointment_patient")
	require.NoError(t, err)
	for rl, err := range e.hl.Associations.Relations(ctx, unlinked.HighLevelID, highlevel.RelationListOptions{AssociationIDs: []string{toContact.ID}}) {
		require.NoError(t, err)
		require.NoError(t, e.hl.Associations.DeleteRelation(ctx, rl.ID))
	}

	rep := e.run(t, reconcile.Options{Sample: 1 << 20})
	assert.Equal(t, []reconcile.Difference{{ObjectType: typ, SourceKey: changed.SourceKey, HighLevelID: changed.HighLevelID, Kind: reconcile.KindField, Field: "title"}},
		rep.Sample.Differences)
	var orphans []reconcile.Orphan
	for _, i := range rep.Integrity {
		orphans = append(orphans, i.Orphans...)
	}
	assert.Equal(t, []reconcile.Orphan{{ObjectType: typ, SourceKey: unlinked.SourceKey, HighLevelID: unlinked.HighLevelID, Reason: "relation to its contact missing"}}, orphans)
	assert.Equal(t, 2, rep.Differences)

	// A full run scans every record: the same change, one call per 100.
	// Deep: every relation, one listing per contact.
	full := e.run(t, reconcile.Options{Full: true, Deep: true, Sample: -1})
	require.NotNil(t, full.Records)
	assert.Equal(t, rep.Sample.Differences, full.Records.Differences)
	assert.Equal(t, full.Records.Records, full.Records.RecordsRead)
	var fullOrphans []reconcile.Orphan
	for _, i := range full.Integrity {
		fullOrphans = append(fullOrphans, i.Orphans...)
	}
	assert.Equal(t, orphans, fullOrphans, "every relation checked, one listing per contact")
	types := 0
	for _, c := range full.Counts {
		if strings.HasPrefix(c.ObjectType, rollback.RecordTypePrefix) {
			types++
		}
	}
	assert.LessOrEqual(t, full.Records.Calls, full.Records.Records/100+types, "one call per page of 100 per type")
}

// A full run that is not Deep reads the relations of a random sample of
// related contacts and says so; a sample covering every contact finds the
// removed relation exactly as Deep does, a sample of one reads one listing.
func TestRelationSample(t *testing.T) {
	ctx := context.Background()
	e := migrated(t, 12)
	const typ = "custom_objects.pbn_appointment"
	var unlinked rollback.IDMapEntry
	for m, err := range e.ledger.IDMap(ctx, typ) {
		require.NoError(t, err)
		unlinked = m
	}
	for rl, err := range e.hl.Associations.Relations(ctx, unlinked.HighLevelID, highlevel.RelationListOptions{}) {
		require.NoError(t, err)
		require.NoError(t, e.hl.Associations.DeleteRelation(ctx, rl.ID))
	}
	relations := func(rep *reconcile.Report) reconcile.Integrity {
		for _, i := range rep.Integrity {
			if strings.HasPrefix(i.Check, "custom records related to their contact") {
				return i
			}
		}
		t.Fatal("no relation check")
		return reconcile.Integrity{}
	}
	deep := relations(e.run(t, reconcile.Options{Full: true, Deep: true, Sample: -1}))
	require.Len(t, deep.Orphans, 1)
	assert.Zero(t, deep.Sampled)

	all := e.run(t, reconcile.Options{Full: true, RelationSample: 1 << 20, Sample: -1})
	in := relations(all)
	assert.Equal(t, deep.Orphans, in.Orphans)
	assert.Equal(t, in.SampledOf, in.Sampled)
	assert.Equal(t, deep.Expected, in.Expected)
	var text strings.Builder
	require.NoError(t, all.WriteText(&text))
	assert.Contains(t, text.String(), fmt.Sprintf("sampled %d of %d contacts", in.Sampled, in.SampledOf))

	one := relations(e.run(t, reconcile.Options{Full: true, Sample: -1}))
	assert.Equal(t, 1, one.Sampled, "12 patients: one contact per 200, at least one")
	assert.Equal(t, 1, one.Calls, "one listing for the one contact read")
	assert.Less(t, one.Calls, deep.Calls)
}

// A contact HighLevel holds that the ledger does not know is listed as
// extra, with the source key its external id field says.
func TestExtraContactsAreListed(t *testing.T) {
	ctx := context.Background()
	e := migrated(t, 20)
	c, err := e.hl.Contacts.Create(ctx, highlevel.ContactInput{FirstName: "Stray",
		CustomFields: []highlevel.CustomFieldInput{{ID: e.extID, Value: highlevel.TextValue("99999999")}}})
	require.NoError(t, err)
	rep := e.run(t, reconcile.Options{Full: true, Sample: -1, LeafSize: 4})
	require.NotNil(t, rep.Buckets)
	assert.Equal(t, []reconcile.Difference{{ObjectType: "contact", SourceKey: "99999999", HighLevelID: c.ID, Kind: reconcile.KindExtra}}, rep.Buckets.Differences)
	for _, n := range rep.Counts {
		if n.ObjectType == rollback.TypeContact {
			assert.Equal(t, n.Ledger+1, n.HighLevel)
		}
	}
}

// BenchmarkBucketedDiff reports the API reads per contact of the bucketed
// diff over a migrated practice with two damaged contacts, next to what a
// read of every contact costs (by id: 1 per contact; by search pages of
// 500: 1/500).
func BenchmarkBucketedDiff(b *testing.B) {
	ctx := context.Background()
	patients := 300
	if n, err := strconv.Atoi(os.Getenv("PBNHL_RECONCILE_PATIENTS")); err == nil && n > 0 {
		patients = n // opt-in scale: PBNHL_RECONCILE_PATIENTS=5000
	}
	e := migrated(b, patients)
	_, delID := contactOfTB(b, e, 10)
	_, chgID := contactOfTB(b, e, 200)
	require.NoError(b, e.hl.Contacts.Delete(ctx, delID))
	city := "Elsewhere"
	_, err := e.hl.Contacts.Update(ctx, chgID, highlevel.ContactUpdate{City: &city})
	require.NoError(b, err)
	// Leaf 500 is one search page (the default); leaf 25 stands for a
	// location whose buckets are larger than a page, where bisection
	// avoids reading most of them.
	for _, leaf := range []int{500, 25} {
		b.Run(fmt.Sprintf("leaf=%d", leaf), func(b *testing.B) {
			var rep *reconcile.Report
			for b.Loop() {
				rep = e.run(b, reconcile.Bisect(reconcile.Options{Full: true, Sample: -1, LeafSize: leaf, Slack: time.Millisecond}))
			}
			d := rep.Buckets
			b.ReportMetric(float64(d.Records), "contacts")
			b.ReportMetric(d.ReadsPerRecord(), "calls/contact")
			b.ReportMetric(float64(d.RecordsRead)/float64(d.Records), "records-read/contact")
			b.ReportMetric(float64(len(d.Differences)), "differences")
		})
	}
}

func contactOfTB(tb testing.TB, e *env, i int) (string, string) {
	tb.Helper()
	n := 0
	for m, err := range e.ledger.IDMap(context.Background(), rollback.TypeContact) {
		require.NoError(tb, err)
		if n == i {
			return m.SourceKey, m.HighLevelID
		}
		n++
	}
	tb.Fatal("no such contact")
	return "", ""
}
