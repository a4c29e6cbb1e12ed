package pbnhl_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbnhl "github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/mapping"
)

// historyChoices are the message policies compared: the map as it is
// (messages both as notes and in the contact's log), folded only, and
// first-class only.
var historyChoices = []string{mapping.AsBoth, mapping.AsFolded, mapping.AsFirstClass}

// historyCalls estimates, with Preflight (its call estimate was within
// 0.03% of the requests HighLevel served), the record calls of a run of
// e's practice under each message policy, the schema already applied.
func historyCalls(t testing.TB, e *env) map[string]pbnhl.Estimate {
	ctx := context.Background()
	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	out := map[string]pbnhl.Estimate{}
	for _, as := range historyChoices {
		m := e.m.WithHistory(mapping.HistoryMessages, as)
		require.NoError(t, m.Approve("bench", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
		pre, err := e.migration(func(o *pbnhl.Options) { o.Map = m }).Preflight(ctx)
		require.NoError(t, err)
		out[as] = pre.Estimate
	}
	return out
}

// TestHistoryPolicyCalls: folding messages saves exactly the notes' calls
// (one per message), and writing them first-class only costs what both
// cost (the log rides in the contact's own call).
func TestHistoryPolicyCalls(t *testing.T) {
	e := newEnv(t, envOptions{patients: 40, seed: 42})
	est := historyCalls(t, e)
	both, folded, first := est[mapping.AsBoth], est[mapping.AsFolded], est[mapping.AsFirstClass]
	var notes pbnhl.ObjectEstimate
	for _, o := range both.Objects {
		if o.Object == "communications" {
			notes = o
		}
	}
	require.Positive(t, notes.Records, "the practice has messages")
	assert.Equal(t, notes.Records, notes.Calls, "one note call per message")
	assert.Equal(t, both.Calls-notes.Calls, folded.Calls, "folding saves exactly the notes' calls")
	assert.Equal(t, both.Calls, first.Calls, "the folded log costs no call of its own")
	for _, o := range folded.Objects {
		assert.NotEqual(t, "communications", o.Object, "no note is planned when messages are folded")
	}
}

// BenchmarkHistoryPolicy reports the calls per patient of the default
// pbntest practice (PBNHL_HISTORY_PATIENTS patients, 2,000 unless set,
// seed 42) under each message policy.
func BenchmarkHistoryPolicy(b *testing.B) {
	n := 2000
	if s := os.Getenv("PBNHL_HISTORY_PATIENTS"); s != "" {
		var err error
		n, err = strconv.Atoi(s)
		require.NoError(b, err, "PBNHL_HISTORY_PATIENTS")
	}
	for range b.N {
		e := newEnv(b, envOptions{patients: n, seed: 42, window: 10 * time.Millisecond, daily: 100_000_000})
		est := historyCalls(b, e)
		for _, as := range historyChoices {
			b.ReportMetric(float64(est[as].Calls)/float64(n), "calls/patient-messages-"+as)
		}
	}
}
