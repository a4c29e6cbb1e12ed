package transform

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePhone(t *testing.T) {
	tests := []struct {
		in   string
		opts PhoneOptions
		want Phone
	}{
		{"", PhoneOptions{}, Phone{}},
		{"   ", PhoneOptions{}, Phone{}},
		{"(536)624-5871", PhoneOptions{}, Phone{E164: "+15366245871"}},
		{"536.624.5871 x12", PhoneOptions{}, Phone{E164: "+15366245871", Extension: "12"}},
		{"536-624-5871 ext. 4401", PhoneOptions{}, Phone{E164: "+15366245871", Extension: "4401"}},
		{"536 624 5871 extension 7", PhoneOptions{}, Phone{E164: "+15366245871", Extension: "7"}},
		{"5552523366", PhoneOptions{}, Phone{E164: "+15552523366"}},
		{"+1 536 624 5871", PhoneOptions{}, Phone{E164: "+15366245871"}},
		{"1-536-624-5871", PhoneOptions{}, Phone{E164: "+15366245871"}},
		{"+1 (536) 624-5871", PhoneOptions{}, Phone{E164: "+15366245871"}},
		{"536/624-5871", PhoneOptions{}, Phone{E164: "+15366245871"}},
		{"1-800-FLOWERS", PhoneOptions{}, Phone{E164: "+18003569377"}},
		{"+44 20 7946 0958", PhoneOptions{}, Phone{E164: "+442079460958"}},
		{"020 7946 0958", PhoneOptions{Region: "GB"}, Phone{E164: "+442079460958"}},
		{"020 7946 0958", PhoneOptions{Region: "gb"}, Phone{E164: "+442079460958"}},
		{"(416) 555-0199", PhoneOptions{Region: "CA"}, Phone{E164: "+14165550199"}},
		{"212-456-7890", PhoneOptions{Strict: true}, Phone{E164: "+12124567890"}},
		{"624-5871", PhoneOptions{AreaCode: "536"}, Phone{E164: "+15366245871"}},
		{"624-5871 x9", PhoneOptions{AreaCode: "536"}, Phone{E164: "+15366245871", Extension: "9"}},
		{"(212) 456-7890", PhoneOptions{AreaCode: "536"}, Phone{E164: "+12124567890"}},
		{"+44 20 7946 0958", PhoneOptions{AreaCode: "536"}, Phone{E164: "+442079460958"}},
	}
	for _, tt := range tests {
		got, err := ParsePhone(tt.in, tt.opts)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestParsePhoneErrors(t *testing.T) {
	tests := []struct {
		in     string
		opts   PhoneOptions
		class  error
		reason string
	}{
		{"624-5871", PhoneOptions{}, ErrInvalid, "missing area code"},
		{"12", PhoneOptions{}, ErrInvalid, "too few digits"},
		{"5366245871123456789", PhoneOptions{}, ErrInvalid, "too many digits"},
		{"not a phone", PhoneOptions{}, ErrInvalid, "not a phone number"},
		{"(036) 624-5871", PhoneOptions{}, ErrInvalid, "not a well-formed North American number"},
		{"(536) 124-5871", PhoneOptions{}, ErrInvalid, "not a well-formed North American number"},
		{"+999 1234 5678", PhoneOptions{}, ErrInvalid, "unknown country calling code"},
		{"555-252-3366", PhoneOptions{Strict: true}, ErrInvalid, "not an assigned number range for its region"},
		{"536-624-5871", PhoneOptions{Region: "XX"}, ErrConfig, "unsupported default region"},
		{"624-5871", PhoneOptions{AreaCode: "036"}, ErrConfig, "area code must be three digits starting 2-9"},
		{"124-5871", PhoneOptions{AreaCode: "536"}, ErrInvalid, "not a well-formed North American number"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParsePhone(tt.in, tt.opts)
			var te *Error
			require.True(t, errors.As(err, &te), "error %v", err)
			assert.Equal(t, "phone", te.Transform)
			assert.Equal(t, tt.reason, te.Reason)
			assert.ErrorIs(t, err, tt.class)
			assert.NotContains(t, err.Error(), "5871")
		})
	}
}

func TestFastNANPAgreesWithLibphonenumber(t *testing.T) {
	for _, in := range phoneSeeds {
		checkFastPathAgrees(t, in)
	}
}

var phoneSeeds = []string{
	"(536)624-5871", "536.624.5871", "5552523366", "+1 536 624 5871", "1-536-624-5871",
	"+15366245871", "15366245871", "(212) 456-7890", "212 456 7890", "0123456789",
	"1 (800) 555-0199", "+12", "((536))624--5871", "536..624..5871", "+ 1 536 624 5871",
	"536-624-5871-", "1536624587", "+1 2124567890", "11234567890", "+11234567890",
	"536.624.5871 x12", "536-624-5871 ext. 4401", "536 624 5871 extension 7", "5366245871x1",
	"536-624-5871 EXT:12", "536-624-5871 x 12", "536-624-5871 x-12", "536-624-5871 x1234567",
	"536-624-5871 ex12", "536-624-5871 e12", "536-624-5871 x", "536-624-5871 ext.",
}

func checkFastPathAgrees(t *testing.T, in string) {
	t.Helper()
	fast, ext, ok := fastNANP(in)
	if !ok {
		return
	}
	slow, err := parsePhoneSlow(in, "US", false)
	require.NoError(t, err, "fast path accepted %q but the slow path refused it", in)
	assert.Equal(t, slow.E164, fast, in)
	assert.Equal(t, slow.Extension, ext, in)
}

func TestParsePhoneFastPathDoesNotAllocateMuch(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() { _, _ = ParsePhone("(536) 624-5871", PhoneOptions{}) })
	assert.LessOrEqual(t, allocs, 1.0)
}
