package pbnhl_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
)

// census is one kind's account: every source key arrived in HighLevel,
// was listed invalid or rejected with a reason, or was left out by a
// filter of the map (which the review shows) — exactly one of the three.
type census struct {
	kind     string
	source   []string            // the source's keys
	arrived  map[string]bool     // keys read back from HighLevel
	listed   map[string][]string // key → reasons, from the ledger's problems
	filtered map[string]bool     // keys the map's filter leaves out
}

func (c census) check(t *testing.T, skipped int64) {
	t.Helper()
	require.NotEmpty(t, c.source, c.kind)
	var arrived, listed, filtered int
	for _, k := range c.source {
		a, l, f := c.arrived[k], c.listed[k] != nil, c.filtered[k]
		n := 0
		for _, b := range []bool{a, l, f} {
			if b {
				n++
			}
		}
		if !assert.Equal(t, 1, n, "%s %s: arrived %v, listed %v, filtered %v", c.kind, k, a, l, f) {
			continue
		}
		switch {
		case a:
			arrived++
		case l:
			listed++
			assert.NotEmpty(t, strings.Join(c.listed[k], ""), "%s %s is listed with a reason", c.kind, k)
		default:
			filtered++
		}
	}
	for k := range c.arrived {
		assert.True(t, slices.Contains(c.source, k), "%s %s arrived but is not in the source", c.kind, k)
	}
	assert.EqualValues(t, skipped, filtered, "%s: the run's filtered count is the census'", c.kind)
	assert.Positive(t, arrived, c.kind)
	t.Logf("census %s: %d in the source = %d arrived + %d listed + %d filtered", c.kind, len(c.source), arrived, listed, filtered)
}

