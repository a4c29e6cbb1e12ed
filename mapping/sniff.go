package mapping

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/pbnhl/pbnhl/mapping/transform"
)

// sniff is what the sample values of a field look like. evidence says why,
// with counts only: never a value.
type sniff struct {
	kind     string // empty, email, phone, date, money, number, bool, picklist, largetext, text
	typ      DataType
	share    float64 // share of non-blank samples supporting kind
	fill     float64 // share of non-blank samples
	unique   bool    // non-blank samples are all distinct
	ref      bool    // the name says id or number of a record
	options  []string
	evidence string
	// n is the number of non-blank samples and shapes counts how many of
	// them have each shape the proposer recognises standard fields by
	// (email, phone, date, zip, state, person, url, ssn, card, idlike,
	// future, years = distinct years of the dates, oldyears = how many
	// dates are at least 5 years old).
	n      int
	shapes map[string]int
}

// has returns the share of non-blank samples with a shape.
func (s sniff) has(shape string) float64 {
	if s.n == 0 {
		return 0
	}
	return float64(s.shapes[shape]) / float64(s.n)
}

func (s sniff) definite() bool {
	switch s.kind {
	case "email", "phone", "date", "timestamp", "money", "number", "bool", "cdt":
		return s.share >= 0.8
	}
	return false
}

const (
	maxOptions      = 12
	maxOptionLength = 40
)

