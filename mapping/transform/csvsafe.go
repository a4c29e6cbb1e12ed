package transform

// NeutralizeFormula makes a value safe to put in a CSV cell that a person
// may open in a spreadsheet. A cell starting with =, +, -, @, a tab or a
// carriage return (or their full-width forms) is run as a formula by Excel,
// LibreOffice and Google Sheets — "=cmd|' /C calc'!A0" — so such values get
// a leading apostrophe, which spreadsheets show as text and hide. Plain
// numbers ("-12.50", "+15366245871") are left alone: they cannot run
// anything and quoting them would corrupt exports of amounts and phones.
//
// Use it only on the CSV path; values sent to HighLevel must stay as they are.
func NeutralizeFormula(s string) string {
	if s == "" || !startsWithTrigger(s) || isPlainNumber(s) {
		return s
	}
	return "'" + s
}

func startsWithTrigger(s string) bool {
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return true
	}
	// Full-width equivalents (U+FF1D ＝, U+FF0B ＋, U+FF0D －, U+FF20 ＠) are
	// folded to ASCII by some spreadsheet locales.
	if len(s) >= 3 && s[0] == 0xEF && (s[1] == 0xBC && (s[2] == 0x9D || s[2] == 0x8B || s[2] == 0x8D) ||
		s[1] == 0xBC && s[2] == 0xA0) {
		return true
	}
	return false
}

// isPlainNumber reports [+-]?digits[.digits].
func isPlainNumber(s string) bool {
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot && digits > 0:
			dot = true
		default:
			return false
		}
	}
	return digits > 0 && s[len(s)-1] != '.'
}
