package mapping

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Shape describes a field's sample values without any of them: lengths,
// character patterns and counts. It is what a [Suggester] sees by default.
type Shape struct {
	MinLen, MaxLen int // in characters, over non-blank samples
	// Distinct counts the distinct non-blank samples (of Sampled).
	Distinct int
	Sampled  int // non-blank samples read
	// Patterns are the most frequent value patterns, most frequent first
	// (at most maxShapePatterns); see [ValuePattern].
	Patterns []PatternShare
}

// PatternShare is one value pattern and the share of non-blank samples
// that have it.
type PatternShare struct {
	Pattern string
	Share   float64
}

const (
	maxShapePatterns = 5
	maxPatternRuns   = 8 // more runs than this is prose: "text"
)

// ValuePattern returns the character pattern of a value: "d" for a digit,
// "a"/"A" for a lower/upper case letter, spaces and punctuation as they are
// ("555-123-4567" → "ddd-ddd-dddd", "Jane" → "Aaaa"). A run of more than
// four characters of one class is written with its length ("a{7}"), and a
// value of more than maxPatternRuns runs is "text": the pattern of prose
// would spell out its word lengths, which is more than a suggester needs.
func ValuePattern(v string) string {
	var b strings.Builder
	runs := 0
	var prev rune
	n := 0
	flush := func() {
		if n == 0 {
			return
		}
		runs++
		if n > 4 && (prev == 'd' || prev == 'a' || prev == 'A') {
			b.WriteRune(prev)
			b.WriteString("{" + strconv.Itoa(n) + "}")
		} else {
			for range n {
				b.WriteRune(prev)
			}
		}
		n = 0
	}
	for _, r := range strings.TrimSpace(v) {
		c := r
		switch {
		case unicode.IsDigit(r):
			c = 'd'
		case unicode.IsUpper(r):
			c = 'A'
		case unicode.IsLetter(r):
			c = 'a'
		case unicode.IsSpace(r):
			c = ' '
		case r > unicode.MaxASCII:
			c = '?' // a symbol outside ASCII says nothing useful and could be rare
		}
		if c != prev {
			flush()
			prev = c
		}
		n++
	}
	flush()
	if runs > maxPatternRuns {
		return "text"
	}
	return b.String()
}

// ShapeOf summarises sample values (blank ones are skipped).
func ShapeOf(samples []string) Shape {
	var s Shape
	seen := map[string]bool{}
	counts := map[string]int{}
	for _, v := range samples {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		l := utf8.RuneCountInString(v)
		if s.Sampled == 0 || l < s.MinLen {
			s.MinLen = l
		}
		s.MaxLen = max(s.MaxLen, l)
		s.Sampled++
		if !seen[v] {
			seen[v] = true
			s.Distinct++
		}
		counts[ValuePattern(v)]++
	}
	for p, c := range counts {
		s.Patterns = append(s.Patterns, PatternShare{Pattern: p, Share: round2(float64(c) / float64(s.Sampled))})
	}
	slices.SortFunc(s.Patterns, func(a, b PatternShare) int {
		if c := cmp.Compare(b.Share, a.Share); c != 0 {
			return c
		}
		return strings.Compare(a.Pattern, b.Pattern)
	})
	if len(s.Patterns) > maxShapePatterns {
		s.Patterns = s.Patterns[:maxShapePatterns]
	}
	return s
}

// suggestRequest describes entity e to the suggesters: names, sniffed types,
// fill rates and shapes, and samples only with opts.ShareSamples. The source
// key and the fields lookups or templates consumed are left out: they are
// not the suggesters' to place, and an answer about them would be ignored.
func suggestRequest(e *EntityInventory, kind TargetKind, std []string, sniffs []sniff, dest Destination, opts ProposeOptions,
	skip func(int) bool) SuggestRequest {
	req := SuggestRequest{Entity: e.Name, Target: kind, StandardFields: std, CustomFields: dest.CustomFields}
	for i, f := range e.Fields {
		if skip(i) {
			continue
		}
		sf := SuggestField{Name: f.Name, Sniffed: sniffs[i].typ, Fill: sniffs[i].fill, Shape: ShapeOf(f.Samples)}
		if opts.ShareSamples {
			sf.Samples = f.Samples
		}
		req.Fields = append(req.Fields, sf)
	}
	return req
}