// TestDefaultMapCensus (issue 16, done-when #1): the default map on a
// pbntest practice, run against hltest, and read back through the
// highlevel client (what a user of the location sees, not the
// simulator's internals). Per kind — documents, messages
// (communications), appointments, procedures and the treatment lines of
// patients' notes — every source record arrived, or is listed in the
// ledger's problems with a reason, or was left out by the map's own filter
// (counted by the run as skipped).
//
// The lines of patients' notes that are not treatment rows arrive on the
// contact (pbn_notes): TestDefaultMapNotesAndTimes checks them. Cohort
// membership (contact tags once the map tags the practice's cohorts):
// TestCohortCensus.
func TestDefaultMapCensus(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(60), seed: 7})
	ctx := context.Background()
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	pre, err := m.Preflight(ctx)
	require.NoError(t, err)
	require.True(t, pre.Ready(), pre.Blocking)
	rep, err := m.Load(ctx)
	require.NoError(t, err)
	skipped := map[string]int64{}
	for _, p := range rep.Objects {
		skipped[p.Object] += p.Skipped
	}

	// What arrived, through the client.
	c := e.client
	fields, err := c.CustomFields.List(ctx, highlevel.FieldModelContact)
	require.NoError(t, err)
	var patientField string
	for _, f := range fields {
		if f.FieldKey == "contact.pbn_patient_id" {
			patientField = f.ID
		}
	}
	require.NotEmpty(t, patientField)
	docNotes := map[string]bool{}
	for ct, err := range c.Contacts.Search(ctx, highlevel.ContactSearch{}) {
		require.NoError(t, err)
		notes, err := c.Contacts.ListNotes(ctx, ct.ID)
		require.NoError(t, err)
		for _, n := range notes {
			key := markerKey(n.Body, "note")
			if doc, ok := strings.CutPrefix(key, "document-"); ok {
				docNotes[doc] = true
			} else {
				assert.Empty(t, key, "the default folds messages: no note per message")
			}
		}
	}
	// Messages are folded (the default history policy): one arrived when
	// its entry is in its contact's communication log (census_history_test.go).
	inLog := foldedLog(t, e)
	commNotes := map[string]bool{}
	media := map[string]bool{}
	for f, err := range c.Media.List(ctx, highlevel.MediaListOptions{}) {
		require.NoError(t, err)
		media[mediaKey(f.Name)] = true
	}
	// A document arrived when its file and the note linking it did.
	docs := map[string]bool{}
	for k := range media {
		if docNotes[k] {
			docs[k] = true
		}
	}
	assert.Equal(t, media, docNotes, "every uploaded file has its note, every note its file")
	records := func(key, idProp string) map[string]bool {
		out := map[string]bool{}
		for r, err := range c.Objects.SearchRecords(ctx, key, highlevel.RecordSearch{}) {
			require.NoError(t, err)
			v, ok := r.Properties.Value(idProp)
			require.True(t, ok, "%s %s carries %s", key, r.ID, idProp)
			id, _ := v.Text()
			require.NotEmpty(t, id)
			out[id] = true
		}
		return out
	}
	appts := records("custom_objects.pbn_appointment", "pbn_appointment_id")
	treatments := records("custom_objects.pbn_treatment", "pbn_treatment_id")

	// What the ledger lists, by entity.
	listed := map[string]map[string][]string{}
	for pr, err := range e.ledger.Problems(ctx) {
		require.NoError(t, err)
		if listed[pr.Entity] == nil {
			listed[pr.Entity] = map[string][]string{}
		}
		listed[pr.Entity][pr.SourceKey] = append(listed[pr.Entity][pr.SourceKey], pr.Reasons...)
	}

	p := e.pbn.Practice()
	var docKeys, commKeys, apptKeys, procKeys []string
	for d := range p.Documents() {
		docKeys = append(docKeys, string(d.ID))
	}
	deletedPatient := map[string]bool{}
	for pt := range p.Patients() {
		deletedPatient[string(pt.ID)] = pt.Status == "Deleted"
	}
	commFiltered := map[string]bool{} // folded into a contact the patients' filter leaves out
	for m := range p.Communications() {
		commKeys = append(commKeys, string(m.ID))
		if deletedPatient[string(m.PatientID)] {
			commFiltered[string(m.ID)] = true
		}
		if k := foldKey(string(m.PatientID), m.At, string(m.Channel), string(m.Direction), m.Body); inLog[k] > 0 {
			inLog[k]--
			commNotes[string(m.ID)] = true
		}
	}
	apptFiltered := map[string]bool{}
	for a := range p.Appointments() {
		apptKeys = append(apptKeys, string(a.ID))
		// The default map's filter: schedule sticky notes are not visits.
		if a.Status == "PtNote" || a.Status == "PtNoteCompleted" {
			apptFiltered[string(a.ID)] = true
		}
	}
	procFiltered := map[string]bool{}
	procArrived := map[string]bool{}
	for pr := range p.Procedures() {
		k := string(pr.ID)
		procKeys = append(procKeys, k)
		if pr.Status == "D" { // deleted procedure lines are filtered
			procFiltered[k] = true
		}
		procArrived[k] = treatments[k]
	}

	census{kind: "documents", source: docKeys, arrived: docs, listed: listed["documents"]}.check(t, skipped["documents"])
	// A folded entry has no run count of its own: its patient's filter is the census'.
	census{kind: "communications", source: commKeys, arrived: commNotes, listed: listed["communications"], filtered: commFiltered}.check(t, int64(len(commFiltered)))
	census{kind: "appointments", source: apptKeys, arrived: appts, listed: listed["appointments"], filtered: apptFiltered}.check(t, skipped["appointments"])
	census{kind: "procedures", source: procKeys, arrived: procArrived, listed: listed["procedures"], filtered: procFiltered}.check(t, skipped["procedures"])

	// Treatment lines of patients' notes: each row the map's parser reads
	// from a patient's notes is a treatment record keyed "<patient>#<n>",
	// or listed, or its patient is left out by the patients' filter
	// (deleted patients: their notes go with them, counted as the
	// patients' skipped).
	parse, ok := mapping.DefaultRegistry().Parser("treatment_notes")
	require.True(t, ok)
	var rowKeys []string
	rowArrived, rowFiltered := map[string]bool{}, map[string]bool{}
	var deleted int64
	for pt := range p.Patients() {
		if pt.Status == "Deleted" {
			deleted++
		}
		if strings.TrimSpace(pt.Notes) == "" {
			continue
		}
		for i := range parse(pt.Notes).Rows {
			k := fmt.Sprintf("%s#%d", pt.ID, i+1)
			rowKeys = append(rowKeys, k)
			rowArrived[k] = treatments[k]
			rowFiltered[k] = pt.Status == "Deleted"
		}
	}
	assert.Equal(t, deleted, skipped["patients"], "the patients' filter leaves out the deleted ones")
	var filteredRows int64
	for _, f := range rowFiltered {
		if f {
			filteredRows++
		}
	}
	census{kind: "treatment note lines", source: rowKeys, arrived: rowArrived, listed: listed["treatment_notes"], filtered: rowFiltered}.check(t, filteredRows)
	for k := range treatments {
		assert.True(t, slices.Contains(procKeys, k) || slices.Contains(rowKeys, k), "treatment %s is a procedure or a notes row of the source", k)
	}
}

