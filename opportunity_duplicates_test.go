package pbnhl_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// Issue 17.2: a location whose "Allow Duplicate Opportunity" is off
// refuses a second opportunity for a contact in one pipeline. The run
// catches those before sending (no call, no refusal): one opportunity per
// contact and pipeline, the first in the source's order; each later one is
// invalid with its reason and the key holding the pipeline, in the problems
// CSV; preflight predicts them, does not count their calls and does not
// block on them.

// planOf is a treatment plan's patient, pipeline, status and place in the
// source's order.
type planOf struct {
	patient, pipeline string
	status            pbn.TreatmentPlanStatus
	pos               int
}

func practicePlans(e *env) map[string]planOf {
	out := map[string]planOf{}
	i := 0
	for p := range e.pbn.Practice().TreatmentPlans() {
		out[string(p.ID)] = planOf{patient: string(p.PatientID), pipeline: p.Pipeline, status: p.Status, pos: i}
		i++
	}
	return out
}

// noDupOppEnv is a practice whose location refuses duplicate opportunities,
// its schema applied.
func noDupOppEnv(t *testing.T, patients int, seed int64) *env {
	t.Helper()
	e := newEnv(t, envOptions{patients: patients, seed: seed, exactCounts: true})
	require.NoError(t, e.hl.UpdateLocation(hltest.DefaultLocationID, func(l *hltest.Location) { l.AllowDuplicateOpportunities = false }))
	_, err := e.migration(nil).ApplySchema(context.Background())
	require.NoError(t, err)
	return e
}

// countRefusals counts opportunity creates HighLevel answered with an error.
func countRefusals(e *env) *atomic.Int64 {
	var n atomic.Int64
	hook := func(c highlevel.Call) {
		if c.Operation == "opportunities.create" && c.StatusCode >= 400 {
			n.Add(1)
		}
	}
	e.hook.Store(&hook)
	return &n
}

var heldBy = regexp.MustCompile(`already has an opportunity in pipeline "([^"]+)" \(treatment_plans (\S+), (earlier in this run|migrated by an earlier run)\)`)

// heldBack is the ledger's invalid treatment plans held back as duplicates
// of a contact's pipeline: key → [pipeline, holder key, by].
func heldBack(t *testing.T, e *env) map[string][3]string {
	t.Helper()
	out := map[string][3]string{}
	for pr, err := range e.ledger.Problems(context.Background()) {
		require.NoError(t, err)
		if pr.Kind != rollback.ProblemInvalid || pr.Entity != "treatment_plans" {
			continue
		}
		for _, r := range pr.Reasons {
			if !strings.Contains(r, "contactId+pipeline: duplicate") {
				continue
			}
			m := heldBy.FindStringSubmatch(r)
			require.NotNil(t, m, "reason names the pipeline and the key holding it: %s", r)
			assert.Contains(t, r, "the location does not allow duplicate opportunities")
			out[pr.SourceKey] = [3]string{m[1], m[2], m[3]}
		}
	}
	return out
}

// assertOnePerPipeline: HighLevel holds at most one opportunity per contact
// and pipeline, and exactly the ledger's opportunities.
func assertOnePerPipeline(t *testing.T, e *env) int {
	t.Helper()
	seen := map[string]bool{}
	opps := e.hl.Records(hltest.DefaultLocationID, hltest.KindOpportunity)
	for _, o := range opps {
		k := fmt.Sprint(o["contactId"], "/", o["pipelineId"])
		assert.False(t, seen[k], "two opportunities for contact/pipeline %s", k)
		seen[k] = true
	}
	n := 0
	for _, err := range e.ledger.IDMap(context.Background(), rollback.TypeOpportunity) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, n, len(opps), "HighLevel holds the ledger's opportunities")
	return len(opps)
}

