package rollback

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHelperProcessHoldsRun is not a test: run by
// TestKilledProcessRunClosedAsInterrupted in a child process, it begins a
// run, journals an intent, prints the run id and waits to be killed.
func TestHelperProcessHoldsRun(t *testing.T) {
	path := os.Getenv("ROLLBACK_HELPER_LEDGER")
	if path == "" {
		t.Skip("helper process only")
	}
	ctx := context.Background()
	l, err := Open(ctx, path, Options{Plaintext: true, Logger: quietLogger()})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	run, err := l.BeginRun(ctx, RunOptions{Kind: KindFull})
	if err == nil {
		_, err = run.Intent(ctx, Intent{Op: OpCreate, ObjectType: TypeContact, SourceKey: "p1", Payload: []byte(`{}`)})
	}
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	fmt.Println("run", run.ID())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until killed
	os.Exit(0)
}

// TestKilledProcessRunClosedAsInterrupted: a run another live process
// holds is neither closed nor resumable; once that process is killed
// (SIGKILL: it finishes nothing), the next BeginRun closes its run as
// interrupted, and ResumeRun can take it up with its pending intent.
func TestKilledProcessRunClosedAsInterrupted(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		if runtime.GOOS == "windows" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
			t.Skip("probing another process's liveness needs a unix")
		}
		ctx := context.Background()
		path := newLocation(t)
		pg := onPostgres(t)
		var l *Ledger
		if !pg {
			l = openTest(t, path, Options{})
		}

		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessHoldsRun$", "-test.count=1")
		cmd.Env = append(os.Environ(), "ROLLBACK_HELPER_LEDGER="+path)
		stdin, err := cmd.StdinPipe()
		require.NoError(t, err)
		defer stdin.Close()
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		killed := false
		defer func() {
			if !killed {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
		}()
		line, err := bufio.NewReader(out).ReadString('\n')
		require.NoError(t, err)
		f := strings.Fields(line)
		require.Len(t, f, 2, "helper said %q", line)
		require.Equal(t, "run", f[0], "helper said %q", line)
		n, err := strconv.Atoi(f[1])
		require.NoError(t, err)
		held := RunID(n)

		if pg {
			// Alive: on PostgreSQL the ledger has one writer, so a second
			// writable Open is refused, naming the helper's session; a
			// read-only one sees its run running.
			_, err := Open(ctx, path, Options{Plaintext: true, Logger: quietLogger()})
			require.ErrorIs(t, err, ErrLedgerLocked)
			var le *LockedError
			require.ErrorAs(t, err, &le)
			assert.Contains(t, le.Holder, fmt.Sprintf("pid %d on", cmd.Process.Pid))
			ro := openTest(t, path, Options{ReadOnly: true})
			ri, err := ro.Run(ctx, held)
			require.NoError(t, err)
			assert.Equal(t, StatusRunning, ri.Status)
			require.NoError(t, ro.Close())
		} else {
			// Alive: its run stays running, and nobody else may journal into it.
			other, err := l.BeginRun(ctx, RunOptions{Kind: KindDelta})
			require.NoError(t, err)
			require.NoError(t, other.Finish(ctx, StatusSucceeded))
			ri, err := l.Run(ctx, held)
			require.NoError(t, err)
			assert.Equal(t, StatusRunning, ri.Status)
			_, err = l.ResumeRun(ctx, held)
			require.ErrorIs(t, err, ErrRunHeld)
		}

		// Killed: the next BeginRun closes it.
		require.NoError(t, cmd.Process.Kill())
		_ = cmd.Wait()
		killed = true
		if pg {
			// The server frees the lock when it sees the session end.
			l = openWhenUnlocked(t, path, Options{})
		}
		next, err := l.BeginRun(ctx, RunOptions{Kind: KindDelta})
		require.NoError(t, err)
		require.NoError(t, next.Finish(ctx, StatusSucceeded))
		ri, err := l.Run(ctx, held)
		require.NoError(t, err)
		assert.Equal(t, StatusInterrupted, ri.Status)
		assert.False(t, ri.FinishedAt.IsZero())
		assert.Equal(t, int64(1), ri.Counters.Pending, "its intent is still pending, for the runner to settle")

		resumed, err := l.ResumeRun(ctx, held)
		require.NoError(t, err)
		ri, err = l.Run(ctx, held)
		require.NoError(t, err)
		assert.Equal(t, StatusRunning, ri.Status)
		seq, err := resumed.Intent(ctx, Intent{Op: OpCreate, ObjectType: TypeContact, SourceKey: "p2"})
		require.NoError(t, err)
		assert.Equal(t, Seq(2), seq)
	})
}

// TestClosedHandleRunClosedAsInterrupted: within one process, a run whose
// Ledger handle was closed without finishing it (the process's view of a
// crash) is closed as interrupted by the next BeginRun or ResumeRun; a run
// of a handle still open is left running.
func TestClosedHandleRunClosedAsInterrupted(t *testing.T) {
	eachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		path := newLocation(t)
		a := openTest(t, path, Options{})
		crashed, err := a.BeginRun(ctx, RunOptions{Kind: KindFull})
		require.NoError(t, err)
		require.NoError(t, a.Close())

		b := openTest(t, path, Options{})
		live, err := b.BeginRun(ctx, RunOptions{Kind: KindSchema})
		require.NoError(t, err)
		if onPostgres(t) {
			// One writer per PostgreSQL ledger: a second handle is refused
			// while b is open, and b's own BeginRun closed the run of the
			// closed handle as interrupted.
			_, err := Open(ctx, path, Options{Plaintext: true, Logger: quietLogger()})
			require.ErrorIs(t, err, ErrLedgerLocked)
			ri, err := b.Run(ctx, crashed.ID())
			require.NoError(t, err)
			assert.Equal(t, StatusInterrupted, ri.Status)
			require.NoError(t, b.Close())
			c := openTest(t, path, Options{})
			_, err = c.ResumeRun(ctx, crashed.ID())
			require.NoError(t, err)
			ri, err = c.Run(ctx, live.ID())
			require.NoError(t, err)
			assert.Equal(t, StatusInterrupted, ri.Status, "its handle was closed")
			return
		}
		c := openTest(t, path, Options{})
		undo, err := c.BeginRun(ctx, RunOptions{Kind: KindUndo})
		require.NoError(t, err)
		status := func(id RunID) RunStatus {
			ri, err := c.Run(ctx, id)
			require.NoError(t, err)
			return ri.Status
		}
		assert.Equal(t, StatusInterrupted, status(crashed.ID()))
		assert.Equal(t, StatusRunning, status(live.ID()), "its handle is open")

		// The other handle of this process may still take it up (in-process
		// callers that abandoned a Run handle resume it); closing b makes it
		// a dead run for the next ResumeRun.
		require.NoError(t, b.Close())
		_, err = c.ResumeRun(ctx, crashed.ID())
		require.NoError(t, err)
		assert.Equal(t, StatusInterrupted, status(live.ID()))
		assert.Equal(t, StatusRunning, status(crashed.ID()))
		assert.Equal(t, StatusRunning, status(undo.ID()))
	})
}
