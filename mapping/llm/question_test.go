package llm

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pbnhl/pbnhl/mapping"
)

// TestQuestionCustomTargets: which kinds may get a new custom field and
// which existing custom fields the question lists come from mapping's kind
// table — contacts list the contact model's fields, opportunities the
// opportunity model's, custom objects take typed rules with none listed,
// contact fields and notes neither; pick-lists and keyless fields are never
// listed.
func TestQuestionCustomTargets(t *testing.T) {
	fields := []mapping.SchemaField{
		{Model: "contact", Key: "contact.pbn_allergies", Name: "Allergies", DataType: mapping.TypeText},
		{Model: "contact", Key: "contact.pbn_office", Name: "Office", DataType: mapping.TypeSingleOptions, Options: []string{"A"}},
		{Model: "contact", Name: "No key", DataType: mapping.TypeText},
		{Model: "opportunity", Key: "opportunity.pbn_plan", Name: "Plan", DataType: mapping.TypeText},
		{Model: "custom_objects.pbn_appointment", Key: "custom_objects.pbn_appointment.start", Name: "Start", DataType: mapping.TypeDate},
	}
	for _, tc := range []struct {
		kind   mapping.TargetKind
		custom bool
		keys   []string
	}{
		{mapping.TargetContact, true, []string{"contact.pbn_allergies"}},
		{mapping.TargetOpportunity, true, []string{"opportunity.pbn_plan"}},
		{mapping.TargetCustomObject, true, nil},
		{mapping.TargetContactField, false, nil},
		{mapping.TargetBusiness, false, nil},
		{mapping.TargetNote, false, nil},
	} {
		q := newQuestion(mapping.SuggestRequest{Entity: "e", Target: tc.kind, CustomFields: fields})
		assert.Equal(t, tc.custom, q.customAllowed(), "%s: custom_allowed", tc.kind)
		assert.Equal(t, tc.custom, len(q.CustomTypes) > 0, "%s: custom_types", tc.kind)
		var keys []string
		for _, c := range q.Custom {
			keys = append(keys, c.Key)
		}
		assert.Equal(t, tc.keys, keys, "%s: listed custom fields", tc.kind)
	}
}
