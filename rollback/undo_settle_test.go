package rollback

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// lostAnswers applies every delete, unlink and restore and loses the
// answer — HighLevel "applied, answer lost" — as a 502 or a reset.
func lostAnswers(as hltest.LostAs) []hltest.FaultRule {
	var rules []hltest.FaultRule
	for _, route := range []string{
		"DELETE /contacts/{contactId}",
		"DELETE /businesses/{businessId}",
		"DELETE /contacts/{contactId}/notes/{id}",
		"DELETE /objects/{schemaKey}/records/{id}",
		"DELETE /associations/relations/{relationId}",
		"DELETE /locations/{locationId}/customFields/{id}",
		"POST /contacts/bulk/business",
	} {
		rules = append(rules, hltest.FaultRule{Route: route, LostResponseRate: 1, LostAs: as})
	}
	return rules
}

// fastSettle shortens the waits between settling attempts for a test.
func fastSettle(t *testing.T) {
	d := undoSettleDelay
	undoSettleDelay = time.Millisecond
	t.Cleanup(func() { undoSettleDelay = d })
}

// TestUndoSettlesUnknownOutcomes: every compensating delete and unlink is
// applied with its answer lost. Undo settles each within the same run (a
// delete that then answers not found is done; an unlink whose contact no
// longer holds the business is done) and finishes in one go.
func TestUndoSettlesUnknownOutcomes(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		fastSettle(t)
		for _, as := range []hltest.LostAs{hltest.LostAs5xx, hltest.LostAsReset} {
			t.Run(map[hltest.LostAs]string{hltest.LostAs5xx: "5xx", hltest.LostAsReset: "reset"}[as], func(t *testing.T) {
				forConcurrency(t, func(t *testing.T, conc int) {
					ctx := context.Background()
					l := openTest(t, "", Options{})
					f := hlScenario(t, l)
					f.s.SetFaults(lostAnswers(as)...)
					report, err := Undo(ctx, l, NewHighLevelTarget(f.c), UndoOptions{Runs: f.runs, Concurrency: conc})
					require.NoError(t, err)
					require.True(t, report.Reversed(), "%+v", report.Compensations)
					ri, err := l.Run(ctx, report.Run)
					require.NoError(t, err)
					assert.Equal(t, StatusSucceeded, ri.Status)
					assert.Zero(t, ri.Counters.Unknown+ri.Counters.Pending, "%+v", ri.Counters)
					f.s.SetFaults()
					assert.Equal(t, f.pre, state(t, f.s))
				})
			})
		}
	})
}

// TestUndoAfterKillFinishesInOneRerun: an Undo killed part-way (its
// context ends after a few compensations, some calls applied with their
// answers lost) is finished by one more Undo, with answers still being
// lost: the location is back to its pre-run state and the runs read undone.
func TestUndoAfterKillFinishesInOneRerun(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		fastSettle(t)
		for _, stop := range []int{1, 3, 6} {
			ctx := context.Background()
			l := openTest(t, "", Options{})
			f := hlScenario(t, l)
			f.s.SetFaults(lostAnswers(hltest.LostAs5xx)...)
			kctx, kill := context.WithCancel(ctx)
			n := 0
			_, err := Undo(kctx, l, NewHighLevelTarget(f.c), UndoOptions{Runs: f.runs, OnCompensation: func(Compensation) {
				if n++; n == stop {
					kill()
				}
			}})
			require.ErrorIs(t, err, context.Canceled)
			kill()

			report, err := Undo(ctx, l, NewHighLevelTarget(f.c), UndoOptions{Runs: f.runs})
			require.NoError(t, err)
			require.True(t, report.Reversed(), "stop=%d: %+v", stop, report.Compensations)
			for _, id := range f.runs {
				ri, err := l.Run(ctx, id)
				require.NoError(t, err)
				assert.Equal(t, StatusUndone, ri.Status)
				assert.Equal(t, report.Run, ri.UndoneBy)
			}
			f.s.SetFaults()
			assert.Equal(t, f.pre, state(t, f.s), "stop=%d", stop)
		}
	})
}
