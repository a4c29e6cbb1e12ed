package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/reconcile"
)

// A clean migration reconciles to zero differences through the CLI (text,
// -json, -html); a contact deleted in HighLevel makes reconcile exit 4,
// repair puts it back and exits 0; a HighLevel failing a step gives a
// partial report and exit 1.
func TestReconcileAndRepair(t *testing.T) {
	r, args := prepared(t, practiceSize())
	r.mustRun(append([]string{"run"}, args...)...)

	html := r.path("report.html")
	out := r.mustRun(append([]string{"reconcile", "-html", html, "-practice", "Test Dental"}, args...)...)
	assert.Regexp(t, `Reconciliation: (OK: source, ledger and HighLevel agree|HighLevel matches the ledger)`, out)
	assert.Contains(t, out, "practice Test Dental")
	_, _, stderr := r.run(append([]string{"reconcile", "-sample"}, args...)...)
	assert.Contains(t, stderr, "reconcile: about ")
	assert.Contains(t, stderr, "reconcile: spent ")
	page, err := os.ReadFile(html)
	require.NoError(t, err)
	assert.Contains(t, string(page), "<svg")

	js := r.mustRun(append([]string{"reconcile", "-json"}, args...)...)
	var rep reconcile.Report
	require.NoError(t, json.Unmarshal([]byte(js), &rep), js)
	assert.Zero(t, rep.Differences)
	assert.True(t, rep.Complete())
	require.NoError(t, os.WriteFile(r.path("report.json"), []byte(js), 0o600))

	// Someone deletes a migrated contact.
	ctx := context.Background()
	hl, err := highlevel.NewClient(highlevel.Options{BaseURL: r.hl.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken)})
	require.NoError(t, err)
	var victim string
	for c, err := range hl.Contacts.Search(ctx, highlevel.ContactSearch{PageLimit: 1}) {
		require.NoError(t, err)
		victim = c.ID
		break
	}
	require.NotEmpty(t, victim)
	require.NoError(t, hl.Contacts.Delete(ctx, victim))
	before := r.contacts()

	code, out, stderr := r.run(append([]string{"reconcile"}, args...)...)
	assert.Equal(t, exitDifferences, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, out, "missing contact")
	assert.Contains(t, stderr, "pbn2hl repair")

	// Repair from a report that agreed: nothing to do.
	out = r.mustRun(append([]string{"repair", "-report", r.path("report.json")}, args...)...)
	assert.Contains(t, out, "nothing to repair")

	out = r.mustRun(append([]string{"repair"}, args...)...)
	assert.Contains(t, out, "repair run ")
	assert.Regexp(t, `after the repair: (OK: source, ledger and HighLevel agree|HighLevel matches the ledger)`, out)
	assert.Equal(t, before+1, r.contacts())
	r.mustRun(append([]string{"reconcile"}, args...)...)

	// HighLevel failing every business listing: a partial report, exit 1.
	r.hl.SetFaults(hltest.FaultRule{Route: "GET /businesses/", ServerErrorRate: 1})
	code, out, stderr = r.run(append([]string{"reconcile", "-sample"}, args...)...)
	r.hl.SetFaults()
	assert.Equal(t, exitFailed, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, out, "Not checked (the report is partial)")
	assert.True(t, strings.Contains(stderr, "partial"), stderr)
}

// reconcile -deep reads every relation (pbnhl.ReconcileOptions.Deep): a
// single relation removed in HighLevel is found and named, exit 4.
func TestReconcileDeep(t *testing.T) {
	r, args := prepared(t, practiceSize())
	r.mustRun(append([]string{"run"}, args...)...)

	out := r.mustRun(append([]string{"reconcile"}, args...)...)
	assert.NotContains(t, out, "related to their contact (every relation)", "a full check samples the relations")
	out = r.mustRun(append([]string{"reconcile", "-deep"}, args...)...)
	assert.Contains(t, out, "related to their contact (every relation)", "-deep reads them all")
	code, _, errOut := r.run(append([]string{"reconcile", "-deep", "-sample"}, args...)...)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "give one of them")

	ctx := context.Background()
	hl, err := highlevel.NewClient(highlevel.Options{BaseURL: r.hl.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken)})
	require.NoError(t, err)
	var removed *highlevel.Relation
	for c, err := range hl.Contacts.Search(ctx, highlevel.ContactSearch{}) {
		require.NoError(t, err)
		for rl, err := range hl.Associations.Relations(ctx, c.ID, highlevel.RelationListOptions{}) {
			require.NoError(t, err)
			removed = rl
			break
		}
		if removed != nil {
			break
		}
	}
	require.NotNil(t, removed, "a migrated contact with a related record")
	require.NoError(t, hl.Associations.DeleteRelation(ctx, removed.ID))

	code, out, errOut = r.run(append([]string{"reconcile", "-deep"}, args...)...)
	assert.Equal(t, exitDifferences, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "relation to its contact missing")
	out = r.mustRun(append([]string{"repair", "-deep"}, args...)...)
	assert.Regexp(t, `after the repair: (OK: source, ledger and HighLevel agree|HighLevel matches the ledger)`, out)
}
