package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// ids reads an export's ids per entity.
func exportIDs(t *testing.T, dir string) map[pbn.Entity][]pbn.Key {
	t.Helper()
	r, err := pbn.OpenExport(dir, pbn.ExportOptions{})
	require.NoError(t, err)
	out := map[pbn.Entity][]pbn.Key{}
	for _, e := range []pbn.Entity{pbn.EntityPatients, pbn.EntityAppointments, pbn.EntityCoverages, pbn.EntityCommunications, pbn.EntityDocuments} {
		it, err := pbn.Records(context.Background(), r, e, pbn.ListOptions{})
		require.NoError(t, err)
		for rec, err := range it {
			require.NoError(t, err)
			out[e] = append(out[e], reflect.Indirect(reflect.ValueOf(rec)).FieldByName("ID").Interface().(pbn.Key))
		}
	}
	return out
}

// -export DIR -mutate N writes the practice to DIR and, after adding,
// changing and deleting N records each, to DIR-mutated, with the ids of
// what changed beside it: the second export has the created records, not
// the deleted ones (they are in its deletions.csv), and is the same on
// every run with the seed.
func TestExportMutated(t *testing.T) {
	base := filepath.Join(t.TempDir(), "export")
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-patients", "30", "-seed", "3", "-export", base, "-mutate", "4"}, &out, nil))
	assert.Contains(t, out.String(), "mutated: ")
	second := base + "-mutated"
	var ch struct {
		Created, Updated, Deleted map[pbn.Entity][]pbn.Key
	}
	data, err := os.ReadFile(second + ".changes.json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &ch))
	count := func(m map[pbn.Entity][]pbn.Key) (n int) {
		for _, ids := range m {
			n += len(ids)
		}
		return n
	}
	assert.Equal(t, 4, count(ch.Updated))
	assert.Equal(t, 4, count(ch.Deleted))
	assert.GreaterOrEqual(t, count(ch.Created), 4, "a created patient comes with its chart")

	before, after := exportIDs(t, base), exportIDs(t, second)
	for e, ids := range ch.Created {
		for _, id := range ids {
			if _, listed := before[e]; !listed {
				continue
			}
			assert.NotContains(t, before[e], id, "%s %s is new", e, id)
			assert.Contains(t, after[e], id, "%s %s is in the second export", e, id)
		}
	}
	for e, ids := range ch.Deleted {
		for _, id := range ids {
			assert.Contains(t, before[e], id)
			assert.NotContains(t, after[e], id, "%s %s was deleted", e, id)
		}
	}
	dels, err := os.ReadFile(filepath.Join(second, pbn.DeletionsFileName))
	require.NoError(t, err)
	assert.Equal(t, 1+4, bytes.Count(dels, []byte("\n")), "deletions.csv: header and one row per deletion")
	_, err = os.Stat(filepath.Join(base, pbn.DeletionsFileName))
	assert.True(t, os.IsNotExist(err), "the first export has no deletions")

	// Same seed, same exports.
	again := filepath.Join(t.TempDir(), "export")
	require.NoError(t, run(context.Background(), []string{"-patients", "30", "-seed", "3", "-export", again, "-mutate", "4"}, &bytes.Buffer{}, nil))
	for _, e := range pbn.Entities() {
		a, err := os.ReadFile(filepath.Join(second, e.FileName()))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(again+"-mutated", e.FileName()))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(a, b), "%s differs between two runs with one seed", e)
	}
	assert.True(t, slices.Equal(exportIDs(t, second)[pbn.EntityPatients], after[pbn.EntityPatients]))

	assert.Error(t, run(context.Background(), []string{"-patients", "5", "-export", base, "-mutate", "1", "-mutated-export", base}, &bytes.Buffer{}, nil))
}
