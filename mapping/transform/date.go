package transform

import (
	"strings"
	"time"
)

// HighLevel's formats: DATE custom fields and dateOfBirth take a calendar
// date; timestamps are RFC 3339 in UTC.
const (
	DateLayout      = "2006-01-02"
	TimestampLayout = time.RFC3339
)

// DateOptions says how to read dates that are ambiguous on their own.
type DateOptions struct {
	// Location is the source system's time zone, applied to values that carry
	// no zone or offset of their own. Nil means UTC.
	Location *time.Location
	// DayFirst reads "02/01/2006" as 2 January (European order). The default
	// is the US order, 1 February.
	DayFirst bool
	// TwoDigitYearPivot enables two-digit years ("3/4/85"): a year below the
	// pivot is 20yy, otherwise 19yy (pivot 30: 29 → 2029, 30 → 1930). Zero
	// rejects two-digit years, because guessing the century of a birth date
	// silently is worse than asking.
	TwoDigitYearPivot int
}

// ParseTime reads a date or date-time in any of the formats PMS exports use:
//
//	2006-01-02, 2006/01/02, 2006-01-02 15:04:05, 2006-01-02T15:04:05.999Z07:00
//	(RFC 3339, with or without zone), 20060102, 20060102150405,
//	1/2/2006, 01/02/2006 3:04 PM, 01-02-2006 15:04, 1.2.2006,
//	Jan 2, 2006, January 2 2006, 2 Jan 2006, 02-Jan-2006, RFC 1123
//
// with an optional zone (Z, ±07:00, ±0700, ±07, UTC, GMT, or a US zone
// abbreviation such as EST or PDT). Values without a zone are in
// opts.Location.
//
// "No date" is not an error: blank input and the null dates PMSs write
// (0001-01-01, 0001-01-01 00:00:00, 0000-00-00) return the zero time and a
// nil error; test with IsZero. Garbage and impossible dates (February 30th,
// hour 25) return an *Error.
func ParseTime(s string, opts DateOptions) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	var p dateParts
	if err := p.parse(s, &opts); err != nil {
		if p.monthName {
			if t, ok := parseNamedMonth(s, opts.loc()); ok {
				if t.Year() <= 1 && t.Month() == 1 && t.Day() == 1 {
					return time.Time{}, nil
				}
				return checkYear(t)
			}
		}
		return time.Time{}, err
	}
	if p.isNull() {
		return time.Time{}, nil
	}
	if err := p.validate(); err != nil {
		return time.Time{}, err
	}
	loc := opts.loc()
	if p.hasZone {
		loc = fixedZone(p.offset)
	}
	return checkYear(time.Date(p.year, time.Month(p.month), p.day, p.hour, p.min, p.sec, p.nsec, loc))
}

// checkYear refuses instants before year 1 in UTC (year 0 written out, or
// year 1 moved back by an offset): HighLevel cannot store them and no real
// record is that old.
func checkYear(t time.Time) (time.Time, error) {
	if t.Year() < 1 || t.UTC().Year() < 1 {
		return time.Time{}, newError(dateTransform, ErrOutOfRange, "year out of range")
	}
	return t, nil
}

// Date normalises a date or date-time to HighLevel's calendar-date format,
// YYYY-MM-DD, for dateOfBirth and DATE custom fields. The day is the one
// written in the value (a birth date is a calendar day, not an instant, so it
// is not shifted to UTC). No date gives "".
func Date(s string, opts DateOptions) (string, error) {
	if isISODate(s) {
		if s == "0001-01-01" || s == "0000-00-00" {
			return "", nil // the PMS's "no date"
		}
		return s, nil // already canonical: no allocation
	}
	t, err := ParseTime(s, opts)
	if err != nil {
		return "", err
	}
	return FormatDate(t), nil
}

// Timestamp normalises a date or date-time to RFC 3339 in UTC, for
// timestamps sent to HighLevel. Values without a zone are read in
// opts.Location first. No date gives "".
func Timestamp(s string, opts DateOptions) (string, error) {
	t, err := ParseTime(s, opts)
	if err != nil {
		return "", err
	}
	return FormatTimestamp(t), nil
}

