package pbnhl_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/rollback"
)

// TestSweepDeletesDuplicateByIdentity: for some contacts and notes,
// HighLevel applies the create twice and loses the answer, so it holds two
// objects for one source record. The lookup settles the record with one
// of them; the duplicate sweep at the end of the phase finds the other by
// identity, deletes it (journaled) and reports the count. The final state
// is the one of an uninterrupted run, and Undo still removes everything
// the migration made.
func TestSweepDeletesDuplicateByIdentity(t *testing.T) {
	o := envOptions{patients: size(20), seed: 21}
	want := cachedBaseline(t, o)
	for _, route := range []string{"POST /contacts/", "POST /contacts/{contactId}/notes"} {
		t.Run(route, func(t *testing.T) {
			e := newEnv(t, o)
			ctx := context.Background()
			_, err := e.migration(nil).ApplySchema(ctx)
			require.NoError(t, err)
			p := newLateProxy(t, e.hl, route, twiceLost, 0, func(n int64) bool { return n%7 == 3 })
			if route != "POST /contacts/" {
				p.route = "" // matched by prefix below
				p.match = func(method, path string) bool {
					return method == "POST" && len(path) > 10 && path[len(path)-6:] == "/notes"
				}
			}
			retarget(t, e, p.srv.URL)
			rep, err := e.migration(inflightOptions).Load(ctx)
			require.NoError(t, err)
			planted := int(p.applied.Load()) / 2
			require.Positive(t, planted)
			assert.Equal(t, planted, rep.Swept, "one duplicate deleted per doubled create")
			assert.Empty(t, e.identityDuplicates())
			sameState(t, want, e.fingerprint())
			assertSettled(t, e)
			deletes := 0
			for en, err := range e.ledger.Entries(ctx, rollback.EntryFilter{Outcomes: []rollback.OutcomeStatus{rollback.OutcomeDone}}) {
				require.NoError(t, err)
				if en.Op == rollback.OpDelete {
					deletes++
					assert.True(t, en.HasBefore(), "a swept duplicate is journaled with its before-image")
				}
			}
			assert.Equal(t, planted, deletes)

			_, err = e.migration(nil).Undo(ctx, pbnhl.UndoOptions{})
			require.NoError(t, err)
			assert.Zero(t, e.hl.Count(hltest.DefaultLocationID, hltest.KindContact), "undo leaves no contact of the migration")
		})
	}
}

// TestHappyPathSweepsNothing: without unknown outcomes the sweep makes no
// call (BenchmarkRun keeps the design minimum).
func TestHappyPathSweepsNothing(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(20), seed: 27})
	rep := migrate(t, e, nil)
	assert.Zero(t, rep.Swept)
	_, ok := rep.Object(pbnhl.PhaseSweep)
	assert.False(t, ok, "no sweep without a lookup")
}

// TestTaskSettledAndSweptByMarker: with communications loaded as tasks,
// HighLevel applies some task creates twice and loses the answer. Each is
// settled by its marker (tasks tell no creation time), and the sweep
// deletes the second copy.
func TestTaskSettledAndSweptByMarker(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(20), seed: 29, notes: true})
	for i := range e.m.Objects {
		o := &e.m.Objects[i]
		if o.Name != "communications" {
			continue
		}
		o.Target = mapping.TargetTask
		o.Fields = []mapping.Field{
			{Template: "{channel} {direction}", To: "title", Required: true},
			{Template: "{subject} — {body}", To: "body", Transform: mapping.Chain{{Name: "collapse"}}},
			{From: "at", To: "dueDate", Transform: mapping.Chain{{Name: "timestamp"}}, Required: true},
		}
	}
	require.NoError(t, e.m.Approve("test", time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)))
	ctx := context.Background()
	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)
	p := newLateProxy(t, e.hl, "", twiceLost, 0, func(n int64) bool { return n%9 == 4 })
	p.match = func(method, path string) bool { return method == "POST" && strings.HasSuffix(path, "/tasks") }
	retarget(t, e, p.srv.URL)
	rep, err := e.migration(inflightOptions).Load(ctx)
	require.NoError(t, err)
	planted := int(p.applied.Load()) / 2
	require.Positive(t, planted)
	assert.Equal(t, planted, rep.Swept)
	c, _ := rep.Object("communications")
	assert.Zero(t, c.Rejected)
	var tasks int64
	for range e.ledger.IDMap(ctx, rollback.TypeTask) {
		tasks++
	}
	assert.Equal(t, c.Written, tasks)
	assert.EqualValues(t, tasks, e.hl.Count(hltest.DefaultLocationID, hltest.KindTask), "one task per communication")
	assertSettled(t, e)
}
