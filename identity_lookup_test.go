package pbnhl_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/rollback"
)

// TestLostBusinessCreateNeverAdoptsLookalike: the location already holds,
// for every office, a business with exactly the fields the migration will
// write (left by an earlier migration with another ledger — one without
// a marker, one with another migration's marker, one even with this
// migration's marker), created an hour ago.
// Every business create is applied but its answer lost. The settle-lookup
// must find the migration's own copy by its identity marker, never a
// look-alike; the look-alikes stay untouched, and Undo removes only what
// the migration created.
func TestLostBusinessCreateNeverAdoptsLookalike(t *testing.T) {
	// HighLevel's clock runs an hour behind until the run (its creation
	// stamps never go backwards, so everything before the run is dated
	// then): the look-alikes are an hour old when the run starts.
	var offset atomic.Int64
	offset.Store(int64(-time.Hour))
	o := envOptions{patients: size(20), seed: 31, hlClock: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }}
	e := newEnv(t, o)
	ctx := context.Background()
	_, err := e.migration(nil).ApplySchema(ctx)
	require.NoError(t, err)

	// What the run will write for each office, from a dry run.
	dry, err := e.migration(func(o *pbnhl.Options) { o.DryRun = true }).Load(ctx)
	require.NoError(t, err)
	info, err := e.ledger.Info(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, info.MigrationID)
	lookalikes := map[string]highlevel.Business{}
	offices := 0
	for _, w := range dry.Written {
		if w.ObjectType != rollback.TypeBusiness {
			continue
		}
		offices++
		var in highlevel.BusinessInput
		require.NoError(t, json.Unmarshal(w.Body, &in))
		plain := in
		plain.Description = strings.TrimSpace(in.Description[:strings.Index(in.Description, "pbnhl-id ")])
		other := in
		other.Description = plain.Description + "\n\npbnhl-id 00000000000000000000000000000000/business/" + w.SourceKey
		// Even one carrying this migration's own marker: created before
		// the intent, it cannot be what the intent created.
		early := in
		early.Description = plain.Description + "\n\npbnhl-id " + info.MigrationID + "/business/" + w.SourceKey
		for _, b := range []highlevel.BusinessInput{plain, other, early} {
			got, err := e.client.Businesses.Create(ctx, b)
			require.NoError(t, err)
			lookalikes[got.ID] = *got
		}
	}
	require.Positive(t, offices)
	offset.Store(0)

	faults, err := hltest.ParseFaults("POST /businesses/:lost=1")
	require.NoError(t, err)
	e.hl.SetFaults(faults...)
	rep, err := e.migration(inflightOptions).Load(ctx)
	require.NoError(t, err)
	e.hl.SetFaults()

	p, _ := rep.Object("offices")
	assert.Equal(t, int64(offices), p.Written, "every office settled by lookup as written")
	assert.Zero(t, p.Rejected)
	ours := map[string]bool{}
	for mp, err := range e.ledger.IDMap(ctx, rollback.TypeBusiness) {
		require.NoError(t, err)
		_, stolen := lookalikes[mp.HighLevelID]
		assert.False(t, stolen, "office %s mapped to a business that existed before the run", mp.SourceKey)
		ours[mp.HighLevelID] = true
	}
	assert.Len(t, ours, offices)
	assert.Equal(t, offices*4, e.hl.Count(hltest.DefaultLocationID, hltest.KindBusiness), "no second copy of ours")
	checkLookalikes(t, e, lookalikes)
	assertSettled(t, e)

	_, err = e.migration(nil).Undo(ctx, pbnhl.UndoOptions{})
	require.NoError(t, err)
	checkLookalikes(t, e, lookalikes)
	for id := range ours {
		_, err := e.client.Businesses.Get(ctx, id)
		assert.ErrorIs(t, err, highlevel.ErrNotFound, "undo removes the business the migration created")
	}
}

// checkLookalikes: every pre-existing business is there, unchanged.
func checkLookalikes(t *testing.T, e *env, want map[string]highlevel.Business) {
	t.Helper()
	for id, b := range want {
		got, err := e.client.Businesses.Get(context.Background(), id)
		require.NoError(t, err, "pre-existing business %s must survive", id)
		assert.Equal(t, b.Description, got.Description)
		assert.Equal(t, b.Name, got.Name)
		assert.True(t, b.UpdatedAt.Equal(got.UpdatedAt.Time), "pre-existing business %s untouched", id)
	}
}
