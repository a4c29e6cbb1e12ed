package practicebynumbers

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want Date
		err  bool
	}{
		{"", Date{}, false},
		{"0001-01-01", Date{}, false},
		{"0001-01-01 00:00:00", Date{}, false},
		{"01/01/0001", Date{}, false},
		{"1/1/0001", Date{}, false},
		{"0000-00-00", Date{}, false},
		{"  1987-06-05 ", NewDate(1987, 6, 5), false},
		{"1987-06-05 00:00:00", NewDate(1987, 6, 5), false},
		{"1987-06-05T13:14:15Z", NewDate(1987, 6, 5), false},
		{"06/05/1987", NewDate(1987, 6, 5), false},
		{"6/5/1987", NewDate(1987, 6, 5), false},
		{"6/5/1987 12:00:00 AM", NewDate(1987, 6, 5), false},
		{"06-05-1987", NewDate(1987, 6, 5), false},
		{"1987/06/05", NewDate(1987, 6, 5), false},
		{"19870605", NewDate(1987, 6, 5), false},
		{"Jun 5, 1987", NewDate(1987, 6, 5), false},
		{"June 5, 1987", NewDate(1987, 6, 5), false},
		{"05-Jun-1987", NewDate(1987, 6, 5), false},
		{"2024-02-29", NewDate(2024, 2, 29), false},
		{"2023-02-29", Date{}, true},
		{"1987-13-05", Date{}, true},
		{"6/5/87", Date{}, true}, // two-digit year: ambiguous
		{"yesterday", Date{}, true},
		{"1987-06-05 25:00:00", Date{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if tt.err {
				var ve *ValueError
				require.ErrorAs(t, err, &ve)
				assert.NotContains(t, err.Error(), tt.in, "errors never echo values")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDate(t *testing.T) {
	d := NewDate(2019, 3, 4)
	assert.Equal(t, "2019-03-04", d.String())
	assert.False(t, d.IsZero())
	assert.True(t, NewDate(1, 1, 1).IsZero())
	assert.True(t, DateOf(time.Time{}).IsZero())
	assert.Equal(t, d, DateOf(time.Date(2019, 3, 4, 23, 59, 0, 0, time.UTC)))
	assert.Equal(t, time.Date(2019, 3, 4, 0, 0, 0, 0, time.UTC), d.Time(time.UTC))
	assert.True(t, Date{}.Time(time.UTC).IsZero())
	assert.Equal(t, -1, Date{}.Compare(d))
	assert.Equal(t, 1, d.Compare(NewDate(2019, 3, 3)))
	assert.Equal(t, 0, d.Compare(NewDate(2019, 2, 32)), "normalised like time.Date")
	assert.Equal(t, 2019, d.Year())
	assert.Equal(t, time.March, d.Month())
	assert.Equal(t, 4, d.Day())
	assert.Equal(t, 1, Date{}.Year())

	type doc struct {
		A Date `json:"a"`
		B Date `json:"b,omitzero"`
	}
	b, err := json.Marshal(doc{A: d})
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":"2019-03-04"}`, string(b))
	b, err = json.Marshal(doc{})
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":null}`, string(b))

	var got doc
	require.NoError(t, json.Unmarshal([]byte(`{"a":"0001-01-01","b":"2019-03-04"}`), &got))
	assert.True(t, got.A.IsZero())
	assert.Equal(t, d, got.B)
	require.NoError(t, json.Unmarshal([]byte(`{"a":null,"b":""}`), &got))
	assert.True(t, got.A.IsZero())
	assert.True(t, got.B.IsZero())
	assert.Error(t, json.Unmarshal([]byte(`{"a":12}`), &got))
	assert.Error(t, json.Unmarshal([]byte(`{"a":"31/31/2020"}`), &got))
}

func TestParseTimestamp(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v.UTC()
	}
	tests := []struct {
		in   string
		loc  *time.Location
		want time.Time
		err  bool
	}{
		{"", ny, time.Time{}, false},
		{"0001-01-01 00:00:00", ny, time.Time{}, false},
		{"0001-01-01", nil, time.Time{}, false},
		{"2024-03-04 10:04:05", ny, at("2024-03-04T15:04:05Z"), false},
		{"2024-03-04 10:04", ny, at("2024-03-04T15:04:00Z"), false},
		{"2024-03-04T10:04:05", nil, at("2024-03-04T10:04:05Z"), false},
		{"2024-03-04 10:04:05.123456", nil, at("2024-03-04T10:04:05Z"), false},
		{"2024-03-04T10:04:05Z", ny, at("2024-03-04T10:04:05Z"), false},
		{"2024-03-04 10:04:05-05:00", time.UTC, at("2024-03-04T15:04:05Z"), false},
		{"2024-07-04T10:04:05+02:00", ny, at("2024-07-04T08:04:05Z"), false},
		{"2024-11-03 01:30:00-05:00", ny, at("2024-11-03T06:30:00Z"), false}, // the repeated hour, disambiguated
		{"3/4/2024 10:04 AM", ny, at("2024-03-04T15:04:00Z"), false},
		{"03/04/2024 22:04:05", ny, at("2024-03-05T03:04:05Z"), false},
		{"2024-03-04", ny, at("2024-03-04T05:00:00Z"), false},
		{"3/4/2024", nil, at("2024-03-04T00:00:00Z"), false},
		{"2024-03-04 10:04:05 -0500", nil, at("2024-03-04T15:04:05Z"), false},
		{"3/4/2024 12:30 AM", nil, at("2024-03-04T00:30:00Z"), false},
		{"3/4/2024 12:00 pm", nil, at("2024-03-04T12:00:00Z"), false},
		{"3-4-2024 9:05", nil, at("2024-03-04T09:05:00Z"), false},
		{"12/31/2024 11:59:59 PM", nil, at("2024-12-31T23:59:59Z"), false},
		{"3/4/2024 13:00 PM", nil, time.Time{}, true},
		{"3/4/2024 10:04AM", nil, time.Time{}, true}, // never silently midnight
		{"3/4/2024 25:00", nil, time.Time{}, true},
		{"2/30/2024 10:00", nil, time.Time{}, true},
		{"2024-03-04 24:00:00", nil, time.Time{}, true},
		{"2024-03-04 10:04:05+25:00", nil, time.Time{}, true},
		{"soon", nil, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTimestamp(tt.in, tt.loc)
			if tt.err {
				var ve *ValueError
				require.ErrorAs(t, err, &ve)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "want %v got %v", tt.want, got)
			assert.Equal(t, time.UTC, got.Location())
		})
	}
}

func TestFormatTimestampRoundTrip(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	// Every 20 minutes across the end of DST: the offset keeps the repeated
	// hour unambiguous.
	start := time.Date(2024, 11, 3, 4, 0, 0, 0, time.UTC)
	for i := range 12 {
		in := start.Add(time.Duration(i) * 20 * time.Minute)
		s := FormatTimestamp(in, ny)
		out, err := ParseTimestamp(s, ny)
		require.NoError(t, err)
		assert.True(t, in.Equal(out), "%s", s)
	}
	assert.Equal(t, "", FormatTimestamp(time.Time{}, ny))
	assert.Equal(t, "2024-03-04 10:04:05+00:00", FormatTimestamp(time.Date(2024, 3, 4, 10, 4, 5, 0, time.UTC), nil))
}

func TestParseMoneyCell(t *testing.T) {
	tests := []struct {
		in   string
		want Cents
		err  bool
	}{
		{"", 0, false},
		{"95", 9500, false},
		{"95.5", 9550, false},
		{"95.50", 9550, false},
		{"$95.00", 9500, false},
		{"$1,234.56", 123456, false},
		{"-12.00", -1200, false},
		{"$-12.00", -1200, false},
		{"(12.00)", -1200, false},
		{"($12.34)", -1234, false},
		{"+3", 300, false},
		{".5", 50, false},
		{"95.000000", 9500, false},
		{"95.005", 9501, false},
		{"95.00499", 9500, false},
		{"-0.005", -1, false},
		{" USD 10 ", 1000, false},
		{"92233720368547758.07", 0, true},
		{"1e5", 0, true},
		{"$", 0, true},
		{"12.3.4", 0, true},
		{"abc", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseMoney(tt.in)
			if tt.err {
				var ve *ValueError
				require.ErrorAs(t, err, &ve)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCentsString(t *testing.T) {
	assert.Equal(t, "95.00", Cents(9500).String())
	assert.Equal(t, "-12.50", Cents(-1250).String())
	assert.Equal(t, "0.05", Cents(5).String())
	assert.Equal(t, "-0.05", Cents(-5).String())
	assert.Equal(t, "0.00", Cents(0).String())
}

func TestParseBoolCellAndIDs(t *testing.T) {
	for _, s := range []string{"1", "true", "TRUE", "Yes", "y", "t", "x", "on", "-1"} {
		v, err := parseBool(s)
		require.NoError(t, err, s)
		assert.True(t, v, s)
	}
	for _, s := range []string{"", "0", "false", "No", "n", "F", "off"} {
		v, err := parseBool(s)
		require.NoError(t, err, s)
		assert.False(t, v, s)
	}
	_, err := parseBool("maybe")
	assert.Error(t, err)

	id, err := ParseKey(" 123.0 ")
	require.NoError(t, err)
	assert.Equal(t, Key("123"), id)

	ids, err := ParseIDList("1;2, 3|4 5")
	require.NoError(t, err)
	assert.Equal(t, []Key{"1", "2", "3", "4", "5"}, ids)
	ids, err = ParseIDList("[7,8]")
	require.NoError(t, err)
	assert.Equal(t, []Key{"7", "8"}, ids)
	ids, err = ParseIDList(`["A-17","0042", 9]`)
	require.NoError(t, err)
	assert.Equal(t, []Key{"A-17", "0042", "9"}, ids)
	ids, err = ParseIDList(" ")
	require.NoError(t, err)
	assert.Nil(t, ids)
	_, err = ParseIDList("1;x\x01")
	assert.Error(t, err)
	assert.Equal(t, "1;2;3", FormatIDList([]Key{"1", "2", "3"}))
	assert.Equal(t, "DRE1;0042", FormatIDList([]Key{"DRE1", "0042"}))
}

func TestEnums(t *testing.T) {
	s, err := ParsePatientStatus("5")
	require.NoError(t, err)
	assert.Equal(t, PatientStatusDeceased, s)
	s, err = ParsePatientStatus("non-patient")
	require.NoError(t, err)
	assert.Equal(t, PatientStatusNonPatient, s)
	a, err := ParseAppointmentStatus("pt note")
	require.NoError(t, err)
	assert.Equal(t, AppointmentPtNote, a)
	assert.False(t, a.IsVisit())
	assert.True(t, AppointmentComplete.IsVisit())
	p, err := ParseProcedureStatus("ec")
	require.NoError(t, err)
	assert.Equal(t, ProcedureExistingCurrent, p)
	assert.False(t, p.IsProduction())
	c, err := ParseChannel("text")
	require.NoError(t, err)
	assert.Equal(t, ChannelSMS, c)
	g, err := ParseGender("")
	require.NoError(t, err)
	assert.Equal(t, Gender(""), g)
	_, err = ParseGender("banana")
	var ve *ValueError
	require.True(t, errors.As(err, &ve))
	assert.Equal(t, "gender", ve.Kind)
	pt, err := ParseCustomPropertyType("Pick List")
	require.NoError(t, err)
	assert.Equal(t, CustomPickList, pt)
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"", "0001-01-01", "0001-01-01 00:00:00", "1987-06-05", "6/5/1987",
		"19870605", "Jun 5, 1987", "2024-02-29T10:00:00Z", "9999-12-31", "0000-00-00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		again, err := ParseDate(d.String())
		require.NoError(t, err, "String of a parsed date parses")
		require.Equal(t, d, again)
	})
}

func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"", "0001-01-01 00:00:00", "2024-03-04 10:04:05", "2024-03-04T10:04:05Z",
		"2024-03-04 10:04:05-05:00", "3/4/2024 10:04 AM", "2024-03-04 10:04:05.999"} {
		f.Add(s)
	}
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ParseTimestamp(s, ny)
		if err != nil || ts.IsZero() {
			return
		}
		require.Equal(t, time.UTC, ts.Location())
		if ts.Year() < 2 || ts.Year() > 9998 {
			return // formatting outside 4-digit years is not round-trippable
		}
		again, err := ParseTimestamp(FormatTimestamp(ts, ny), ny)
		require.NoError(t, err)
		require.True(t, ts.Equal(again), "%v vs %v", ts, again)
	})
}

func FuzzParseMoneyCell(f *testing.F) {
	for _, s := range []string{"", "95", "$1,234.56", "(12.00)", "-0.005", "95.000000", "$-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseMoney(s)
		if err != nil {
			return
		}
		again, err := parseMoney(c.String())
		require.NoError(t, err)
		require.Equal(t, c, again)
	})
}