// suggestCtx is what merging a suggestion needs to know of the object
// being drafted.
type suggestCtx struct {
	o       *Object
	e       *EntityInventory
	std     []string
	sniffs  []sniff
	handled map[int]bool
	keyIdx  int
	model   string
	opts    ProposeOptions
}

// runSuggesters asks every suggester about the entity and merges the
// answers into o (see [Suggestion] for how). A failing suggester is a note:
// the heuristics' draft stands without it.
func runSuggesters(ctx context.Context, sc *suggestCtx, kind TargetKind, dest Destination) (review []ReviewItem, notes []string) {
	if len(sc.opts.Suggesters) == 0 {
		return nil, nil
	}
	req := suggestRequest(sc.e, kind, sc.std, sc.sniffs, dest, sc.opts, func(i int) bool { return i == sc.keyIdx || sc.handled[i] })
	for _, s := range sc.opts.Suggesters {
		sugg, err := s.Suggest(ctx, req)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: suggester %s failed: %v", sc.e.Name, s.Name(), err))
			continue
		}
		for _, sg := range sugg {
			ri, msg := sc.merge(sg, s.Name())
			if msg != "" {
				notes = append(notes, fmt.Sprintf("%s: suggestion of %s for %s ignored: %s", sc.e.Name, s.Name(), sg.From, msg))
			}
			if ri != nil {
				review = append(review, *ri)
			}
		}
	}
	return review, notes
}

// Agreement raises a rule's confidence by half of what an independent
// second opinion would: the suggester saw the same names, so the two are
// not independent evidence.
func agreed(h, s float64) float64 { return round2(min(0.99, h+(1-h)*s*0.5)) }

