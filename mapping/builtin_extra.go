package mapping

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/pbnhl/pbnhl/mapping/transform"
)

// registerExtra adds the transforms for codes, names and places, the
// treatment-notes row parser and its remainder (so every line of a
// patient's notes can arrive: treatment lines as rows, the rest as a
// note).
func registerExtra(r *Registry) {
	r.RegisterParser("treatment_notes", treatmentNotes)
	r.Register("treatment_remainder", nil,
		"patient notes → the lines that are not treatment entries, in order (what treatment_notes leaves), for a contact note",
		func(map[string]string) (Func, error) {
			return func(s string) (string, error) {
				return transform.ParseTreatmentNotes(s, transform.NotesOptions{}).Remainder, nil
			}, nil
		})
	r.Register("state", nil, "US state or Canadian province name or code → two-letter code (Maine → ME)",
		func(map[string]string) (Func, error) { return transform.StateCode, nil })
	r.Register("country", nil, "country name or code → ISO 3166-1 alpha-2 (USA → US)",
		func(map[string]string) (Func, error) { return transform.CountryCode, nil })
	r.Register("cdt", []string{"custom"},
		"procedure code → D + 4 digits (d1110, D 1110, 1110 → D1110); custom codes kept unless custom: reject",
		func(args map[string]string) (Func, error) {
			reject := false
			switch args["custom"] {
			case "", "keep":
			case "reject":
				reject = true
			default:
				return nil, errors.New("custom must be keep or reject")
			}
			return func(s string) (string, error) {
				c, err := transform.CDTCode(s)
				if err != nil {
					return "", err
				}
				if reject && c.Custom {
					return "", &transform.Error{Transform: "cdt", Reason: "not a CDT code", Err: transform.ErrInvalid}
				}
				return c.Code, nil
			}, nil
		})
	r.Register("name", []string{"part"},
		"split a full name and keep one part: first, middle, last, prefix, suffix or nickname",
		func(args map[string]string) (Func, error) {
			pick := map[string]func(transform.Name) string{
				"first":    func(n transform.Name) string { return n.First },
				"middle":   func(n transform.Name) string { return n.Middle },
				"last":     func(n transform.Name) string { return n.Last },
				"prefix":   func(n transform.Name) string { return n.Prefix },
				"suffix":   func(n transform.Name) string { return n.Suffix },
				"nickname": func(n transform.Name) string { return n.Nickname },
			}[args["part"]]
			if pick == nil {
				return nil, errors.New("part must be first, middle, last, prefix, suffix or nickname")
			}
			return func(s string) (string, error) {
				n, err := transform.SplitName(s)
				if err != nil {
					return "", err
				}
				return pick(n), nil
			}, nil
		})
}

// treatmentNotes parses free-text treatment history into rows with the
// fields date (YYYY-MM-DD), code, custom_code (true for non-CDT codes),
// tooth, surface, description and fee (integer cents, empty when none).
func treatmentNotes(text string) ParsedRows {
	res := transform.ParseTreatmentNotes(text, transform.NotesOptions{})
	out := ParsedRows{Remainder: res.Remainder, Rows: make([]map[string]string, 0, len(res.Rows))}
	for _, row := range res.Rows {
		m := map[string]string{
			"date":        transform.FormatDate(row.Date),
			"code":        row.Code.Code,
			"custom_code": strconv.FormatBool(row.Code.Custom),
			"tooth":       row.Tooth,
			"surface":     row.Surface,
			"description": row.Description,
			"fee":         "",
		}
		if row.HasFee {
			m["fee"] = strconv.FormatInt(row.FeeCents, 10)
		}
		out.Rows = append(out.Rows, m)
	}
	for _, p := range res.Problems {
		out.Problems = append(out.Problems, fmt.Sprintf("line %d: %s", p.Line, p.Reason))
	}
	return out
}
