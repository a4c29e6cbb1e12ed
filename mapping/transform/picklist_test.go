package transform

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var statusEntries = map[string]string{
	"Patient":     "active",
	"Inactive":    "inactive",
	"Prospective": "lead",
}

func TestPickListPolicies(t *testing.T) {
	tests := []struct {
		name      string
		opts      PickListOptions
		in        string
		want      string
		keep      bool
		wantError bool
	}{
		{"exact", PickListOptions{}, "Patient", "active", true, false},
		{"folded", PickListOptions{}, "  PROSPECTIVE ", "lead", true, false},
		{"case sensitive miss", PickListOptions{CaseSensitive: true}, "patient", "", false, true},
		{"blank", PickListOptions{}, " ", "", false, false},
		{"blank default", PickListOptions{Unknown: UnknownDefault, Default: "other", DefaultForBlank: true}, "", "other", true, false},
		{"unknown error", PickListOptions{}, "Deceased", "", false, true},
		{"unknown pass-through", PickListOptions{Unknown: UnknownPassThrough}, " Deceased  x", "Deceased x", true, false},
		{"unknown default", PickListOptions{Unknown: UnknownDefault, Default: "other"}, "Deceased", "other", true, false},
		{"unknown drop", PickListOptions{Unknown: UnknownDrop}, "Deceased", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPickList(statusEntries, tt.opts)
			require.NoError(t, err)
			got, keep, err := p.Map(tt.in)
			if tt.wantError {
				assert.ErrorIs(t, err, ErrUnknownValue)
				assert.NotContains(t, err.Error(), tt.in)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.keep, keep)
		})
	}
}

func TestPickListConfigErrors(t *testing.T) {
	_, err := NewPickList(map[string]string{"A": "x", "a": "y"}, PickListOptions{})
	assert.ErrorIs(t, err, ErrConfig)
	_, err = NewPickList(map[string]string{"A": "x", "a": "y"}, PickListOptions{CaseSensitive: true})
	assert.NoError(t, err)
	_, err = NewPickList(statusEntries, PickListOptions{Unknown: UnknownDefault})
	assert.ErrorIs(t, err, ErrConfig)
	_, err = NewPickList(statusEntries, PickListOptions{Unknown: 42})
	assert.ErrorIs(t, err, ErrConfig)
}

func TestParseUnknownPolicy(t *testing.T) {
	for in, want := range map[string]UnknownPolicy{
		"error": UnknownError, "": UnknownError, "Pass-Through": UnknownPassThrough,
		"keep": UnknownPassThrough, "default": UnknownDefault, "drop": UnknownDrop,
	} {
		got, err := ParseUnknownPolicy(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := ParseUnknownPolicy("explode")
	assert.ErrorIs(t, err, ErrConfig)
	for p := UnknownError; p <= UnknownDrop; p++ {
		back, err := ParseUnknownPolicy(p.String())
		require.NoError(t, err)
		assert.Equal(t, p, back)
	}
	assert.Equal(t, "UnknownPolicy(9)", UnknownPolicy(9).String())
}

func TestPickListExactHitDoesNotAllocate(t *testing.T) {
	p, err := NewPickList(statusEntries, PickListOptions{})
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(100, func() { _, _, _ = p.Map("Inactive") })
	assert.Zero(t, allocs)
	assert.Equal(t, 3, p.Len())
}
