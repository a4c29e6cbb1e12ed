package mapping

import (
	"fmt"
	"slices"
)

// CaseTypeKey is the property the proposer drafts on a treatment row for
// its case type (the default map's procedures rule writes the same).
const CaseTypeKey = "case_type"

// relateCaseTypes drafts the case type on treatment rows when the export
// has both the rows and their plans (issue 16.5): for an opportunity object
// with a pipeline field (the plans, one pipeline per case type) and a
// custom object whose rule reads a column naming a plan — the plans'
// key column by name ("TreatPlanNum"), or "<plan>Id" ("treatmentPlanId") —
// a TEXT rule case_type reading the pipeline of the plan the row names
// (Related). The id rule stays. A pipeline field the plans' source does
// not have by that name drafts nothing (the rule would not load). A custom object that already has a
// case_type rule or a related rule to the plans is left as it is; a column
// two plan objects could both claim drafts nothing (a person's call).
func (pr *Proposal) relateCaseTypes() {
	names := map[string][]string{} // column, normalised → the plan objects it names
	for _, p := range pr.Map.Objects {
		if p.Target != TargetOpportunity || p.PipelineField == "" || p.SourceKey == "" || !sourceHasField(&p, p.PipelineField) {
			continue
		}
		cands := []string{normName(singularOf(p.Name)) + "id", normName(singularOf(p.Source)) + "id"}
		if k := normName(p.SourceKey); k != "id" && len(p.KeyParts()) == 1 {
			cands = append(cands, k)
		}
		for _, c := range cands {
			if !slices.Contains(names[c], p.Name) {
				names[c] = append(names[c], p.Name)
			}
		}
	}
	if len(names) == 0 {
		return
	}
	for i := range pr.Map.Objects {
		o := &pr.Map.Objects[i]
		if o.Target != TargetCustomObject || o.Expand != nil || o.Field(CaseTypeKey) != nil {
			continue
		}
		for j := range o.Fields {
			f := o.Fields[j]
			plans := names[normName(f.From)]
			if f.From == "" || f.Related != nil || len(plans) != 1 {
				continue
			}
			p := pr.Map.Object(plans[0])
			if slices.ContainsFunc(o.Fields, func(g Field) bool { return g.Related != nil && g.Related.Object == p.Name }) {
				break
			}
			why := fmt.Sprintf("the %s of the %s record this row names by %s: its case type (read once per run from %s)",
				p.PipelineField, singularOf(p.Name), f.From, p.Source)
			o.Fields = append(o.Fields, Field{From: f.From, To: CaseTypeKey, Label: "Case type", Type: TypeText,
				Related: &Related{Object: p.Name, Field: p.PipelineField}, Confidence: 0.8, Reason: why, Origin: "heuristic"})
			pr.Columns = append(pr.Columns, ColumnDecision{Object: o.Name, Column: f.From, Decision: DecisionField,
				Target: CaseTypeKey, Custom: true, Confidence: 0.8, Why: why})
			pr.Notes = append(pr.Notes, fmt.Sprintf("%s: case type (%s) is the %s of the %s its %s names, read once per run from %s",
				o.Name, CaseTypeKey, p.PipelineField, singularOf(p.Name), f.From, p.Source))
			break
		}
	}
}
