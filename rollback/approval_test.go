package rollback

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSampleApproval: approvals are kept in order, the latest is returned,
// they survive a reopen, and with a key the actor (a person's name) is not
// in the file in clear.
func TestSampleApproval(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		path := newLocation(t)
		key := bytes.Repeat([]byte{7}, 32)
		l := openTest(t, path, Options{Key: key})

		a, err := l.SampleApproval(ctx)
		require.NoError(t, err)
		assert.Nil(t, a, "a new ledger holds no approval")

		at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
		require.NoError(t, l.ApproveSample(ctx, SampleApproval{Actor: "Dr Quillfeather", MapDigest: "map1", ReportDigest: "rep1", At: at}))
		require.NoError(t, l.ApproveSample(ctx, SampleApproval{Actor: "Dr Quillfeather", MapDigest: "map2", ReportDigest: "rep2", At: at})) // same instant
		require.NoError(t, l.ApproveSample(ctx, SampleApproval{Actor: "ops", MapDigest: "map3", ReportDigest: "rep3"}))                     // the ledger's clock

		a, err = l.SampleApproval(ctx)
		require.NoError(t, err)
		require.NotNil(t, a)
		assert.Equal(t, "map3", a.MapDigest)
		assert.Equal(t, "ops", a.Actor)
		assert.False(t, a.At.IsZero())

		all, err := l.SampleApprovals(ctx)
		require.NoError(t, err)
		require.Len(t, all, 3)
		assert.Equal(t, []string{"rep1", "rep2", "rep3"}, []string{all[0].ReportDigest, all[1].ReportDigest, all[2].ReportDigest})
		assert.Equal(t, at, all[0].At)

		var clear int
		require.NoError(t, rawDB(t, l).QueryRow(`SELECT count(*) FROM meta WHERE value LIKE '%Quillfeather%'`).Scan(&clear))
		assert.Zero(t, clear, "the actor is sealed with the ledger's key")
		require.NoError(t, l.Close())

		l2 := openTest(t, path, Options{Key: key})
		a, err = l2.SampleApproval(ctx)
		require.NoError(t, err)
		require.NotNil(t, a)
		assert.Equal(t, "rep3", a.ReportDigest)

		// A blob moved to another approval's row fails to open.
		db := rawDB(t, l2)
		_, err = db.Exec(`UPDATE meta SET value = (SELECT value FROM meta WHERE key LIKE 'sample_approval/%' ORDER BY key LIMIT 1)
		WHERE key = (SELECT key FROM meta WHERE key LIKE 'sample_approval/%' ORDER BY key DESC LIMIT 1)`)
		require.NoError(t, err)
		_, err = l2.SampleApproval(ctx)
		assert.ErrorIs(t, err, ErrWrongKey)
	})
}

func TestSampleApprovalRefuses(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		for _, a := range []SampleApproval{
			{MapDigest: "m", ReportDigest: "r"},
			{Actor: "ops", ReportDigest: "r"},
			{Actor: "ops", MapDigest: "m"},
		} {
			assert.Error(t, l.ApproveSample(ctx, a))
		}
		got, err := l.SampleApproval(ctx)
		require.NoError(t, err)
		assert.Nil(t, got)

		path := filepath.Join(t.TempDir(), "ro.db")
		openTest(t, path, Options{}).Close()
		ro := openTest(t, path, Options{ReadOnly: true})
		assert.ErrorIs(t, ro.ApproveSample(ctx, SampleApproval{Actor: "ops", MapDigest: "m", ReportDigest: "r"}), ErrReadOnly)
	})
}

func TestSampleSkipped(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		l := openTest(t, "", Options{})
		r1, err := l.BeginRun(ctx, RunOptions{Kind: KindFull, MapDigest: "m", Location: "loc"})
		require.NoError(t, err)
		require.NoError(t, r1.SkipSample(ctx))
		require.NoError(t, r1.Finish(ctx, StatusSucceeded))
		r2, err := l.BeginRun(ctx, RunOptions{Kind: KindFull, MapDigest: "m", Location: "loc"})
		require.NoError(t, err)
		for id, want := range map[RunID]bool{r1.ID(): true, r2.ID(): false} {
			got, err := l.SampleSkipped(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, want, got, "run %s", id)
		}
	})
}
