package pbnhl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/internal/golden"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/rollback"
)

// normalizeJSON replaces the values of the named keys, wherever they are,
// with a placeholder naming what was there ("<time>", "<ms>", "<text>"),
// after checking each is of its kind: what changes from run to run leaves
// the golden file, the shape and every other value stay.
func normalizeJSON(t *testing.T, b []byte, keys ...string) []byte {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(b, &v), "%s", b)
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				if !drop[k] {
					walk(val)
					continue
				}
				switch val := val.(type) {
				case float64:
					assert.GreaterOrEqual(t, val, 0.0, k)
					x[k] = "<number>"
				case string:
					if _, err := time.Parse(time.RFC3339Nano, val); err == nil {
						assert.True(t, len(val) > 0 && val[len(val)-1] == 'Z', "%s %s is in UTC", k, val)
						x[k] = "<time>"
					} else {
						x[k] = "<text>"
					}
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(v))
	return out.Bytes()
}

// TestPreflightJSON: the preflight report as JSON (blockers, schema,
// owners, validation, estimate and plan by day), before and after the
// schema exists, against the simulators with a fixed clock — the same
// report as TestPreflightText's. Writing it twice gives the same bytes.
func TestPreflightJSON(t *testing.T) {
	e := newEnv(t, envOptions{patients: 25, seed: 13})
	ctx := context.Background()
	at := time.Date(2026, time.January, 5, 9, 0, 0, 0, time.UTC)
	m := e.migration(func(o *pbnhl.Options) { o.Now = func() time.Time { return at } })
	check := func(name string) {
		pre, err := m.Preflight(ctx)
		require.NoError(t, err)
		var a, b bytes.Buffer
		require.NoError(t, pre.WriteJSON(&a))
		require.NoError(t, pre.WriteJSON(&b))
		assert.Equal(t, a.String(), b.String(), "deterministic")
		var got pbnhl.PreflightJSON
		require.NoError(t, json.Unmarshal(a.Bytes(), &got))
		assert.Equal(t, pre.Ready(), got.Ready)
		assert.Equal(t, len(pre.Blockers), len(got.Blockers))
		assert.Equal(t, pre.Estimate.Calls, got.Estimate.Calls)
		assert.Equal(t, pre.Estimate.Days, len(got.Estimate.Plan))
		assert.NotContains(t, a.String(), hltest.DefaultToken)
		golden.AssertJSON(t, "testdata/"+name, a.Bytes())
	}
	check("preflight_before_schema.golden.json")
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	check("preflight.golden.json")
}

// TestReportAndStatusJSON: a run's report, a dry delta's report, the
// ledger's status and an undo's summary as JSON, against the simulators.
// Times, durations and generated ids are replaced by placeholders; every
// count is compared. No request body (patient data) is in any of them.
func TestReportAndStatusJSON(t *testing.T) {
	e := newEnv(t, envOptions{patients: 12, seed: 5})
	ctx := context.Background()
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	rep, err := m.Load(ctx)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, rep.WriteJSON(&b))
	var got pbnhl.ReportJSON
	require.NoError(t, json.Unmarshal(b.Bytes(), &got))
	tot := rep.Totals()
	assert.Equal(t, tot.Done, got.Totals.Done)
	assert.Equal(t, tot.Written, got.Totals.Written)
	assert.Equal(t, len(rep.Objects), len(got.Objects))
	n := 0
	for p := range e.pbn.Practice().Patients() {
		if p.Email != "" && n < 5 {
			assert.NotContains(t, b.String(), p.Email, "no patient data")
			n++
		}
	}
	require.Positive(t, n)
	golden.AssertJSON(t, "testdata/report_run.golden.json", normalizeJSON(t, b.Bytes(), "durationMs", "elapsedMs"))

	e.pbn.MutateWith(pbntest.MutateOptions{Update: 6, Create: 2, Delete: 1})
	dry, err := e.migration(func(o *pbnhl.Options) { o.DryRun = true }).Delta(ctx)
	require.NoError(t, err)
	b.Reset()
	require.NoError(t, dry.WriteJSON(&b))
	golden.AssertJSON(t, "testdata/report_delta_dry.golden.json", normalizeJSON(t, b.Bytes(), "durationMs", "elapsedMs", "dryRunRecord"))

	st, err := pbnhl.ReadLedgerStatus(ctx, e.ledger)
	require.NoError(t, err)
	b.Reset()
	require.NoError(t, st.WriteJSON(&b))
	golden.AssertJSON(t, "testdata/status.golden.json", normalizeJSON(t, b.Bytes(), "startedAt", "finishedAt", "path", "migrationId", "keyId"))

	undo, err := rollback.Undo(ctx, e.ledger, pbnhl.UndoTarget(e.client), rollback.UndoOptions{Runs: []rollback.RunID{rep.Run}, DryRun: true, Actor: "test"})
	require.NoError(t, err)
	s := undo.Summary()
	s.Runs = []rollback.RunID{rep.Run}
	b.Reset()
	require.NoError(t, s.WriteJSON(&b))
	var us rollback.UndoSummary
	require.NoError(t, json.Unmarshal(b.Bytes(), &us))
	assert.Equal(t, len(undo.Compensations), us.Compensations)
	assert.True(t, us.DryRun)
	golden.AssertJSON(t, "testdata/undo_dry.golden.json", b.Bytes())
}
