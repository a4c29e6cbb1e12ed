package reconcile_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/reconcile"
	"github.com/pbnhl/pbnhl/rollback"
)

// A contact a delta updated still holds what its create set: HighLevel's
// contact update takes no gender, so the update body has none, and the
// population's mapped figure must not drop the updated contacts' gender
// (it read 78% against HighLevel's 97% in the README session before).
func TestPopulationCountsCreateFieldsAfterAnUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := migrated(t, 20)
	gender := func() reconcile.Population {
		rep := e.run(t, reconcile.Options{Full: true, Sample: -1, Seed: 1})
		for _, p := range rep.Population {
			if p.ObjectType == rollback.TypeContact && p.Field == "gender" {
				return p
			}
		}
		t.Fatal("no population line for the contact's gender")
		return reconcile.Population{}
	}
	before := gender()
	require.Positive(t, before.Sent)
	require.Equal(t, before.Sent, before.Stored, "after the run, bodies and HighLevel agree")

	e.ps.MutateWith(pbntest.MutateOptions{Update: 15})
	mig, err := pbnhl.New(e.opts)
	require.NoError(t, err)
	_, err = mig.Delta(ctx)
	require.NoError(t, err)
	updated := 0
	for en, err := range e.ledger.Entries(ctx, rollback.EntryFilter{}) {
		require.NoError(t, err)
		if en.ObjectType == rollback.TypeContact && en.Op == rollback.OpUpdate && en.Outcome == rollback.OutcomeDone {
			updated++
		}
	}
	require.Positive(t, updated, "the delta updated contacts")

	after := gender()
	assert.Equal(t, after.Stored, after.Sent, "the mapped figure counts the gender the updated contacts' creates set")
	assert.GreaterOrEqual(t, after.Sent, before.Sent-1)
}