func TestDuplicateOpportunitiesCaughtBeforeSending(t *testing.T) {
	e := noDupOppEnv(t, 30, 1)
	ctx := context.Background()
	plans := practicePlans(e)
	m := e.migration(nil)

	pre, err := m.Preflight(ctx)
	require.NoError(t, err)
	require.True(t, pre.Ready(), "the run catches them: nothing blocks: %v", pre.Blocking)
	require.NotNil(t, pre.LocationSettings)
	require.False(t, pre.LocationSettings.AllowDuplicateOpportunity)
	predicted := pre.Validation.Objects()["treatment_plans"].Rules["invalid contactId+pipeline duplicate"]
	require.Positive(t, predicted, "the practice has patients with two plans in one pipeline")
	var warning string
	for _, w := range pre.Warnings {
		if strings.Contains(w, "would duplicate a contact's pipeline") {
			warning = w
		}
	}
	assert.True(t, strings.HasPrefix(warning, fmt.Sprintf("%d opportunities (treatment_plans) would duplicate a contact's pipeline", predicted)), warning)
	assert.Contains(t, warning, "Allow Duplicate Opportunity")
	var text strings.Builder
	require.NoError(t, pre.WriteText(&text))
	assert.Contains(t, text.String(), "contactId+pipeline duplicate", "the reason is in the invalid tally")
	est, ok := objectEstimate(pre.Estimate, "treatment_plans")
	require.True(t, ok)

	refused := countRefusals(e)
	e.resetCounts()
	rep, err := m.Load(ctx)
	require.NoError(t, err)
	e.hook.Store(nil)
	assert.Zero(t, refused.Load(), "no opportunity is refused by HighLevel")
	assert.Equal(t, est.Calls, e.opCount("opportunities.create"), "the opportunities' calls are the estimate's")
	assert.Equal(t, est.Records, int64(assertOnePerPipeline(t, e)))

	held := heldBack(t, e)
	require.Len(t, held, predicted, "preflight predicted what the run held back")
	bothActive := 0
	for key, h := range held {
		b, a := plans[key], plans[h[1]]
		assert.Equal(t, b.patient, a.patient, "plan %s is held by its own patient's plan %s", key, h[1])
		assert.Equal(t, b.pipeline, a.pipeline)
		assert.Equal(t, b.pipeline, h[0])
		assert.Less(t, a.pos, b.pos, "the first in the source's order keeps the pipeline")
		assert.Equal(t, "earlier in this run", h[2])
		_, migrated, err := e.ledger.Lookup(ctx, rollback.TypeOpportunity, h[1])
		require.NoError(t, err)
		assert.True(t, migrated, "the holder %s is in HighLevel", h[1])
		_, migrated, err = e.ledger.Lookup(ctx, rollback.TypeOpportunity, key)
		require.NoError(t, err)
		assert.False(t, migrated)
		if a.status == pbn.TreatmentPlanActive && b.status == pbn.TreatmentPlanActive {
			bothActive++
		}
	}
	assert.Positive(t, bothActive, "a patient with two active plans in one pipeline")
	var invalid int64
	for _, o := range rep.Objects {
		if o.Object == "treatment_plans" {
			invalid = o.Invalid
		}
	}
	assert.GreaterOrEqual(t, invalid, int64(len(held)), "counted invalid in the run's report")

	var csv strings.Builder
	require.NoError(t, e.ledger.WriteProblemsCSV(ctx, &csv))
	for key := range held {
		assert.Contains(t, csv.String(), ","+key+",", "the problems CSV lists %s", key)
	}
	assert.Contains(t, csv.String(), "contactId+pipeline: duplicate")

	// A second run changes nothing: the ledger's opportunities hold their
	// pipelines; nothing is sent or refused.
	refused = countRefusals(e)
	e.resetCounts()
	_, err = e.migration(nil).Load(ctx)
	require.NoError(t, err)
	e.hook.Store(nil)
	assert.Zero(t, refused.Load())
	assert.Zero(t, e.opCount("opportunities.create"))
	again := heldBack(t, e)
	require.Len(t, again, len(held))
	for key, h := range held {
		assert.Equal(t, [3]string{h[0], h[1], "migrated by an earlier run"}, again[key], "now held by the ledger's opportunity")
	}

	// With the setting on, preflight holds nothing back.
	require.NoError(t, e.hl.UpdateLocation(hltest.DefaultLocationID, func(l *hltest.Location) { l.AllowDuplicateOpportunities = true }))
	pre, err = e.migration(nil).Preflight(ctx)
	require.NoError(t, err)
	assert.Zero(t, pre.Validation.Objects()["treatment_plans"].Rules["invalid contactId+pipeline duplicate"])
}

