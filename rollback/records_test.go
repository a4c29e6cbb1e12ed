package rollback

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInflightUntilRoundTrip: the in-flight horizon journaled with an
// intent comes back on the pending entry (how a resume decides whether a
// lookup may settle it yet), survives a reopen, and is zero when not given.
func TestInflightUntilRoundTrip(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := openTest(t, path, Options{})
	run, err := l.BeginRun(ctx, RunOptions{Kind: KindFull})
	require.NoError(t, err)
	horizon := time.Date(2026, 12, 4, 13, 31, 2, 123456789, time.UTC)
	seq, err := run.Intent(ctx, Intent{Op: OpCreate, ObjectType: TypeContact, SourceKey: "p1", Payload: []byte(`{}`), InflightUntil: horizon})
	require.NoError(t, err)
	_, err = run.Intent(ctx, Intent{Op: OpCreate, ObjectType: TypeContact, SourceKey: "p2", Payload: []byte(`{}`)})
	require.NoError(t, err)
	require.NoError(t, l.Close())

	l = openTest(t, path, Options{})
	pending := collect(t, l.Pending(ctx, true))
	require.Len(t, pending, 2)
	assert.Equal(t, seq, pending[0].Seq)
	assert.True(t, horizon.Equal(pending[0].InflightUntil), "got %v", pending[0].InflightUntil)
	assert.True(t, pending[1].InflightUntil.IsZero())

	// It stays on the entry once settled (the audit trail shows when the
	// lookup was allowed).
	require.NoError(t, l.Outcome(ctx, run.ID(), seq, Done("c1")))
	done := collect(t, l.Entries(ctx, EntryFilter{Outcomes: []OutcomeStatus{OutcomeDone}}))
	require.Len(t, done, 1)
	assert.True(t, horizon.Equal(done[0].InflightUntil))
}
