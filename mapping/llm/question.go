package llm

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pbnhl/pbnhl/mapping"
)

// systemPrompt states the task. Changing it changes every cache key; bump
// PromptVersion with it all the same, so a cache file says which prompt
// produced it.
const systemPrompt = `You map the columns of a dental practice's data export (Practice by Numbers, or a report of a practice-management system such as Dentrix, Eaglesoft, Open Dental, Denticon or Curve) to HighLevel CRM fields.

The user message is JSON describing one source entity: its name, the HighLevel target it goes to, and its fields. For each field you get its header, the type the proposer's heuristics read from the values, the fill rate, the value lengths and the most frequent value patterns (d = digit, a = lower-case letter, A = upper-case letter, "a{7}" = seven of them, "text" = prose, other characters as written). You never get the values. Only when the practice opted in, a field also carries redacted samples: "#" stands for a digit and "x"/"X" for a letter; a short value repeated across several records may appear as written.

Answer with JSON only, an object {"mappings": [...]} with at most one entry per field you can place, each {"field": header, "target": ..., "type": ..., "confidence": ..., "reason": ...}:
- "target" is one of the standard_fields, the key of one of the custom_fields, "custom" (a new custom field; then "type" is its data type, one of custom_types; only when custom_allowed is true), or "skip" (not to be migrated: national ids such as SSNs, card or bank account numbers, passwords, internal ids of other tables, balances, operatories, display settings such as colours).
- "type" is "" unless target is "custom".
- "confidence" is the probability that the entry is right, calibrated: above 0.9 only when both the header and the value shape leave no doubt.
- "reason" is one short sentence naming the evidence (header, pattern, fill); never quote a value.
Leave out fields you cannot judge. Use only the field names and targets given.`

// question is the user message: what the model may know of one entity.
type question struct {
	Entity        string          `json:"entity"`
	Target        string          `json:"target"`
	Fields        []questionField `json:"fields"`
	Standard      []string        `json:"standard_fields"`
	Custom        []customTarget  `json:"custom_fields"`
	CustomAllowed bool            `json:"custom_allowed"`
	CustomTypes   []string        `json:"custom_types,omitempty"`
}

type questionField struct {
	Name     string            `json:"name"`
	Sniffed  string            `json:"sniffed_type,omitempty"`
	Fill     float64           `json:"fill"`
	MinLen   int               `json:"min_length"`
	MaxLen   int               `json:"max_length"`
	Distinct int               `json:"distinct"`
	Sampled  int               `json:"sampled"`
	Patterns []questionPattern `json:"patterns,omitempty"`
	Samples  []string          `json:"redacted_samples,omitempty"`
}

type questionPattern struct {
	Pattern string  `json:"pattern"`
	Share   float64 `json:"share"`
}

type customTarget struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Type string `json:"type"`
}

func newQuestion(req mapping.SuggestRequest) *question {
	q := &question{Entity: req.Entity, Target: string(req.Target), Standard: req.StandardFields}
	if q.Standard == nil {
		q.Standard = []string{}
	}
	// What a typed rule may be, and which existing custom fields a rule
	// may name, come from mapping's kind table.
	if req.Target.TypedRules() {
		q.CustomAllowed = true
		for _, t := range customTypes {
			q.CustomTypes = append(q.CustomTypes, string(t))
		}
	}
	q.Custom = []customTarget{}
	if m := req.Target.CustomFieldModel(); m != "" {
		for _, cf := range req.CustomFields {
			// Pick-lists are left out: a suggestion cannot carry options.
			if cf.Model == m && !cf.DataType.HasOptions() && cf.Key != "" {
				q.Custom = append(q.Custom, customTarget{Key: cf.Key, Name: cf.Name, Type: string(cf.DataType)})
			}
		}
	}
	for _, f := range req.Fields {
		qf := questionField{Name: f.Name, Sniffed: string(f.Sniffed), Fill: f.Fill, MinLen: f.Shape.MinLen, MaxLen: f.Shape.MaxLen,
			Distinct: f.Shape.Distinct, Sampled: f.Shape.Sampled}
		for _, p := range f.Shape.Patterns {
			qf.Patterns = append(qf.Patterns, questionPattern(p))
		}
		qf.Samples = RedactSamples(f.Samples, f.Sniffed)
		q.Fields = append(q.Fields, qf)
	}
	return q
}