// FormatDate formats t as YYYY-MM-DD in t's own location; the zero time gives "".
func FormatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	var buf [10]byte
	return string(t.AppendFormat(buf[:0], DateLayout))
}

// FormatTimestamp formats t as RFC 3339 in UTC to the second (PMS
// timestamps carry no meaningful fraction); the zero time gives "".
func FormatTimestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	var buf [35]byte
	return string(t.UTC().AppendFormat(buf[:0], TimestampLayout))
}

func (o *DateOptions) loc() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
}

// isISODate reports whether s is exactly dddd-dd-dd and a valid date, or one
// of the null dates.
func isISODate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	y := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	m := int(s[5]-'0')*10 + int(s[6]-'0')
	d := int(s[8]-'0')*10 + int(s[9]-'0')
	if y == 0 && m == 0 && d == 0 {
		return true
	}
	return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(m, y)
}

type dateParts struct {
	year, month, day     int
	hour, min, sec, nsec int
	offset               int // seconds east of UTC
	hasZone              bool
	monthName            bool // input starts with letters or has them after a day: try named-month layouts
}

const dateTransform = "date"

var errDateFormat = newError(dateTransform, ErrInvalid, "unrecognised date format")

// scanner walks the input byte by byte; all supported formats are ASCII.
type scanner struct {
	s string
	i int
}

func (sc *scanner) done() bool { return sc.i >= len(sc.s) }

func (sc *scanner) peek() byte {
	if sc.i < len(sc.s) {
		return sc.s[sc.i]
	}
	return 0
}

// number reads up to max digits and returns the value and digit count.
func (sc *scanner) number(max int) (v, n int) {
	for sc.i < len(sc.s) && n < max {
		c := sc.s[sc.i]
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int(c-'0')
		n++
		sc.i++
	}
	return v, n
}

