package pbnhl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
)

// TestHistoryFoldedCensus (issue 17, "nothing is lost by folding"): the
// default map with messages folded (`history: [{kind: messages, as:
// folded}]`) on a pbntest practice, run against hltest and read back
// through the client. No message is written as a note, and every
// communication of the source is in its contact's communication log
// (matched on time, channel, direction and body), or listed in the
// ledger's problems with a reason, or belongs to a patient the map's
// filter leaves out (deleted patients) — exactly one of the three. The
// run's report carries no cap warning: no entry was cut.
func TestHistoryFoldedCensus(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(60), seed: 7})
	ctx := context.Background()
	mp := e.m.WithHistory(mapping.HistoryMessages, mapping.AsFolded)
	require.NoError(t, mp.Approve("test", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	m := e.migration(func(o *pbnhl.Options) { o.Map = mp })
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	pre, err := m.Preflight(ctx)
	require.NoError(t, err)
	require.True(t, pre.Ready(), pre.Blocking)
	rep, err := m.Load(ctx)
	require.NoError(t, err)
	require.NotNil(t, rep.Invalid)
	for _, pr := range rep.Invalid.Problems() {
		assert.NotEqual(t, "truncated", pr.Rule, "a folded log was cut: %s", pr.Reason)
	}
	for _, o := range rep.Objects {
		assert.NotEqual(t, "communications", o.Object, "the notes object does not run")
	}

	inLog := foldedLog(t, e)
	listed := map[string]bool{}
	for pr, err := range e.ledger.Problems(ctx) {
		require.NoError(t, err)
		if pr.Entity == "communications" || pr.Entity == "communication_log" {
			listed[pr.SourceKey] = true
		}
	}
	p := e.pbn.Practice()
	deleted := map[int64]bool{}
	for pt := range p.Patients() {
		deleted[keyNum(pt.ID)] = pt.Status == "Deleted"
	}
	var arrived, nlisted, filtered, total int
	for msg := range p.Communications() {
		total++
		k := foldKey(string(msg.PatientID), msg.At, string(msg.Channel), string(msg.Direction), msg.Body)
		a, l, f := inLog[k] > 0, listed[string(msg.ID)], deleted[keyNum(msg.PatientID)]
		if a {
			inLog[k]--
		}
		n := 0
		for _, b := range []bool{a, l, f} {
			if b {
				n++
			}
		}
		if !assert.Equal(t, 1, n, "communication %d: in the log %v, listed %v, patient filtered %v", msg.ID, a, l, f) {
			continue
		}
		switch {
		case a:
			arrived++
		case l:
			nlisted++
		default:
			filtered++
		}
	}
	for k, n := range inLog {
		assert.Zero(t, n, "a log entry matches no source communication (%s)", k[:min(len(k), 12)])
	}
	require.Positive(t, arrived)
	t.Logf("folded census: %d communications = %d in their contact's log + %d listed + %d of filtered patients", total, arrived, nlisted, filtered)
}

// foldedLog reads every contact's communication log back through the
// client: its entries by patient, time, channel, direction and body
// (foldKey), counted.
func foldedLog(t *testing.T, e *env) map[string]int {
	t.Helper()
	ctx := context.Background()
	c := e.client
	fields, err := c.CustomFields.List(ctx, highlevel.FieldModelContact)
	require.NoError(t, err)
	var patientField, logField string
	for _, f := range fields {
		switch f.FieldKey {
		case "contact.pbn_patient_id":
			patientField = f.ID
		case "contact.pbn_communication_log":
			logField = f.ID
		}
	}
	require.NotEmpty(t, patientField)
	require.NotEmpty(t, logField)
	inLog := map[string]int{}
	for ct, err := range c.Contacts.Search(ctx, highlevel.ContactSearch{}) {
		require.NoError(t, err)
		var patient, log string
		for _, v := range ct.CustomFields {
			switch v.ID {
			case patientField:
				patient, _ = v.Text()
			case logField:
				log, _ = v.Text()
			}
		}
		if log == "" {
			continue
		}
		var entries []struct{ At, Channel, Direction, Body string }
		require.NoError(t, json.Unmarshal([]byte(log), &entries), "the log is a JSON array")
		for _, x := range entries {
			at, err := time.Parse(time.RFC3339, x.At)
			require.NoError(t, err)
			inLog[foldKey(patient, at, x.Channel, x.Direction, x.Body)]++
		}
	}
	return inLog
}

func foldKey(patient string, at time.Time, channel, direction, body string) string {
	return fmt.Sprintf("%s|%d|%s|%s|%s", patient, at.Unix(), channel, direction, body)
}

// TestHistoryByAgeCensus: procedures by-age (12 months) on a pbntest
// practice, run against hltest and read back through the client. Every
// procedure the map keeps (not a deleted line, not of a deleted patient)
// is in its contact's procedure log; a treatment record exists for exactly
// those dated within the window before the run's time (or undated), the
// older ones being folded only.
func TestHistoryByAgeCensus(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	e := newEnv(t, envOptions{patients: size(25), seed: 17, now: func() time.Time { return now }})
	ctx := context.Background()
	mp := e.m.WithHistoryPolicy(mapping.HistoryPolicy{Kind: mapping.HistoryProcedures, As: mapping.AsByAge, FirstClassMonths: 12})
	require.NoError(t, mp.Approve("test", now))
	m := e.migration(func(o *pbnhl.Options) { o.Map = mp })
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	rep, err := m.Load(ctx)
	require.NoError(t, err)
	for _, pr := range rep.Invalid.Problems() {
		assert.NotEqual(t, "truncated", pr.Rule, "a folded log was cut: %s", pr.Reason)
	}

	c := e.client
	fields, err := c.CustomFields.List(ctx, highlevel.FieldModelContact)
	require.NoError(t, err)
	var logField string
	for _, f := range fields {
		if f.FieldKey == "contact.pbn_procedure_log" {
			logField = f.ID
		}
	}
	require.NotEmpty(t, logField)
	inLog := map[string]bool{}
	for ct, err := range c.Contacts.Search(ctx, highlevel.ContactSearch{}) {
		require.NoError(t, err)
		for _, v := range ct.CustomFields {
			if v.ID != logField {
				continue
			}
			s, _ := v.Text()
			var entries []struct {
				ID json.Number `json:"procedure_id"`
			}
			require.NoError(t, json.Unmarshal([]byte(s), &entries))
			for _, x := range entries {
				assert.False(t, inLog[x.ID.String()], "procedure %s logged twice", x.ID)
				inLog[x.ID.String()] = true
			}
		}
	}
	records := map[string]bool{}
	for r, err := range c.Objects.SearchRecords(ctx, "custom_objects.pbn_treatment", highlevel.RecordSearch{}) {
		require.NoError(t, err)
		v, _ := r.Properties.Value("pbn_treatment_id")
		id, _ := v.Text()
		if !strings.Contains(id, "#") { // treatment lines parsed from patients' notes are another object
			records[id] = true
		}
	}
	p := e.pbn.Practice()
	deleted := map[string]bool{}
	for pt := range p.Patients() {
		deleted[string(pt.ID)] = pt.Status == "Deleted"
	}
	since := now.AddDate(0, -12, 0)
	var kept, recent, old int
	for pr := range p.Procedures() {
		k := string(pr.ID)
		if pr.Status == "D" || deleted[string(pr.PatientID)] {
			assert.False(t, inLog[k] || records[k], "procedure %s is filtered", k)
			continue
		}
		kept++
		assert.True(t, inLog[k], "procedure %s is in its contact's log", k)
		if pr.Date.IsZero() || !pr.Date.Time(time.UTC).Before(since) {
			recent++
			assert.True(t, records[k], "procedure %s (%s) is a record", k, pr.Date)
		} else {
			old++
			assert.False(t, records[k], "procedure %s (%s) is folded only", k, pr.Date)
		}
	}
	require.Positive(t, recent)
	require.Positive(t, old)
	assert.Len(t, inLog, kept, "the log holds exactly the kept procedures")
	t.Logf("by-age census: %d procedures kept, all in the logs; %d within 12 months also records, %d folded only", kept, recent, old)
}

// TestFoldedLogCapWarned: with messages folded, a communication log over
// its field's cap would lose its oldest entries from HighLevel. Preflight
// says so before the run — as many contacts as the run then cuts — and
// names no patient data; with messages both, the notes keep them and
// preflight does not warn.
func TestFoldedLogCapWarned(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(20), seed: 13})
	e.m.Object("communication_log").MaxBytes = 1500
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)))
	ctx := context.Background()
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	pre, err := m.Preflight(ctx)
	require.NoError(t, err)
	var warned string
	for _, w := range pre.Warnings {
		if strings.HasPrefix(w, "communication_log: the logs of ") {
			warned = w
		}
	}
	require.NotEmpty(t, warned, "preflight warns of the cut: %q", pre.Warnings)
	assert.Contains(t, warned, "in no HighLevel record")
	assert.Contains(t, warned, "write messages as by-age or both")
	for c := range e.pbn.Practice().Communications() {
		if len(c.Body) > 8 {
			assert.NotContains(t, warned, c.Body, "no message text in a warning")
		}
	}
	rep, err := m.Load(ctx)
	require.NoError(t, err)
	cut := 0
	for _, pr := range rep.Invalid.Problems() {
		if pr.Object == "communication_log" && pr.Rule == "truncated" {
			cut++
		}
	}
	require.Positive(t, cut)
	assert.Contains(t, warned, fmt.Sprintf("the logs of %d contacts are over", cut), "preflight's count is the run's")

	both := e.m.WithHistory(mapping.HistoryMessages, mapping.AsBoth)
	require.NoError(t, both.Approve("test", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)))
	pre, err = e.migration(func(o *pbnhl.Options) { o.Map = both }).Preflight(ctx)
	require.NoError(t, err)
	for _, w := range pre.Warnings {
		assert.NotContains(t, w, "communication_log: the logs of", "the notes hold what the cap cuts")
	}
}
