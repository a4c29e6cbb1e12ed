package pbnhl_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/pbnhl/pbnhl"
)

// Issue 19.8: Totals returned Total:334 Done:481 with an empty phase —
// objects whose total is not known up front added their Done but not a
// Total.
func TestReportTotals(t *testing.T) {
	rep := &pbnhl.Report{Phase: pbnhl.PhaseRun, Duration: 2 * time.Second, Objects: []pbnhl.Progress{
		{Phase: pbnhl.PhaseRun, Object: "patients", Total: 10, Done: 10, Written: 9, Invalid: 1, Calls: 12, Finished: true},
		{Phase: pbnhl.PhaseRun, Object: "procedures", Total: 0, Done: 30, Written: 28, Skipped: 2, Calls: 28, Finished: true}, // expanded: no total up front
		{Phase: pbnhl.PhaseRun, Object: "communications", Total: 0, Done: 4, Folded: 4, Finished: true},
		{Phase: pbnhl.PhaseRun, Object: "appointments", Total: 8, Done: 5, Written: 5, Calls: 5, Finished: true}, // stopped early
		{Phase: pbnhl.PhaseRun, Object: pbnhl.PhaseLinks, Total: 3, Done: 3, Existing: 3, Finished: true},
		{Phase: pbnhl.PhaseRun, Object: "documents", Total: 0, Done: 0, Bytes: 4096, Finished: true}, // uploads
	}}
	got := rep.Totals()
	assert.Equal(t, pbnhl.Progress{Phase: pbnhl.PhaseRun, Total: 10 + 30 + 4 + 8 + 3, Done: 52, Written: 42, Existing: 3, Skipped: 2,
		Folded: 4, Invalid: 1, Calls: 45, Bytes: 4096, Rate: 26, Elapsed: 2 * time.Second, Finished: true}, got)
	assert.Equal(t, pbnhl.Progress{Finished: true}, (&pbnhl.Report{}).Totals())
}

// On a real run (expanded procedures, folded communications, business
// links) Totals names the phase and never has more done than total.
func TestReportTotalsOfARun(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(16), seed: 29})
	rep := migrate(t, e, nil)
	tot := rep.Totals()
	assert.Equal(t, pbnhl.PhaseRun, tot.Phase)
	assert.True(t, tot.Finished)
	assert.Positive(t, tot.Done)
	assert.Equal(t, tot.Done, tot.Total, "a completed run handled all it expected")
	var done, unknown int64
	for _, p := range rep.Objects {
		done += p.Done
		if p.Total == 0 && p.Done > 0 {
			unknown++
		}
	}
	assert.Equal(t, done, tot.Done)
	assert.Positive(t, unknown, "the run has objects without a total up front (the case that broke Totals)")

}
