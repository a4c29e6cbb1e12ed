package pbnhl

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// records streams every entity through practicebynumbers.Records with the
// model's UpdatedAt as its change stamp (what a delta's watermark reads).
func TestRecordsEveryEntityWithItsStamp(t *testing.T) {
	ps, err := pbntest.NewServer(pbntest.Options{Seed: 3, Patients: 8})
	require.NoError(t, err)
	t.Cleanup(ps.Close)
	src, err := pbn.NewClient(pbn.Options{BaseURL: ps.URL, Token: ps.Token(), HTTPClient: ps.Client(), RateLimit: -1})
	require.NoError(t, err)
	ctx := context.Background()

	want := map[string]time.Time{}
	for p, err := range src.Patients(ctx, pbn.ListOptions{}) {
		require.NoError(t, err)
		want[string(p.ID)] = p.UpdatedAt
	}
	it, err := records(ctx, src, string(pbn.EntityPatients), pbn.ListOptions{})
	require.NoError(t, err)
	n := 0
	for r, err := range it {
		require.NoError(t, err)
		id, _ := r.rec.Get("id")
		require.Contains(t, want, id)
		assert.True(t, want[id].Equal(r.modified), "patient %s stamp", id)
		assert.False(t, r.modified.IsZero())
		n++
	}
	assert.Equal(t, len(want), n)

	for _, e := range pbn.Entities() {
		it, err := records(ctx, src, string(e), pbn.ListOptions{})
		require.NoError(t, err, e)
		for r, err := range it {
			require.NoError(t, err, e)
			assert.False(t, r.modified.IsZero(), "%s: a record without its stamp", e)
			break
		}
	}
	_, err = records(ctx, src, "x-rays", pbn.ListOptions{})
	require.ErrorIs(t, err, ErrUnknownEntity)

	type noStamp struct{ ID int }
	assert.True(t, updatedAt(&noStamp{ID: 1}).IsZero())
	assert.True(t, updatedAt(nil).IsZero())
}
