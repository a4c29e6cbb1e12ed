package pbnhl_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbnhl "github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
)

// historyChoices are the policies a history kind can take.
var historyChoices = []string{mapping.AsFolded, mapping.AsByAge, mapping.AsFirstClass, mapping.AsBoth}

// historyEstimate is Preflight's estimate (within 0.03% of the requests
// HighLevel served) of a run of e's practice under map mp, the schema
// already applied.
func historyEstimate(t testing.TB, e *env, mp *mapping.Map) pbnhl.Estimate {
	t.Helper()
	require.NoError(t, mp.Approve("bench", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	pre, err := e.migration(func(o *pbnhl.Options) { o.Map = mp }).Preflight(context.Background())
	require.NoError(t, err)
	return pre.Estimate
}

func objectEstimate(est pbnhl.Estimate, name string) (pbnhl.ObjectEstimate, bool) {
	for _, o := range est.Objects {
		if o.Object == name {
			return o, true
		}
	}
	return pbnhl.ObjectEstimate{}, false
}

// TestHistoryPolicyCalls: the default map's preflight prices every choice
// of every history kind, and each figure is what the preflight of the map
// with that choice estimates (calls and days). Folding saves exactly the
// first-class records' calls (a note per message; a record and its
// relations per procedure or appointment), first-class alone costs what
// both cost (the log rides in the contact's own call), by-age lies
// between, and the default writes no note per message (17.2).
func TestHistoryPolicyCalls(t *testing.T) {
	e := newEnv(t, envOptions{patients: 40, seed: 42})
	_, err := e.migration(nil).ApplySchema(context.Background())
	require.NoError(t, err)
	def := historyEstimate(t, e, e.m)
	_, notes := objectEstimate(def, "communications")
	assert.False(t, notes, "the default folds messages: no note is planned")
	require.Len(t, def.History, len(mapping.HistoryKinds())*len(historyChoices))

	price := map[string]map[string]pbnhl.HistoryChoice{}
	for _, h := range def.History {
		if price[h.Kind] == nil {
			price[h.Kind] = map[string]pbnhl.HistoryChoice{}
		}
		price[h.Kind][h.As] = h
		assert.Equal(t, h.As == e.m.HistoryAs(h.Kind), h.Current, "%s %s", h.Kind, h.As)
		assert.Equal(t, mapping.DefaultFirstClassMonths, h.Months)
		if h.Current {
			assert.Equal(t, def.Calls, h.Calls, "the map's choice is the estimate (%s)", h.Kind)
			assert.Equal(t, def.Days, h.Days, h.Kind)
		}
	}
	first := map[string]string{mapping.HistoryMessages: "communications", mapping.HistoryProcedures: "procedures", mapping.HistoryAppointments: "appointments"}
	for _, k := range mapping.HistoryKinds() {
		p := price[k]
		for _, as := range historyChoices {
			if as == e.m.HistoryAs(k) {
				continue
			}
			if why := p[as].Refused; why != "" {
				mp := e.m.WithHistory(k, as)
				require.NoError(t, mp.Approve("test", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
				_, err := e.migration(func(o *pbnhl.Options) { o.Map = mp }).Preflight(context.Background())
				assert.ErrorContains(t, err, "turns off", "%s %s: refused in the table, refused by the map (%s)", k, as, why)
				assert.Zero(t, p[as].Calls)
				continue
			}
			est := historyEstimate(t, e, e.m.WithHistory(k, as))
			assert.Equal(t, est.Calls, p[as].Calls, "%s %s: the table's calls are that map's estimate", k, as)
			assert.Equal(t, est.Days, p[as].Days, "%s %s", k, as)
			if as == mapping.AsBoth && p[mapping.AsFolded].Refused == "" {
				rec, ok := objectEstimate(est, first[k])
				require.True(t, ok, k)
				require.Positive(t, rec.Records, "the practice has %s", k)
				assert.Equal(t, p[mapping.AsFolded].Calls+rec.Calls, p[as].Calls, "%s: folding saves exactly the records' calls", k)
			}
		}
		assert.Equal(t, p[mapping.AsBoth].Calls, p[mapping.AsFirstClass].Calls, "%s: the log costs no call of its own", k)
		assert.Less(t, p[mapping.AsByAge].Calls, p[mapping.AsBoth].Calls, k)
		if p[mapping.AsFolded].Refused == "" {
			assert.Less(t, p[mapping.AsFolded].Calls, p[mapping.AsByAge].Calls, k)
		}
	}
	rec, _ := objectEstimate(historyEstimate(t, e, e.m.WithHistory(mapping.HistoryMessages, mapping.AsBoth)), "communications")
	assert.Equal(t, rec.Records, rec.Calls, "one note call per message")

	var text strings.Builder
	require.NoError(t, (&pbnhl.PreflightReport{Estimate: def}).WriteText(&text))
	s := text.String()
	assert.Contains(t, s, "History policy (calls and days per choice for this practice")
	assert.Regexp(t, `\* messages +folded +\d+ calls +\d+ day\(s\) +\d+\.\d calls/contact`, s)
	assert.Regexp(t, `  procedures +by-age 24m +\d+ calls`, s)
	assert.Contains(t, s, "no workflow trigger per entry", "what folding gives up")
	assert.Contains(t, s, "appointments folded      not possible with this map: procedures looks up appointments")
}

// BenchmarkHistoryPolicy reports the calls per patient of the default
// pbntest practice (PBNHL_HISTORY_PATIENTS patients, 2,000 unless set,
// seed 42) under the default map ("default") and each choice of each
// history kind, the others as the default has them, from the default
// map's preflight (TestHistoryPolicyCalls: its figures are the estimates
// of the maps with those choices).
//
// At 2,000 patients (seed 42): before issue 17's default (messages as
// notes and in the log, a relation per coverage → carrier) 58.76
// calls/patient; the default now (messages folded, the carrier a
// property) 42.97 — 10,000 patients ≈ 430,000 calls, three days of a
// 200,000-call quota of which the third carries 30,000 (before: 588,000).
// The other choices, the rest as the default: messages by-age 51.10,
// first-class or both 57.55; procedures folded 18.68, by-age 33.83;
// appointments by-age 36.60 (folded is refused: procedures look them up).
func BenchmarkHistoryPolicy(b *testing.B) {
	n := 2000
	if s := os.Getenv("PBNHL_HISTORY_PATIENTS"); s != "" {
		var err error
		n, err = strconv.Atoi(s)
		require.NoError(b, err, "PBNHL_HISTORY_PATIENTS")
	}
	for range b.N {
		e := newEnv(b, envOptions{patients: n, seed: 42, window: 10 * time.Millisecond, daily: 100_000_000})
		_, err := e.migration(nil).ApplySchema(context.Background())
		require.NoError(b, err)
		est := historyEstimate(b, e, e.m)
		b.ReportMetric(float64(est.Calls)/float64(n), "calls/patient-default")
		for _, h := range est.History {
			if h.Refused != "" {
				continue // the map cannot take it (appointments folded while procedures look them up)
			}
			b.ReportMetric(float64(h.Calls)/float64(n), "calls/patient-"+h.Kind+"-"+h.As)
		}
	}
}

// TestCoverageCarrierCostsNoCall (17.2): the default map keeps a coverage's
// carrier as a property (carrier_id, the carrier record's pbn_carrier_id)
// instead of a relation per coverage. The same practice run with the
// carrier relation put back costs, through hltest, exactly one relation
// call more per coverage written, and nothing else; every coverage read
// back names a carrier record that arrived.
func TestCoverageCarrierCostsNoCall(t *testing.T) {
	ctx := context.Background()
	run := func(relation bool) (*env, int64, map[string]int64) {
		e := withoutDocuments(t, newEnv(t, envOptions{patients: 15, seed: 11, exactCounts: true}))
		if relation {
			o := e.m.Object("insurance")
			o.Lookups = append(o.Lookups, mapping.Lookup{From: "carrierId", Object: "insurance_carriers", To: mapping.LinkAssociation, Association: "pbn_insurance_carrier"})
			require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)))
		}
		m := e.migration(nil)
		_, err := m.ApplySchema(ctx)
		require.NoError(t, err)
		e.resetCounts()
		rep, err := m.Load(ctx)
		require.NoError(t, err)
		var written int64
		for _, p := range rep.Objects {
			if p.Object == "insurance" {
				written = p.Written
			}
		}
		ops := map[string]int64{}
		for _, n := range opNames {
			ops[n] = e.opCount(n)
		}
		return e, written, ops
	}
	e, coverages, prop := run(false)
	_, coverages2, rel := run(true)
	require.Positive(t, coverages)
	require.Equal(t, coverages, coverages2)
	for _, n := range opNames {
		want := rel[n]
		if n == "associations.relations.create" {
			want -= coverages
		}
		assert.Equal(t, want, prop[n], "%s: the carrier property saves one relation call per coverage and nothing else", n)
	}

	carriers := map[string]bool{}
	for r, err := range e.client.Objects.SearchRecords(ctx, "custom_objects.pbn_insurance_carrier", highlevel.RecordSearch{}) {
		require.NoError(t, err)
		v, _ := r.Properties.Value("pbn_carrier_id")
		id, _ := v.Text()
		carriers[id] = true
	}
	n := 0
	for r, err := range e.client.Objects.SearchRecords(ctx, "custom_objects.pbn_insurance", highlevel.RecordSearch{}) {
		require.NoError(t, err)
		v, ok := r.Properties.Value("carrier_id")
		require.True(t, ok, "a coverage carries its carrier")
		id, _ := v.Text()
		assert.True(t, carriers[id], "coverage %s names carrier %s, which arrived", r.ID, id)
		n++
	}
	assert.EqualValues(t, coverages, n)
}

// TestSetupReadsPipelinesOnce (17.2): a run's setup reads the location's
// pipelines once (the schema diff's read serves the opportunities' stage
// ids), counted through the client against hltest; the opportunities land
// in their stages.
func TestSetupReadsPipelinesOnce(t *testing.T) {
	e := withoutDocuments(t, newEnv(t, envOptions{patients: 10, seed: 5, exactCounts: true}))
	ctx := context.Background()
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	var lists atomic.Int64
	hook := func(c highlevel.Call) {
		if c.Operation == "pipelines.list" {
			lists.Add(1)
		}
	}
	e.hook.Store(&hook)
	rep, err := e.migration(nil).Load(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, lists.Load(), "one pipeline list per run")
	var opps int64
	for _, p := range rep.Objects {
		if p.Object == "treatment_plans" {
			opps = p.Written
		}
	}
	require.Positive(t, opps)
	assert.EqualValues(t, opps, e.opCount("opportunities.create"))
}
