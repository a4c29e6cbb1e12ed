package transform

import "strings"

const (
	numberTransform = "number"
	boolTransform   = "bool"
)

// maxSignificantDigits is what a JSON number survives in HighLevel (a
// JavaScript double holds 15 significant decimal digits exactly).
const maxSignificantDigits = 15

// Number normalises a number written for people into the plain decimal
// HighLevel's NUMERICAL fields take, exactly (no float conversion):
// "1,234.50" → "1234.5", "(12)" → "-12", "007" → "7", "12.5%" → "12.5",
// "-0.00" → "0". Blank gives "". More than 15 significant digits is an
// error rather than a silent rounding by the receiving JavaScript.
func Number(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	neg := false
	if len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')' {
		neg = true
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = neg != (s[0] == '-')
		s = s[1:]
	}
	var intPart, fracPart []byte
	var buf [64]byte
	digits := buf[:0]
	seenDot := false
	groupLen := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
			if seenDot {
				fracPart = append(fracPart, c)
			} else {
				intPart = append(intPart, c)
				if groupLen >= 0 {
					groupLen++
				}
			}
		case c == ',' && !seenDot:
			if len(intPart) == 0 || groupLen >= 0 && groupLen != 3 || groupLen < 0 && len(intPart) > 3 {
				return "", newError(numberTransform, ErrInvalid, "misplaced thousands separator")
			}
			groupLen = 0
		case c == '.' && !seenDot:
			seenDot = true
		default:
			return "", newError(numberTransform, ErrInvalid, "not a number")
		}
	}
	if groupLen >= 0 && groupLen != 3 {
		return "", newError(numberTransform, ErrInvalid, "misplaced thousands separator")
	}
	if len(digits) == 0 {
		return "", newError(numberTransform, ErrInvalid, "no digits")
	}
	// Canonical form: no leading zeros in the integer part, no trailing
	// zeros in the fraction.
	for len(intPart) > 1 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	for len(fracPart) > 0 && fracPart[len(fracPart)-1] == '0' {
		fracPart = fracPart[:len(fracPart)-1]
	}
	if len(intPart) == 0 {
		intPart = []byte{'0'}
	}
	sig := len(intPart) + len(fracPart)
	if intPart[0] == '0' {
		sig = len(strings.TrimLeft(string(fracPart), "0"))
	}
	if sig > maxSignificantDigits {
		return "", newError(numberTransform, ErrOutOfRange, "more than 15 significant digits")
	}
	zero := len(intPart) == 1 && intPart[0] == '0' && len(fracPart) == 0
	out := make([]byte, 0, len(intPart)+len(fracPart)+2)
	if neg && !zero {
		out = append(out, '-')
	}
	out = append(out, intPart...)
	if len(fracPart) > 0 {
		out = append(out, '.')
		out = append(out, fracPart...)
	}
	return string(out), nil
}

// ParseBool reads the yes/no spellings found in PMS exports and forms:
// true, t, yes, y, 1, on, x, checked / false, f, no, n, 0, off, unchecked
// (any case). ok=false means blank input (no value); anything else is an
// *Error.
func ParseBool(s string) (value, ok bool, err error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return false, false, nil
	case "true", "t", "yes", "y", "1", "on", "x", "checked", "-1":
		return true, true, nil
	case "false", "f", "no", "n", "0", "off", "unchecked":
		return false, true, nil
	}
	return false, false, newError(boolTransform, ErrInvalid, "not a yes/no value")
}
