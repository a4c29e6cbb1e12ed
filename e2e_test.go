package pbnhl_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

func TestRunSmoke(t *testing.T) {
	e := newEnv(t, envOptions{patients: 30})
	ctx := context.Background()
	m := e.migration(nil)
	_, err := m.ApplySchema(ctx)
	require.NoError(t, err)
	pre, err := m.Preflight(ctx)
	require.NoError(t, err)
	require.True(t, pre.Ready(), pre.Blocking)
	rep, err := m.Run(ctx)
	require.NoError(t, err)
	for _, p := range rep.Objects {
		t.Logf("%-20s total=%d written=%d existing=%d skipped=%d invalid=%d rejected=%d calls=%d", p.Object, p.Total, p.Written, p.Existing, p.Skipped, p.Invalid, p.Rejected, p.Calls)
	}
	logProblems(t, e)
	assert.Empty(t, e.identityDuplicates())
	t.Logf("contacts=%d records=%d relations=%d", e.hl.Count(hltest.DefaultLocationID, hltest.KindContact), e.hl.Count(hltest.DefaultLocationID, hltest.KindRecord), e.hl.Count(hltest.DefaultLocationID, hltest.KindRelation))
}

func logProblems(t *testing.T, e *env) {
	for p, err := range e.ledger.Problems(context.Background()) {
		require.NoError(t, err)
		if p.Kind == "rejected" {
			t.Logf("%s %s %s %d %v", p.Kind, p.ObjectType, p.SourceKey, p.HTTPStatus, p.Reasons)
		}
	}
}
