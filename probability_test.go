package pbnhl_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
)

// TestStageProbabilityArrives (issue 16.6): HighLevel's API sets no stage
// probability (no such member in the pipeline or opportunity schemas;
// pipelines are read-only), so the default map writes each treatment
// plan's stage probability into the opportunity custom field
// pbn_stage_probability, and the schema plan lists the per-stage values
// as a manual step. Against hltest, read back through the client: every
// migrated opportunity carries the probability the map gives its pipeline
// and stage, and the plan names every pipeline with each stage's value.
func TestStageProbabilityArrives(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(40), seed: 11})
	ctx := context.Background()
	o := e.m.Object("treatment_plans")
	require.NotNil(t, o)
	require.Equal(t, "pbn_stage_probability", o.ProbabilityField)
	prob := map[string]float64{} // "pipeline/stage" → %
	for _, pl := range o.Pipelines {
		for _, s := range pl.Stages {
			prob[pl.Name+"/"+s.Name] = s.Probability
		}
	}
	plan, err := mapping.DeriveSchema(e.m)
	require.NoError(t, err)
	for _, pl := range o.Pipelines {
		found := false
		for _, step := range plan.ManualSteps {
			if !assert.Contains(t, step, "Set stage probabilities in Pipeline settings") {
				continue
			}
			if !strings.Contains(step, "→ "+pl.Name+";") {
				continue
			}
			found = true
			for _, s := range pl.Stages {
				assert.Contains(t, step, fmt.Sprintf("%s %s%%", s.Name, strconv.FormatFloat(s.Probability, 'f', -1, 64)), "pipeline %s", pl.Name)
			}
		}
		assert.True(t, found, "the schema plan's manual steps name pipeline %s", pl.Name)
	}

	_, err = e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	migrate(t, e, nil)

	c := e.client
	pipes, err := c.Pipelines.List(ctx)
	require.NoError(t, err)
	stageOf := map[string]string{} // stage id → "pipeline/stage"
	for _, p := range pipes {
		for _, s := range p.Stages {
			stageOf[s.ID] = p.Name + "/" + s.Name
		}
	}
	fields, err := c.CustomFields.List(ctx, highlevel.FieldModelOpportunity)
	require.NoError(t, err)
	var probField string
	for _, f := range fields {
		if f.FieldKey == "opportunity.pbn_stage_probability" {
			probField = f.ID
		}
	}
	require.NotEmpty(t, probField, "the schema made the opportunity field")
	n := 0
	for op, err := range c.Opportunities.Search(ctx, highlevel.OpportunitySearch{Status: highlevel.StatusAll}) {
		require.NoError(t, err)
		n++
		stage, ok := stageOf[op.PipelineStageID]
		require.True(t, ok, "opportunity %s is in a known stage", op.ID)
		want, ok := prob[stage]
		require.True(t, ok, "the map gives stage %s a probability", stage)
		var got float64
		var has bool
		for _, v := range op.CustomFields {
			if v.ID == probField {
				got, has = v.Number()
			}
		}
		if assert.True(t, has, "opportunity %s carries its stage's probability", op.ID) {
			assert.Equal(t, want, got, "opportunity %s in %s", op.ID, stage)
		}
	}
	assert.Positive(t, n, "treatment plans arrived as opportunities")
	t.Logf("%d opportunities carry their stage's probability", n)
}
