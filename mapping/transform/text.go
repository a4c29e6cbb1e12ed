package transform

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Trim removes leading and trailing white space, including Unicode spaces
// such as NO-BREAK SPACE, which exports from Excel often carry.
func Trim(s string) string { return strings.TrimSpace(s) }

// Upper returns s upper-cased (Unicode aware). It does not allocate when s has
// nothing to change.
func Upper(s string) string { return strings.ToUpper(s) }

// Lower returns s lower-cased (Unicode aware). It does not allocate when s has
// nothing to change.
func Lower(s string) string { return strings.ToLower(s) }

// Collapse trims s, turns every run of white space (tabs, line breaks, NO-BREAK
// SPACE...) into one ASCII space, and removes control and zero-width characters
// (byte-order marks, ZERO WIDTH SPACE) that survive copy-paste from other
// systems. Invalid UTF-8 bytes are replaced with U+FFFD so that the output is
// always valid UTF-8. It returns s itself, without allocating, when s is
// already clean.
func Collapse(s string) string {
	if isCollapsed(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	pendingSpace := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf { // ASCII: no decoding, no unicode tables
			i++
			switch {
			case c == ' ' || c >= '\t' && c <= '\r':
				pendingSpace = b.Len() > 0
				continue
			case c < 0x20 || c == 0x7f:
				continue // control character: dropped
			}
			if pendingSpace {
				b.WriteByte(' ')
				pendingSpace = false
			}
			b.WriteByte(c)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case unicode.IsSpace(r):
			pendingSpace = b.Len() > 0
		case isInvisible(r):
			// dropped
		default:
			if pendingSpace {
				b.WriteByte(' ')
				pendingSpace = false
			}
			b.WriteRune(r) // invalid bytes arrive here as utf8.RuneError
		}
	}
	return b.String()
}

// isCollapsed reports whether Collapse(s) == s, scanning ASCII quickly.
func isCollapsed(s string) bool {
	prevSpace := true // a leading space is not collapsed
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == ' ':
				if prevSpace {
					return false
				}
				prevSpace = true
			case c < 0x20 || c == 0x7f:
				return false
			default:
				prevSpace = false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unicode.IsSpace(r) || isInvisible(r) {
			return false
		}
		prevSpace = false
		i += size
	}
	return len(s) == 0 || s[len(s)-1] != ' '
}

// isInvisible reports control characters and zero-width format characters
// that carry no meaning in a CRM field.
func isInvisible(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad':
		return true
	}
	return unicode.IsControl(r)
}

// TitleName capitalises a personal or company name the way people write them:
// "JOHN O'BRIEN-SMITH" → "John O'Brien-Smith", "mcdonald" → "McDonald",
// "ROBERT SMITH III" → "Robert Smith III". White space is collapsed first.
//
// Only names written entirely in one case are changed: a mixed-case input
// such as "DeAndre van Dyke" is assumed to be deliberate and only has its
// white space collapsed.
func TitleName(s string) string {
	s = Collapse(s)
	hasUpper, hasLower := false, false
	for _, r := range s {
		if unicode.IsUpper(r) {
			hasUpper = true
		} else if unicode.IsLower(r) {
			hasLower = true
		}
	}
	if hasUpper && hasLower || !hasUpper && !hasLower {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], ' ')
		if j < 0 {
			j = len(s)
		} else {
			j += i
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		titleWord(&b, s[i:j])
		i = j + 1
	}
	return b.String()
}

// keepUpper lists words that stay upper case after title casing.
var keepUpper = map[string]bool{
	"II": true, "III": true, "IV": true, "VI": true, "VII": true, "VIII": true,
	"DDS": true, "DMD": true, "MD": true, "RDH": true, "RN": true, "NP": true,
	"PA": true, "CPA": true, "LLC": true, "LLP": true, "PC": true, "PLLC": true,
	"USA": true,
}

// specialCase lists words whose conventional spelling is neither upper nor title case.
var specialCase = map[string]string{"PHD": "PhD", "PHD.": "PhD."}

func titleWord(b *strings.Builder, word string) {
	if len(word) <= 5 {
		var buf [5]byte
		for i := 0; i < len(word); i++ {
			c := word[i]
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			buf[i] = c
		}
		up := buf[:len(word)]
		if keepUpper[string(up)] || len(up) > 1 && up[len(up)-1] == '.' && keepUpper[string(up[:len(up)-1])] {
			b.Write(up)
			return
		}
		if sc, ok := specialCase[string(up)]; ok {
			b.WriteString(sc)
			return
		}
	}
	startOfPart := true
	var prev1, prev2 rune // the two previous runes of the current part
	partLen := 0
	for _, r := range word {
		switch {
		case r == '-' || r == '\'' || r == '\u2019' || r == '.' || r == '(' || r == '"':
			b.WriteRune(r)
			startOfPart = true
			partLen = 0
			continue
		case startOfPart:
			b.WriteRune(unicode.ToUpper(r))
			startOfPart = false
		case partLen == 2 && (prev2 == 'M' || prev2 == 'm') && (prev1 == 'c' || prev1 == 'C') && unicode.IsLetter(r):
			// Mc prefix: MCDONALD → McDonald. ("Mac" is ambiguous: Mack, Macy.)
			b.WriteRune(unicode.ToUpper(r))
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		prev2, prev1 = prev1, r
		partLen++
	}
}
