package highlevel

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValueFor(t *testing.T) {
	d := time.Date(2019, 4, 2, 23, 30, 0, 0, time.FixedZone("CDT", -5*3600))
	tests := []struct {
		dt   DataType
		in   any
		want string // JSON, "" means an ErrFieldType error
	}{
		{DataTypeText, "PBN-1", `"PBN-1"`},
		{DataTypeLargeText, "long", `"long"`},
		{DataTypePhone, "+15125550142", `"+15125550142"`},
		{DataTypeEmail, "a@b.io", `"a@b.io"`},
		{DataTypeSingleOptions, "Delta", `"Delta"`},
		{DataTypeRadio, "Yes", `"Yes"`},
		{DataTypeText, 12, ""},
		{DataTypeNumerical, 7, `7`},
		{DataTypeNumerical, int64(-3), `-3`},
		{DataTypeNumerical, uint8(4), `4`},
		{DataTypeNumerical, float32(1.5), `1.5`},
		{DataTypeNumerical, 2.25, `2.25`},
		{DataTypeNumerical, " 12.5 ", `12.5`},
		{DataTypeNumerical, json.Number("3.0"), `3`},
		{DataTypeNumerical, "twelve", ""},
		{DataTypeNumerical, math.NaN(), ""},
		{DataTypeNumerical, "NaN", ""},
		{DataTypeMonetary, Cents(12550), `125.5`},
		{DataTypeMonetary, Cents(-5), `-0.05`},
		{DataTypeMonetary, Cents(100), `1`},
		{DataTypeMonetary, 19.99, `19.99`},
		{DataTypeMonetary, json.Number("10.10"), `10.10`},
		{DataTypeMonetary, json.Number("NaN"), ""},
		{DataTypeMonetary, 5, ""}, // ambiguous: cents or units?
		{DataTypeCheckbox, []string{"a", "b"}, `["a","b"]`},
		{DataTypeMultipleOptions, "a", `["a"]`},
		{DataTypeTextboxList, []string{}, `[]`},
		{DataTypeCheckbox, 1, ""},
		{DataTypeDate, d, `"2019-04-02"`},
		{DataTypeDate, "2024-02-29", `"2024-02-29"`},
		{DataTypeDate, "02/29/2024", ""},
		{DataTypeFileUpload, json.RawMessage(`{"u":{"meta":{}}}`), `{"u":{"meta":{}}}`},
		{DataTypeFileUpload, "x", ""},
		{"BOGUS", "x", ""},
	}
	for _, tt := range tests {
		v, err := ValueFor(tt.dt, tt.in)
		if tt.want == "" {
			require.ErrorIs(t, err, ErrFieldType, "%s %T", tt.dt, tt.in)
			assert.NotContains(t, err.Error(), "PBN")
			continue
		}
		require.NoError(t, err, "%s %T", tt.dt, tt.in)
		b, err := json.Marshal(v)
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(b), "%s %#v", tt.dt, tt.in)
	}
}

func TestMoneyValueIsExact(t *testing.T) {
	for c, want := range map[Cents]string{0: "0", 1: "0.01", 10: "0.1", 99: "0.99", 100: "1", 123456789: "1234567.89", -250: "-2.5", math.MinInt64: "-92233720368547758.08"} {
		assert.Equal(t, want, MoneyValue(c).String(), "%d", c)
	}
}

func TestFieldValueZero(t *testing.T) {
	var v FieldValue
	assert.True(t, v.IsZero())
	b, _ := json.Marshal(v)
	assert.Equal(t, "null", string(b))
	assert.Equal(t, "null", NumberValue(math.Inf(1)).String())
	assert.Equal(t, "[]", OptionsValue().String())
}

func TestTimestamp(t *testing.T) {
	tests := map[string]time.Time{
		`"2021-07-02T05:18:26.704Z"`:     time.Date(2021, 7, 2, 5, 18, 26, 704e6, time.UTC),
		`"2021-07-02T05:18:26+02:00"`:    time.Date(2021, 7, 2, 3, 18, 26, 0, time.UTC),
		`"2021-07-16 11:00:00"`:          time.Date(2021, 7, 16, 11, 0, 0, 0, time.UTC),
		`"1990-09-25"`:                   time.Date(1990, 9, 25, 0, 0, 0, 0, time.UTC),
		`1631087949919`:                  time.UnixMilli(1631087949919).UTC(),
		`null`:                           {},
		`""`:                             {},
		`"2021-07-02T05:18:26.704+0000"`: time.Date(2021, 7, 2, 5, 18, 26, 704e6, time.UTC),
	}
	for in, want := range tests {
		var ts Timestamp
		require.NoError(t, json.Unmarshal([]byte(in), &ts), in)
		assert.True(t, want.Equal(ts.Time), "%s: %s", in, ts.Time)
	}
	var ts Timestamp
	assert.Error(t, json.Unmarshal([]byte(`"yesterday"`), &ts))
	assert.Error(t, json.Unmarshal([]byte(`true`), &ts))
	b, _ := json.Marshal(Timestamp{})
	assert.Equal(t, "null", string(b))
}
