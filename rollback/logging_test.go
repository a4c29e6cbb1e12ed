package rollback

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 19.8: a library logs only to the logger its host passes. Open
// (here of a plaintext ledger, which has something to say) and an undo
// without Options.Logger write nothing to stderr nor to slog's or log's
// default loggers; with a Logger, the record reaches it.
func TestOpenWritesNothingUnasked(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		// Global state: no t.Parallel.
		var std bytes.Buffer
		prevSlog := slog.Default()
		slog.SetDefault(slog.New(slog.NewTextHandler(&std, nil)))
		t.Cleanup(func() { slog.SetDefault(prevSlog) })
		prevLog := log.Writer()
		log.SetOutput(&std)
		t.Cleanup(func() { log.SetOutput(prevLog) })
		r, w, err := os.Pipe()
		require.NoError(t, err)
		prevErr := os.Stderr
		os.Stderr = w
		t.Cleanup(func() { os.Stderr = prevErr })

		ctx := context.Background()
		path := newLocation(t)
		l, err := Open(ctx, path, Options{Plaintext: true})
		require.NoError(t, err)
		run, err := l.BeginRun(ctx, RunOptions{Kind: KindDelta})
		require.NoError(t, err)
		seq, err := run.Intent(ctx, Intent{Op: OpUpdate, ObjectType: "contact", SourceKey: "p1", TargetID: "c1", Payload: []byte(`{}`), Before: []byte(`{}`)})
		require.NoError(t, err)
		require.NoError(t, run.Outcome(ctx, seq, Done("c1")))
		require.NoError(t, run.Finish(ctx, StatusSucceeded))
		_, err = l.Purge(ctx, PurgeOptions{Runs: []RunID{run.ID()}}) // logs what it purged
		require.NoError(t, err)
		require.NoError(t, l.Close())

		os.Stderr = prevErr
		require.NoError(t, w.Close())
		stderr, err := io.ReadAll(r)
		require.NoError(t, err)
		assert.Empty(t, string(stderr), "nothing on stderr")
		assert.Empty(t, std.String(), "nothing through the default loggers")

		// The host's logger gets the warning.
		var host bytes.Buffer
		l, err = Open(ctx, path, Options{Plaintext: true, Logger: slog.New(slog.NewTextHandler(&host, nil))})
		require.NoError(t, err)
		require.NoError(t, l.Close())
		assert.Contains(t, host.String(), "in clear")
		assert.Empty(t, std.String())
	})
}
