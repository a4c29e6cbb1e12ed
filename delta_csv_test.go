package pbnhl_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
)

// TestCSVDeltaOverAMutatedExport rehearses a delta from CSV exports, as
// `pbnsim -export DIR -mutate N` writes them: a full run from the first
// export, then a delta from the second (the same practice after records
// were added, changed and deleted, with its deletions.csv). The delta
// writes exactly the added and changed records — nothing else — and sees
// every deletion of a migrated record.
func TestCSVDeltaOverAMutatedExport(t *testing.T) {
	if testing.Short() {
		t.Skip("two loads of 40 patients")
	}
	ctx := context.Background()
	const patients, seed = 40, 7 // newEnv's defaults: the env's map fits this practice
	p, err := pbntest.NewPractice(seed, patients)
	require.NoError(t, err)
	at := p.AsOf().Add(24 * time.Hour)
	sim, err := pbntest.New(pbntest.Options{Practice: p, Now: func() time.Time { return at }})
	require.NoError(t, err)
	first, second := t.TempDir(), t.TempDir()
	_, err = sim.WriteExport(ctx, first, pbntest.ExportOptions{})
	require.NoError(t, err)
	ch := sim.MutateWith(pbntest.MutateOptions{Create: 6, Update: 12, Delete: 6})
	_, err = sim.WriteExport(ctx, second, pbntest.ExportOptions{})
	require.NoError(t, err)

	e := newEnv(t, envOptions{patients: patients, seed: seed})
	open := func(dir string) *pbn.ExportReader {
		r, err := pbn.OpenExport(dir, pbn.ExportOptions{})
		require.NoError(t, err)
		return r
	}
	m := e.migration(func(o *pbnhl.Options) { o.Source = open(first) })
	_, err = m.ApplySchema(ctx)
	require.NoError(t, err)
	_, err = m.Load(ctx)
	require.NoError(t, err)

	idmap := func(typ string) map[string]int64 { // source key → run that last wrote it
		out := map[string]int64{}
		for en, err := range e.ledger.IDMap(ctx, typ) {
			require.NoError(t, err)
			out[en.SourceKey] = int64(en.Run)
		}
		return out
	}
	keys := func(ids []pbn.Key) []string {
		var out []string
		for _, id := range ids {
			out = append(out, string(id))
		}
		return out
	}
	type check struct {
		object string
		entity pbn.Entity
		before map[string]int64
	}
	var checks []check
	for _, name := range []string{"appointments", "procedures", "insurance"} {
		o := e.m.Object(name)
		require.NotNil(t, o, name)
		checks = append(checks, check{name, pbn.Entity(o.Source), idmap(o.RecordType())})
	}
	// Deleted records that reached HighLevel as an object of their own
	// (a record, a note, a document), whatever the map object.
	order, err := e.m.Order()
	require.NoError(t, err)
	migratedDeletions := 0
	for ent, ids := range ch.Deleted {
		for _, k := range keys(ids) {
			for _, o := range order {
				if pbn.Entity(o.Source) != ent || o.RecordType() == "" {
					continue
				}
				if _, ok := idmap(o.RecordType())[k]; ok {
					migratedDeletions++
					break
				}
			}
		}
	}
	require.Positive(t, migratedDeletions)

	m2 := e.migration(func(o *pbnhl.Options) { o.Source = open(second) })
	rep, err := m2.Delta(ctx)
	require.NoError(t, err)
	run := int64(rep.Run)
	require.NotZero(t, run)

	written := 0
	for _, c := range checks {
		changed := append(keys(ch.Created[c.entity]), keys(ch.Updated[c.entity])...)
		after := idmap(e.m.Object(c.object).RecordType())
		for k, r := range after {
			if r == run {
				written++
				assert.Contains(t, changed, k, "%s %s was written by the delta but did not change", c.object, k)
			}
		}
		for _, k := range keys(ch.Created[c.entity]) {
			_, before := c.before[k]
			assert.False(t, before, "%s %s is new", c.object, k)
			if r, ok := after[k]; ok {
				assert.Equal(t, run, r, "%s %s was created by the delta", c.object, k)
			}
		}
		for _, k := range keys(ch.Deleted[c.entity]) {
			assert.False(t, slices.Contains(changed, k))
		}
	}
	assert.Positive(t, written, "the mutation adds and changes appointments, procedures or coverages")
	// Deletions come from the second export's deletions.csv; absence alone
	// is never a deletion (practicebynumbers package doc, "CSV deltas").
	assert.Equal(t, migratedDeletions, rep.Deleted+rep.KeptDeleted, "every deletion of a migrated record is seen")
}
