package practicebynumbers

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCustomPropertyCheckValue(t *testing.T) {
	pick := CustomPropertyDefinition{Key: "case_type", Type: CustomPickList, Options: []string{"Implant", "Ortho"}}
	num := CustomPropertyDefinition{Key: "ltv", Type: CustomNumber}
	date := CustomPropertyDefinition{Key: "recall", Type: CustomDate}
	text := CustomPropertyDefinition{Key: "note", Type: CustomText}
	tests := []struct {
		d   CustomPropertyDefinition
		v   string
		bad bool
	}{
		{pick, "Implant", false},
		{pick, " ortho ", false},
		{pick, "Perio", true},
		{pick, "", false},
		{num, "1,200.50", false},
		{num, "-3", false},
		{num, "lots", true},
		{date, "2024-01-05", false},
		{date, "1/5/2024", false},
		{date, "0001-01-01", false},
		{date, "soon", true},
		{text, "anything at all", false},
	}
	for _, tt := range tests {
		err := tt.d.CheckValue(tt.v)
		if tt.bad {
			var ve *ValueError
			assert.ErrorAs(t, err, &ve, "%s %q", tt.d.Key, tt.v)
			if tt.v != "" {
				assert.NotContains(t, err.Error(), tt.v)
			}
		} else {
			assert.NoError(t, err, "%s %q", tt.d.Key, tt.v)
		}
	}
	assert.Equal(t, "Ortho", pick.Option("ORTHO"))
	assert.Equal(t, "", pick.Option("x"))
}
