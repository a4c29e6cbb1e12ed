package transform

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""}, {"0", "0"}, {"-0.00", "0"}, {"007", "7"}, {"1,234.50", "1234.5"},
		{"(12)", "-12"}, {"+3", "3"}, {"12.5%", "12.5"}, {" .25 ", "0.25"}, {"10.", "10"},
		{"123456789012345", "123456789012345"}, {"0.000000000000001", "0.000000000000001"},
		{"-1,000,000", "-1000000"},
	}
	for _, tt := range tests {
		got, err := Number(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	for _, bad := range []string{"abc", "1.2.3", "1,23", "1234567890123456", "$5", "1e5", "-", "."} {
		_, err := Number(bad)
		assert.Error(t, err, bad)
	}
}

func TestParseBool(t *testing.T) {
	for _, in := range []string{"true", "Y", " yes ", "1", "X", "checked", "-1"} {
		v, ok, err := ParseBool(in)
		require.NoError(t, err, in)
		assert.True(t, ok && v, in)
	}
	for _, in := range []string{"false", "N", "no", "0", "off"} {
		v, ok, err := ParseBool(in)
		require.NoError(t, err, in)
		assert.True(t, ok && !v, in)
	}
	_, ok, err := ParseBool(" ")
	assert.NoError(t, err)
	assert.False(t, ok)
	_, _, err = ParseBool("maybe")
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestIsPlaceholderEmail(t *testing.T) {
	for _, in := range []string{"none@none.com", "NoEmail@gmail.com", "na@na.com", "noemail@noemail.com", "declined@practice.com"} {
		assert.True(t, IsPlaceholderEmail(in), in)
	}
	for _, in := range []string{"jane@example.com", "frontdesk@smileclinic.com", "", "none"} {
		assert.False(t, IsPlaceholderEmail(in), in)
	}
}
