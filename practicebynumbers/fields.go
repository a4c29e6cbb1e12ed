package practicebynumbers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// ValueError reports a field value that could not be parsed. It never holds
// the value itself (values are PHI): only what kind of value was expected and
// why it was refused.
type ValueError struct {
	Kind   string // "date", "money", "phone", "patient status", ...
	Reason string
}

func (e *ValueError) Error() string { return "invalid " + e.Kind + ": " + e.Reason }

func valueErr(kind, reason string) error { return &ValueError{Kind: kind, Reason: reason} }

// Date is a calendar date without a time of day or zone. The zero Date means
// "no date": the source's 0001-01-01 (Open Dental writes it for missing birth
// dates, coverage dates and treatment-planned procedure dates). Dates compare
// with ==.
type Date struct {
	year  int
	month time.Month
	day   int
}

// NewDate returns the date y-m-d, normalised like time.Date (Feb 30 becomes
// Mar 1 or 2). 0001-01-01 is the zero Date.
func NewDate(y int, m time.Month, d int) Date {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return Date{t.Year(), t.Month(), t.Day()}.canon()
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	if t.IsZero() {
		return Date{}
	}
	y, m, d := t.Date()
	return Date{y, m, d}.canon()
}

func (d Date) canon() Date {
	if d.year == 1 && d.month == time.January && d.day == 1 {
		return Date{}
	}
	return d
}

// IsZero reports whether d is "no date".
func (d Date) IsZero() bool { return d == Date{} }

// Year, Month and Day return the parts of d (1, January, 1 for no date).
func (d Date) Year() int { return max(d.year, 1) }

// Month returns the month of d.
func (d Date) Month() time.Month { return max(d.month, time.January) }

// Day returns the day of month of d.
func (d Date) Day() int { return max(d.day, 1) }

// Time returns midnight of d in loc (the zero time.Time for no date).
func (d Date) Time(loc *time.Location) time.Time {
	if d.IsZero() {
		return time.Time{}
	}
	return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, loc)
}

// Compare returns -1, 0 or +1; no date sorts first.
func (d Date) Compare(o Date) int {
	a, b := d.key(), o.key()
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (d Date) key() int { return d.year*10000 + int(d.month)*100 + d.day }

// String returns yyyy-mm-dd, or "" for no date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.year, int(d.month), d.day)
}

// MarshalText writes yyyy-mm-dd ("" for no date).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText accepts every format [ParseDate] accepts.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes "yyyy-mm-dd", or null for no date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON accepts null, "" and every format [ParseDate] accepts.
func (d *Date) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return valueErr("date", "not a JSON string")
	}
	return d.UnmarshalText([]byte(s))
}

// Cents is an amount of money in integer cents (never a float).
type Cents int64

