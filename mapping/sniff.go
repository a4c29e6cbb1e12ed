package mapping

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

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
	for _, v := range f.Samples {
		if v = strings.TrimSpace(v); v != "" && v != "0001-01-01" && v != "0001-01-01 00:00:00" {
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
