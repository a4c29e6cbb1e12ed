package mapping

import (
	_ "embed"
	"fmt"
	"strings"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the embedded default map document, comments included.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

// Default returns the default PbN → HighLevel map (not approved). Each
// practice custom property in props (from the source inventory) becomes a
// typed custom field on the contact: text → TEXT, number → NUMERICAL,
// date → DATE, pick-list → SINGLE_OPTIONS with its options. Properties of
// other entities than patients are ignored (PbN has none today).
func Default(props []pbn.CustomPropertyDefinition) (*Map, error) {
	m, err := Parse(defaultYAML, "default.yaml")
	if err != nil {
		return nil, fmt.Errorf("mapping: embedded default map: %w", err)
	}
	if len(props) == 0 {
		return m, nil
	}
	patients := m.Object("patients")
	for _, p := range props {
		if p.Entity != "" && p.Entity != pbn.EntityPatients {
			continue
		}
		f, err := PropertyField(p)
		if err != nil {
			return nil, err
		}
		if patients.Field(f.To) != nil {
			return nil, fmt.Errorf("mapping: custom property %q collides with rule %q", p.Key, f.To)
		}
		patients.Fields = append(patients.Fields, f)
	}
	if issues := m.check(nil); len(issues) > 0 {
		return nil, &LoadError{File: "default.yaml", Issues: issues}
	}
	return m, nil
}

// PropertyField is the rule that moves a PbN custom property into a typed
// contact custom field named pbn_<key>.
func PropertyField(p pbn.CustomPropertyDefinition) (Field, error) {
	key := "pbn_" + snake(p.Key)
	if !validKey(key) {
		return Field{}, fmt.Errorf("mapping: custom property key %q cannot become a field key", p.Key)
	}
	f := Field{
		From:   "custom." + p.Key,
		To:     key,
		Label:  strings.TrimSpace(p.Name),
		Origin: "default",
		Reason: fmt.Sprintf("PbN custom property (%s)", p.Type),
	}
	switch p.Type {
	case pbn.CustomNumber:
		f.Type = TypeNumerical
		f.Transform = Chain{{Name: "number"}}
	case pbn.CustomDate:
		f.Type = TypeDate
		f.Transform = Chain{{Name: "date"}}
	case pbn.CustomPickList:
		f.Type = TypeSingleOptions
		f.Transform = Chain{{Name: "collapse"}}
		f.Options = append([]string(nil), p.Options...)
		if yesNo(f.Options) {
			// y, TRUE, 1... are yes; the bool transform writes the options' own spelling.
			f.Transform = Chain{{Name: "bool", Args: map[string]string{"true": f.Options[0], "false": f.Options[1]}}}
			if !strings.EqualFold(f.Options[0], "yes") {
				f.Transform[0].Args["true"], f.Transform[0].Args["false"] = f.Options[1], f.Options[0]
			}
		}
		if len(f.Options) == 0 {
			f.Type = TypeText
		}
	default:
		f.Type = TypeText
		f.Transform = Chain{{Name: "collapse"}}
	}
	if f.Label == "" {
		f.Label = p.Key
	}
	return f, nil
}

// snake turns "Case Type", "caseType" or "case-type" into case_type.
func snake(s string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= 'A' && r <= 'Z':
			if prevLower {
				b.WriteByte('_')
			}
			b.WriteRune(r + 'a' - 'A')
			prevLower = false
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			prevLower = true
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
			prevLower = false
		}
	}
	return strings.Trim(b.String(), "_")
}

func yesNo(opts []string) bool {
	if len(opts) != 2 {
		return false
	}
	a, b := strings.ToLower(opts[0]), strings.ToLower(opts[1])
	return a == "yes" && b == "no" || a == "no" && b == "yes"
}
