package mapping

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const rulesMap = `version: 1
name: rules
objects:
  - name: people
    source: people
    target: contact
    source_key: id
    external_id: ext_id
    fields:
      - {from: first, to: firstName, required: true}
      - {from: country, to: country, transform: [country]}
      - {from: langs, to: langs, type: MULTIPLE_OPTIONS, transform: [{flatten: {mode: json, split: ";"}}], values: {en: English, es: Spanish, xx: ''}, unknown: drop}
      - {from: tags, to: tags, transform: [{flatten: {mode: join, sep: ",", split: "|"}}]}
      - {from: tier, to: tier, type: SINGLE_OPTIONS, values: {g: Gold, s: Silver}, unknown: default, default: Bronze}
      - {from: kind, to: kind, type: TEXT, values: {a: Alpha}, unknown: keep}
      - {from: code, to: code, type: TEXT, transform: [{cdt: {custom: reject}}]}
      - {from: full, to: middle, type: TEXT, transform: [{name: {part: middle}}]}
      - {from: cents, to: amount, type: MONETORY, transform: [{money: {from: cents}}]}
      - {from: long, to: short, type: TEXT, transform: [{truncate: {bytes: "5"}}]}
      - {from: ins, to: insured, type: TEXT, transform: [{const_if_set: {value: "yes"}}]}
      - {from: mail2, to: mail2, type: EMAIL}
      - {from: tel2, to: tel2, type: PHONE}
      - {from: n, to: n, type: NUMERICAL, required: true}
      - {from: d, to: d, type: DATE}
  - name: cases
    source: cases
    target: opportunity
    source_key: id
    external_id: case_id
    stage_field: stage
    fields:
      - {from: st, to: status}
      - {from: amt, to: monetaryValue}
    pipelines:
      - name: Only
        source: ""
        stages: [{from: a, name: A, probability: 50}]
  - name: todo
    source: todo
    target: task
    source_key: id
    fields:
      - {from: t, to: title}
      - {from: due, to: dueDate}
`

func TestRules(t *testing.T) {
	m, err := Parse([]byte(rulesMap), "rules.yaml")
	require.NoError(t, err)
	require.NoError(t, m.Approve("t", fixedTime))
	a, err := NewApplier(m, ApplierOptions{})
	require.NoError(t, err)
	assert.Same(t, m, a.Map())

	ps, err := a.Apply("people", Row{"id": "1", "first": "Ann", "country": "United States", "langs": "en; es;xx;zz",
		"tags": "vip| new ", "tier": "p", "kind": "zeta", "code": "d1110", "full": "Ann B. Cole", "cents": "1999",
		"long": "héllo world", "ins": "Delta", "n": "4", "d": "2024-02-03"})
	require.NoError(t, err)
	p := ps[0]
	require.Empty(t, p.Problems)
	get := func(k string) Value { v, _ := p.Field(k); return v }
	assert.Equal(t, "US", get("country").Text)
	assert.Equal(t, []string{"English", "Spanish"}, get("langs").List, "mapped, blank dropped, unknown dropped")
	assert.Equal(t, "vip,new", get("tags").Text)
	assert.Equal(t, "Bronze", get("tier").Text)
	assert.Equal(t, "zeta", get("kind").Text)
	assert.Equal(t, "D1110", get("code").Text)
	assert.Equal(t, "B.", get("middle").Text)
	assert.Equal(t, "19.99", get("amount").Text)
	assert.Equal(t, "héll", get("short").Text, "cut at a character boundary")
	assert.Equal(t, "yes", get("insured").Text)

	ps, err = a.Apply("people", Row{"id": "2", "first": "", "code": "T1234", "mail2": "x@", "tel2": "555", "n": "many", "d": "2024-13-01", "country": "Atlantis"})
	require.NoError(t, err)
	p = ps[0]
	bySev := map[string]Severity{}
	for _, pr := range p.Problems {
		bySev[pr.Field+" "+pr.Rule] = pr.Severity
	}
	assert.Equal(t, map[string]Severity{
		"firstName required": Invalid, "code format": Warning, "mail2 type": Warning, "tel2 type": Warning,
		"n type": Invalid, "d type": Warning, "country format": Warning,
	}, bySev)

	ps, err = a.Apply("cases", Row{"id": "9", "st": "pending", "amt": "12.5", "stage": "A"})
	require.NoError(t, err)
	assert.Equal(t, "opportunity status must be open, won, lost or abandoned", ps[0].Problems[0].Reason)
	assert.Equal(t, "Only", ps[0].Pipeline, "a single pipeline needs no pipeline_field")

	ps, err = a.Apply("todo", Row{"id": "1", "t": "Call", "due": "soon"})
	require.NoError(t, err)
	assert.Equal(t, "dueDate format", ps[0].Problems[0].Field+" "+ps[0].Problems[0].Rule)
	ps, err = a.Apply("todo", Row{"id": "2", "t": "Call", "due": "2024-05-06T10:00:00Z"})
	require.NoError(t, err)
	assert.Empty(t, ps[0].Problems)

	ps, err = a.Apply("todo", Row{"t": "no key"})
	require.NoError(t, err)
	assert.Equal(t, RuleRequired, ps[0].Problems[0].Rule)
}

func TestCustomRegistry(t *testing.T) {
	r := NewRegistry()
	r.Register("shout", nil, "append !", func(map[string]string) (Func, error) {
		return func(s string) (string, error) { return s + "!", nil }, nil
	})
	doc := "version: 1\nname: t\nobjects:\n  - name: p\n    source: p\n    target: contact\n    source_key: id\n    external_id: x_id\n    fields:\n      - {from: a, to: firstName, transform: [shout]}\n"
	_, err := Parse([]byte(doc), "t.yaml")
	require.ErrorContains(t, err, `unknown transform "shout"`)
	m, err := Parse([]byte(doc), "t.yaml", LoadOptions{Registry: r})
	require.NoError(t, err)
	require.NoError(t, m.Approve("t", fixedTime))
	a, err := NewApplier(m, ApplierOptions{Registry: r})
	require.NoError(t, err)
	ps, err := a.Apply("p", Row{"id": "1", "a": "hi"})
	require.NoError(t, err)
	v, _ := ps[0].Field("firstName")
	assert.Equal(t, "hi!", v.Text)
	assert.ErrorContains(t, m.Approve(" ", fixedTime), "who is required")
}
