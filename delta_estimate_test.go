package pbnhl_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// TestDeltaEstimateCountsTagCalls: a delta's estimate (its dry run, what
// `pbn2hl delta -dry-run` prints) counts the tag calls a contact update
// makes beside the read of its before-image and the update itself — one
// to add the map's tags when the patient has any, one to remove the map's
// own cohort tags it does not have when there are any — and the delta
// then spends exactly that, per object (no fault: no call is retried or
// settled by lookup), as the calls HighLevel accepted show.
func TestDeltaEstimateCountsTagCalls(t *testing.T) {
	day := pbntest.DefaultAsOf.Add(24 * time.Hour)
	e := newEnv(t, envOptions{patients: size(30), seed: 3, now: func() time.Time { return day }})
	ctx := context.Background()
	cohorts := e.pbn.Practice().Cohorts()
	require.NotEmpty(t, cohorts)
	require.NoError(t, e.m.TagCohorts(cohorts))
	require.NoError(t, e.m.Approve("test", time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)))
	migrate(t, e, nil)
	var contacts string // the map's contact object
	for _, o := range e.m.Objects {
		if o.Target == mapping.TargetContact {
			contacts = o.Name
		}
	}
	require.NotEmpty(t, contacts)

	e.pbn.MutateWith(pbntest.MutateOptions{Update: 25})
	dry, err := e.migration(func(o *pbnhl.Options) { o.DryRun = true }).Delta(ctx)
	require.NoError(t, err)

	ops := acceptedCalls("contacts.create", "contacts.get", "contacts.update", "contacts.addTags", "contacts.removeTags")
	hook := ops.count
	e.hook.Store(&hook)
	rep, err := e.migration(nil).Delta(ctx)
	e.hook.Store(nil)
	require.NoError(t, err)

	got, ok := rep.Object(contacts)
	require.True(t, ok)
	require.Positive(t, got.Written, "the delta updated contacts")
	adds, removes := ops.n["contacts.addTags"].Load(), ops.n["contacts.removeTags"].Load()
	require.Positive(t, adds, "updated members of a cohort get their tags added")
	require.Positive(t, removes, "updated contacts lose the tags of cohorts they are not in")
	// A patient the mutation made valid is created (one call, its tags in
	// the create); the others are updated.
	creates, reads, updates := ops.n["contacts.create"].Load(), ops.n["contacts.get"].Load(), ops.n["contacts.update"].Load()
	require.Positive(t, updates)
	assert.Equal(t, got.Written, creates+updates, "a create or an update per contact written")
	assert.Equal(t, updates, reads, "one before-image read per updated contact")
	assert.LessOrEqual(t, adds+removes, 2*updates, "at most two tag calls per updated contact")
	assert.Equal(t, creates+reads+updates+adds+removes, got.Calls, "the delta counts every call it makes for contacts, tag calls included")

	est, ok := dry.Object(contacts)
	require.True(t, ok)
	assert.Equal(t, got.Written, est.Written, "the estimate's updated contacts")
	assert.Equal(t, got.Calls, est.Calls, "the estimate is the calls the delta spent on contacts")
	for _, o := range rep.Objects {
		d, _ := dry.Object(o.Object)
		assert.Equal(t, o.Calls, d.Calls, "%s: estimated calls", o.Object)
	}
}

// accepted counts the calls HighLevel accepted of some operations (an
// attempt refused with 429 and tried again is not a second call of the
// run); the hook runs on the phase's workers.
type accepted struct{ n map[string]*atomic.Int64 }

func acceptedCalls(ops ...string) *accepted {
	a := &accepted{n: map[string]*atomic.Int64{}}
	for _, op := range ops {
		a.n[op] = new(atomic.Int64)
	}
	return a
}

func (a *accepted) count(c highlevel.Call) {
	if n, ok := a.n[c.Operation]; ok && c.StatusCode/100 == 2 {
		n.Add(1)
	}
}
