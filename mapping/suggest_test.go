package mapping

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValuePattern(t *testing.T) {
	for in, want := range map[string]string{
		"555-123-4567":         "ddd-ddd-dddd",
		"(555) 123-4567":       "(ddd) ddd-dddd",
		"Jane":                 "Aaaa",
		"jane.doe@example.com": "aaaa.aaa@a{7}.aaa",
		"98117-0001":           "d{5}-dddd",
		"WA":                   "AA",
		"  12.50 ":             "dd.dd",
		"Gag reflex, use small sensors and a bite block please": "text",
		"María": "Aaaaa",
		"€12":   "?dd",
		"":      "",
	} {
		assert.Equal(t, want, ValuePattern(in), "%q", in)
	}
}

func TestShapeOf(t *testing.T) {
	s := ShapeOf([]string{"555-123-4567", "", "555-123-4567", "(555) 123-4567", " 5551234567 ", "x"})
	assert.Equal(t, 1, s.MinLen)
	assert.Equal(t, 14, s.MaxLen)
	assert.Equal(t, 5, s.Sampled)
	assert.Equal(t, 4, s.Distinct)
	assert.Equal(t, []PatternShare{{"ddd-ddd-dddd", 0.4}, {"(ddd) ddd-dddd", 0.2}, {"a", 0.2}, {"d{10}", 0.2}}, s.Patterns)
	assert.Equal(t, Shape{}, ShapeOf([]string{"", " "}))
	many := ShapeOf([]string{"a", "1", "A", "-", "aa", "11", "AA"})
	assert.Len(t, many.Patterns, maxShapePatterns)
}

// scripted answers with fixed suggestions and keeps the requests.
type scripted struct {
	out []Suggestion
	got []SuggestRequest
}

func (s *scripted) Name() string { return "ai" }

func (s *scripted) Suggest(_ context.Context, req SuggestRequest) ([]Suggestion, error) {
	s.got = append(s.got, req)
	return s.out, nil
}

func mergeInventory() SourceInventory {
	n := 20
	col := func(name string, f func(i int) string) FieldInventory {
		fi := FieldInventory{Name: name}
		for i := range n {
			fi.Samples = append(fi.Samples, f(i))
		}
		return fi
	}
	return SourceInventory{Entities: []EntityInventory{{Name: "patients", Count: int64(n), Fields: []FieldInventory{
		col("id", func(i int) string { return string(rune('1'+i%9)) + strings.Repeat("0", i/9) }),
		col("email", func(i int) string { return "p" + string(rune('a'+i)) + "@example.com" }),
		col("Primary Contact", func(i int) string { return "555-010-" + string(rune('0'+i%10)) + "00" + string(rune('0'+i/10)) }),
		col("Chair", func(i int) string { return []string{"Op 1", "Op 2", "Op 3", "Hyg"}[i%4] }),
		col("Nick", func(i int) string { return []string{"Al", "Bo", "Cy", "Di", "Ed"}[i%5] + string(rune('a'+i)) }),
		col("Remarks", func(i int) string { return []string{"likes mornings", "anxious", "", "prefers text"}[i%4] }),
		col("Empty", func(int) string { return "" }),
	}}}}
}

