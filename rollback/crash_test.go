package rollback

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCrashHelperProcess is the child of TestProcessCrash: it journals and
// dies abruptly (os.Exit, no Close, no deferred cleanup) between an intent
// and its outcome. It does nothing in a normal test run.
func TestCrashHelperProcess(t *testing.T) {
	path := os.Getenv("ROLLBACK_CRASH_LEDGER")
	if path == "" {
		t.Skip("helper process for TestProcessCrash")
	}
	ctx := context.Background()
	l, err := Open(ctx, path, Options{Key: testKey(6), Logger: quietLogger()})
	if err != nil {
		os.Exit(2)
	}
	run, err := l.BeginRun(ctx, RunOptions{Kind: KindFull})
	if err != nil {
		os.Exit(2)
	}
	for i := range 50 {
		key := "p" + strconv.Itoa(i)
		seq, err := run.Intent(ctx, Intent{Op: OpCreate, ObjectType: "contact", SourceKey: key, Payload: []byte(`{"i":` + strconv.Itoa(i) + `}`)})
		if err != nil {
			os.Exit(2)
		}
		if i == 49 {
			os.Exit(3) // the call is "in flight": no outcome will ever be written
		}
		if err := run.Outcome(ctx, seq, Done("hl-"+key)); err != nil {
			os.Exit(2)
		}
	}
}

// TestProcessCrash kills a real process between intent and outcome and
// checks that the next process finds exactly that intent pending, with
// everything acknowledged before the crash intact.
func TestProcessCrash(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		if testing.Short() {
			t.Skip("spawns a process")
		}
		path := newLocation(t)
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$")
		cmd.Env = append(os.Environ(), "ROLLBACK_CRASH_LEDGER="+path)
		err := cmd.Run()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit)
		require.Equal(t, 3, exit.ExitCode())

		ctx := context.Background()
		l := openTest(t, path, Options{Key: testKey(6)})
		pending := collect(t, l.Pending(ctx, true))
		require.Len(t, pending, 1)
		assert.Equal(t, "p49", pending[0].SourceKey)
		p, err := l.Payload(ctx, pending[0])
		require.NoError(t, err)
		assert.JSONEq(t, `{"i":49}`, string(p))
		assert.Len(t, collect(t, l.IDMap(ctx, "contact")), 49)
		runs, err := l.Runs(ctx)
		require.NoError(t, err)
		require.Len(t, runs, 1)
		assert.Equal(t, StatusRunning, runs[0].Status)
		assert.Equal(t, Counters{Intents: 50, Done: 49, Pending: 1}, runs[0].Counters)
	})
}
