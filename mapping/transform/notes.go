package transform

import (
	"errors"
	"strings"
	"time"
)

// TreatmentRow is one procedure found in free-text treatment history.
type TreatmentRow struct {
	// Line is the 1-based line of the note the row came from.
	Line int
	// Date is the line's date, or the date of the nearest date-only line
	// above it; zero when the note gives none.
	Date time.Time
	Code ProcedureCode
	// Tooth ("30", "A") and Surface ("MOD") when written as "#30 MOD".
	Tooth, Surface string
	// Description is the text of the entry without date, code, tooth and fee.
	Description string
	// FeeCents is the fee; HasFee tells a written $0.00 from no fee at all.
	FeeCents int64
	HasFee   bool
}

// NoteProblem reports a line that looked like a treatment entry (it has a
// procedure code) but could not be read completely. Reason never quotes
// the line.
type NoteProblem struct {
	Line   int
	Reason string
}

// TreatmentNotes is the result of ParseTreatmentNotes.
type TreatmentNotes struct {
	Rows []TreatmentRow
	// Remainder holds the lines that are not treatment entries, in order,
	// joined with "\n" — nothing in the note is lost.
	Remainder string
	Problems  []NoteProblem
}

// NotesOptions configures ParseTreatmentNotes.
type NotesOptions struct {
	// Date reads the dates in the note (zone, US or day-first order,
	// two-digit years).
	Date DateOptions
}

// ParseTreatmentNotes turns free-text treatment history — the kind PMSs keep
// in procedure summaries and appointment notes — into discrete rows. Each
// line may start with a date (any format ParseTime reads, optionally with a
// time and a ":" or "-" after it) and holds one or more CDT codes, each
// followed by a description, an optional "#tooth SURFACE" and an optional
// fee ("$95", "$1,234.50", or a trailing amount with cents such as "45.00"):
//
//	2019-03-04 D1110 prophy adult $95
//	03/04/2019 - D2392 - post comp 2s #30 MOD - $210.50
//	3/4/2019: d0120 periodic eval 45.00; D0274 bitewings four films
//	Mar 4, 2019 D 1110 prophylaxis (no fee)
//
// A line holding only a date dates the code lines below it. Lines without
// a code (and date-only lines that dated nothing) are kept verbatim in
// Remainder. A line with a code but an impossible date or malformed fee
// still becomes a row (without that part) and is listed in Problems.
func ParseTreatmentNotes(s string, opts NotesOptions) TreatmentNotes {
	var res TreatmentNotes
	var remainder []string
	var header time.Time
	headerLine := -1 // index in remainder of a pending date-only line
	headerUsed := false
	lineNo := 0
	for line := range strings.Lines(s) {
		lineNo++
		raw := strings.TrimRight(line, "\r\n")
		toks := strings.Fields(raw)
		if len(toks) == 0 {
			remainder = append(remainder, raw)
			continue
		}
		date, rest, dateErr := leadingDate(toks, &opts.Date)
		codes := findCodes(rest)
		if len(codes) == 0 {
			if dateErr == nil && !date.IsZero() && len(rest) == 0 {
				// A date-only header: dates the code lines that follow.
				if headerLine >= 0 && headerUsed {
					remainder = append(remainder[:headerLine], remainder[headerLine+1:]...)
				}
				header, headerLine, headerUsed = date, len(remainder), false
			}
			remainder = append(remainder, raw)
			continue
		}
		if dateErr != nil {
			res.Problems = append(res.Problems, NoteProblem{Line: lineNo, Reason: "date: " + reasonOf(dateErr)})
		}
		if date.IsZero() && dateErr == nil {
			date = header
			headerUsed = headerUsed || !header.IsZero()
		}
		res.Rows = appendRows(res.Rows, &res.Problems, lineNo, date, rest, codes)
	}
	if headerLine >= 0 && headerUsed {
		remainder = append(remainder[:headerLine], remainder[headerLine+1:]...)
	}
	res.Remainder = strings.TrimSpace(strings.Join(remainder, "\n"))
	return res
}

