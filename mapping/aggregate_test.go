package mapping

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

func TestAggregatorCommunicationLog(t *testing.T) {
	// Messages written both ways: the notes hold what the cap cuts.
	m := mustDefault(t).WithHistory(HistoryMessages, AsBoth)
	m.Object("communication_log").MaxBytes = 2000
	require.NoError(t, m.Approve("test", fixedTime))
	a, err := NewApplier(m, ApplierOptions{})
	require.NoError(t, err)
	agg := NewAggregator(m)
	at := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range 30 {
		c := &pbn.Communication{ID: pbn.KeyOf(int64(i + 1)), PatientID: "7", Channel: pbn.ChannelSMS, Direction: pbn.DirectionOutbound,
			At: at.Add(time.Duration(i) * time.Hour), Body: strings.Repeat("é", 40) + " reminder"}
		ps, err := a.Apply("communication_log", Struct(c))
		require.NoError(t, err)
		require.True(t, agg.Add(&ps[0]))
	}
	f := &pbn.FormSubmission{ID: "1", PatientID: "8", FormName: "Intake", FormType: pbn.FormPatient, Fields: []pbn.FormField{{Name: "q", Value: "a"}}}
	ps, err := a.Apply("form_submissions", Struct(f))
	require.NoError(t, err)
	require.True(t, agg.Add(&ps[0]))
	ps, err = a.Apply("patients", Struct(samplePatient(t)))
	require.NoError(t, err)
	assert.False(t, agg.Add(&ps[0]), "only contact_field payloads")

	vals, err := agg.Take("7")
	require.NoError(t, err)
	require.Len(t, vals, 1)
	v := vals[0]
	assert.Equal(t, "pbn_communication_log", v.FieldKey)
	assert.LessOrEqual(t, len(v.JSON), 2000)
	assert.True(t, utf8.ValidString(v.JSON))
	assert.True(t, json.Valid([]byte(v.JSON)))
	assert.True(t, v.Report.Truncated())
	assert.Equal(t, 30, v.Report.Entries)
	pr, ok := v.Problem()
	require.True(t, ok)
	assert.NotContains(t, pr.Reason, "reminder")
	assert.Contains(t, pr.Reason, fmt.Sprintf("the oldest %d cut", v.Report.Dropped))
	assert.Positive(t, v.Report.Dropped)
	assert.Equal(t, m.Elsewhere(m.Object("communication_log")), v.Elsewhere)
	assert.Contains(t, pr.Reason, "also in HighLevel as communications (note)", "the cut entries are the communications' notes")
	folded := mustDefault(t)
	assert.Empty(t, folded.Elsewhere(folded.Object("communication_log")), "messages folded: the log is their only place")
	rep := &Report{}
	rep.AddWarning(pr)
	assert.Equal(t, []Problem{pr}, rep.Problems()[len(rep.Problems())-1:])
	assert.Zero(t, rep.Objects()["communication_log"].Records, "a cap's warning counts no record")
	assert.Equal(t, 1, rep.Objects()["communication_log"].Warned)
	// Form submissions are only in their field: the review says a cut loses them from HighLevel.
	assert.Empty(t, m.Elsewhere(m.Object("form_submissions")))
	assert.Contains(t, m.CapText(m.Object("form_submissions")), "in no other HighLevel record")
	assert.Contains(t, m.CapText(m.Object("documents_index")), "documents (media)")
	assert.Contains(t, v.JSON, "2024-01-02T05:00:00Z", "the newest entries are kept")

	rest, err := agg.All()
	require.NoError(t, err)
	require.Len(t, rest, 1)
	assert.Equal(t, "8", rest[0].ContactKey)
	var entries []map[string]any
	require.NoError(t, json.Unmarshal([]byte(rest[0].JSON), &entries))
	require.Len(t, entries, 1)
	assert.Equal(t, []any{map[string]any{"name": "q", "value": "a"}}, entries[0]["fields"], "form fields are embedded as JSON")
	_, ok = rest[0].Problem()
	assert.False(t, ok)
	none, err := agg.All()
	require.NoError(t, err)
	assert.Empty(t, none)
}
