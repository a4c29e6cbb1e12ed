package transform

import "strings"

const cdtTransform = "cdt"

// ProcedureCode is a normalised dental procedure code.
type ProcedureCode struct {
	// Code is "D" plus four digits for a CDT code, or a practice's own code
	// trimmed but otherwise as written.
	Code string
	// Custom marks codes that are not CDT (Open Dental's T-, N-, Z-codes,
	// practice-defined codes): they are kept, and flagged so that a report
	// can list them for review.
	Custom bool
}

// maxProcedureCodeLen is Open Dental's ProcCode column width.
const maxProcedureCodeLen = 15

// CDTCode normalises a procedure code: "d1110", "D 1110", "D-1110", "1110" →
// D1110. The pre-2000 five-digit ADA form "01110" becomes D1110 too (CDT-3
// replaced the leading 0 with "D"). Anything else made of letters, digits
// and - . / _ (at most 15 characters) is kept as a custom code. Blank gives
// a zero ProcedureCode.
func CDTCode(s string) (ProcedureCode, error) {
	if len(s) == 5 && (s[0] == 'D') && allDigits(s[1:]) {
		return ProcedureCode{Code: s}, nil // canonical: no allocation
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return ProcedureCode{}, nil
	}
	var buf [maxProcedureCodeLen + 1]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-' || c == '.':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
		case c == '/' || c == '_':
		default:
			return ProcedureCode{}, newError(cdtTransform, ErrInvalid, "character not allowed in procedure code")
		}
		if n == len(buf) {
			return ProcedureCode{}, newError(cdtTransform, ErrInvalid, "procedure code longer than 15 characters")
		}
		buf[n] = c
		n++
	}
	compact := buf[:n]
	switch {
	case n == 0:
		return ProcedureCode{}, newError(cdtTransform, ErrInvalid, "no letters or digits in procedure code")
	case n == 5 && compact[0] == 'D' && allDigits(string(compact[1:])):
		return ProcedureCode{Code: string(compact)}, nil
	case n == 4 && allDigits(string(compact)):
		return ProcedureCode{Code: "D" + string(compact)}, nil
	case n == 5 && compact[0] == '0' && allDigits(string(compact)):
		return ProcedureCode{Code: "D" + string(compact[1:])}, nil
	}
	if len(s) > maxProcedureCodeLen {
		return ProcedureCode{}, newError(cdtTransform, ErrInvalid, "procedure code longer than 15 characters")
	}
	return ProcedureCode{Code: s, Custom: true}, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}
