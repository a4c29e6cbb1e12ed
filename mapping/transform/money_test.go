package transform

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCents(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"", 0, false},
		{"  ", 0, false},
		{"0", 0, true},
		{"$0.00", 0, true},
		{"95", 9500, true},
		{"$95", 9500, true},
		{"$95.00", 9500, true},
		{"95.5", 9550, true},
		{".99", 99, true},
		{"12.", 1200, true},
		{"$1,234.56", 123456, true},
		{"1,234,567.89", 123456789, true},
		{"-12.50", -1250, true},
		{"+12.50", 1250, true},
		{"$-12.50", -1250, true},
		{"-$12.50", -1250, true},
		{"(12.00)", -1200, true},
		{"($1,200.00)", -120000, true},
		{"USD 7.25", 725, true},
		{"7.25 USD", 725, true},
		{"12.500", 1250, true},
		{" $ 95 ", 9500, true},
		{"92233720368547758.07", math.MaxInt64, true},
	}
	for _, tt := range tests {
		got, ok, err := ParseCents(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
		assert.Equal(t, tt.ok, ok, tt.in)
	}
}

func TestParseCentsErrors(t *testing.T) {
	tests := []struct {
		in     string
		class  error
		reason string
	}{
		{"abc", ErrInvalid, "not an amount"},
		{"12.345", ErrInvalid, "fraction of a cent"},
		{"1,23", ErrInvalid, "misplaced thousands separator"},
		{"1234,567", ErrInvalid, "misplaced thousands separator"},
		{",123", ErrInvalid, "misplaced thousands separator"},
		{"1.2.3", ErrInvalid, "not an amount"},
		{"$", ErrInvalid, "no digits"},
		{".", ErrInvalid, "no digits"},
		{"()", ErrInvalid, "no digits"},
		{"99999999999999999999", ErrOutOfRange, "amount too large"},
		{"12 34", ErrInvalid, "not an amount"},
	}
	for _, tt := range tests {
		_, _, err := ParseCents(tt.in)
		var te *Error
		require.True(t, errors.As(err, &te), "input %q: %v", tt.in, err)
		assert.Equal(t, tt.reason, te.Reason, tt.in)
		assert.ErrorIs(t, err, tt.class, tt.in)
	}
}

func TestFormatCents(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0.00"}, {5, "0.05"}, {-5, "-0.05"}, {9500, "95.00"}, {123456, "1234.56"},
		{-123456, "-1234.56"}, {math.MaxInt64, "92233720368547758.07"},
		{math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, FormatCents(tt.in))
	}
}

func TestCentsFloatRoundTrip(t *testing.T) {
	for _, c := range []int64{0, 1, 5, 10, 99, 100, 101, 9550, 123456, -1, -9999, 100000000001, 1 << 52} {
		f := CentsToFloat(c)
		back, err := FloatToCents(f)
		require.NoError(t, err)
		assert.Equal(t, c, back, "cents %d", c)
	}
}

func TestFloatToCents(t *testing.T) {
	tests := []struct {
		in   float64
		want int64
	}{
		{1.005, 101}, {0.1 + 0.2, 30}, {19.999, 2000}, {-1.005, -101}, {95, 9500}, {0.004, 0}, {1e-9, 0},
	}
	for _, tt := range tests {
		got, err := FloatToCents(tt.in)
		require.NoError(t, err)
		assert.Equal(t, tt.want, got, "%v", tt.in)
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e20} {
		_, err := FloatToCents(bad)
		assert.Error(t, err)
	}
}