// String formats c as a decimal amount without a currency sign: "95.00",
// "-12.50".
func (c Cents) String() string {
	sign := ""
	u := uint64(c)
	if c < 0 {
		sign = "-"
		u = uint64(-c) // -MinInt64 wraps to itself, still the right magnitude as uint64
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// parseMoney reads a money cell as PMS exports write it: "95", "95.5",
// "$1,234.56", "-12.00", "(12.00)" (accounting negative), "95.000000".
// Digits past the cent are rounded half away from zero (the export's own
// rounding, CONTRACT.md). An empty string is 0. It is the reader's wire
// format only: normalising a value for HighLevel is mapping/transform's
// (ParseCents, which refuses a fraction of a cent instead).
func parseMoney(s string) (Cents, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, strings.TrimSpace(s[1:len(s)-1])
	}
	if strings.HasPrefix(s, "-") {
		neg, s = !neg, strings.TrimSpace(s[1:])
	} else if strings.HasPrefix(s, "+") {
		s = strings.TrimSpace(s[1:])
	}
	s = strings.TrimPrefix(s, "$")
	s = strings.TrimPrefix(s, "USD")
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") && !neg { // "$-12.00"
		neg, s = true, s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	intPart = strings.ReplaceAll(intPart, ",", "")
	if intPart == "" && (!hasDot || frac == "") {
		return 0, valueErr("money", "no digits")
	}
	var whole uint64
	for _, r := range intPart {
		if r < '0' || r > '9' {
			return 0, valueErr("money", "unexpected character")
		}
		if whole > (math.MaxInt64/100-9)/10 {
			return 0, valueErr("money", "amount too large")
		}
		whole = whole*10 + uint64(r-'0')
	}
	var cents uint64
	for i, r := range frac {
		if r < '0' || r > '9' {
			return 0, valueErr("money", "unexpected character")
		}
		switch {
		case i < 2:
			cents = cents*10 + uint64(r-'0')
		case i == 2 && r >= '5':
			cents++ // round half away from zero; later digits cannot change it back
		}
	}
	if len(frac) == 1 {
		cents *= 10
	}
	total := whole*100 + cents
	if total > math.MaxInt64 {
		return 0, valueErr("money", "amount too large")
	}
	if neg {
		return -Cents(total), nil
	}
	return Cents(total), nil
}

// parseBool reads a boolean cell as PMS exports write it: 1/0, true/false,
// yes/no, y/n, t/f, on/off, x (checked), -1 (Access's true) and "" (false),
// in any case. The reader's wire format only, like parseMoney; a value
// headed for HighLevel goes through mapping/transform's ParseBool.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "y", "t", "on", "x", "-1":
		return true, nil
	case "", "0", "false", "no", "n", "f", "off":
		return false, nil
	}
	return false, valueErr("boolean", "not one of 1/0, true/false, yes/no")
}

// ParseIDList parses a list of keys separated by ";", "," "|" or spaces, or
// written as a JSON array (numbers or strings). An empty string is a nil
// list; each key goes through [ParseKey], and a list member that is "none"
// ("0") is left out.
func ParseIDList(s string) ([]Key, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == ';' || r == ',' || r == '|' || r == ' ' || r == '\t'
	})
	if len(fields) == 0 {
		return nil, nil
	}
	out := make([]Key, 0, len(fields))
	for _, f := range fields {
		if len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' {
			f = f[1 : len(f)-1]
		}
		id, err := ParseKey(f)
		if err != nil {
			return nil, err
		}
		if id != NoKey {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// FormatIDList writes keys the canonical CSV way: "1;2;3".
func FormatIDList(ids []Key) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(string(id))
	}
	return b.String()
}

// isNoDate reports the spellings of "no date" PMS exports use.
func isNoDate(s string) bool {
	if s == "" {
		return true
	}
	if strings.HasPrefix(s, "0001-01-01") || strings.HasPrefix(s, "0000-00-00") {
		return true
	}
	for _, p := range []string{"01/01/0001", "1/1/0001", "01-01-0001", "00/00/0000"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

var dateLayouts = []string{
	"2006-01-02", "2006/01/02", "20060102",
	"01/02/2006", "1/2/2006", "01-02-2006", "1-2-2006",
	"Jan 2, 2006", "January 2, 2006", "2 Jan 2006", "02-Jan-2006", "Jan 2 2006",
}

// ParseDate parses a date as PMS exports write it: yyyy-mm-dd (optionally
// followed by a time, which is ignored), RFC 3339, mm/dd/yyyy (US order),
// yyyy/mm/dd, yyyymmdd, "Jan 2, 2006", "02-Jan-2006". "", 0001-01-01,
// 0001-01-01 00:00:00, 01/01/0001 and 0000-00-00 are "no date" (zero Date,
// no error). Two-digit years are refused as ambiguous.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if isNoDate(s) {
		return Date{}, nil
	}
	if d, ok := parseISODate(s); ok {
		return d, nil
	}
	if f, ok := parseUS(s); ok {
		return Date{f.y, time.Month(f.mo), f.d}.canon(), nil
	}
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' {
		// ISO-shaped but not a valid ISO date or date-time: only RFC 3339
		// variants with an offset the fast path does not take are left.
		for _, l := range offsetLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return DateOf(t), nil
			}
		}
		return Date{}, valueErr("date", "malformed yyyy-mm-dd date or time")
	}
	// A date followed by a time ("3/4/2019 12:00:00 AM"): keep the date part.
	datePart := s
	if i := strings.IndexAny(s, " T"); i > 0 && strings.ContainsAny(s[i:], ":") {
		datePart = s[:i]
		if strings.Contains(datePart, ",") || len(strings.Fields(s)) > 3 {
			datePart = s // "Jan 2, 2006 10:00" handled by the layouts below
		}
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, datePart); err == nil {
			return DateOf(t), nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return DateOf(t), nil
	}
	return Date{}, valueErr("date", "unrecognised format")
}