// An opportunity an earlier run made holds its pipeline even when it comes
// later in the source: the first run migrates only the later plan of a
// patient's two in one pipeline (a filter), the second the whole practice;
// the earlier plan is then caught ("migrated by an earlier run") without a
// call, read from the ledger's journal.
func TestDuplicateOpportunityHeldByEarlierRun(t *testing.T) {
	e := noDupOppEnv(t, 30, 1)
	ctx := context.Background()
	plans := practicePlans(e)
	pre, err := e.migration(nil).Preflight(ctx)
	require.NoError(t, err)
	// A pair the full run would split: take the held-back plan B and the
	// plan A holding it, from a preflight of the whole practice.
	var a, b string
	for k, p := range plans {
		for k2, p2 := range plans {
			if k != k2 && p.patient == p2.patient && p.pipeline == p2.pipeline && p.pos < p2.pos && (a == "" || p.pos < plans[a].pos) {
				a, b = k, k2
			}
		}
	}
	require.NotEmpty(t, a)
	require.Positive(t, pre.Validation.Objects()["treatment_plans"].Rules["invalid contactId+pipeline duplicate"])

	data, err := e.m.Marshal()
	require.NoError(t, err)
	first, err := mapping.Parse(data, "first.yaml")
	require.NoError(t, err)
	o := first.Object("treatment_plans")
	require.NotNil(t, o)
	o.Filters = append(o.Filters, mapping.Filter{Field: "id", Op: mapping.OpNe, Values: []string{a}})
	require.NoError(t, first.Approve("test", time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)))
	refused := countRefusals(e)
	_, err = e.migration(func(o *pbnhl.Options) { o.Map = first }).Load(ctx)
	require.NoError(t, err)
	_, ok, err := e.ledger.Lookup(ctx, rollback.TypeOpportunity, b)
	require.NoError(t, err)
	require.True(t, ok, "the first run migrated plan %s (its pipeline was free)", b)

	_, err = e.migration(nil).Load(ctx)
	require.NoError(t, err)
	e.hook.Store(nil)
	assert.Zero(t, refused.Load(), "no opportunity is refused by HighLevel")
	held := heldBack(t, e)
	require.Contains(t, held, a)
	assert.Equal(t, [3]string{plans[a].pipeline, b, "migrated by an earlier run"}, held[a])
	_, ok, err = e.ledger.Lookup(ctx, rollback.TypeOpportunity, a)
	require.NoError(t, err)
	assert.False(t, ok)
	assertOnePerPipeline(t, e)
}

// Kill/resume: a run cancelled while it writes opportunities, resumed,
// holds back exactly what an uninterrupted run does, with no refusal.
func TestDuplicateOpportunitiesResume(t *testing.T) {
	e := noDupOppEnv(t, 30, 1)
	ctx := context.Background()
	pre, err := e.migration(nil).Preflight(ctx)
	require.NoError(t, err)
	predicted := pre.Validation.Objects()["treatment_plans"].Rules["invalid contactId+pipeline duplicate"]
	require.Positive(t, predicted)

	var refused atomic.Int64
	interruptions := 0
	for attempt := 0; ; attempt++ {
		require.Less(t, attempt, 50, "the run never completed")
		cctx, cancel := context.WithCancel(ctx)
		var once sync.Once
		var opps atomic.Int64
		hook := func(c highlevel.Call) {
			if c.Operation != "opportunities.create" {
				return
			}
			if c.StatusCode >= 400 {
				refused.Add(1)
			}
			if opps.Add(1) >= 7 {
				once.Do(cancel)
			}
		}
		e.hook.Store(&hook)
		_, err := e.migration(nil).Load(cctx)
		e.hook.Store(nil)
		cancel()
		if err == nil {
			break
		}
		require.True(t, errors.Is(err, context.Canceled), "unexpected error: %v", err)
		interruptions++
	}
	require.Positive(t, interruptions, "cancelled while writing opportunities")
	t.Logf("completed after %d interruptions", interruptions)
	assert.Zero(t, refused.Load(), "no opportunity is refused by HighLevel")
	held := heldBack(t, e)
	assert.Len(t, held, predicted, "the resumed run held back what preflight predicted")
	assertOnePerPipeline(t, e)
	assertSettled(t, e)
}