// TestBlobCapSaidInReport (issue 16.2): when a contact's communication log
// is over its field's cap, the run's report carries a warning per contact
// saying how many entries were cut and where they still are (the
// communications' notes, which TestDefaultMapCensus counts one by one);
// the reason names no patient data.
func TestBlobCapSaidInReport(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(20), seed: 13})
	e.m = e.m.WithHistory(mapping.HistoryMessages, mapping.AsBoth) // the notes hold what the cap cuts
	e.m.Object("communication_log").MaxBytes = 1500
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)))
	ctx := context.Background()
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	rep, err := m.Load(ctx)
	require.NoError(t, err)
	cut := 0
	for _, pr := range rep.Invalid.Problems() {
		if pr.Object != "communication_log" || pr.Rule != "truncated" {
			continue
		}
		cut++
		assert.Equal(t, mapping.Warning, pr.Severity)
		assert.Contains(t, pr.Reason, "cut")
		assert.Contains(t, pr.Reason, "also in HighLevel as communications (note)")
		for c := range e.pbn.Practice().Communications() {
			if len(c.Subject) > 8 {
				assert.NotContains(t, pr.Reason, c.Subject, "no message text in a reason")
			}
		}
	}
	assert.Positive(t, cut, "some logs were over the cap")
	assert.Equal(t, cut, rep.Invalid.Objects()["communication_log"].Warned)
}

// TestConversationProviderOption (issue 16.2): Options.ConversationProvider
// reaches every message HighLevel is sent (the map's message object sets
// none). hltest, as HighLevel, refuses a provider the location has not
// installed: each message is then a rejected record with HighLevel's
// reason (the same map without the option writes every message:
// TestMessageTarget), none sent without its provider.
func TestConversationProviderOption(t *testing.T) {
	e := newMessageEnv(t, envOptions{patients: size(12), seed: 19})
	ctx := context.Background()
	var sent, withProvider atomic.Int64
	hook := func(c highlevel.Call) {
		if strings.HasPrefix(c.Operation, "conversations.add") { // inbound, outbound

			sent.Add(1)
		}
	}
	e.hook.Store(&hook)
	m := e.migration(func(o *pbnhl.Options) { o.ConversationProvider = "notInstalledProvider" })
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	rep, err := m.Load(ctx)
	require.NoError(t, err)
	o, ok := rep.Object("communication_messages")
	require.True(t, ok)
	require.Positive(t, o.Rejected, "HighLevel refused the uninstalled provider")
	assert.Zero(t, o.Written, "no message went without its provider")
	for pr, err := range e.ledger.Problems(ctx) {
		require.NoError(t, err)
		if pr.ObjectType == "conversation_message" {
			withProvider.Add(1)
			// The client keeps HighLevel's answer value-free; without the
			// option the same map writes every message (TestMessageTarget).
			assert.Contains(t, strings.Join(pr.Reasons, " "), "400")
		}
	}
	assert.Equal(t, o.Rejected, withProvider.Load())
	assert.Positive(t, sent.Load())
}