// merge applies one suggestion. It returns a review item when the
// suggester and the heuristics disagree (with both reasons), and a message
// when the suggestion is not usable.
func (sc *suggestCtx) merge(sg Suggestion, name string) (*ReviewItem, string) {
	o, e := sc.o, sc.e
	idx := slices.IndexFunc(e.Fields, func(f FieldInventory) bool { return f.Name == sg.From })
	switch {
	case idx < 0:
		return nil, "no such source field"
	case idx == sc.keyIdx || sc.handled[idx]:
		return nil, "the field is the source key or a lookup"
	case sg.Confidence < 0 || sg.Confidence > 1:
		return nil, "confidence outside [0, 1]"
	case sg.Skip && (sg.To != "" || sg.Type != ""):
		return nil, "a skip names no target"
	case sg.Skip:
	case sg.Type == "" && !slices.Contains(sc.std, sg.To):
		return nil, fmt.Sprintf("%q is not a standard %s field", sg.To, o.Target)
	case sg.Type != "" && !slices.Contains(dataTypes, sg.Type):
		return nil, "invalid custom field type"
	case sg.Type != "" && sg.To != "" && !validKey(sg.To):
		return nil, "invalid custom field key"
	case sg.Type.HasOptions():
		return nil, "pick-list suggestions need options; not taken"
	}
	label := "suggester:" + name
	sgReason := strings.TrimSpace(sg.Reason)
	if sgReason == "" {
		sgReason = "no reason given"
	}
	sgTarget := sg.To
	switch {
	case sg.Skip:
		sgTarget = "(not migrated)"
	case sg.To == "":
		sgTarget = "a new custom " + string(sg.Type) + " field"
	}
	cur := slices.IndexFunc(o.Fields, func(f Field) bool { return f.From == sg.From })
	if cur < 0 {
		if sg.Skip {
			return nil, "" // nothing drafted for it either: agreement
		}
		f, msg := sc.suggestedField(sg, idx, label, sgReason)
		if msg != "" {
			return nil, msg
		}
		if msg := sc.takeTarget(f.To, -1, sg.Confidence); msg != "" {
			return nil, msg
		}
		o.Fields = append(o.Fields, f)
		return nil, "" // listed for review as "proposed by" the suggester
	}
	h := &o.Fields[cur]
	hv := *h // h moves when a rule before it is deleted: read the heuristic rule from hv
	if !sg.Skip && (sg.To == h.To && sg.Type == h.Type || sg.To == "" && h.Type != "" && sg.Type == h.Type) {
		h.Confidence = agreed(h.Confidence, sg.Confidence)
		h.Reason += fmt.Sprintf("; %s agrees (%s)", name, sgReason)
		if h.Origin == "" || h.Origin == "heuristic" {
			h.Origin = "heuristic+" + label
		}
		return nil, ""
	}
	both := fmt.Sprintf("the heuristics propose %s (%.2f: %s); %s proposes %s (%.2f: %s)",
		h.To, h.Confidence, h.Reason, name, sgTarget, sg.Confidence, sgReason)
	if sg.Confidence <= h.Confidence {
		h.Reason += fmt.Sprintf("; %s suggested %s (%.2f)", name, sgTarget, sg.Confidence)
		return &ReviewItem{Object: o.Name, Field: sg.From, Target: h.To, Confidence: h.Confidence, Why: "disagreement: " + both}, ""
	}
	if sg.Skip {
		// A skip is a decision the map records, with its reason, so that
		// the reviewer can move the field back into a rule.
		o.Fields = slices.Delete(o.Fields, cur, cur+1)
		o.Skip = append(o.Skip, Skip{From: sg.From, Reason: fmt.Sprintf("%s: %s (%.2f); the heuristics proposed %s (%.2f)",
			name, sgReason, sg.Confidence, hv.To, hv.Confidence)})
		return &ReviewItem{Object: o.Name, Field: sg.From, Confidence: sg.Confidence,
			Why: "not migrated on the suggester's advice; disagreement: " + both}, ""
	}
	f, msg := sc.suggestedField(sg, idx, label, sgReason)
	if msg != "" {
		return nil, msg
	}
	if msg := sc.takeTarget(f.To, cur, sg.Confidence); msg != "" {
		h.Reason += fmt.Sprintf("; %s suggested %s (%.2f)", name, sgTarget, sg.Confidence)
		return &ReviewItem{Object: o.Name, Field: sg.From, Target: h.To, Confidence: h.Confidence,
			Why: "disagreement (" + msg + "): " + both}, ""
	}
	f.Reason += fmt.Sprintf("; the heuristics proposed %s (%.2f: %s)", hv.To, hv.Confidence, hv.Reason)
	cur = slices.IndexFunc(o.Fields, func(f Field) bool { return f.From == sg.From }) // takeTarget may have moved it
	o.Fields[cur] = f
	return nil, "" // the suggester's rule is listed for review as "proposed by" it
}

// suggestedField builds the rule a suggestion asks for.
func (sc *suggestCtx) suggestedField(sg Suggestion, idx int, label, reason string) (Field, string) {
	sn := sc.sniffs[idx]
	f := Field{From: sg.From, To: sg.To, Type: sg.Type, Confidence: round2(sg.Confidence), Origin: label, Reason: reason}
	if sg.Type != "" {
		if !specOf(sc.o.Target).customFields() {
			return Field{}, fmt.Sprintf("%s targets take no custom fields", sc.o.Target)
		}
		f.Label = titleWords(strings.TrimPrefix(sg.From, "custom."))
		if sg.To == "" { // a new custom field, named as the heuristics name theirs
			sn.typ = sg.Type
			f.To = customRule(sc.e.Fields[idx], sn, sc.o.Target, sc.model, sc.opts).To
		}
	}
	f.Transform = transformFor(f.To, f.Type, sn, sc.opts)
	return f, ""
}

// takeTarget frees target to for the rule at cur (-1: a new rule) when
// the rule holding it is weaker than conf; the weaker rule is dropped.
func (sc *suggestCtx) takeTarget(to string, cur int, conf float64) string {
	for i := range sc.o.Fields {
		if i == cur || sc.o.Fields[i].To != to {
			continue
		}
		if sc.o.Fields[i].Confidence >= conf {
			return fmt.Sprintf("%s is taken by %s with higher confidence", to, cmp.Or(sc.o.Fields[i].From, "a composed template"))
		}
		sc.o.Fields = slices.Delete(sc.o.Fields, i, i+1)
		return ""
	}
	return ""
}