func TestSuggestionsMerge(t *testing.T) {
	ctx := context.Background()
	inv := mergeInventory()
	base, err := Propose(ctx, inv, Destination{}, ProposeOptions{})
	require.NoError(t, err)
	ob := base.Map.Objects[0]
	hEmail := ob.Field("email")
	require.NotNil(t, hEmail)
	var hChair, hNick, hPrimary, hRemarks *Field
	for i := range ob.Fields {
		switch ob.Fields[i].From {
		case "Chair":
			hChair = &ob.Fields[i]
		case "Nick":
			hNick = &ob.Fields[i]
		case "Primary Contact":
			hPrimary = &ob.Fields[i]
		case "Remarks":
			hRemarks = &ob.Fields[i]
		}
	}
	require.NotNil(t, hChair)
	require.NotNil(t, hNick)
	require.NotNil(t, hPrimary)
	require.NotNil(t, hRemarks)

	s := &scripted{out: []Suggestion{
		{From: "email", To: "email", Confidence: 0.9, Reason: "an e-mail header"},              // agrees
		{From: "Chair", Skip: true, Confidence: 0.95, Reason: "operatory: a display setting"},  // disagrees, stronger
		{From: "Remarks", To: "firstName", Confidence: 0.1, Reason: "a first name, perhaps"},   // disagrees, weaker
		{From: "Nick", Type: TypeText, Confidence: 0.8, Reason: "a nickname: text"},            // agrees on a new custom field
		{From: "Primary Contact", To: "phone", Confidence: 0.9, Reason: "phone-shaped values"}, // disagrees, stronger
		{From: "id", To: "name", Confidence: 0.9},                                              // the source key: ignored
		{From: "email", Skip: true, To: "email", Confidence: 0.9},                              // malformed
	}}
	pr, err := Propose(ctx, inv, Destination{}, ProposeOptions{Suggesters: []Suggester{s}})
	require.NoError(t, err)
	o := pr.Map.Objects[0]
	require.Len(t, s.got, 1)
	for _, f := range s.got[0].Fields {
		assert.NotEqual(t, "id", f.Name, "the source key is not asked about")
		assert.Nil(t, f.Samples)
	}
	assert.Equal(t, "ddd-ddd-dddd", s.got[0].Fields[slicesIndex(s.got[0].Fields, "Primary Contact")].Shape.Patterns[0].Pattern)

	email := o.Field("email")
	require.NotNil(t, email)
	assert.Equal(t, 0.99, email.Confidence, "agreement never reaches certainty")
	assert.Equal(t, "heuristic+suggester:ai", email.Origin)
	assert.Contains(t, email.Reason, "; ai agrees (an e-mail header)")

	review := map[string]string{}
	for _, r := range pr.Review {
		review[r.Field] += r.Why + "\n"
	}
	assert.Nil(t, fieldFrom(&o, "Chair"), "a stronger skip removes the rule")
	require.NotEmpty(t, o.Skip)
	chairSkip := o.Skip[len(o.Skip)-1]
	assert.Equal(t, "Chair", chairSkip.From, "and records the skip in the map")
	assert.Equal(t, "ai: operatory: a display setting (0.95); the heuristics proposed "+hChair.To+" (0.85)", chairSkip.Reason)
	assert.Contains(t, review["Chair"], "not migrated on the suggester's advice")
	assert.Contains(t, review["Chair"], "the heuristics propose "+hChair.To)
	assert.Contains(t, review["Chair"], "ai proposes (not migrated) (0.95: operatory: a display setting)")

	nick := fieldFrom(&o, "Nick")
	require.NotNil(t, nick)
	assert.Equal(t, hNick.To, nick.To, "a new custom field of the same type is agreement")
	assert.Equal(t, agreed(hNick.Confidence, 0.8), nick.Confidence)
	assert.Greater(t, nick.Confidence, hNick.Confidence)
	assert.Equal(t, "heuristic+suggester:ai", nick.Origin)
	assert.Empty(t, review["Nick"])

	rem := fieldFrom(&o, "Remarks")
	require.NotNil(t, rem)
	assert.Equal(t, hRemarks.To, rem.To, "a weaker suggestion leaves the rule")
	assert.Contains(t, rem.Reason, "ai suggested firstName (0.10)")
	assert.Contains(t, review["Remarks"], "disagreement: the heuristics propose "+hRemarks.To)
	assert.Contains(t, review["Remarks"], "ai proposes firstName (0.10: a first name, perhaps)")

	prim := fieldFrom(&o, "Primary Contact")
	require.NotNil(t, prim)
	assert.Equal(t, "phone", prim.To)
	assert.Equal(t, DataType(""), prim.Type)
	assert.Equal(t, "phone", prim.Transform[0].Name)
	assert.Equal(t, "suggester:ai", prim.Origin)
	assert.Contains(t, prim.Reason, "phone-shaped values; the heuristics proposed "+hPrimary.To)
	assert.Contains(t, review["Primary Contact"], "proposed by suggester:ai")

	notes := strings.Join(pr.Notes, "\n")
	assert.Contains(t, notes, "suggestion of ai for id ignored: the field is the source key or a lookup")
	assert.Contains(t, notes, "suggestion of ai for email ignored: a skip names no target")
	assert.Empty(t, pr.Map.check(nil), "the merged draft is a valid map")
}

func slicesIndex(fs []SuggestField, name string) int {
	for i, f := range fs {
		if f.Name == name {
			return i
		}
	}
	return -1
}

func fieldFrom(o *Object, from string) *Field {
	for i := range o.Fields {
		if o.Fields[i].From == from {
			return &o.Fields[i]
		}
	}
	return nil
}

// TestMergeTakesTargetFromAnEarlierRule: the suggested target is held by a
// weaker rule placed before the suggested field's own; that rule goes, and
// the replaced rule's reason is still the one quoted.
func TestMergeTakesTargetFromAnEarlierRule(t *testing.T) {
	e := &EntityInventory{Name: "patients", Fields: []FieldInventory{{Name: "id"}, {Name: "Given"}, {Name: "First"}}}
	o := &Object{Name: "patients", Target: TargetContact, Fields: []Field{
		{From: "Given", To: "firstName", Confidence: 0.55, Reason: "given names are first names", Origin: "heuristic"},
		{From: "First", To: "pbn_first", Type: TypeText, Confidence: 0.6, Reason: "no standard field matches", Origin: "heuristic"},
	}}
	sc := &suggestCtx{o: o, e: e, std: StandardFields(TargetContact), sniffs: make([]sniff, 3), handled: map[int]bool{}, keyIdx: 0,
		model: "contact", opts: ProposeOptions{KeyPrefix: "pbn_", Region: "US"}}
	ri, msg := sc.merge(Suggestion{From: "First", To: "firstName", Confidence: 0.9, Reason: "a first name"}, "ai")
	assert.Empty(t, msg)
	assert.Nil(t, ri)
	require.Len(t, o.Fields, 1)
	assert.Equal(t, "First", o.Fields[0].From)
	assert.Equal(t, "firstName", o.Fields[0].To)
	assert.Equal(t, "a first name; the heuristics proposed pbn_first (0.60: no standard field matches)", o.Fields[0].Reason)

	// Given lost its rule; a suggestion for the target a stronger rule
	// holds is declined, with the reason in the notes.
	ri, msg = sc.merge(Suggestion{From: "Given", To: "firstName", Confidence: 0.5}, "ai")
	assert.Nil(t, ri)
	assert.Equal(t, "firstName is taken by First with higher confidence", msg)
	require.Len(t, o.Fields, 1)
}
