package pbnhl_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// caseTypeObject is the custom object the default map writes treatment
// rows to.
const caseTypeObject = "custom_objects.pbn_treatment"

// TestCaseTypeArrives (issue 16.5, links: case type on treatment rows):
// with the default map, a treatment row carries its case type — the
// pipeline of its treatment plan, read from the plan's source record
// (mapping.Related). Preflight's validation reads the plans as a run does
// (no treatment row warns that its plan is missing), the sample's bodies
// carry each row's case type, and after the load every treatment record
// read back through the client has exactly its plan's pipeline as
// case_type, or none without a plan (rows parsed out of patient notes
// included); a delta that brings new patients with their plans and
// procedures carries theirs too. The census: rows with a plan in the
// source, rows that arrived with the case type — equal.
func TestCaseTypeArrives(t *testing.T) {
	day := pbntest.DefaultAsOf.Add(24 * time.Hour)
	e := newEnv(t, envOptions{patients: size(60), seed: 23, now: func() time.Time { return day }})
	ctx := context.Background()
	require.NotNil(t, e.m.Object("procedures").Field("case_type").Related, "the default map reads the case type from the plan")
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)

	pre, err := m.Preflight(ctx)
	require.NoError(t, err)
	require.True(t, pre.Ready(), pre.Blocking)
	for _, pr := range pre.Validation.Problems() {
		assert.NotEqual(t, mapping.RuleRelated, pr.Rule, "preflight reads every plan: %s", pr)
	}
	assert.Positive(t, pre.Validation.Objects()["procedures"].Valid)

	pipelines := planPipelines(t, e.src)
	sample, err := m.Sample(ctx, pbnhl.SampleOptions{Patients: 6})
	require.NoError(t, err)
	sampled := 0
	for _, w := range sample.Written {
		if w.ObjectType != caseTypeObject || w.Object != "procedures" {
			continue
		}
		var body struct {
			Properties map[string]any `json:"properties"`
		}
		require.NoError(t, json.Unmarshal(w.Body, &body))
		plan := procedurePlan(t, e, w.SourceKey)
		if plan == "" {
			assert.NotContains(t, body.Properties, "case_type", "procedure %s has no plan", w.SourceKey)
			continue
		}
		assert.Equal(t, pipelines[plan], body.Properties["case_type"], "sampled procedure %s: its plan's pipeline", w.SourceKey)
		sampled++
	}
	assert.Positive(t, sampled, "the sample wrote treatment rows with a case type")

	_, err = e.migration(nil).Load(ctx)
	require.NoError(t, err)
	withPlan, arrived := checkCaseTypes(t, e, e.src)
	assert.Positive(t, withPlan)
	t.Logf("after the load: %d treatment rows with a plan, %d arrived with their case type", withPlan, arrived)

	ch := e.pbn.MutateWith(pbntest.MutateOptions{Create: 20})
	require.NotEmpty(t, ch.Created[pbn.EntityProcedures])
	require.NotEmpty(t, ch.Created[pbn.EntityTreatmentPlans])
	_, err = e.migration(nil).Delta(ctx)
	require.NoError(t, err)
	withPlan2, arrived2 := checkCaseTypes(t, e, e.src)
	assert.Greater(t, withPlan2, withPlan, "the delta brought new treatment rows with plans")
	t.Logf("after the delta: %d treatment rows with a plan, %d arrived with their case type", withPlan2, arrived2)
}

// planPipelines reads every treatment plan of the source: id → pipeline.
func planPipelines(t *testing.T, src pbn.Source) map[string]string {
	t.Helper()
	out := map[string]string{}
	for tp, err := range src.TreatmentPlans(context.Background(), pbn.ListOptions{}) {
		require.NoError(t, err)
		out[string(tp.ID)] = tp.Pipeline
	}
	return out
}

// procedurePlan is the plan id of one source procedure ("" for none).
func procedurePlan(t *testing.T, e *env, id string) string {
	t.Helper()
	for pr, err := range e.src.Procedures(context.Background(), pbn.ListOptions{}) {
		require.NoError(t, err)
		if string(pr.ID) == id {
			return string(pr.TreatmentPlanID)
		}
	}
	t.Fatalf("procedure %s is not in the source", id)
	return ""
}

// checkCaseTypes reads the source (as it is now) and
// every treatment record through the client: each record of a procedure
// with a plan has exactly that plan's pipeline as case_type, every other
// record (no plan, or a row parsed out of patient notes) none. It returns
// the census: migrated procedures with a plan, and records that arrived
// with a case type — asserted equal.
func checkCaseTypes(t *testing.T, e *env, src pbn.Source) (withPlan, arrived int) {
	t.Helper()
	ctx := context.Background()
	pipelines := planPipelines(t, src)
	planOf := map[string]string{}
	for pr, err := range src.Procedures(ctx, pbn.ListOptions{}) {
		require.NoError(t, err)
		planOf[string(pr.ID)] = string(pr.TreatmentPlanID)
	}
	text := func(r *highlevel.Record, prop string) string {
		v, ok := r.Properties.Value(prop)
		if !ok {
			return ""
		}
		s, _ := v.Text()
		return s
	}
	records, fromNotes := 0, 0
	for r, err := range e.client.Objects.SearchRecords(ctx, caseTypeObject, highlevel.RecordSearch{}) {
		require.NoError(t, err)
		records++
		key := text(r, "pbn_treatment_id")
		got := text(r, "case_type")
		if got != "" {
			arrived++
		}
		plan, ok := planOf[key]
		if !ok {
			require.Contains(t, key, "#", "record %s: a procedure's, or a row of patient notes", r.ID)
			fromNotes++
			assert.Empty(t, got, "row %s of patient notes has no plan", key)
			continue
		}
		if plan == "" || plan == "0" {
			assert.Empty(t, got, "procedure %s has no plan", key)
			continue
		}
		require.Contains(t, pipelines, plan, "procedure %s's plan is in the source", key)
		require.NotEmpty(t, pipelines[plan])
		withPlan++
		assert.Equal(t, pipelines[plan], got, "procedure %s: the case type is its plan's pipeline", key)
	}
	assert.Equal(t, withPlan, arrived, "census: every treatment row with a plan arrived with its case type, no other")
	assert.Positive(t, records)
	t.Logf("%d treatment records read back: %d rows of patient notes, %d with a plan", records, fromNotes, withPlan)
	return withPlan, arrived
}

