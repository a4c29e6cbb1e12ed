package mapping

import (
	"fmt"
	"strconv"
	"strings"
)

// Stage probabilities. HighLevel's API has no stage probability to set:
// the opportunity create/update bodies carry none and pipelines are read
// only (apps/opportunities.json: GET /opportunities/pipelines is the one
// pipeline route). So a map that wants the probability visible writes it
// into an opportunity custom field (Object.ProbabilityField, NUMERICAL,
// filled per record from its stage), and the schema plan lists, as a
// manual step, the per-stage values to enter in the pipeline's settings
// where HighLevel's reports use them.

// probabilityField is the custom field an opportunity object fills with
// its stage's probability, if it names one.
func probabilityField(o *Object) (SchemaField, bool) {
	if o.Target != TargetOpportunity || o.ProbabilityField == "" {
		return SchemaField{}, false
	}
	return SchemaField{Model: "opportunity", Key: o.ProbabilityField, Name: "Stage probability (%)", DataType: TypeNumerical}, true
}

// probabilityValue is the field value of a stage's probability.
func probabilityValue(o *Object, prob float64) (Value, bool) {
	if o.ProbabilityField == "" {
		return Value{}, false
	}
	return Value{Key: o.ProbabilityField, Type: TypeNumerical, Text: strconv.FormatFloat(prob, 'f', -1, 64)}, true
}

// stageProbabilitySteps are the manual steps that set an opportunity
// object's stage probabilities by hand: one per pipeline, with the values.
func stageProbabilitySteps(o *Object) []string {
	var out []string
	for _, pl := range o.Pipelines {
		var parts []string
		seen := map[string]bool{}
		for _, s := range pl.Stages {
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			parts = append(parts, fmt.Sprintf("%s %s%%", s.Name, strconv.FormatFloat(s.Probability, 'f', -1, 64)))
		}
		if len(parts) == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("Set stage probabilities in Pipeline settings (Opportunities → Pipelines → %s; the API cannot set them): %s",
			pl.Name, strings.Join(parts, ", ")))
	}
	return out
}

// checkProbability validates an object's probability_field.
func (o *Object) checkProbability(add func(pos, string, string, ...any), path string) {
	if o.ProbabilityField == "" {
		return
	}
	switch {
	case o.Target != TargetOpportunity:
		add(o.at, path, "probability_field applies only to opportunity targets")
	case !validKey(o.ProbabilityField):
		add(o.at, path, "probability_field %q must be lower_snake_case", o.ProbabilityField)
	case o.Field(o.ProbabilityField) != nil || o.ExternalID == o.ProbabilityField:
		add(o.at, path, "probability_field %q is also written by a rule", o.ProbabilityField)
	}
}
