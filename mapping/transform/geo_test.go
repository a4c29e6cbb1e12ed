package transform

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStateCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""}, {" ", ""},
		{"CA", "CA"}, {"ca", "CA"}, {" me ", "ME"}, {"N.Y.", "NY"},
		{"Maine", "ME"}, {"MAINE", "ME"}, {"north carolina", "NC"}, {"N. Carolina", "NC"},
		{"Calif.", "CA"}, {"District of Columbia", "DC"}, {"Washington, D.C.", "DC"},
		{"Puerto Rico", "PR"}, {"Ontario", "ON"}, {"QC", "QC"}, {"Armed Forces Europe", "AE"},
		{"New\u00a0Hampshire", "NH"},
	}
	for _, tt := range tests {
		got, err := StateCode(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	for _, bad := range []string{"XX", "Mainee", "Europe", "12"} {
		_, err := StateCode(bad)
		assert.ErrorIs(t, err, ErrUnknownValue, bad)
		assert.NotContains(t, err.Error(), bad)
	}
}

func TestStateCodeKnowsEveryStateBothWays(t *testing.T) {
	for _, st := range usStates {
		code, err := StateCode(st[1])
		require.NoError(t, err)
		assert.Equal(t, st[0], code)
		name, err := StateName(st[0])
		require.NoError(t, err)
		assert.Equal(t, st[1], name)
	}
	name, err := StateName("")
	assert.NoError(t, err)
	assert.Empty(t, name)
	_, err = StateName("Atlantis")
	assert.ErrorIs(t, err, ErrUnknownValue)
}

func TestStateCodeCanonicalDoesNotAllocate(t *testing.T) {
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = StateCode("ME") }))
}

func TestCountryCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"US", "US"}, {"us", "US"}, {"USA", "US"}, {"U.S.A.", "US"}, {"u.s.", "US"},
		{"United States", "US"}, {"United States of America", "US"}, {"america", "US"},
		{"UK", "GB"}, {"England", "GB"}, {"United Kingdom", "GB"}, {"GBR", "GB"},
		{"Canada", "CA"}, {"CAN", "CA"}, {"Mexico", "MX"}, {"México", "MX"},
		{"Bosnia & Herzegovina", "BA"}, {"Bosnia and Herzegovina", "BA"},
		{"Côte d’Ivoire", "CI"}, {"Ivory Coast", "CI"}, {"St. Kitts & Nevis", "KN"},
		{"South Korea", "KR"}, {"Myanmar (Burma)", "MM"}, {"the netherlands", "NL"},
		{"Kosovo", "XK"},
	}
	for _, tt := range tests {
		got, err := CountryCode(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	for _, bad := range []string{"ZZ", "Atlantis", "EU", "Yugoslavia", "XYZ"} {
		_, err := CountryCode(bad)
		assert.ErrorIs(t, err, ErrUnknownValue, bad)
	}
}

func TestCountryTableIsConsistent(t *testing.T) {
	seen2, seen3 := map[string]bool{}, map[string]bool{}
	for _, c := range isoCountries {
		assert.Len(t, c[0], 2)
		assert.Len(t, c[1], 3)
		assert.False(t, seen2[c[0]], c[0])
		assert.False(t, seen3[c[1]], c[1])
		seen2[c[0]], seen3[c[1]] = true, true
		for _, in := range c {
			got, err := CountryCode(in)
			require.NoError(t, err, in)
			assert.Equal(t, c[0], got, in)
		}
	}
	assert.Len(t, isoCountries, 250) // 249 ISO 3166-1 countries + Kosovo
}