func (q *question) customAllowed() bool { return q.CustomAllowed }

// schema is the JSON schema of the answer (strict mode: every property
// required, no others; enums hold the allowed fields and targets).
func (q *question) schema() map[string]any {
	fields := make([]string, len(q.Fields))
	for i, f := range q.Fields {
		fields[i] = f.Name
	}
	targets := append([]string{}, q.Standard...)
	for _, c := range q.Custom {
		targets = append(targets, c.Key)
	}
	if q.CustomAllowed {
		targets = append(targets, TargetCustom)
	}
	targets = append(targets, TargetSkip)
	types := append([]string{""}, q.CustomTypes...)
	return map[string]any{
		"type": "object", "additionalProperties": false, "required": []string{"mappings"},
		"properties": map[string]any{
			"mappings": map[string]any{
				"type": "array",
				"items": map[string]any{
					"type": "object", "additionalProperties": false,
					"required": []string{"field", "target", "type", "confidence", "reason"},
					"properties": map[string]any{
						"field":      map[string]any{"type": "string", "enum": fields},
						"target":     map[string]any{"type": "string", "enum": targets},
						"type":       map[string]any{"type": "string", "enum": types},
						"confidence": map[string]any{"type": "number"},
						"reason":     map[string]any{"type": "string"},
					},
				},
			},
		},
	}
}

// Redaction limits: how many samples a field sends, how long a masked one
// may be, and when a value counts as a category shown as written.
const (
	maxRedactedSamples = 8
	maxRedactedLen     = 40
	categoryMinCount   = 3
	categoryMaxLen     = 20
	maxCategories      = 12
)

// RedactSamples is what leaves the machine of a field's samples when the
// practice opts in (ProposeOptions.ShareSamples): at most 8 distinct values,
// in order of first appearance, each masked — digits become "#", letters
// "x" or "X", other characters stay, and a value longer than 40 characters
// is cut — except a category: a value of at most 20 characters, without
// digits or "@", that at least 3 sampled records share ("Active",
// "Hygiene", "F"), in a field of at most 12 distinct values, each held by
// 3 records on average, and not read as e-mails, phones or dates. A
// category can still be personal (a town or a family name several patients
// share): that is why sending samples is an opt-in.
func RedactSamples(samples []string, sniffed mapping.DataType) []string {
	if len(samples) == 0 {
		return nil
	}
	count := map[string]int{}
	for _, v := range samples {
		if v = strings.TrimSpace(v); v != "" {
			count[v]++
		}
	}
	typed := sniffed == mapping.TypeEmail || sniffed == mapping.TypePhone || sniffed == mapping.TypeDate
	// Only a field of few values has categories: in one of many (names,
	// streets) a shared value is a coincidence of two people.
	nonBlank := 0
	for _, c := range count {
		nonBlank += c
	}
	typed = typed || len(count) > maxCategories || len(count)*3 > nonBlank
	var out []string
	seen := map[string]bool{}
	for _, v := range samples {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		r := mask(v)
		if !typed && count[v] >= categoryMinCount && utf8.RuneCountInString(v) <= categoryMaxLen && !strings.ContainsAny(v, "@") &&
			!strings.ContainsFunc(v, unicode.IsDigit) {
			r = v
		}
		if seen[r] {
			continue
		}
		seen[r] = true
		out = append(out, r)
		if len(out) == maxRedactedSamples {
			break
		}
	}
	return out
}

// mask replaces every digit and letter of v.
func mask(v string) string {
	var b strings.Builder
	n := 0
	for _, r := range v {
		if n == maxRedactedLen {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case unicode.IsDigit(r):
			b.WriteByte('#')
		case unicode.IsUpper(r):
			b.WriteByte('X')
		case unicode.IsLetter(r):
			b.WriteByte('x')
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
