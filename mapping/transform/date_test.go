package transform

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTime(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	utc := DateOptions{}
	nyOpts := DateOptions{Location: ny}
	tests := []struct {
		name string
		in   string
		opts DateOptions
		want string // RFC3339Nano in UTC; "" = no date
	}{
		{"blank", "  ", utc, ""},
		{"null date", "0001-01-01", utc, ""},
		{"null datetime", "0001-01-01 00:00:00", utc, ""},
		{"null mysql", "0000-00-00 00:00:00", utc, ""},
		{"null US", "01/01/0001", utc, ""},
		{"iso", "2019-03-04", utc, "2019-03-04T00:00:00Z"},
		{"iso slashes", "2019/03/04", utc, "2019-03-04T00:00:00Z"},
		{"iso single digits", "2019-3-4", utc, "2019-03-04T00:00:00Z"},
		{"open dental datetime", "2019-03-04 15:04:05", utc, "2019-03-04T15:04:05Z"},
		{"datetime in source zone", "2019-03-04 15:04:05", nyOpts, "2019-03-04T20:04:05Z"},
		{"datetime in source zone DST", "2019-07-04 15:04:05", nyOpts, "2019-07-04T19:04:05Z"},
		{"rfc3339 Z", "2019-03-04T15:04:05Z", nyOpts, "2019-03-04T15:04:05Z"},
		{"rfc3339 offset", "2019-03-04T15:04:05-07:00", utc, "2019-03-04T22:04:05Z"},
		{"rfc3339 nano", "2019-03-04T15:04:05.123456789+01:00", utc, "2019-03-04T14:04:05.123456789Z"},
		{"fraction beyond ns", "2019-03-04T15:04:05.1234567891Z", utc, "2019-03-04T15:04:05.123456789Z"},
		{"iso no seconds", "2019-03-04T15:04", utc, "2019-03-04T15:04:00Z"},
		{"offset no colon", "2019-03-04 15:04:05 -0500", utc, "2019-03-04T20:04:05Z"},
		{"offset hours only", "2019-03-04 15:04:05+02", utc, "2019-03-04T13:04:05Z"},
		{"zone abbrev", "2019-03-04 15:04 PST", utc, "2019-03-04T23:04:00Z"},
		{"utc word", "2019-03-04 15:04:05 UTC", nyOpts, "2019-03-04T15:04:05Z"},
		{"compact", "20190304", utc, "2019-03-04T00:00:00Z"},
		{"compact datetime", "20190304150405", utc, "2019-03-04T15:04:05Z"},
		{"compact T", "20190304T1504", utc, "2019-03-04T15:04:00Z"},
		{"us short", "3/4/2019", utc, "2019-03-04T00:00:00Z"},
		{"us padded", "03/04/2019", utc, "2019-03-04T00:00:00Z"},
		{"us dashes", "03-04-2019", utc, "2019-03-04T00:00:00Z"},
		{"us pm", "03/04/2019 3:04 PM", utc, "2019-03-04T15:04:00Z"},
		{"us pm lower dotted", "3/4/2019 3:04:05 p.m.", utc, "2019-03-04T15:04:05Z"},
		{"us noon", "3/4/2019 12:00 PM", utc, "2019-03-04T12:00:00Z"},
		{"us midnight", "3/4/2019 12:30 AM", utc, "2019-03-04T00:30:00Z"},
		{"us pm no space", "3/4/2019 3:04PM", utc, "2019-03-04T15:04:00Z"},
		{"us 24h", "3/4/2019 15:04", utc, "2019-03-04T15:04:00Z"},
		{"us pm zone", "3/4/2019 3:04 PM EST", utc, "2019-03-04T20:04:00Z"},
		{"day first", "04/03/2019", DateOptions{DayFirst: true}, "2019-03-04T00:00:00Z"},
		{"two digit year pivot", "3/4/85", DateOptions{TwoDigitYearPivot: 30}, "1985-03-04T00:00:00Z"},
		{"two digit year pivot 20xx", "3/4/19", DateOptions{TwoDigitYearPivot: 30}, "2019-03-04T00:00:00Z"},
		{"month name", "Mar 4, 2019", utc, "2019-03-04T00:00:00Z"},
		{"long month name", "March 4, 2019", utc, "2019-03-04T00:00:00Z"},
		{"day month name", "4 Mar 2019", utc, "2019-03-04T00:00:00Z"},
		{"oracle style", "04-Mar-2019", utc, "2019-03-04T00:00:00Z"},
		{"rfc1123", "Mon, 04 Mar 2019 15:04:05 GMT", utc, "2019-03-04T15:04:05Z"},
		{"month name in zone", "March 4, 2019 3:04 PM", nyOpts, "2019-03-04T20:04:00Z"},
		{"leap day", "2020-02-29", utc, "2020-02-29T00:00:00Z"},
		{"leap day 2000", "2/29/2000", utc, "2000-02-29T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTime(tt.in, tt.opts)
			require.NoError(t, err)
			if tt.want == "" {
				assert.True(t, got.IsZero(), "got %v", got)
				return
			}
			assert.Equal(t, tt.want, got.UTC().Format(time.RFC3339Nano))
		})
	}
}