// An opportunity made in the location by other means (by hand, another
// tool) holds its contact's pipeline too: the run reads the map's
// pipelines (one search per 100 opportunities each) and holds back the
// plan that would collide with it, without a call; preflight predicts it.
func TestDuplicateOpportunityHeldByLocation(t *testing.T) {
	e := noDupOppEnv(t, 30, 1)
	ctx := context.Background()

	// Contacts first, no plan: a map whose plans all filter out.
	data, err := e.m.Marshal()
	require.NoError(t, err)
	first, err := mapping.Parse(data, "first.yaml")
	require.NoError(t, err)
	o := first.Object("treatment_plans")
	o.Filters = append(o.Filters, mapping.Filter{Field: "id", Op: mapping.OpEq, Values: []string{"no-such-plan"}})
	require.NoError(t, first.Approve("test", time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)))
	_, err = e.migration(func(o *pbnhl.Options) { o.Map = first }).Load(ctx)
	require.NoError(t, err)

	// A plan whose patient is a contact now: someone adds an opportunity
	// for that contact in the plan's pipeline by hand.
	pipes, err := e.client.Pipelines.List(ctx)
	require.NoError(t, err)
	var plan pbn.TreatmentPlan
	var contactID string
	for p := range e.pbn.Practice().TreatmentPlans() {
		m, ok, err := e.ledger.Lookup(ctx, rollback.TypeContact, string(p.PatientID))
		require.NoError(t, err)
		if ok {
			plan, contactID = p, m.HighLevelID
			break
		}
	}
	require.NotEmpty(t, contactID)
	var pipe *highlevel.Pipeline
	for _, p := range pipes {
		if strings.EqualFold(p.Name, plan.Pipeline) {
			pipe = p
		}
	}
	require.NotNil(t, pipe)
	byHand, err := e.client.Opportunities.Create(ctx, highlevel.OpportunityInput{PipelineID: pipe.ID, Name: "Whitening offer",
		Status: highlevel.StatusOpen, ContactID: contactID})
	require.NoError(t, err)

	pre, err := e.migration(nil).Preflight(ctx)
	require.NoError(t, err)
	predicted := pre.Validation.Objects()["treatment_plans"].Rules["invalid contactId+pipeline duplicate"]

	refused := countRefusals(e)
	_, err = e.migration(nil).Load(ctx)
	require.NoError(t, err)
	e.hook.Store(nil)
	assert.Zero(t, refused.Load(), "no opportunity is refused by HighLevel")

	var reason string
	n := 0
	for pr, err := range e.ledger.Problems(ctx) {
		require.NoError(t, err)
		for _, r := range pr.Reasons {
			if strings.Contains(r, "contactId+pipeline: duplicate") {
				n++
				if pr.SourceKey == string(plan.ID) {
					reason = r
				}
			}
		}
	}
	assert.Equal(t, predicted, n, "preflight predicted what the run held back")
	assert.Contains(t, reason, fmt.Sprintf("(HighLevel opportunity %s, not made by this migration)", byHand.ID))
	_, ok, err := e.ledger.Lookup(ctx, rollback.TypeOpportunity, string(plan.ID))
	require.NoError(t, err)
	assert.False(t, ok)
}