// parseISODate is the fast path for yyyy-mm-dd with an optional trailing time.
func parseISODate(s string) (Date, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' || (len(s) > 10 && s[10] != ' ' && s[10] != 'T') {
		return Date{}, false
	}
	y, ok1 := atoiN(s[0:4])
	m, ok2 := atoiN(s[5:7])
	d, ok3 := atoiN(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) || y < 1 {
		return Date{}, false
	}
	if len(s) > 10 {
		if _, err := parseISOTimestamp(s, time.UTC); err != nil {
			return Date{}, false
		}
	}
	return Date{y, time.Month(m), d}.canon(), true
}

func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func atoiN(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(s) > 0
}

var timestampLayouts = []string{
	"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04",
	"01/02/2006 15:04:05", "01/02/2006 15:04", "1/2/2006 15:04:05", "1/2/2006 15:04",
	"01/02/2006 3:04:05 PM", "01/02/2006 3:04 PM", "1/2/2006 3:04:05 PM", "1/2/2006 3:04 PM",
	"2006/01/02 15:04:05", "Jan 2, 2006 3:04 PM", "Jan 2, 2006 15:04",
}

var offsetLayouts = []string{
	time.RFC3339Nano, "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 -07:00", "2006-01-02 15:04:05 MST", time.RFC1123Z,
}

// ParseTimestamp parses a date-time as PMS exports write it and returns it in
// UTC, truncated to the second. A time without an offset is wall-clock time
// in loc (nil means UTC); a time with an offset or "Z" keeps its instant. A
// date alone is midnight in loc. "", 0001-01-01 00:00:00 and the other
// spellings of "no date" give the zero time and no error.
func ParseTimestamp(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	s = strings.TrimSpace(s)
	if isNoDate(s) {
		return time.Time{}, nil
	}
	if t, err := parseISOTimestamp(s, loc); err == nil {
		return t, nil
	}
	if f, ok := parseUS(s); ok {
		return time.Date(f.y, time.Month(f.mo), f.d, f.hh, f.mm, f.ss, 0, loc).UTC(), nil
	}
	for _, l := range timestampLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t.UTC().Truncate(time.Second), nil
		}
	}
	for _, l := range offsetLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC().Truncate(time.Second), nil
		}
	}
	if !strings.Contains(s, ":") { // a date alone is midnight; a time we cannot read is an error
		if d, err := ParseDate(s); err == nil {
			return d.Time(loc).UTC(), nil
		}
	}
	return time.Time{}, valueErr("timestamp", "unrecognised format")
}

var errNotISO = errors.New("not iso")

