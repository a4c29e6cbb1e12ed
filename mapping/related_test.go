package mapping

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// relatedRule is the default map's case type rule as it is written.
const relatedRule = "related: {object: treatment_plans, field: pipeline}"

// defaultWith parses the default map with its case type rule's related
// line replaced by repl.
func defaultWith(t *testing.T, repl string) (*Map, error) {
	t.Helper()
	data, err := mustDefault(t).Marshal()
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(string(data), relatedRule), "the default map has the case type rule")
	return Parse([]byte(strings.Replace(string(data), relatedRule, repl, 1)), "t.yaml")
}

func TestRelatedCheck(t *testing.T) {
	_, err := defaultWith(t, relatedRule)
	require.NoError(t, err, "the default map's rule is valid")
	tests := []struct{ name, repl, want string }{
		{"unknown object", "related: {object: treatment_plan, field: pipeline}", `related refers to unknown object "treatment_plan" (did you mean "treatment_plans"?)`},
		{"not a column", "related: {object: treatment_plans, field: pipeline_name}", `"pipeline_name" is not a field of treatment_plans, the source of treatment_plans`},
		{"no field", "related: {object: treatment_plans}", "related needs object (a map object) and field (a field of its source)"},
		{"no object", "related: {field: pipeline}", "related needs object (a map object) and field"},
		{"expanded rows", "related: {object: treatment_notes, field: notes}", `related cannot read "treatment_notes": its records are rows parsed out of free text`},
		{"typo key", "related: {object: treatment_plans, feild: pipeline}", `unknown key "feild" (did you mean "field"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := defaultWith(t, tt.repl)
			require.Error(t, err)
			var le *LoadError
			require.ErrorAs(t, err, &le)
			assert.Contains(t, err.Error(), tt.want)
			if tt.name != "typo key" {
				assert.Contains(t, err.Error(), "objects.procedures.fields.case_type.related")
			}
		})
	}
	// A rule without from has no key to read.
	m := mustDefault(t)
	f := m.Object("procedures").Field("case_type")
	f.From = ""
	f.Value = "x"
	issues := m.check(nil)
	require.NotEmpty(t, issues)
	assert.Contains(t, issuesText(issues), "related reads the record whose key is in from")
	// A custom property of a PbN entity is a field too.
	m = mustDefault(t)
	m.Object("procedures").Field("case_type").Related.Field = "custom.case_kind"
	assert.Empty(t, m.check(nil))
}

func issuesText(is []Issue) string {
	var b strings.Builder
	for _, i := range is {
		b.WriteString(i.String() + "\n")
	}
	return b.String()
}

// plansIndex is a RelatedValues of the map holding two plans.
func plansIndex(m *Map) *RelatedValues {
	rv := NewRelatedValues(m)
	rv.Add("treatment_plans", Row{"id": "7", "pipeline": "Implants", "stage": "Consult"})
	rv.Add("treatment_plans", Row{"id": " 8 ", "pipeline": "Perio"})
	rv.Add("treatment_plans", Row{"id": "", "pipeline": "Restorative"}) // no key: not held
	rv.Add("patients", Row{"id": "7"})                                  // no rule reads patients
	return rv
}

func procedure(plan string) Row {
	return Row{"id": "41", "patientId": "3", "code": "D1110", "description": "Prophy", "status": "C", "treatmentPlanId": plan}
}

func applyProcedure(t *testing.T, a *Applier, plan string) Payload {
	t.Helper()
	ps, err := a.Apply("procedures", procedure(plan))
	require.NoError(t, err)
	require.Len(t, ps, 1)
	return ps[0]
}

func TestRelatedApply(t *testing.T) {
	m := mustDefault(t)
	require.NoError(t, m.Approve("test", fixedTime))
	rv := plansIndex(m)
	assert.Equal(t, 2, rv.Len("treatment_plans"))
	assert.Equal(t, 0, rv.Len("patients"))
	a, err := NewApplier(m, ApplierOptions{Related: rv})
	require.NoError(t, err)

	for plan, want := range map[string]string{"7": "Implants", " 8": "Perio"} {
		p := applyProcedure(t, a, plan)
		v, ok := p.Field("case_type")
		require.True(t, ok, "plan %q", plan)
		assert.Equal(t, Value{Key: "case_type", Type: TypeText, Text: want}, v)
		assert.Empty(t, p.Problems)
	}

	// No plan: no case type, no problem; an update clears the field.
	for _, plan := range []string{"", "  ", "0"} {
		p := applyProcedure(t, a, plan)
		_, ok := p.Field("case_type")
		assert.False(t, ok, "plan %q", plan)
		assert.Contains(t, p.Empty, "case_type")
		assert.Empty(t, p.Problems)
		assert.True(t, p.Valid())
	}

	// A plan the source does not have: left out with a warning, the
	// record still valid; the reason carries no value.
	p := applyProcedure(t, a, "99")
	_, ok := p.Field("case_type")
	assert.False(t, ok)
	assert.NotContains(t, p.Empty, "case_type", "a field left out for a problem is not cleared")
	require.Len(t, p.Problems, 1)
	pr := p.Problems[0]
	assert.Equal(t, Problem{Object: "procedures", SourceKey: "41", Field: "case_type", Rule: RuleRelated, Severity: Warning,
		Reason: "no treatment_plans record in the source has the treatmentPlanId this record names; the field is left out"}, pr)
	assert.True(t, p.Valid())
	assert.NotContains(t, pr.String(), "99")

	// Without an index the rule cannot read: a warning, never a panic or
	// a silent gap.
	bare, err := NewApplier(m, ApplierOptions{})
	require.NoError(t, err)
	p = applyProcedure(t, bare, "7")
	_, ok = p.Field("case_type")
	assert.False(t, ok)
	require.Len(t, p.Problems, 1)
	assert.Equal(t, RuleRelated, p.Problems[0].Rule)
	assert.Contains(t, p.Problems[0].Reason, "were not read")
	// WithRelated gives the same compiled map its index.
	p = applyProcedure(t, bare.WithRelated(rv), "7")
	v, _ := p.Field("case_type")
	assert.Equal(t, "Implants", v.Text)
	assert.Empty(t, p.Problems)
}

// The related value goes through the rule as its own value would:
// transforms, the type check; a required rule makes a missing plan an
// invalid record.
func TestRelatedRuleChain(t *testing.T) {
	m, err := defaultWith(t, relatedRule+"\n        transform: [upper]\n        required: true")
	require.NoError(t, err)
	require.NoError(t, m.Approve("test", fixedTime))
	a, err := NewApplier(m, ApplierOptions{Related: plansIndex(m)})
	require.NoError(t, err)
	p := applyProcedure(t, a, "7")
	v, _ := p.Field("case_type")
	assert.Equal(t, "IMPLANTS", v.Text)

	p = applyProcedure(t, a, "99")
	assert.False(t, p.Valid())
	require.Len(t, p.Problems, 1)
	assert.Equal(t, Invalid, p.Problems[0].Severity)
	assert.Equal(t, RuleRelated, p.Problems[0].Rule)
	assert.NotContains(t, p.Problems[0].Reason, "left out")

	p = applyProcedure(t, a, "")
	assert.False(t, p.Valid(), "a required case type needs a plan")
	assert.Equal(t, RuleRequired, p.Problems[0].Rule)

	// Options: a pipeline not among them is left out with a warning.
	m, err = defaultWith(t, relatedRule)
	require.NoError(t, err)
	f := m.Object("procedures").Field("case_type")
	f.Type, f.Options = TypeSingleOptions, []string{"Implants", "Restorative"}
	require.NoError(t, m.Approve("test", fixedTime))
	a, err = NewApplier(m, ApplierOptions{Related: plansIndex(m)})
	require.NoError(t, err)
	p = applyProcedure(t, a, "7")
	v, _ = p.Field("case_type")
	assert.Equal(t, Value{Key: "case_type", Type: TypeSingleOptions, Text: "Implants"}, v)
	p = applyProcedure(t, a, "8")
	_, ok := p.Field("case_type")
	assert.False(t, ok)
	require.Len(t, p.Problems, 1)
	assert.Equal(t, RuleType, p.Problems[0].Rule)
}

func TestRelatedValues(t *testing.T) {
	m := mustDefault(t)
	reads := m.RelatedReads()
	require.Len(t, reads, 1)
	assert.Equal(t, "treatment_plans", reads[0].Object.Name)
	assert.Equal(t, []string{"pipeline"}, reads[0].Fields)

	// Two rules reading two fields of one object: one read, both fields.
	o := m.Object("procedures")
	o.Fields = append(o.Fields, Field{From: "treatmentPlanId", To: "case_stage", Type: TypeText, Related: &Related{Object: "treatment_plans", Field: "stage"}},
		Field{From: "treatmentPlanId", To: "case_pipeline", Type: TypeText, Related: &Related{Object: "treatment_plans", Field: "pipeline"}})
	reads = m.RelatedReads()
	require.Len(t, reads, 1)
	assert.Equal(t, []string{"pipeline", "stage"}, reads[0].Fields)
	rv := NewRelatedValues(m)
	line := "12,Implants,Consult,and the rest of a long row"
	rv.Add("treatment_plans", Row{"id": line[:2], "pipeline": line[3:11], "stage": line[12:19]})
	rv.Add("treatment_plans", Row{"id": "13", "pipeline": "Implants"})
	v, ok := rv.Value("treatment_plans", "stage", "12")
	assert.True(t, ok)
	assert.Equal(t, "Consult", v)
	v, ok = rv.Value("treatment_plans", "stage", "13")
	assert.True(t, ok, "a record without the field is held, with no value")
	assert.Empty(t, v)
	_, ok = rv.Value("treatment_plans", "amount", "12")
	assert.False(t, ok, "a field no rule reads is not held")
	// A later record of the same key replaces the earlier.
	rv.Add("treatment_plans", Row{"id": "12", "pipeline": "Perio"})
	v, _ = rv.Value("treatment_plans", "pipeline", "12")
	assert.Equal(t, "Perio", v)
	assert.Equal(t, 2, rv.Len("treatment_plans"))
	var nilIndex *RelatedValues
	_, ok = nilIndex.Value("treatment_plans", "pipeline", "12")
	assert.False(t, ok)

	// A map without related rules needs no read.
	for i := range m.Objects {
		for j := range m.Objects[i].Fields {
			m.Objects[i].Fields[j].Related = nil
		}
	}
	assert.Nil(t, m.RelatedReads())
}

// BenchmarkRelatedValues builds the default map's related index over
// 100,000 plans, as a run does from one read of treatment_plans, and
// reports what it holds per plan (heap bytes after the build: the key and
// one interned pipeline, never the record) and the cost of a lookup.
func BenchmarkRelatedValues(b *testing.B) {
	m := mustDefault(b)
	pipelines := []string{"Restorative", "Implants", "Perio", "Ortho / Aligners"}
	const plans = 100_000
	recs := make([]Row, plans)
	for i := range recs {
		recs[i] = Row{"id": strconv.Itoa(1_000_000 + i), "pipeline": pipelines[i%len(pipelines)],
			"heading": "Crown and build-up, upper right", "note": strings.Repeat("n", 200), "stage": "Presented"}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rv := NewRelatedValues(m)
	for _, r := range recs {
		rv.Add("treatment_plans", r)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	require.Equal(b, plans, rv.Len("treatment_plans"))
	held := float64(after.HeapAlloc-before.HeapAlloc) / plans
	b.ResetTimer() // also drops reported metrics: held is reported after the loop
	for i := 0; b.Loop(); i++ {
		if _, ok := rv.Value("treatment_plans", "pipeline", recs[i%plans]["id"]); !ok {
			b.Fatal("plan not found")
		}
	}
	b.ReportMetric(held, "heapB/plan")
	runtime.KeepAlive(recs)
}

// TestProposeCaseType: a proposal from an export with both the treatment
// rows and their plans drafts the case type rule (the plan's pipeline,
// Related), which loads and applies; from report files, the rows name
// their plan by the plans' key column. Without a plans object there is
// none.
func TestProposeCaseType(t *testing.T) {
	inv, _ := pbntestInventory(t)
	pr, err := Propose(context.Background(), inv, Destination{}, ProposeOptions{})
	require.NoError(t, err)
	m := mustLoad(t, pr)
	f := m.Object("procedures").Field(CaseTypeKey)
	require.NotNil(t, f, "the proposal drafts the case type")
	assert.Equal(t, "treatmentPlanId", f.From)
	assert.Equal(t, &Related{Object: "treatment_plans", Field: "pipeline"}, f.Related)
	assert.Equal(t, TypeText, f.Type)
	assert.True(t, slices.ContainsFunc(pr.Columns, func(c ColumnDecision) bool {
		return c.Object == "procedures" && c.Column == "treatmentPlanId" && c.Target == CaseTypeKey
	}), "the column decisions list it")
	assert.Contains(t, pr.Notes, "procedures: case type (case_type) is the pipeline of the treatment_plan its treatmentPlanId names, read once per run from treatment_plans",
		"propose says it drafted the case type")

	reports := func(withPlans bool) *Map {
		ents := []EntityInventory{
			csvEntity(t, "patients", "PatNum,FName,LName,Email\n1,Ann,Lee,a@x.example\n2,Bob,Ng,b@x.example\n"),
			csvEntity(t, "Procedure Report", "ProcNum,PatNum,TreatPlanNum,ProcCode,Description,ProcFee\n10,1,7,D2740,Crown,1200\n11,2,8,D4341,Scaling,240\n12,2,,D1110,Prophy,95\n"),
		}
		if withPlans {
			ents = append(ents, csvEntity(t, "Treatment Plan Report", "TreatPlanNum,PatNum,Heading,Pipeline,Stage,Amount\n7,1,Crown UR,Restorative,Presented,1200\n8,2,Perio,Perio,Accepted,240\n"))
		}
		pr, err := Propose(context.Background(), SourceInventory{Entities: ents}, Destination{}, ProposeOptions{})
		require.NoError(t, err)
		return mustLoad(t, pr)
	}
	m = reports(true)
	var plans *Object
	for i := range m.Objects {
		if m.Objects[i].Target == TargetOpportunity {
			plans = &m.Objects[i]
		}
	}
	require.NotNil(t, plans, "the plans report is drafted as opportunities")
	require.NotEmpty(t, plans.PipelineField)
	var rows *Object
	for i := range m.Objects {
		if m.Objects[i].Target == TargetCustomObject {
			rows = &m.Objects[i]
		}
	}
	require.NotNil(t, rows, "the procedures report is drafted as a custom object")
	f = rows.Field(CaseTypeKey)
	require.NotNil(t, f, "report files: the rows name their plan by its key column")
	assert.Equal(t, "TreatPlanNum", f.From)
	assert.Equal(t, &Related{Object: plans.Name, Field: plans.PipelineField}, f.Related)

	m = reports(false)
	for _, o := range m.Objects {
		assert.Nil(t, o.Field(CaseTypeKey), "%s: no plans, no case type", o.Name)
	}

	// A PbN plans file whose pipeline column the draft names otherwise
	// than the entity's field: no rule (it would not load), the procedures
	// object still drafted.
	ents := []EntityInventory{
		csvEntity(t, "patients", "id,firstName,lastName\n1,Ann,Lee\n"),
		csvEntity(t, "procedures", "id,patientId,treatmentPlanId,code,description\n10,1,7,D2740,Crown\n"),
		csvEntity(t, "treatment_plans", "id,patientId,Pipeline,Stage,Amount\n7,1,Restorative,Presented,1200\n"),
	}
	pr, err = Propose(context.Background(), SourceInventory{Entities: ents}, Destination{}, ProposeOptions{})
	require.NoError(t, err)
	m = mustLoad(t, pr)
	tp := m.Object("treatment_plans")
	require.NotNil(t, tp)
	require.Equal(t, "Pipeline", tp.PipelineField)
	require.NotNil(t, m.Object("procedures"), "the procedures are drafted")
	assert.Nil(t, m.Object("procedures").Field(CaseTypeKey))
}

// TestProposeLinksRecordsByKeyColumn: a report whose column is named as
// another report's key column ("AptNum") is drafted with the association
// to that report's records, the id kept as a property, and propose says so
// in its notes; a key column two reports share links neither.
func TestProposeLinksRecordsByKeyColumn(t *testing.T) {
	propose := func(ents ...EntityInventory) *Proposal {
		pr, err := Propose(context.Background(), SourceInventory{Entities: ents}, Destination{}, ProposeOptions{})
		require.NoError(t, err)
		mustLoad(t, pr)
		return pr
	}
	patients := csvEntity(t, "patients", "PatNum,FName,LName,Email\n1,Ann,Lee,a@x.example\n2,Bob,Ng,b@x.example\n")
	visits := csvEntity(t, "Appointment Report", "AptNum,PatNum,AptDateTime,ProvNum,Note\n30,1,2026-01-05 09:00,3,Recall\n31,2,2026-01-06 10:00,3,Crown prep\n")
	procs := csvEntity(t, "Procedure Report", "ProcNum,PatNum,AptNum,ProcCode,Description,ProcFee\n10,1,30,D1110,Prophy,95\n11,2,31,D2740,Crown,1200\n")
	pr := propose(patients, visits, procs)
	var rows, appts *Object
	for i := range pr.Map.Objects {
		o := &pr.Map.Objects[i]
		switch o.SourceKey {
		case "ProcNum":
			rows = o
		case "AptNum":
			appts = o
		}
	}
	require.NotNil(t, rows, "the procedures report is drafted")
	require.NotNil(t, appts, "the appointments report is drafted")
	require.Equal(t, TargetCustomObject, rows.Target)
	require.Equal(t, TargetCustomObject, appts.Target)
	i := slices.IndexFunc(rows.Lookups, func(l Lookup) bool { return l.From == "AptNum" })
	require.GreaterOrEqual(t, i, 0, "a procedure is related to its appointment")
	assert.Equal(t, appts.Name, rows.Lookups[i].Object)
	assert.Equal(t, LinkAssociation, rows.Lookups[i].To)
	assert.True(t, slices.ContainsFunc(rows.Fields, func(f Field) bool { return f.From == "AptNum" }), "the id stays a property")
	assert.Contains(t, pr.Notes, fmt.Sprintf("%s: each record is related to its %s by AptNum (an association; the id stays a property)",
		rows.Name, singularOf(appts.Name)), "propose says it drafted the association")

	// Two reports keyed by the same column name: which one a third
	// report's column means is a person's call.
	other := csvEntity(t, "Broken Appointments", "AptNum,PatNum,AptDateTime,Reason\n40,1,2026-02-05 09:00,No show\n41,2,2026-02-06 10:00,Cancelled\n")
	pr = propose(patients, visits, other, procs)
	require.Len(t, slices.DeleteFunc(slices.Clone(pr.Map.Objects), func(o Object) bool { return o.SourceKey != "AptNum" }), 2, "both appointment reports keyed by AptNum are drafted")
	for _, o := range pr.Map.Objects {
		assert.False(t, slices.ContainsFunc(o.Lookups, func(l Lookup) bool { return l.From == "AptNum" && l.To == LinkAssociation }),
			"%s: a key column two reports share links neither", o.Name)
	}
	assert.False(t, slices.ContainsFunc(pr.Notes, func(n string) bool { return strings.Contains(n, "by AptNum (an association") }))
}
