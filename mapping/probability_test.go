package mapping

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// TestStageProbability: HighLevel cannot set a stage probability, so the
// default map writes each opportunity's stage probability into a
// NUMERICAL opportunity field, and the schema plan lists the per-stage
// values as a manual step.
func TestStageProbability(t *testing.T) {
	m := approvedDefault(t)
	o := m.Object("treatment_plans")
	require.Equal(t, "pbn_stage_probability", o.ProbabilityField)

	plan, err := DeriveSchema(m)
	require.NoError(t, err)
	var field *SchemaField
	for i := range plan.Fields {
		if plan.Fields[i].FieldKey() == "opportunity.pbn_stage_probability" {
			field = &plan.Fields[i]
		}
	}
	require.NotNil(t, field)
	assert.Equal(t, TypeNumerical, field.DataType)
	require.Len(t, plan.ManualSteps, len(o.Pipelines), "one step per pipeline")
	implants := ""
	for _, s := range plan.ManualSteps {
		if bytes.Contains([]byte(s), []byte("→ Implants;")) {
			implants = s
		}
	}
	require.NotEmpty(t, implants, plan.ManualSteps)
	assert.Contains(t, implants, "Set stage probabilities in Pipeline settings")
	assert.Contains(t, implants, "Financing 60%")
	var md bytes.Buffer
	require.NoError(t, plan.WriteMarkdown(&md, nil))
	assert.Contains(t, md.String(), "## Manual steps\n\n- Set stage probabilities in Pipeline settings")

	a, err := NewApplier(m, ApplierOptions{})
	require.NoError(t, err)
	ps, err := a.Apply("treatment_plans", Struct(&pbn.TreatmentPlan{ID: "9", PatientID: "1001", Pipeline: "Implants", Stage: "financing", Status: pbn.TreatmentPlanActive, Amount: 450000, Heading: "Implant plan 2025"}))
	require.NoError(t, err)
	p := ps[0]
	require.Empty(t, p.Problems)
	var got *Value
	for i := range p.Custom {
		if p.Custom[i].Key == "pbn_stage_probability" {
			got = &p.Custom[i]
		}
	}
	require.NotNil(t, got, "the stage's probability is written")
	assert.InDelta(t, 60.0, got.JSON(), 0)

	in := Inputs{FieldIDs: map[string]string{}}
	for _, f := range plan.Fields {
		in.FieldIDs[f.FieldKey()] = "id-" + f.Key
	}
	in.FieldIDs["opportunity.pbn_stage_probability"] = "fProb"
	cf, err := in.customFields("opportunity", &p)
	require.NoError(t, err)
	var sent string
	for _, c := range cf {
		if c.ID == "fProb" {
			b, err := json.Marshal(c)
			require.NoError(t, err)
			sent = string(b)
		}
	}
	assert.JSONEq(t, `{"id":"fProb","field_value":60}`, sent, "sent as a number by field id")

	// The map checks it.
	o.ProbabilityField = "Bad Key"
	msgs := []string{}
	for _, is := range m.check(nil) {
		msgs = append(msgs, is.Message)
	}
	assert.Contains(t, msgs, `probability_field "Bad Key" must be lower_snake_case`)
	o.ProbabilityField = ""
	m.Object("patients").ProbabilityField = "x"
	msgs = msgs[:0]
	for _, is := range m.check(nil) {
		msgs = append(msgs, is.Message)
	}
	assert.Contains(t, msgs, "probability_field applies only to opportunity targets")
}
