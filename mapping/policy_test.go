package mapping

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHistoryPolicy: the default folds messages (the notes are off, the
// log on), a choice turns the other side off, and the validator refuses
// kinds, choices and foldings the map cannot honour.
func TestHistoryPolicy(t *testing.T) {
	// The default map writes messages both ways; folding them turns the
	// notes off and leaves the log on.
	def := mustDefault(t)
	assert.Equal(t, AsBoth, def.HistoryAs(HistoryMessages))
	order, err := def.Order()
	require.NoError(t, err)
	assert.Len(t, order, len(def.Objects), "no policy: every object runs")
	m := def.WithHistory(HistoryMessages, AsFolded)
	assert.Equal(t, AsFolded, m.HistoryAs(HistoryMessages))
	assert.Equal(t, AsBoth, m.HistoryAs(HistoryProcedures), "a kind not named is written by every object")
	assert.True(t, m.Off(m.Object("communications")))
	assert.False(t, m.Off(m.Object("communication_log")))
	assert.False(t, m.Off(m.Object("procedures")))

	fc := m.WithHistory(HistoryMessages, AsFirstClass)
	assert.False(t, fc.Off(fc.Object("communications")))
	assert.True(t, fc.Off(fc.Object("communication_log")))
	order, err = fc.Order()
	require.NoError(t, err)
	assert.Contains(t, names(order), "communications")
	assert.NotContains(t, names(order), "communication_log")
	both := m.WithHistory(HistoryMessages, AsBoth)
	assert.Empty(t, both.History)
	assert.Equal(t, AsFolded, m.HistoryAs(HistoryMessages), "WithHistory leaves the original alone")

	first, folded := m.HistoryObjects(HistoryMessages)
	assert.Equal(t, []string{"communications"}, names(first))
	assert.Equal(t, []string{"communication_log"}, names(folded))

	data, err := m.Marshal()
	require.NoError(t, err)
	for _, c := range []struct{ from, to, want string }{
		{"kind: messages\n    as: folded", "kind: letters\n    as: folded", `unknown history kind "letters"`},
		{"kind: messages\n    as: folded", "kind: messages\n    as: sideways", `unknown choice "sideways"`},
		// No contact_field object reads procedures: folding them would lose them.
		{"kind: messages\n    as: folded", "kind: procedures\n    as: folded", "procedures cannot be folded"},
		{"kind: messages\n    as: folded", "kind: messages\n    as: folded\n  - kind: messages\n    as: both", "named twice"},
	} {
		doc := strings.Replace(string(data), c.from, c.to, 1)
		require.NotEqual(t, string(data), doc, c.want)
		_, err := Parse([]byte(doc), "policy")
		require.Error(t, err, c.want)
		assert.ErrorContains(t, err, c.want)
	}
	var b strings.Builder
	require.NoError(t, m.WriteReview(&b, ReviewOptions{}))
	assert.Contains(t, b.String(), "## History policy")
	assert.Contains(t, b.String(), "no workflow trigger per entry", "the review says what folding costs")
}

func names(objs []*Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Name
	}
	return out
}