// TestCaseTypeFollowsItsPlan: a delta after a plan moved to another
// pipeline rewrites the case type of that plan's treatment rows, though
// the rows themselves did not change — and only theirs. The source is two
// CSV exports: the first loaded whole, the second the same folder with one
// plan's pipeline changed (its updated_at after the first's watermark, the
// folder's manifest saying when it was taken).
func TestCaseTypeFollowsItsPlan(t *testing.T) {
	if testing.Short() {
		t.Skip("a load of 40 patients from an export and a delta")
	}
	ctx := context.Background()
	const patients, seed = 40, 7 // newEnv's defaults: the env's map fits this practice
	p, err := pbntest.NewPractice(seed, patients)
	require.NoError(t, err)
	at := p.AsOf().Add(24 * time.Hour)
	sim, err := pbntest.New(pbntest.Options{Practice: p, Now: func() time.Time { return at }})
	require.NoError(t, err)
	first, second := t.TempDir(), t.TempDir()
	_, err = sim.WriteExport(ctx, first, pbntest.ExportOptions{})
	require.NoError(t, err)
	_, err = sim.WriteExport(ctx, second, pbntest.ExportOptions{})
	require.NoError(t, err)
	open := func(dir string) *pbn.ExportReader {
		r, err := pbn.OpenExport(dir, pbn.ExportOptions{})
		require.NoError(t, err)
		return r
	}
	inv, err := open(first).Inventory(ctx)
	require.NoError(t, err)
	require.False(t, inv.ServerTime.IsZero(), "the first export says when it was taken")

	// The plan to move: one with treatment rows, in a stage every
	// pipeline of the default map has, to a pipeline it is not in.
	rows := map[string][]string{} // plan → its procedures not deleted
	for pr := range p.Procedures() {
		if pr.TreatmentPlanID != "" && pr.Status != pbn.ProcedureDeleted {
			rows[string(pr.TreatmentPlanID)] = append(rows[string(pr.TreatmentPlanID)], string(pr.ID))
		}
	}
	var plan, from, to string
	for tp := range p.TreatmentPlans() {
		if len(rows[string(tp.ID)]) > 0 && (tp.Stage == "Presented" || tp.Stage == "Accepted" || tp.Stage == "Declined") {
			plan, from = string(tp.ID), tp.Pipeline
			break
		}
	}
	require.NotEmpty(t, plan, "the practice has a plan with treatment rows")
	to = "Implants"
	if from == to {
		to = "Perio"
	}
	editPlan(t, filepath.Join(second, pbn.EntityTreatmentPlans.FileName()), plan, to, inv.ServerTime.Add(time.Minute))
	manifest, err := json.Marshal(pbn.Manifest{ExportedAt: inv.ServerTime.Add(2 * time.Minute)})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(second, pbn.ManifestFile), manifest, 0o600))

	e := newEnv(t, envOptions{patients: patients, seed: seed})
	m := e.migration(func(o *pbnhl.Options) { o.Source = open(first) })
	_, err = m.ApplySchema(ctx)
	require.NoError(t, err)
	_, err = m.Load(ctx)
	require.NoError(t, err)
	checkCaseTypes(t, e, open(first))

	rep, err := e.migration(func(o *pbnhl.Options) { o.Source = open(second) }).Delta(ctx)
	require.NoError(t, err)
	withPlan, arrived := checkCaseTypes(t, e, open(second))
	// Exactly the moved plan's rows were written again (the others read
	// again, found unchanged by their digest and left alone).
	var rewritten []string
	for en, err := range e.ledger.IDMap(ctx, caseTypeObject) {
		require.NoError(t, err)
		if en.Run == rep.Run {
			rewritten = append(rewritten, en.SourceKey)
		}
	}
	var migrated []string
	for _, k := range rows[plan] {
		_, ok, err := e.ledger.Lookup(ctx, caseTypeObject, k)
		require.NoError(t, err)
		if ok {
			migrated = append(migrated, k)
		}
	}
	require.NotEmpty(t, migrated, "plan %s's rows were migrated", plan)
	assert.ElementsMatch(t, migrated, rewritten, "the delta rewrote the moved plan's treatment rows, no other")
	t.Logf("plan %s moved %s → %s: %d of its treatment rows rewritten; census %d with a plan, %d with the case type",
		plan, from, to, len(rewritten), withPlan, arrived)
}

// editPlan sets one plan's pipeline and updated_at in a treatment plans
// export file.
func editPlan(t *testing.T, file, plan, pipeline string, at time.Time) {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, f.Close())
	require.NoError(t, err)
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range []string{"treatment_plan_id", "pipeline", "updated_at"} {
		require.Contains(t, col, h, "the export's header")
	}
	edited := 0
	for _, r := range recs[1:] {
		if r[col["treatment_plan_id"]] == plan {
			r[col["pipeline"]] = pipeline
			r[col["updated_at"]] = at.UTC().Format(time.RFC3339)
			edited++
		}
	}
	require.Equal(t, 1, edited)
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	require.NoError(t, w.WriteAll(recs))
	require.NoError(t, os.WriteFile(file, b.Bytes(), 0o600))
}