// sniffField reads a field's type from its samples. Names that say "id",
// "code", "zip" or "phone" keep number-looking values as text.
func sniffField(f FieldInventory) sniff {
	var vals []string
	// A typed reader gives an id column the file lacks (or leaves empty)
	// as 0: for an id, 0 is no id, as 0001-01-01 is no date.
	idName := strings.HasSuffix(normName(f.Name), "id") || strings.HasSuffix(normName(f.Name), "ids")
	for _, v := range f.Samples {
		if v = strings.TrimSpace(v); v != "" && v != "0001-01-01" && v != "0001-01-01 00:00:00" && !(idName && v == "0") {
			vals = append(vals, v)
		}
	}
	s := sniff{}
	if len(f.Samples) > 0 {
		s.fill = round2(float64(len(vals)) / float64(len(f.Samples)))
	}
	n := len(vals)
	if n == 0 {
		s.kind, s.typ, s.evidence = "empty", TypeText, "no values in the sample"
		return s
	}
	distinct := map[string]bool{}
	counts := map[string]int{}
	maxLen, total := 0, 0
	for _, v := range vals {
		distinct[v] = true
		maxLen = max(maxLen, len(v))
		total += len(v)
		if _, err := transform.Email(v); err == nil {
			counts["email"]++
		}
		if looksLikePhone(v) {
			counts["phone"]++
		}
		if looksLikeDate(v) {
			counts["date"]++
			if hasTimeOfDay(v) {
				counts["time"]++
			}
		}
		if looksLikeMoney(v) {
			counts["money"]++
		}
		if _, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", ""), 64); err == nil || looksLikeMoney(v) {
			counts["number"]++
		}
		switch strings.ToLower(v) {
		case "true", "false", "yes", "no", "y", "n", "t", "f":
			counts["bool"]++
		}
		if looksLikeCDT(v) {
			counts["cdt"]++
		}
	}
	s.unique = len(distinct) == n
	s.n, s.shapes = n, valueShapes(vals, counts)
	name := normName(f.Name)
	textual := strings.HasSuffix(name, "id") || strings.HasSuffix(name, "num") || strings.Contains(name, "code") ||
		strings.Contains(name, "zip") || strings.Contains(name, "postal") || strings.Contains(name, "tooth") || strings.Contains(name, "number")
	for _, refs := range refNames {
		textual = textual || slices.Contains(refs, name)
	}
	s.ref = (strings.HasSuffix(name, "id") || strings.HasSuffix(name, "num") || strings.HasSuffix(name, "no")) && counts["number"] == n
	share := func(k string) float64 { return float64(counts[k]) / float64(n) }
	of := func(k, what string) string { return fmt.Sprintf("%d of %d sample values %s", counts[k], n, what) }
	switch {
	case share("cdt") >= 0.8:
		s.kind, s.typ, s.share, s.evidence = "cdt", TypeText, share("cdt"), of("cdt", "are CDT procedure codes")
	case share("email") >= 0.6:
		s.kind, s.typ, s.share, s.evidence = "email", TypeEmail, share("email"), of("email", "are email addresses")
	case share("bool") >= 0.9 && len(distinct) <= 4:
		s.kind, s.typ, s.share, s.evidence = "bool", TypeSingleOptions, share("bool"), of("bool", "are yes/no")
		s.options = []string{"Yes", "No"}
	case share("date") >= 0.8 && !textual && counts["time"]*2 > counts["date"]:
		// HighLevel DATE fields hold no time of day: keep the instant as text.
		s.kind, s.typ, s.share, s.evidence = "timestamp", TypeText, share("date"), of("date", "read as date-times; kept as RFC 3339 text because DATE fields hold no time")
	case share("date") >= 0.8 && !textual:
		s.kind, s.typ, s.share, s.evidence = "date", TypeDate, share("date"), of("date", "read as dates")
	case share("phone") >= 0.7 && (strings.Contains(name, "phone") || strings.Contains(name, "cell") || strings.Contains(name, "mobile") || strings.Contains(name, "tel") || share("number") < 0.5):
		s.kind, s.typ, s.share, s.evidence = "phone", TypePhone, share("phone"), of("phone", "read as phone numbers")
	case share("money") >= 0.8 && !textual:
		s.kind, s.typ, s.share, s.evidence = "money", TypeMonetary, share("money"), of("money", "are amounts of money")
	case share("number") >= 0.9 && !textual:
		s.kind, s.typ, s.share, s.evidence = "number", TypeNumerical, share("number"), of("number", "are numbers")
	case n >= 8 && len(distinct) <= maxOptions && len(distinct)*3 <= n && maxLen <= maxOptionLength && !textual:
		s.kind, s.typ, s.share = "picklist", TypeSingleOptions, 1
		for v := range distinct {
			s.options = append(s.options, transform.Collapse(v))
		}
		slices.Sort(s.options)
		s.options = slices.Compact(s.options)
		s.evidence = fmt.Sprintf("%d distinct values in %d samples: a pick-list", len(distinct), n)
	case maxLen > 1000 || total/n > 200:
		s.kind, s.typ, s.share = "largetext", TypeLargeText, 1
		s.evidence = fmt.Sprintf("long text, %d bytes on average", total/n)
	default:
		s.kind, s.typ, s.share = "text", TypeText, 0.5
		s.evidence = fmt.Sprintf("text in %d of %d samples", n, len(f.Samples))
	}
	s.share = round2(s.share)
	return s
}

func looksLikePhone(v string) bool {
	digits := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case strings.IndexByte(" ()-.+xXext#", c) >= 0:
		default:
			return false
		}
	}
	if digits < 7 || digits > 18 {
		return false
	}
	_, err := transform.ParsePhone(v, transform.PhoneOptions{})
	return err == nil
}

func looksLikeDate(v string) bool {
	if len(v) < 6 || len(v) > 40 {
		return false
	}
	if !strings.ContainsAny(v, "-/.: ") && len(v) != 8 { // 20190304
		return false
	}
	t, err := transform.ParseTime(v, transform.DateOptions{})
	return err == nil && !t.IsZero()
}

func looksLikeMoney(v string) bool {
	if strings.ContainsAny(v, "$€£") {
		_, ok, err := transform.ParseCents(v)
		return ok && err == nil
	}
	i := strings.LastIndexByte(v, '.')
	if i < 0 || len(v)-i != 3 {
		return false
	}
	_, ok, err := transform.ParseCents(v)
	return ok && err == nil
}

// hasTimeOfDay reports whether a date value carries a time other than midnight.
func hasTimeOfDay(v string) bool {
	t, err := transform.ParseTime(v, transform.DateOptions{})
	if err != nil {
		return false
	}
	return t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0
}