func (sc *scanner) skipSpaces() {
	for sc.i < len(sc.s) && sc.s[sc.i] == ' ' {
		sc.i++
	}
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func (p *dateParts) parse(s string, o *DateOptions) error {
	sc := scanner{s: s}
	if !isDigit(sc.peek()) {
		p.monthName = isLetter(sc.peek())
		return errDateFormat
	}
	start := sc.i
	v1, n1 := sc.number(14)
	switch {
	case n1 == 8 || n1 == 14: // 20060102 or 20060102150405
		d := s[start : start+n1]
		p.year = atoi(d[0:4])
		p.month = atoi(d[4:6])
		p.day = atoi(d[6:8])
		if n1 == 14 {
			p.hour, p.min, p.sec = atoi(d[8:10]), atoi(d[10:12]), atoi(d[12:14])
			return p.parseZone(&sc)
		}
		if sc.peek() == 'T' && sc.i+1 < len(s) && isDigit(s[sc.i+1]) {
			sc.i++
			cs := sc.i
			if _, n := sc.number(6); n == 4 || n == 6 { // basic format: T1504, T150405
				c := s[cs : cs+n]
				p.hour, p.min = atoi(c[0:2]), atoi(c[2:4])
				if n == 6 {
					p.sec = atoi(c[4:6])
				}
				return p.parseZone(&sc)
			}
			sc.i = cs
			return p.parseClock(&sc)
		}
	case n1 == 4: // year first: 2006-01-02, 2006/01/02, 2006.01.02
		sep := sc.peek()
		if sep != '-' && sep != '/' && sep != '.' {
			return errDateFormat
		}
		sc.i++
		var n int
		p.year = v1
		if p.month, n = sc.number(2); n == 0 || sc.peek() != sep {
			return errDateFormat
		}
		sc.i++
		if p.day, n = sc.number(2); n == 0 {
			return errDateFormat
		}
	case n1 == 1 || n1 == 2: // 1/2/2006, 01-02-2006, 2 Jan 2006
		sep := sc.peek()
		if sep == ' ' || sep == '-' && sc.i+1 < len(s) && isLetter(s[sc.i+1]) {
			p.monthName = true
			return errDateFormat
		}
		if sep != '/' && sep != '-' && sep != '.' {
			return errDateFormat
		}
		sc.i++
		v2, n2 := sc.number(2)
		if n2 == 0 || sc.peek() != sep {
			return errDateFormat
		}
		sc.i++
		y, ny := sc.number(4)
		switch {
		case ny == 4:
			p.year = y
		case ny == 2 && o.TwoDigitYearPivot > 0:
			p.year = 1900 + y
			if y < o.TwoDigitYearPivot {
				p.year = 2000 + y
			}
		case ny == 2:
			return newError(dateTransform, ErrInvalid, "two-digit year is ambiguous")
		default:
			return errDateFormat
		}
		if o.DayFirst {
			p.day, p.month = v1, v2
		} else {
			p.month, p.day = v1, v2
		}
	default:
		return errDateFormat
	}
	if sc.done() {
		return nil
	}
	// Optional clock: "T15:04", " 15:04", " 3:04 PM".
	switch c := sc.peek(); {
	case c == 'T':
		sc.i++
	case c == ' ':
		sc.skipSpaces()
		if !isDigit(sc.peek()) {
			return p.parseZone(&sc) // "2006-01-02 UTC" is odd but unambiguous
		}
	case c == 'Z' || c == '+' || c == '-':
		return p.parseZone(&sc)
	default:
		return errDateFormat
	}
	return p.parseClock(&sc)
}

func (p *dateParts) parseClock(sc *scanner) error {
	var n int
	if p.hour, n = sc.number(2); n == 0 {
		return errDateFormat
	}
	if sc.peek() != ':' {
		return errDateFormat
	}
	sc.i++
	if p.min, n = sc.number(2); n != 2 {
		return errDateFormat
	}
	if sc.peek() == ':' {
		sc.i++
		if p.sec, n = sc.number(2); n != 2 {
			return errDateFormat
		}
		if c := sc.peek(); c == '.' || c == ',' {
			sc.i++
			frac, nf := sc.number(9)
			if nf == 0 {
				return errDateFormat
			}
			for ; nf < 9; nf++ {
				frac *= 10
			}
			p.nsec = frac
			for isDigit(sc.peek()) { // beyond nanoseconds: truncate
				sc.i++
			}
		}
	}
	sc.skipSpaces()
	if c := sc.peek() | 0x20; c == 'a' || c == 'p' {
		if ok := parseMeridiem(sc); !ok {
			return p.parseZone(sc) // not AM/PM: maybe a zone name such as "PST"
		}
		if p.hour < 1 || p.hour > 12 {
			return newError(dateTransform, ErrOutOfRange, "hour out of range for a 12-hour clock")
		}
		if pm := c == 'p'; pm && p.hour != 12 {
			p.hour += 12
		} else if !pm && p.hour == 12 {
			p.hour = 0
		}
	}
	return p.parseZone(sc)
}

// parseMeridiem consumes "AM", "PM", "a.m.", "p.m." (any case).
func parseMeridiem(sc *scanner) bool {
	rest := sc.s[sc.i:]
	for _, m := range [...]string{"am", "pm", "a.m.", "p.m."} {
		if len(rest) >= len(m) && strings.EqualFold(rest[:len(m)], m) &&
			(len(rest) == len(m) || !isLetter(rest[len(m)])) {
			sc.i += len(m)
			return true
		}
	}
	return false
}

// usZones are the abbreviations US PMS exports print. Abbreviations are
// ambiguous worldwide, so only these are accepted.
var usZones = map[string]int{
	"UTC": 0, "GMT": 0, "Z": 0,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
	"PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
}

func (p *dateParts) parseZone(sc *scanner) error {
	sc.skipSpaces()
	if sc.done() {
		return nil
	}
	switch c := sc.peek(); {
	case c == '+' || c == '-':
		sc.i++
		h, nh := sc.number(2)
		if nh != 2 {
			return errDateFormat
		}
		m := 0
		if sc.peek() == ':' {
			sc.i++
			var nm int
			if m, nm = sc.number(2); nm != 2 {
				return errDateFormat
			}
		} else if isDigit(sc.peek()) {
			var nm int
			if m, nm = sc.number(2); nm != 2 {
				return errDateFormat
			}
		}
		if h > 14 || m > 59 {
			return newError(dateTransform, ErrOutOfRange, "zone offset out of range")
		}
		p.offset = h*3600 + m*60
		if c == '-' {
			p.offset = -p.offset
		}
	case isLetter(c):
		j := sc.i
		for j < len(sc.s) && isLetter(sc.s[j]) {
			j++
		}
		h, ok := usZones[strings.ToUpper(sc.s[sc.i:j])]
		if !ok {
			return newError(dateTransform, ErrInvalid, "unknown time zone abbreviation")
		}
		sc.i = j
		p.offset = h * 3600
		if sc.peek() == '+' || sc.peek() == '-' { // "UTC+02:00"
			p.hasZone = true
			return p.parseZone(sc)
		}
	default:
		return errDateFormat
	}
	p.hasZone = true
	sc.skipSpaces()
	if !sc.done() {
		return errDateFormat
	}
	return nil
}

func (p *dateParts) isNull() bool {
	return p.year == 0 && p.month == 0 && p.day == 0 ||
		p.year == 1 && p.month == 1 && p.day == 1
}

func (p *dateParts) validate() error {
	switch {
	case p.year < 1:
		return newError(dateTransform, ErrOutOfRange, "year out of range")
	case p.month < 1 || p.month > 12:
		return newError(dateTransform, ErrOutOfRange, "month out of range")
	case p.day < 1 || p.day > daysIn(p.month, p.year):
		return newError(dateTransform, ErrOutOfRange, "day out of range for the month")
	case p.hour > 23:
		return newError(dateTransform, ErrOutOfRange, "hour out of range")
	case p.min > 59:
		return newError(dateTransform, ErrOutOfRange, "minute out of range")
	case p.sec > 59:
		return newError(dateTransform, ErrOutOfRange, "second out of range")
	}
	return nil
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func atoi(d string) int {
	v := 0
	for i := 0; i < len(d); i++ {
		v = v*10 + int(d[i]-'0')
	}
	return v
}

// fixedZones caches the zones for offsets seen in input, so that parsing
// "…-05:00" a million times does not allocate a million *time.Location.
var fixedZones = func() map[int]*time.Location {
	m := make(map[int]*time.Location)
	m[0] = time.UTC
	for q := -12 * 4; q <= 14*4; q++ {
		if q != 0 {
			m[q*900] = time.FixedZone("", q*900)
		}
	}
	return m
}()

func fixedZone(offset int) *time.Location {
	if l, ok := fixedZones[offset]; ok {
		return l
	}
	return time.FixedZone("", offset)
}

// namedMonthLayouts are tried, in order, when a value spells the month.
var namedMonthLayouts = [...]string{
	"Jan 2, 2006", "January 2, 2006", "Jan 2 2006", "January 2 2006",
	"2 Jan 2006", "2 January 2006", "02-Jan-2006", "2-Jan-2006",
	"Mon, Jan 2, 2006", "Monday, January 2, 2006",
	"Jan 2, 2006 3:04 PM", "January 2, 2006 3:04 PM", "Jan 2, 2006 15:04",
	time.RFC1123, time.RFC1123Z, time.RFC850, time.ANSIC, time.UnixDate,
	"Mon Jan 2 15:04:05 -0700 2006", "2 Jan 2006 15:04",
}

func parseNamedMonth(s string, loc *time.Location) (time.Time, bool) {
	for _, layout := range namedMonthLayouts {
		// time.Parse's error quotes the input, so it is discarded.
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
