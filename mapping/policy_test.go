package mapping

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// TestHistoryPolicy: the default folds messages (the notes are off, the
// log on) and writes procedures and appointments first-class (their logs
// off); a choice turns the other side off, and the validator refuses
// kinds, choices and foldings the map cannot honour.
func TestHistoryPolicy(t *testing.T) {
	def := mustDefault(t)
	assert.Equal(t, AsFolded, def.HistoryAs(HistoryMessages))
	assert.Equal(t, AsFirstClass, def.HistoryAs(HistoryProcedures))
	assert.Equal(t, AsFirstClass, def.HistoryAs(HistoryAppointments))
	order, err := def.Order()
	require.NoError(t, err)
	assert.NotContains(t, names(order), "communications", "no note per message by default (17.2)")
	assert.Contains(t, names(order), "communication_log")
	assert.Contains(t, names(order), "procedures")
	assert.NotContains(t, names(order), "procedure_log")
	assert.NotContains(t, names(order), "appointment_log")
	assert.Len(t, order, len(def.Objects)-3)

	// Every kind the default reads is written both ways by some object, so
	// each can be switched without a new schema.
	for _, k := range HistoryKinds() {
		first, folded := def.HistoryObjects(k)
		assert.NotEmpty(t, first, k)
		assert.NotEmpty(t, folded, k)
	}

	m := def.WithHistory(HistoryMessages, AsBoth)
	assert.Equal(t, AsBoth, m.HistoryAs(HistoryMessages))
	assert.False(t, m.Off(m.Object("communications")))
	assert.False(t, m.Off(m.Object("communication_log")))
	assert.Equal(t, AsFolded, def.HistoryAs(HistoryMessages), "WithHistory leaves the original alone")

	fc := def.WithHistory(HistoryMessages, AsFirstClass)
	assert.False(t, fc.Off(fc.Object("communications")))
	assert.True(t, fc.Off(fc.Object("communication_log")))
	order, err = fc.Order()
	require.NoError(t, err)
	assert.Contains(t, names(order), "communications")
	assert.NotContains(t, names(order), "communication_log")

	pf := def.WithHistory(HistoryProcedures, AsFolded)
	assert.True(t, pf.Off(pf.Object("procedures")))
	assert.False(t, pf.Off(pf.Object("procedure_log")))
	assert.False(t, pf.Off(pf.Object("treatment_notes")), "treatment text parsed from patient notes is not the procedures kind")

	first, folded := def.HistoryObjects(HistoryMessages)
	assert.Equal(t, []string{"communications"}, names(first))
	assert.Equal(t, []string{"communication_log"}, names(folded))
	first, folded = def.HistoryObjects(HistoryProcedures)
	assert.Equal(t, []string{"procedures"}, names(first))
	assert.Equal(t, []string{"procedure_log"}, names(folded))

	data, err := def.Marshal()
	require.NoError(t, err)
	for _, c := range []struct{ from, to, want string }{
		{"kind: messages\n    as: folded", "kind: letters\n    as: folded", `unknown history kind "letters"`},
		{"kind: messages\n    as: folded", "kind: messages\n    as: sideways", `unknown choice "sideways"`},
		{"kind: messages\n    as: folded", "kind: messages\n    as: folded\n  - kind: messages\n    as: both", "named twice"},
		{"kind: messages\n    as: folded", "kind: messages\n    as: folded\n    first_class_months: 12", "first_class_months applies to as: by-age only"},
		{"kind: messages\n    as: folded", "kind: messages\n    as: by-age\n    first_class_months: -3", "negative"},
		// Without a contact_field object reading procedures, folding would lose them.
		{"  - name: procedure_log\n    source: procedures\n", "  - name: procedure_log\n    source: treatment_plans\n", ""},
	} {
		doc := strings.Replace(string(data), c.from, c.to, 1)
		require.NotEqual(t, string(data), doc, c.want)
		if c.want == "" {
			for _, as := range []string{AsFolded, AsByAge} {
				d := strings.Replace(doc, "kind: procedures\n    as: first-class", "kind: procedures\n    as: "+as, 1)
				_, err := Parse([]byte(d), "policy")
				require.Error(t, err, as)
				assert.ErrorContains(t, err, "procedures cannot be "+as)
			}
			continue
		}
		_, err := Parse([]byte(doc), "policy")
		require.Error(t, err, c.want)
		assert.ErrorContains(t, err, c.want)
	}
	var b strings.Builder
	require.NoError(t, def.WriteReview(&b, ReviewOptions{}))
	assert.Contains(t, b.String(), "## History policy")
	assert.Contains(t, b.String(), "- messages: folded")
	assert.Contains(t, b.String(), "no workflow trigger per entry", "the review says what folding costs")
	assert.Contains(t, b.String(), "- procedures: first-class")
}

// TestHistoryByAge: `as: by-age` keeps every record in the contact's log
// and writes as records of their own only those dated within the window
// before the run's time (a record without a date too); the parsed policy
// round-trips and the review names the window.
func TestHistoryByAge(t *testing.T) {
	def := mustDefault(t)
	m := def.WithHistoryPolicy(HistoryPolicy{Kind: HistoryProcedures, As: AsByAge, FirstClassMonths: 12})
	data, err := m.Marshal()
	require.NoError(t, err)
	assert.Contains(t, string(data), "as: by-age\n    first_class_months: 12")
	m, err = Parse(data, "by-age")
	require.NoError(t, err)
	assert.Equal(t, 12, m.HistoryPolicyOf(HistoryProcedures).Months())
	assert.Equal(t, DefaultFirstClassMonths, HistoryPolicy{Kind: HistoryProcedures, As: AsByAge}.Months())
	assert.False(t, m.Off(m.Object("procedures")))
	assert.False(t, m.Off(m.Object("procedure_log")))
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	assert.Equal(t, time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC), m.FirstClassSince(HistoryProcedures, now))
	assert.True(t, m.FirstClassSince(HistoryMessages, now).IsZero(), "messages stay folded")

	require.NoError(t, m.Approve("test", now))
	a, err := NewApplier(m, ApplierOptions{Now: now})
	require.NoError(t, err)
	proc := func(id int64, date string) Record {
		p := &pbn.Procedure{ID: pbn.KeyOf(id), PatientID: "1001", Code: "D1110", Status: pbn.ProcedureComplete, Fee: 9500, Description: "Prophy adult"}
		if date != "" {
			p.Date = mustDate(t, date)
		}
		return Struct(p)
	}
	for _, c := range []struct {
		date  string
		first bool
	}{{"2025-06-14", false}, {"2025-06-16", true}, {"2019-03-04", false}, {"", true}} {
		ps, err := a.Apply("procedures", proc(7, c.date))
		require.NoError(t, err)
		if c.first {
			assert.Empty(t, ps[0].Skipped, c.date)
			assert.True(t, ps[0].Valid(), c.date)
		} else {
			assert.Contains(t, ps[0].Skipped, "history by-age: dated before 2025-06-15", c.date)
		}
		ps, err = a.Apply("procedure_log", proc(7, c.date))
		require.NoError(t, err)
		assert.Empty(t, ps[0].Skipped, "the log keeps every procedure (%s)", c.date)
		assert.True(t, ps[0].Valid(), c.date)
	}
	var b strings.Builder
	require.NoError(t, m.WriteReview(&b, ReviewOptions{}))
	assert.Contains(t, b.String(), "- procedures: by-age")
	assert.Contains(t, b.String(), "last 12 months")
}

func names(objs []*Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Name
	}
	return out
}