// parseISOTimestamp is the fast path for yyyy-mm-dd[( |T)hh:mm[:ss[.fff]]][Z|±hh:mm].
func parseISOTimestamp(s string, loc *time.Location) (time.Time, error) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, errNotISO
	}
	y, ok1 := atoiN(s[0:4])
	mo, ok2 := atoiN(s[5:7])
	d, ok3 := atoiN(s[8:10])
	if !ok1 || !ok2 || !ok3 || y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysIn(time.Month(mo), y) {
		return time.Time{}, errNotISO
	}
	rest := s[10:]
	var hh, mm, ss int
	if rest != "" {
		if rest[0] != ' ' && rest[0] != 'T' || len(rest) < 6 || rest[3] != ':' {
			return time.Time{}, errNotISO
		}
		var ok bool
		if hh, ok = atoiN(rest[1:3]); !ok || hh > 23 {
			return time.Time{}, errNotISO
		}
		if mm, ok = atoiN(rest[4:6]); !ok || mm > 59 {
			return time.Time{}, errNotISO
		}
		rest = rest[6:]
		if len(rest) >= 3 && rest[0] == ':' {
			if ss, ok = atoiN(rest[1:3]); !ok || ss > 59 {
				return time.Time{}, errNotISO
			}
			rest = rest[3:]
		}
		if len(rest) > 1 && rest[0] == '.' {
			i := 1
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			if i == 1 {
				return time.Time{}, errNotISO
			}
			rest = rest[i:]
		}
	}
	switch {
	case rest == "":
		return time.Date(y, time.Month(mo), d, hh, mm, ss, 0, loc).UTC(), nil
	case rest == "Z" || rest == "z":
		return time.Date(y, time.Month(mo), d, hh, mm, ss, 0, time.UTC), nil
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := atoiN(rest[1:3])
		om, ok2 := atoiN(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, errNotISO
		}
		off := oh*3600 + om*60
		if rest[0] == '-' {
			off = -off
		}
		return time.Date(y, time.Month(mo), d, hh, mm, ss, 0, time.UTC).Add(-time.Duration(off) * time.Second), nil
	}
	return time.Time{}, errNotISO
}

// CSVTimestampLayout is the canonical CSV timestamp: wall-clock time in the
// practice zone followed by its UTC offset, so that the hour repeated when
// daylight saving time ends stays unambiguous.
const CSVTimestampLayout = "2006-01-02 15:04:05-07:00"

// FormatTimestamp writes t the canonical CSV way ([CSVTimestampLayout]) as
// wall-clock time in loc (nil means UTC); the zero time is "".
func FormatTimestamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc == nil {
		loc = time.UTC
	}
	local := t.In(loc)
	if _, off := local.Zone(); off%60 != 0 {
		local = t.UTC() // local mean time before zones existed: no hh:mm offset
	}
	return local.Format(CSVTimestampLayout)
}

type usFields struct{ y, mo, d, hh, mm, ss int }

// parseUS is the fast path for the US forms Windows PMS exports write:
// m/d/yyyy or m-d-yyyy, optionally followed by h:mm[:ss] and AM/PM.
func parseUS(s string) (usFields, bool) {
	var f usFields
	i := 0
	num := func(minD, maxD int) (int, bool) {
		start := i
		n := 0
		for i < len(s) && i-start < maxD && s[i] >= '0' && s[i] <= '9' {
			n = n*10 + int(s[i]-'0')
			i++
		}
		return n, i-start >= minD && (i == len(s) || s[i] < '0' || s[i] > '9')
	}
	var ok bool
	if f.mo, ok = num(1, 2); !ok || i >= len(s) || (s[i] != '/' && s[i] != '-') {
		return f, false
	}
	sep := s[i]
	i++
	if f.d, ok = num(1, 2); !ok || i >= len(s) || s[i] != sep {
		return f, false
	}
	i++
	if f.y, ok = num(4, 4); !ok {
		return f, false
	}
	if f.mo < 1 || f.mo > 12 || f.y < 1 || f.d < 1 || f.d > daysIn(time.Month(f.mo), f.y) {
		return f, false
	}
	if i == len(s) {
		return f, true
	}
	if s[i] != ' ' {
		return f, false
	}
	i++
	if f.hh, ok = num(1, 2); !ok || i >= len(s) || s[i] != ':' {
		return f, false
	}
	i++
	if f.mm, ok = num(2, 2); !ok || f.mm > 59 {
		return f, false
	}
	if i < len(s) && s[i] == ':' {
		i++
		if f.ss, ok = num(2, 2); !ok || f.ss > 59 {
			return f, false
		}
	}
	switch rest := strings.ToUpper(strings.TrimSpace(s[i:])); {
	case rest == "" && (i == len(s)):
		return f, f.hh <= 23
	case (rest == "AM" || rest == "PM") && i < len(s) && s[i] == ' ':
		if f.hh < 1 || f.hh > 12 {
			return f, false
		}
		f.hh %= 12
		if rest == "PM" {
			f.hh += 12
		}
		return f, true
	}
	return f, false
}
