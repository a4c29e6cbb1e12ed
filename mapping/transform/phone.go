package transform

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

const phoneTransform = "phone"

// PhoneOptions says how to read phone numbers written without a country code.
type PhoneOptions struct {
	// Region is the ISO 3166-1 alpha-2 region (any case) assumed for numbers
	// without a "+" country code. Empty means "US".
	Region string
	// Strict also requires the number to be in a range assigned for its
	// region by libphonenumber's metadata (e.g. rejects the fictional 555
	// area code). The default accepts any number of a possible length that is
	// well-formed for its numbering plan: a migration should not drop a
	// patient's real number because metadata lags a new area code.
	Strict bool
	// AreaCode, when set (three digits, e.g. the office's), completes
	// seven-digit local numbers such as "624-5871" for NANP regions, which
	// are otherwise refused as "missing area code".
	AreaCode string
}

// Phone is a normalised phone number.
type Phone struct {
	// E164 is the number in E.164 form, e.g. "+15366245871".
	E164 string
	// Extension holds digits after "x", "ext." and the like, kept apart
	// because HighLevel's phone field has no room for them.
	Extension string
}

// ParsePhone normalises a phone number written in any common way —
// "(536)624-5871", "536.624.5871 x12", "5552523366", "+1 536 624 5871",
// "1-536-624-5871" — to E.164 with the extension apart. Blank input returns
// a zero Phone and nil. A number that cannot be a phone number returns an
// *Error whose reason (too few digits, missing area code...) never includes
// the number.
//
// North American numbers without an extension take a fast path that avoids
// libphonenumber's parser; both paths give identical results (checked by a
// differential fuzz test).
func ParsePhone(s string, opts PhoneOptions) (Phone, error) {
	region := strings.ToUpper(opts.Region)
	if region == "" {
		region = "US"
	}
	if isBlank(s) {
		return Phone{}, nil
	}
	if opts.AreaCode != "" {
		if len(opts.AreaCode) != 3 || !allDigits(opts.AreaCode) || opts.AreaCode[0] < '2' {
			return Phone{}, newError(phoneTransform, ErrConfig, "area code must be three digits starting 2-9")
		}
		if phonenumbers.IsNANPACountry(region) && localDigits(s) == 7 {
			s = opts.AreaCode + " " + s
		}
	}
	if !opts.Strict && phonenumbers.IsNANPACountry(region) {
		if e164, ext, ok := fastNANP(s); ok {
			return Phone{E164: e164, Extension: ext}, nil
		}
	}
	return parsePhoneSlow(s, region, opts.Strict)
}

// localDigits counts the digits of s before any letter (an extension), or
// returns -1 when s has a "+" country code.
func localDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			return -1
		case c >= '0' && c <= '9':
			n++
		case isLetter(c):
			return n
		}
	}
	return n
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

// fastNANP handles a NANP number written with digits and ordinary
// punctuation only — 10 digits, or 11 starting with the country code 1 —
// optionally followed by an extension written "x12", "ext. 12" or
// "extension 12" (up to six digits). It returns ok=false whenever the slow
// path must decide (other letters, other lengths, structural errors,
// foreign country codes).
func fastNANP(s string) (e164, ext string, ok bool) {
	var d [11]byte
	n := 0
	plus := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 'x' || c == 'X' || c == 'e' || c == 'E':
			if n < 10 {
				return "", "", false
			}
			ext, ok = fastExtension(s[i:])
			if !ok {
				return "", "", false
			}
			i = len(s)
		case c >= '0' && c <= '9':
			if n == len(d) {
				return "", "", false
			}
			d[n] = c
			n++
		case c == '+':
			if n > 0 || plus {
				return "", "", false
			}
			plus = true
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return "", "", false
		}
	}
	var nsn []byte
	switch {
	case n == 10 && !plus:
		nsn = d[:10]
	case n == 11 && d[0] == '1':
		nsn = d[1:11]
	default:
		return "", "", false
	}
	if nsn[0] < '2' || nsn[3] < '2' {
		return "", "", false // let the slow path produce the error
	}
	var out [12]byte
	out[0], out[1] = '+', '1'
	copy(out[2:], nsn)
	return string(out[:]), ext, true
}

