package pbntest

import (
	"fmt"
	"regexp"
	"strings"
)

// PhoneFormat is one of the ways phone numbers are written in real charts.
// The generator writes every format; [ClassifyPhone] recognises them, so a
// census of generated (or any) data can count each.
type PhoneFormat uint8

// Phone formats, each with an example of the number 536-624-5871.
const (
	PhoneBlank         PhoneFormat = iota // ""
	PhoneParens                           // (536)624-5871
	PhoneParensSpace                      // (536) 624-5871
	PhoneDots                             // 536.624.5871
	PhoneDotsExt                          // 536.624.5871 x12
	PhoneDigits                           // 5366245871
	PhoneDashes                           // 536-624-5871
	PhoneE164                             // +15366245871
	PhonePlusSpaced                       // +1 536 624 5871
	PhoneLeadingOne                       // 1-536-624-5871
	PhoneLocalSeven                       // 624-5871 (no area code)
	PhoneExtWord                          // (536) 624-5871 ext. 204
	PhoneInternational                    // +44 20 7946 0958
	PhoneOther                            // anything else ("call mom", "N/A")
	phoneFormatCount
)

var phoneFormatNames = [...]string{
	"blank", "parens", "parens-space", "dots", "dots-ext", "digits", "dashes", "e164",
	"plus-spaced", "leading-one", "local-seven", "ext-word", "international", "other",
}

// String names the format.
func (f PhoneFormat) String() string {
	if int(f) < len(phoneFormatNames) {
		return phoneFormatNames[f]
	}
	return fmt.Sprintf("PhoneFormat(%d)", uint8(f))
}

// MarshalText writes the format's name (so maps keyed by format read well
// in JSON).
func (f PhoneFormat) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText reads a format name written by MarshalText.
func (f *PhoneFormat) UnmarshalText(b []byte) error {
	for i, n := range phoneFormatNames {
		if n == string(b) {
			*f = PhoneFormat(i)
			return nil
		}
	}
	return fmt.Errorf("pbntest: unknown phone format %q", b)
}

// PhoneFormats lists every format, in declaration order.
func PhoneFormats() []PhoneFormat {
	out := make([]PhoneFormat, phoneFormatCount)
	for i := range out {
		out[i] = PhoneFormat(i)
	}
	return out
}

var phoneStyles = newWeighted(
	wv[PhoneFormat]{PhoneParens, 22},
	wv[PhoneFormat]{PhoneParensSpace, 14},
	wv[PhoneFormat]{PhoneDashes, 18},
	wv[PhoneFormat]{PhoneDigits, 16},
	wv[PhoneFormat]{PhoneDots, 8},
	wv[PhoneFormat]{PhoneDotsExt, 2},
	wv[PhoneFormat]{PhoneE164, 6},
	wv[PhoneFormat]{PhonePlusSpaced, 4},
	wv[PhoneFormat]{PhoneLeadingOne, 4},
	wv[PhoneFormat]{PhoneLocalSeven, 2},
	wv[PhoneFormat]{PhoneExtWord, 2},
	wv[PhoneFormat]{PhoneInternational, 1},
	wv[PhoneFormat]{PhoneOther, 1},
)

var phoneJunk = []string{"N/A", "none", "call mom", "000-000-0000", "555-CALL-NOW"}

func formatPhone(r *rng, f PhoneFormat, area, exch, line int) string {
	switch f {
	case PhoneParens:
		return fmt.Sprintf("(%03d)%03d-%04d", area, exch, line)
	case PhoneParensSpace:
		return fmt.Sprintf("(%03d) %03d-%04d", area, exch, line)
	case PhoneDots:
		return fmt.Sprintf("%03d.%03d.%04d", area, exch, line)
	case PhoneDotsExt:
		return fmt.Sprintf("%03d.%03d.%04d x%d", area, exch, line, r.between(1, 999))
	case PhoneDigits:
		return fmt.Sprintf("%03d%03d%04d", area, exch, line)
	case PhoneDashes:
		return fmt.Sprintf("%03d-%03d-%04d", area, exch, line)
	case PhoneE164:
		return fmt.Sprintf("+1%03d%03d%04d", area, exch, line)
	case PhonePlusSpaced:
		return fmt.Sprintf("+1 %03d %03d %04d", area, exch, line)
	case PhoneLeadingOne:
		return fmt.Sprintf("1-%03d-%03d-%04d", area, exch, line)
	case PhoneLocalSeven:
		return fmt.Sprintf("%03d-%04d", exch, line)
	case PhoneExtWord:
		return fmt.Sprintf("(%03d) %03d-%04d ext. %d", area, exch, line, r.between(1, 9999))
	case PhoneInternational:
		return pick(r, []string{"+44 20 7946 0958", "+52 55 1234 5678", "+63 2 8123 4567", "+84 28 3823 4567"})
	case PhoneOther:
		return pick(r, phoneJunk)
	}
	return ""
}

var phonePatterns = []struct {
	f  PhoneFormat
	re *regexp.Regexp
}{
	{PhoneParens, regexp.MustCompile(`^\(\d{3}\)\d{3}-\d{4}$`)},
	{PhoneParensSpace, regexp.MustCompile(`^\(\d{3}\) \d{3}-\d{4}$`)},
	{PhoneDots, regexp.MustCompile(`^\d{3}\.\d{3}\.\d{4}$`)},
	{PhoneDotsExt, regexp.MustCompile(`^\d{3}\.\d{3}\.\d{4} x\d+$`)},
	{PhoneDigits, regexp.MustCompile(`^\d{10}$`)},
	{PhoneDashes, regexp.MustCompile(`^\d{3}-\d{3}-\d{4}$`)},
	{PhoneE164, regexp.MustCompile(`^\+1\d{10}$`)},
	{PhonePlusSpaced, regexp.MustCompile(`^\+1 \d{3} \d{3} \d{4}$`)},
	{PhoneLeadingOne, regexp.MustCompile(`^1-\d{3}-\d{3}-\d{4}$`)},
	{PhoneLocalSeven, regexp.MustCompile(`^\d{3}-\d{4}$`)},
	{PhoneExtWord, regexp.MustCompile(`^\(\d{3}\) \d{3}-\d{4} ext\. \d+$`)},
	{PhoneInternational, regexp.MustCompile(`^\+(?:[2-9]\d?|1\d)[ \d]{6,}$`)},
}

// ClassifyPhone tells which format s is written in.
func ClassifyPhone(s string) PhoneFormat {
	if strings.TrimSpace(s) == "" {
		return PhoneBlank
	}
	for _, p := range phonePatterns {
		if p.re.MatchString(s) {
			return p.f
		}
	}
	return PhoneOther
}