var monthPrefixes = map[string]bool{
	"jan": true, "feb": true, "mar": true, "apr": true, "may": true, "jun": true,
	"jul": true, "aug": true, "sep": true, "oct": true, "nov": true, "dec": true,
	"mon": true, "tue": true, "wed": true, "thu": true, "fri": true, "sat": true, "sun": true,
}

// leadingDate finds the longest run of leading tokens (up to five) that
// ParseTime reads, and returns the date and the tokens after it. When the
// first token has the shape of a numeric date but is impossible
// ("2019-02-30"), the error is returned and the token is skipped.
func leadingDate(toks []string, o *DateOptions) (time.Time, []string, error) {
	first := toks[0]
	switch {
	case isDigit(first[0]):
	case len(first) >= 3 && monthPrefixes[strings.ToLower(first[:3])]:
	default:
		return time.Time{}, toks, nil
	}
	// A numeric date is one token, optionally followed by a clock ("10:30",
	// "AM", a zone): only then are longer candidates worth trying.
	maxK := min(5, len(toks))
	if isDigit(first[0]) && (len(toks) < 2 || !strings.Contains(toks[1], ":")) {
		maxK = 1
	}
	var firstErr error
	for k := maxK; k >= 1; k-- {
		cand := strings.TrimRight(strings.Join(toks[:k], " "), ":-,;")
		t, err := ParseTime(cand, *o)
		if err == nil && !t.IsZero() {
			rest := toks[k:]
			if len(rest) > 0 && isSeparator(rest[0]) {
				rest = rest[1:]
			}
			return t, rest, nil
		}
		if k == 1 && err != nil && looksLikeNumericDate(cand) {
			firstErr = err
		}
	}
	if firstErr != nil {
		return time.Time{}, toks[1:], firstErr
	}
	return time.Time{}, toks, nil
}

func looksLikeNumericDate(s string) bool {
	seps := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '/' || c == '-':
			seps++
		case !isDigit(c):
			return false
		}
	}
	return seps == 2
}

func isSeparator(tok string) bool {
	switch tok {
	case "-", "–", "—", ":", "|", ";", ",":
		return true
	}
	return false
}

// codeAt is a procedure code found at toks[start:end].
type codeAt struct {
	start, end int
	code       ProcedureCode
}

const codeTrim = "()[]{},;:-.\"'"

func findCodes(toks []string) []codeAt {
	var out []codeAt
	for i := 0; i < len(toks); i++ {
		t := strings.Trim(toks[i], codeTrim)
		if c, ok := noteCode(t); ok {
			out = append(out, codeAt{i, i + 1, c})
			continue
		}
		// "D 1110"
		if (t == "D" || t == "d") && i+1 < len(toks) {
			next := strings.Trim(toks[i+1], codeTrim)
			if len(next) == 4 && allDigits(next) {
				out = append(out, codeAt{i, i + 2, ProcedureCode{Code: "D" + next}})
				i++
			}
		}
	}
	return out
}

// noteCode recognises a code inside free text: CDT "D1110" (any case) and
// Open Dental's T/N/Z + four digits (kept as custom codes). Bare four-digit
// numbers are not codes in free text: they are years and fees as often.
func noteCode(t string) (ProcedureCode, bool) {
	if len(t) != 5 || !allDigits(t[1:]) {
		return ProcedureCode{}, false
	}
	switch t[0] {
	case 'D', 'd':
		return ProcedureCode{Code: "D" + t[1:]}, true
	case 'T', 'N', 'Z':
		return ProcedureCode{Code: t, Custom: true}, true
	}
	return ProcedureCode{}, false
}