// fastExtension reads "x12", "ext. 12", "extension: 12" to the end of s.
func fastExtension(s string) (string, bool) {
	i := 0
	switch {
	case len(s) >= 9 && strings.EqualFold(s[:9], "extension"):
		i = 9
	case len(s) >= 3 && strings.EqualFold(s[:3], "ext"):
		i = 3
	case s[0] == 'x' || s[0] == 'X':
		i = 1
	default:
		return "", false
	}
	if i < len(s) && (s[i] == '.' || s[i] == ':') {
		i++
	}
	for i < len(s) && (s[i] == ' ' || s[i] == '-') {
		i++
	}
	digits := s[i:]
	if len(digits) == 0 || len(digits) > 6 || !allDigits(digits) {
		return "", false
	}
	return digits, true
}

func parsePhoneSlow(s, region string, strict bool) (Phone, error) {
	if phonenumbers.GetCountryCodeForRegion(region) == 0 {
		return Phone{}, newError(phoneTransform, ErrConfig, "unsupported default region")
	}
	var num phonenumbers.PhoneNumber
	if err := phonenumbers.ParseToNumber(s, region, &num); err != nil {
		// The library's messages carry no digits, but ours are fixed strings anyway.
		switch err {
		case phonenumbers.ErrInvalidCountryCode:
			return Phone{}, newError(phoneTransform, ErrInvalid, "unknown country calling code")
		case phonenumbers.ErrTooShortNSN, phonenumbers.ErrTooShortAfterIDD:
			return Phone{}, newError(phoneTransform, ErrInvalid, "too few digits")
		case phonenumbers.ErrNumTooLong:
			return Phone{}, newError(phoneTransform, ErrInvalid, "too many digits")
		default:
			return Phone{}, newError(phoneTransform, ErrInvalid, "not a phone number")
		}
	}
	switch phonenumbers.IsPossibleNumberWithReason(&num) {
	case phonenumbers.IS_POSSIBLE:
	case phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return Phone{}, newError(phoneTransform, ErrInvalid, "missing area code")
	case phonenumbers.TOO_SHORT:
		return Phone{}, newError(phoneTransform, ErrInvalid, "too few digits")
	case phonenumbers.TOO_LONG:
		return Phone{}, newError(phoneTransform, ErrInvalid, "too many digits")
	case phonenumbers.INVALID_COUNTRY_CODE:
		return Phone{}, newError(phoneTransform, ErrInvalid, "unknown country calling code")
	default:
		return Phone{}, newError(phoneTransform, ErrInvalid, "wrong number of digits for the region")
	}
	nsn := phonenumbers.GetNationalSignificantNumber(&num)
	if num.GetCountryCode() == 1 && (len(nsn) != 10 || nsn[0] < '2' || nsn[3] < '2') {
		return Phone{}, newError(phoneTransform, ErrInvalid, "not a well-formed North American number")
	}
	if strict && !phonenumbers.IsValidNumber(&num) {
		return Phone{}, newError(phoneTransform, ErrInvalid, "not an assigned number range for its region")
	}
	e164 := phonenumbers.Format(&num, phonenumbers.E164)
	// Garbage that is only "possible" by length (all zeros, a leading trunk
	// prefix in some plans) can format to an E.164 string that reads back
	// as a different number; such a number is not one we can store.
	var back phonenumbers.PhoneNumber
	if err := phonenumbers.ParseToNumber(e164, region, &back); err != nil ||
		phonenumbers.Format(&back, phonenumbers.E164) != e164 {
		return Phone{}, newError(phoneTransform, ErrInvalid, "not a well-formed number")
	}
	return Phone{E164: e164, Extension: strings.TrimSpace(num.GetExtension())}, nil
}
