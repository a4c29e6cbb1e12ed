package transform

import (
	"math"
	"strconv"
)

const moneyTransform = "money"

// ParseCents reads an amount of money into integer cents without going
// through floating point: "$1,234.56" → 123456, "95" → 9500, "-12.5" → -1250,
// "(12.00)" (accounting negative) → -1200, "USD 7.25" and "7.25 USD" → 725.
// Blank input returns 0 and ok=false; ok=true means an amount was present
// (so a real $0.00 fee is told apart from a missing one).
//
// More than two decimal places are accepted only when the extra digits are
// zeros ("12.500"); "12.345" is an error rather than a silent rounding.
func ParseCents(s string) (cents int64, ok bool, err error) {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	if i == j {
		return 0, false, nil
	}
	s = s[i:j]
	neg := false
	if s[0] == '(' && s[len(s)-1] == ')' {
		neg = true
		s = trimSpaces(s[1 : len(s)-1])
	}
	s = trimCurrencyCode(s)
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = neg != (s[0] == '-')
		s = trimSpaces(s[1:])
	}
	if s != "" && s[0] == '$' {
		s = trimSpaces(s[1:])
	}
	if s != "" && s[0] == '-' && !neg { // "$-12.00"
		neg = true
		s = s[1:]
	}
	if s == "" {
		return 0, false, newError(moneyTransform, ErrInvalid, "no digits")
	}
	var whole, frac int64
	digits, fracDigits := 0, 0
	seenDot := false
	groupLen := -1 // digits since the last thousands separator; -1 = none seen
	for k := 0; k < len(s); k++ {
		c := s[k]
		switch {
		case c >= '0' && c <= '9':
			d := int64(c - '0')
			if seenDot {
				fracDigits++
				switch {
				case fracDigits <= 2:
					frac = frac*10 + d
				case d != 0:
					return 0, false, newError(moneyTransform, ErrInvalid, "fraction of a cent")
				}
				continue
			}
			if whole > (math.MaxInt64-d)/10 {
				return 0, false, newError(moneyTransform, ErrOutOfRange, "amount too large")
			}
			whole = whole*10 + d
			digits++
			if groupLen >= 0 {
				groupLen++
			}
		case c == ',' && !seenDot:
			if digits == 0 || groupLen >= 0 && groupLen != 3 || groupLen < 0 && digits > 3 {
				return 0, false, newError(moneyTransform, ErrInvalid, "misplaced thousands separator")
			}
			groupLen = 0
		case c == '.' && !seenDot:
			seenDot = true
		default:
			return 0, false, newError(moneyTransform, ErrInvalid, "not an amount")
		}
	}
	if groupLen >= 0 && groupLen != 3 {
		return 0, false, newError(moneyTransform, ErrInvalid, "misplaced thousands separator")
	}
	if digits == 0 && fracDigits == 0 {
		return 0, false, newError(moneyTransform, ErrInvalid, "no digits")
	}
	if fracDigits == 1 {
		frac *= 10
	}
	if whole > (math.MaxInt64-frac)/100 {
		return 0, false, newError(moneyTransform, ErrOutOfRange, "amount too large")
	}
	cents = whole*100 + frac
	if neg {
		cents = -cents
	}
	return cents, true, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func trimSpaces(s string) string {
	for s != "" && isSpace(s[0]) {
		s = s[1:]
	}
	for s != "" && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func trimCurrencyCode(s string) string {
	if len(s) > 3 && (s[:3] == "USD" || s[:3] == "usd") {
		return trimSpaces(s[3:])
	}
	if len(s) > 3 && (s[len(s)-3:] == "USD" || s[len(s)-3:] == "usd") {
		return trimSpaces(s[:len(s)-3])
	}
	return s
}

// FormatCents writes cents as a plain decimal string with two places, the
// form HighLevel's MONETORY fields and monetaryValue accept: 123456 →
// "1234.56", -5 → "-0.05".
func FormatCents(cents int64) string {
	var buf [24]byte
	return string(AppendCents(buf[:0], cents))
}

// AppendCents appends FormatCents(cents) to dst, for callers building JSON
// without an intermediate string.
func AppendCents(dst []byte, cents int64) []byte {
	u := uint64(cents)
	if cents < 0 {
		dst = append(dst, '-')
		u = uint64(-cents) // math.MinInt64 wraps to its own magnitude as uint64
	}
	dst = strconv.AppendUint(dst, u/100, 10)
	r := u % 100
	return append(dst, '.', byte('0'+r/10), byte('0'+r%10))
}

// CentsToFloat converts cents to a float64 amount for JSON number fields.
// The result is the float nearest to the exact decimal (IEEE division is
// correctly rounded), so encoding it with strconv's shortest form prints the
// exact amount for any |cents| < 2^53.
func CentsToFloat(cents int64) float64 { return float64(cents) / 100 }

// FloatToCents converts a float amount (as decoded from JSON) to cents. It
// reads the float's shortest decimal representation instead of multiplying by
// 100, so 1.005 becomes 101 cents (half away from zero) rather than the 100
// that 1.005*100 = 100.49999… would give. NaN, infinities and amounts beyond
// int64 cents are errors.
func FloatToCents(f float64) (int64, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, newError(moneyTransform, ErrInvalid, "not a finite number")
	}
	if math.Abs(f) >= 9e16 {
		return 0, newError(moneyTransform, ErrOutOfRange, "amount too large")
	}
	var buf [32]byte
	dec := strconv.AppendFloat(buf[:0], math.Abs(f), 'f', -1, 64)
	var whole, frac int64
	fracDigits := 0
	roundUp := false
	seenDot := false
	for _, c := range dec {
		if c == '.' {
			seenDot = true
			continue
		}
		d := int64(c - '0')
		switch {
		case !seenDot:
			whole = whole*10 + d
		case fracDigits < 2:
			frac = frac*10 + d
			fracDigits++
		case fracDigits == 2:
			roundUp = d >= 5
			fracDigits++
		}
	}
	for ; fracDigits < 2; fracDigits++ {
		frac *= 10
	}
	cents := whole*100 + frac
	if roundUp {
		cents++
	}
	if f < 0 {
		cents = -cents
	}
	return cents, nil
}