// looksLikeCDT reports whether v is written like a CDT code: D and four
// digits, in any case and spacing ("d1110", "D 1110").
func looksLikeCDT(v string) bool {
	if len(v) < 5 || len(v) > 7 || (v[0] != 'D' && v[0] != 'd') {
		return false
	}
	digits := 0
	for i := 1; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == ' ' || c == '-':
		default:
			return false
		}
	}
	return digits == 4
}

// usStates are the two-letter codes of US states, territories and DC.
var usStates = strings.Fields(`AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS
	MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR VI GU AS MP`)

// valueShapes counts the shapes of non-blank samples beyond the type
// counts sniffField already made.
func valueShapes(vals []string, counts map[string]int) map[string]int {
	sh := map[string]int{"email": counts["email"], "phone": counts["phone"], "date": counts["date"]}
	years := map[int]bool{}
	now := time.Now().Year()
	for _, v := range vals {
		if looksLikeZip(v) {
			sh["zip"]++
		}
		if slices.Contains(usStates, strings.ToUpper(v)) {
			sh["state"]++
		}
		if looksLikePersonName(v) {
			sh["person"]++
		}
		if looksLikeURL(v) {
			sh["url"]++
		}
		if looksLikeSSN(v) {
			sh["ssn"]++
		}
		if looksLikeCard(v) {
			sh["card"]++
		}
		if looksLikeID(v) {
			sh["idlike"]++
		}
		if t, err := transform.ParseTime(v, transform.DateOptions{}); err == nil && !t.IsZero() {
			years[t.Year()] = true
			if t.Year() > now || t.Year() == now && t.After(time.Now()) {
				sh["future"]++
			}
			if t.Year() <= now-5 {
				sh["oldyears"]++
			}
		}
	}
	sh["years"] = len(years)
	return sh
}

// looksLikeZip: a US ZIP or ZIP+4.
func looksLikeZip(v string) bool {
	d := v
	if len(v) == 10 && v[5] == '-' {
		d = v[:5] + v[6:]
	} else if len(v) != 5 {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// looksLikePersonName: two to four alphabetic words, each capitalised
// ("Ann Lee", "Lee, Ann", "Mary-Jo O'Brien"), nothing else.
func looksLikePersonName(v string) bool {
	words := strings.Fields(strings.ReplaceAll(v, ",", " "))
	if len(words) < 2 || len(words) > 4 {
		return false
	}
	for _, w := range words {
		rs := []rune(w)
		if !unicode.IsUpper(rs[0]) {
			return false
		}
		for _, r := range rs {
			if !unicode.IsLetter(r) && r != '\'' && r != '-' && r != '.' {
				return false
			}
		}
	}
	return true
}

func looksLikeURL(v string) bool {
	l := strings.ToLower(v)
	return !strings.ContainsAny(v, " @") && (strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "www."))
}

// looksLikeSSN: a US social security number written 123-45-6789.
func looksLikeSSN(v string) bool {
	if len(v) != 11 || v[3] != '-' || v[6] != '-' {
		return false
	}
	for i, c := range []byte(v) {
		if i != 3 && i != 6 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// looksLikeCard: 13 to 19 digits (spaces and dashes allowed) passing the
// Luhn check, as payment card numbers do.
func looksLikeCard(v string) bool {
	var d []int
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			d = append(d, int(c-'0'))
		case c == ' ' || c == '-':
		default:
			return false
		}
	}
	if len(d) < 13 || len(d) > 19 {
		return false
	}
	sum := 0
	for i := range d {
		x := d[len(d)-1-i]
		if i%2 == 1 {
			if x *= 2; x > 9 {
				x -= 9
			}
		}
		sum += x
	}
	return sum%10 == 0
}

// looksLikeID: one short token of letters, digits and - _ . (DRE1, 0042,
// A-17, p_123456), not a date, amount or phone number.
func looksLikeID(v string) bool {
	if len(v) > 24 || strings.ContainsAny(v, " ,/:$@") {
		return false
	}
	digits := 0
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case unicode.IsLetter(r), r == '-', r == '_', r == '.', r == '#':
		default:
			return false
		}
	}
	return digits > 0 && !looksLikeMoney(v)
}
