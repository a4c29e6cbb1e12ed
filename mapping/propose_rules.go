package mapping

// The proposer's field rules: which HighLevel field a source column goes
// to (a standard field, a declared custom property, a new custom field),
// with which transform chain, and the note template that carries what no
// field takes. The entity and field names they match are in
// propose_names.go; the proposer that calls them is propose.go.

import (
	"fmt"
	"slices"
	"strings"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// bestRule picks the best target for one source field.
func bestRule(f FieldInventory, sn sniff, kind TargetKind, std []string, model, entitySing string, dest Destination, opts ProposeOptions) Field {
	n := normName(f.Name)
	bestTo, bestS, bestWhy := "", 0.0, ""
	// Table exports prefix every column with the table ("PAT_SEX",
	// "pt_city"): the rest of the name is matched too, a little lower.
	rest := ""
	for _, p := range []string{"patient", "pat", "pt", "cust", "client"} {
		if r, ok := strings.CutPrefix(n, p); ok && len(r) >= 3 && n != p {
			rest = r
			break
		}
	}
	for _, to := range std {
		s, why := nameScore(n, f.Name, to, synonyms[kind][to])
		if s2, why2 := nameScore(rest, f.Name, to, synonyms[kind][to]); rest != "" && s2*0.95 > s {
			s, why = round2(s2*0.95), why2+" (after the table prefix)"
		}
		if s == 0 {
			continue
		}
		if to == "phone" {
			// HighLevel's phone is the number texts go to: a mobile
			// beats a home or work line, whatever the order.
			switch {
			case containsAny(n, landlineWords):
				s = min(s, 0.6)
				why += "; the name says a landline (texts need a mobile)"
			case containsAny(n, mobileWords):
				s = max(s, 0.9)
				why += "; the name says mobile"
			}
		}
		if want, ok := expectKind[to]; ok && sn.kind != "empty" {
			if sn.kind == want {
				s = min(0.99, s+0.04)
				why += fmt.Sprintf("; %s", sn.evidence)
			} else if sn.definite() {
				s *= 0.5
				why += fmt.Sprintf("; but the samples do not look like a %s (%s)", want, sn.evidence)
			}
		} else if _, ok := expectKind[to]; !ok && sn.definite() && to != "postalCode" && to != "status" {
			s *= 0.6
			why += fmt.Sprintf("; but the samples look typed (%s)", sn.evidence)
		}
		if s > bestS {
			bestTo, bestS, bestWhy = to, s, why
		}
	}
	// The values decide when the name gives no hint, and overrule a name
	// they contradict (a "Primary Contact" column of phone numbers).
	if vTo, vConf, vWhy := valueTarget(kind, f, sn, std); vTo != "" {
		switch {
		case vTo == bestTo:
		case bestTo != "" && contradicts(bestTo, sn):
			// The name said one thing, the values plainly another.
			bestWhy = fmt.Sprintf("%s, overruling the name, which suggested %s", vWhy, bestTo)
			bestTo, bestS = vTo, vConf-0.05
		case bestS < 0.5:
			bestTo, bestS, bestWhy = vTo, vConf, fmt.Sprintf("%s; the name %q gives no hint", vWhy, f.Name)
		case contradicts(bestTo, sn) || bestS < 0.8 && expectKind[bestTo] == "" && sn.definite():
			bestWhy = fmt.Sprintf("%s, overruling the name, which suggested %s", vWhy, bestTo)
			bestTo, bestS = vTo, vConf-0.05
		}
	}
	// Existing custom fields of the model.
	for _, cf := range dest.CustomFields {
		if cf.Model != model {
			continue
		}
		s := 0.0
		ent := normName(entitySing)
		for _, cand := range []string{cf.Key, strings.TrimPrefix(cf.Key, opts.KeyPrefix), cf.Name} {
			c := normName(cand)
			s = max(s, similarity(n, c))
			if ent != "" && strings.HasPrefix(c, ent) && len(c) > len(ent) {
				s = max(s, similarity(n, c[len(ent):])) // "Patient status" is the status of a patient
			}
		}
		if s >= 0.8 && s*0.9 > bestS {
			r := Field{From: f.Name, To: cf.Key, Label: cf.Name, Type: cf.DataType, Confidence: round2(s * 0.9), Origin: "heuristic",
				Reason: fmt.Sprintf("matches the existing custom field %q (%s)", cf.Name, cf.DataType)}
			if cf.DataType.HasOptions() {
				// Existing options first, then sampled values the field lacks:
				// the schema diff shows those as missing options.
				r.Options = slices.Clone(cf.Options)
				for _, o := range sn.options {
					if !slices.Contains(r.Options, o) {
						r.Options = append(r.Options, o)
					}
				}
			}
			r.Transform = transformFor("", r.Type, sn, opts)
			return r
		}
	}
	if bestS >= 0.5 {
		r := Field{From: f.Name, To: bestTo, Confidence: round2(bestS), Reason: bestWhy, Origin: "heuristic"}
		r.Transform = transformFor(bestTo, "", sn, opts)
		return r
	}
	return customRule(f, sn, kind, model, opts)
}

// customRule proposes a custom field of the sniffed type.
func customRule(f FieldInventory, sn sniff, kind TargetKind, model string, opts ProposeOptions) Field {
	// "#" reads as "number": "Phone #" is not "Phone".
	key := snake(strings.ReplaceAll(strings.TrimPrefix(f.Name, "custom."), "#", " number "))
	if key == "" || key[0] < 'a' || key[0] > 'z' {
		key = "f_" + key
	}
	if !strings.HasPrefix(model, "custom_objects.") {
		key = opts.KeyPrefix + strings.TrimPrefix(key, opts.KeyPrefix)
	}
	if len(key) > 60 {
		key = strings.TrimRight(key[:60], "_")
	}
	r := Field{From: f.Name, To: key, Label: titleWords(strings.TrimPrefix(f.Name, "custom.")), Type: sn.typ, Origin: "heuristic"}
	if kind == TargetContactField {
		r.Type, r.Label, r.To, r.Options = "", "", snake(f.Name), nil
		if r.To == "" || !validKey(r.To) {
			r.To = key
		}
	}
	if r.Type.HasOptions() {
		r.Options = sn.options
	}
	r.Transform = transformFor("", r.Type, sn, opts)
	r.Confidence = round2(0.45 + 0.4*sn.share)
	r.Reason = fmt.Sprintf("no standard field matches; a custom %s field (%s)", orText(r.Type), sn.evidence)
	if kind == TargetContactField {
		r.Reason = fmt.Sprintf("kept in the JSON entry (%s)", sn.evidence)
	}
	return r
}

func orText(t DataType) string {
	if t == "" {
		return "JSON"
	}
	return string(t)
}

// transformFor picks the transform chain for a target field or type.
func transformFor(to string, t DataType, sn sniff, opts ProposeOptions) Chain {
	switch {
	case to == "email" || t == TypeEmail:
		return Chain{{Name: "email"}}
	case to == "phone" || t == TypePhone:
		return Chain{{Name: "phone", Args: map[string]string{"region": opts.Region}}}
	case to == "dateOfBirth" || t == TypeDate:
		return Chain{{Name: "date"}}
	case sn.kind == "timestamp" && t == TypeText:
		return Chain{{Name: "timestamp"}}
	case to == "firstName" || to == "lastName":
		return Chain{{Name: "title_name"}}
	case to == "state":
		return Chain{{Name: "state"}}
	case to == "country":
		return Chain{{Name: "country"}}
	case to == "monetaryValue" || t == TypeMonetary:
		return Chain{{Name: "money"}}
	case t == TypeNumerical:
		return Chain{{Name: "number"}}
	case sn.kind == "bool":
		return Chain{{Name: "bool"}}
	case t == TypeLargeText || t == "" && sn.kind == "largetext":
		return nil
	case sn.ref:
		return Chain{{Name: "id"}}
	case sn.kind == "cdt":
		return Chain{{Name: "cdt"}}
	}
	return Chain{{Name: "collapse"}}
}

// noteTemplate composes a note body from a communication's timestamp, kind,
// direction, subject and text fields; used lists the fields it consumed.
func noteTemplate(e *EntityInventory, sn []sniff, handled map[int]bool) (string, []int) {
	pick := func(names ...string) int {
		for _, want := range names {
			for i, f := range e.Fields {
				if !handled[i] && normName(f.Name) == want {
					return i
				}
			}
		}
		return -1
	}
	body := pick("body", "note", "notes", "text", "message", "content", "comment")
	if body < 0 {
		return "", nil
	}
	for _, f := range e.Fields {
		if !templatable(f.Name) {
			return "", nil // a name with braces cannot be referenced in a template
		}
	}
	at := pick("at", "date", "datetime", "timestamp", "commdatetime", "sentat", "when", "time")
	kind := pick("channel", "mode", "type", "commtype", "kind")
	dir := pick("direction", "sentorreceived", "inout")
	subj := pick("subject", "title")
	var b strings.Builder
	var used []int
	if at >= 0 {
		b.WriteString("[{" + e.Fields[at].Name + "}] ")
		used = append(used, at)
	}
	for _, i := range []int{kind, dir} {
		if i >= 0 {
			b.WriteString("{" + e.Fields[i].Name + "} ")
			used = append(used, i)
		}
	}
	if b.Len() > 0 {
		s := strings.TrimRight(b.String(), " ")
		b.Reset()
		b.WriteString(s + ": ")
	}
	if subj >= 0 {
		b.WriteString("{" + e.Fields[subj].Name + "} — ")
		used = append(used, subj)
	}
	b.WriteString("{" + e.Fields[body].Name + "}")
	used = append(used, body)
	return b.String(), used
}

// declaredProperty is the rule for a custom property the source declares
// (custom.<key> on a contact): its declared type beats any sniffing.
func declaredProperty(f FieldInventory, props []pbn.CustomPropertyDefinition, kind TargetKind, opts ProposeOptions) (Field, bool) {
	key, ok := strings.CutPrefix(f.Name, "custom.")
	if !ok || kind != TargetContact {
		return Field{}, false
	}
	for _, p := range props {
		if p.Key != key || (p.Entity != "" && p.Entity != pbn.EntityPatients) {
			continue
		}
		r, err := PropertyField(p)
		if err != nil {
			return Field{}, false
		}
		r.To = opts.KeyPrefix + strings.TrimPrefix(r.To, "pbn_")
		if !validKey(r.To) {
			return Field{}, false
		}
		r.Origin, r.Confidence = "heuristic", 0.95
		r.Reason = fmt.Sprintf("the source declares %q a %s custom property", p.Name, p.Type)
		return r, true
	}
	return Field{}, false
}

// templatable reports whether a field name can be referenced in a template.
func templatable(name string) bool { return !strings.ContainsAny(name, "{}") }

// templateText escapes literal text for a template.
func templateText(s string) string {
	return strings.NewReplacer("{", "{{", "}", "}}").Replace(s)
}

// referenceLike reports whether a column holds ids of another table's
// records: a known reference name ("ProvNum", "Provider 1") of another
// kind than own, or an id-like name whose repeating values are ids.
func referenceLike(f FieldInventory, sn sniff, own TargetKind) bool {
	n := colName(f.Name)
	for kind := range refNames {
		if kind == own {
			continue // a patient's chart number is the patient's own
		}
		if refRank(kind, f.Name) >= 0 {
			return sn.n == 0 || sn.has("idlike") >= 0.8
		}
	}
	idName := strings.HasSuffix(n, "id") || strings.HasSuffix(n, "num") || strings.HasSuffix(n, "ids")
	return idName && sn.n > 0 && !sn.unique && sn.has("idlike") >= 0.8
}
