package highlevel_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

func TestLocationsGetSim(t *testing.T) {
	for _, dup := range []bool{false, true} {
		_, c := newServicesSim(t, func(o *hltest.Options) {
			o.Locations = []hltest.Location{{ID: hltest.DefaultLocationID, Token: hltest.DefaultToken, Name: "Smile Dental",
				AllowDuplicates: dup, AllowDuplicateOpportunities: !dup}}
		})
		loc, err := c.Locations.Get(context.Background(), "")
		require.NoError(t, err)
		assert.Equal(t, hltest.DefaultLocationID, loc.ID)
		assert.Equal(t, "Smile Dental", loc.Name)
		assert.Equal(t, dup, loc.Settings.AllowDuplicateContact)
		assert.Equal(t, !dup, loc.Settings.AllowDuplicateOpportunity)
	}
}