func TestParseTimeErrors(t *testing.T) {
	tests := []struct {
		in     string
		opts   DateOptions
		class  error
		reason string
	}{
		{"garbage", DateOptions{}, ErrInvalid, "unrecognised date format"},
		{"2019-02-30", DateOptions{}, ErrOutOfRange, "day out of range for the month"},
		{"2019-02-29", DateOptions{}, ErrOutOfRange, "day out of range for the month"},
		{"1900-02-29", DateOptions{}, ErrOutOfRange, "day out of range for the month"},
		{"2019-13-01", DateOptions{}, ErrOutOfRange, "month out of range"},
		{"13/04/2019", DateOptions{}, ErrOutOfRange, "month out of range"},
		{"2019-00-10", DateOptions{}, ErrOutOfRange, "month out of range"},
		{"2019-03-04 25:00", DateOptions{}, ErrOutOfRange, "hour out of range"},
		{"2019-03-04 23:60", DateOptions{}, ErrOutOfRange, "minute out of range"},
		{"2019-03-04 23:59:60", DateOptions{}, ErrOutOfRange, "second out of range"},
		{"3/4/2019 13:00 PM", DateOptions{}, ErrOutOfRange, "hour out of range for a 12-hour clock"},
		{"3/4/2019 0:30 AM", DateOptions{}, ErrOutOfRange, "hour out of range for a 12-hour clock"},
		{"3/4/19", DateOptions{}, ErrInvalid, "two-digit year is ambiguous"},
		{"2019-03-04 10:00 XYZ", DateOptions{}, ErrInvalid, "unknown time zone abbreviation"},
		{"2019-03-04T10:00:00+25:00", DateOptions{}, ErrOutOfRange, "zone offset out of range"},
		{"2019-03-04 trailing", DateOptions{}, ErrInvalid, "unknown time zone abbreviation"},
		{"2019-03-04T", DateOptions{}, ErrInvalid, "unrecognised date format"},
		{"2019-03/04", DateOptions{}, ErrInvalid, "unrecognised date format"},
		{"12345", DateOptions{}, ErrInvalid, "unrecognised date format"},
		{"Marchember 4, 2019", DateOptions{}, ErrInvalid, "unrecognised date format"},
		{"0000-01-01", DateOptions{}, ErrOutOfRange, "year out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseTime(tt.in, tt.opts)
			require.Error(t, err)
			var te *Error
			require.True(t, errors.As(err, &te))
			assert.Equal(t, "date", te.Transform)
			assert.Equal(t, tt.reason, te.Reason)
			assert.ErrorIs(t, err, tt.class)
			assert.NotContains(t, err.Error(), tt.in)
		})
	}
}

func TestDateAndTimestamp(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	require.NoError(t, err)
	o := DateOptions{Location: la}
	tests := []struct{ in, date, ts string }{
		{"", "", ""},
		{"0001-01-01", "", ""},
		{"0000-00-00", "", ""},
		{"1985-03-04", "1985-03-04", "1985-03-04T08:00:00Z"},
		{"3/4/1985", "1985-03-04", "1985-03-04T08:00:00Z"},
		// A late-evening local time keeps its calendar day as a date but
		// becomes the next day in UTC as a timestamp.
		{"2019-03-04 23:30:00", "2019-03-04", "2019-03-05T07:30:00Z"},
		{"2019-03-04T23:30:00Z", "2019-03-04", "2019-03-04T23:30:00Z"},
	}
	for _, tt := range tests {
		d, err := Date(tt.in, o)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.date, d, tt.in)
		ts, err := Timestamp(tt.in, o)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.ts, ts, tt.in)
	}
	_, err = Date("2019-02-30", o)
	assert.ErrorIs(t, err, ErrOutOfRange)
	_, err = Timestamp("nope", o)
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestDateCanonicalDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() { _, _ = Date("2019-03-04", DateOptions{}) })
	assert.Zero(t, allocs)
}

func TestFormatZero(t *testing.T) {
	assert.Equal(t, "", FormatDate(time.Time{}))
	assert.Equal(t, "", FormatTimestamp(time.Time{}))
}