func appendRows(rows []TreatmentRow, problems *[]NoteProblem, line int, date time.Time, toks []string, codes []codeAt) []TreatmentRow {
	for ci, c := range codes {
		segStart := c.end
		segEnd := len(toks)
		if ci+1 < len(codes) {
			segEnd = codes[ci+1].start
		}
		seg := toks[segStart:segEnd]
		var lead []string
		if ci == 0 {
			lead = toks[:c.start] // "prophy D1110 $95": words before the first code
		}
		row := TreatmentRow{Line: line, Date: date, Code: c.code}
		var desc []string
		words := append(append([]string(nil), lead...), seg...)
		for wi := 0; wi < len(words); wi++ {
			w := words[wi]
			bare := strings.Trim(w, ",;")
			switch {
			case isSeparator(bare) || bare == "":
				continue
			case row.Tooth == "" && isToothWord(bare) && wi+1 < len(words) && isToothNumber(strings.TrimPrefix(strings.Trim(words[wi+1], ",;"), "#")):
				// "tooth 30", "tth #30": the number follows on the next word.
				words[wi+1] = "#" + strings.TrimPrefix(strings.Trim(words[wi+1], ",;"), "#")
				continue
			case row.Tooth == "" && isToothToken(bare):
				row.Tooth = strings.TrimPrefix(bare, "#")
				if wi+1 < len(words) && isSurface(strings.Trim(words[wi+1], ",;-")) {
					row.Surface = strings.Trim(words[wi+1], ",;-")
					wi++
				}
				continue
			case isMoneyToken(bare, wi == len(words)-1):
				cents, ok, err := ParseCents(strings.TrimPrefix(bare, "fee:"))
				if err != nil {
					*problems = append(*problems, NoteProblem{Line: line, Reason: "fee: " + reasonOf(err)})
					continue
				}
				if ok && !row.HasFee {
					row.FeeCents, row.HasFee = cents, true
					continue
				}
			}
			desc = append(desc, w)
		}
		row.Description = strings.Trim(strings.Join(desc, " "), " -–—:;,|")
		row.Description = strings.TrimSuffix(strings.TrimSuffix(row.Description, "fee"), "Fee")
		row.Description = strings.Trim(row.Description, " -–—:;,|")
		rows = append(rows, row)
	}
	return rows
}

func isToothWord(t string) bool {
	switch strings.ToLower(strings.TrimSuffix(t, ":")) {
	case "tooth", "tth", "th", "tooth#":
		return true
	}
	return false
}

// isToothToken recognises "#30", "#3", "#A" (primary teeth A–T).
func isToothToken(t string) bool {
	if len(t) < 2 || t[0] != '#' {
		return false
	}
	return isToothNumber(t[1:])
}

func isToothNumber(n string) bool {
	if allDigits(n) {
		v := atoi(n)
		return len(n) <= 2 && v >= 1 && v <= 32
	}
	return len(n) == 1 && n[0] >= 'A' && n[0] <= 'T'
}

// isSurface recognises tooth surfaces written in capitals: M O D B F L I.
func isSurface(t string) bool {
	if t == "" || len(t) > 5 {
		return false
	}
	for i := 0; i < len(t); i++ {
		if !strings.ContainsRune("MODBFLI5", rune(t[i])) {
			return false
		}
	}
	return true
}

// isMoneyToken accepts "$95", "$1,234.50", "-$5" anywhere, and a bare
// amount with exactly two decimals ("45.00") only as the last word, where
// PMS notes put the fee.
func isMoneyToken(t string, last bool) bool {
	if strings.HasPrefix(t, "fee:") {
		t = t[4:]
	}
	if t == "" {
		return false
	}
	if strings.HasPrefix(t, "$") || strings.HasPrefix(t, "-$") {
		return len(t) > 1 && strings.ContainsAny(t, "0123456789")
	}
	if !last {
		return false
	}
	dot := strings.IndexByte(t, '.')
	return dot > 0 && len(t)-dot == 3 && allDigits(strings.ReplaceAll(t[:dot], ",", "")) && allDigits(t[dot+1:])
}

func reasonOf(err error) string {
	var te *Error
	if errors.As(err, &te) {
		return te.Reason
	}
	return "unreadable"
}
