package transform

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCDTCode(t *testing.T) {
	tests := []struct {
		in   string
		want ProcedureCode
	}{
		{"", ProcedureCode{}},
		{"D1110", ProcedureCode{Code: "D1110"}},
		{"d1110", ProcedureCode{Code: "D1110"}},
		{"D 1110", ProcedureCode{Code: "D1110"}},
		{" D-1110 ", ProcedureCode{Code: "D1110"}},
		{"1110", ProcedureCode{Code: "D1110"}},
		{"0120", ProcedureCode{Code: "D0120"}},
		{"01110", ProcedureCode{Code: "D1110"}},
		{"D1110.", ProcedureCode{Code: "D1110"}},
		{"T1234", ProcedureCode{Code: "T1234", Custom: true}},
		{"N4101", ProcedureCode{Code: "N4101", Custom: true}},
		{"Z0001", ProcedureCode{Code: "Z0001", Custom: true}},
		{"perio-maint", ProcedureCode{Code: "perio-maint", Custom: true}},
		{"D11100", ProcedureCode{Code: "D11100", Custom: true}},
		{"110", ProcedureCode{Code: "110", Custom: true}},
		{"99999", ProcedureCode{Code: "99999", Custom: true}},
	}
	for _, tt := range tests {
		got, err := CDTCode(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	for _, bad := range []string{"D1110$", "---", "ABCDEFGHIJKLMNOP", "Dé110"} {
		_, err := CDTCode(bad)
		assert.ErrorIs(t, err, ErrInvalid, bad)
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = CDTCode("D2392") }))
}

func TestNeutralizeFormula(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Jane", "Jane"},
		{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"=1+1", "'=1+1"},
		{"+1+1", "'+1+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"＝1+1", "'＝1+1"},
		{"-12.50", "-12.50"},
		{"+15366245871", "+15366245871"},
		{"-", "'-"},
		{"-.5", "'-.5"},
		{"12-3", "12-3"},
		{"a=b", "a=b"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, NeutralizeFormula(tt.in), "%q", tt.in)
	}
}
