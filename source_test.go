package pbnhl_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/mapping"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
)

// Issue 19.8: source counts without a full preflight — the same tallies as
// Preflight's, before the location has a schema, with no HighLevel call
// and nothing recorded in the ledger.
func TestSourceCounts(t *testing.T) {
	e := newEnv(t, envOptions{patients: size(30), seed: 23})
	ctx := context.Background()
	rep, err := e.migration(nil).SourceCounts(ctx)
	require.NoError(t, err)
	assert.Zero(t, e.calls.Load(), "no HighLevel call")
	runs, err := e.ledger.Runs(ctx)
	require.NoError(t, err)
	assert.Empty(t, runs, "no run recorded")
	assert.Empty(t, rep.Blockers)
	digest, err := e.m.Digest()
	require.NoError(t, err)
	assert.Equal(t, digest, rep.MapDigest)

	// Preflight (which does call HighLevel) counts the same records.
	pre, err := e.migration(nil).Preflight(ctx)
	require.NoError(t, err)
	want := pre.Validation.Objects()
	order, err := e.m.Order()
	require.NoError(t, err)
	require.Len(t, rep.Objects, len(order), "every map object the history policy runs, in the map's order")
	for i, c := range rep.Objects {
		o := order[i]
		assert.Equal(t, o.Name, c.Object)
		assert.Equal(t, o.Source, c.Entity)
		assert.Equal(t, o.RecordType(), c.RecordType)
		w := want[c.Object]
		assert.Equal(t, [4]int{w.Records, w.Valid, w.Invalid, w.Skipped}, [4]int{c.Records, c.Valid, c.Invalid, c.Skipped}, c.Object)
		assert.Equal(t, c.Records, c.Valid+c.Invalid+c.Skipped, c.Object)
		assert.False(t, c.Unreadable)
	}
	patients := rep.Objects[indexOf(rep.Objects, "patients")]
	assert.Equal(t, len(slices.Collect(e.pbn.Practice().Patients())), patients.Records, "one record per patient")
	assert.Positive(t, patients.Valid)
	assert.Equal(t, rep.Validation.Objects()["patients"].Valid, patients.Valid)
}

func indexOf(cs []pbnhl.ObjectCount, object string) int {
	for i, c := range cs {
		if c.Object == object {
			return i
		}
	}
	return -1
}

// A source file cut short is a blocker of the report, its object marked
// unreadable with the rows read before; the other objects are counted.
func TestSourceCountsUnreadableFile(t *testing.T) {
	x := newExportEnv(t)
	path := filepath.Join(x.dir, "patients.csv")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(b), "\n")
	cutLine := len(lines) / 2
	cut := strings.Join(lines[:cutLine-1], "") + lines[cutLine-1][:len(lines[cutLine-1])/3]
	require.NoError(t, os.WriteFile(path, []byte(cut), 0o600))

	src, err := pbn.OpenExport(x.dir, pbn.ExportOptions{})
	require.NoError(t, err)
	rep, err := x.migration(func(o *pbnhl.Options) { o.Source = src }).SourceCounts(context.Background())
	require.NoError(t, err)
	require.Len(t, rep.Blockers, 1, rep.Blockers)
	assert.Equal(t, pbnhl.BlockSourceFile, rep.Blockers[0].Kind)
	assert.Equal(t, "patients.csv", rep.Blockers[0].File)
	assert.Equal(t, cutLine, rep.Blockers[0].Line)
	p := rep.Objects[indexOf(rep.Objects, "patients")]
	assert.True(t, p.Unreadable)
	assert.Less(t, p.Records, len(slices.Collect(x.pbn.Practice().Patients())), "only the rows before the cut")
	c := rep.Objects[indexOf(rep.Objects, "insurance_carriers")]
	assert.False(t, c.Unreadable)
	assert.Positive(t, c.Valid)
}

// Like every phase, counting refuses a map whose approval does not match
// its content.
func TestSourceCountsRefusesUnapprovedMap(t *testing.T) {
	e := newEnv(t, envOptions{patients: 6, seed: 5})
	data, err := e.m.Marshal()
	require.NoError(t, err)
	m, err := mapping.Parse(data, "unapproved")
	require.NoError(t, err)
	m.Approval = nil
	_, err = e.migration(func(o *pbnhl.Options) { o.Map = m }).SourceCounts(context.Background())
	require.ErrorIs(t, err, mapping.ErrNotApproved)
}
