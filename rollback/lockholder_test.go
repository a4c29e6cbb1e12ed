package rollback

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A PostgreSQL writer lock whose session belongs to a ledger process of
// this host that has exited is waited for (the server ends the session
// asynchronously: TestProcessCrash/postgres opened right after the kill);
// any other holder is reported at once (TestLedgerOnPostgres expects
// ErrLedgerLocked while its child runs).
func TestLedgerProcessGone(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	require.NoError(t, cmd.Run())
	exited := cmd.ProcessState.Pid()
	app := func(pid int, host string) string { return fmt.Sprintf("pbnhl ledger (pid %d on %s)", pid, host) }

	assert.True(t, ledgerProcessGone(app(exited, hostName())), "an exited process of this host")
	assert.False(t, ledgerProcessGone(app(os.Getpid(), hostName())), "this process")
	assert.False(t, ledgerProcessGone(app(os.Getppid(), hostName())), "a running process")
	assert.False(t, ledgerProcessGone(app(exited, hostName()+"-elsewhere")), "another host: cannot tell")
	assert.False(t, ledgerProcessGone("psql"), "not a ledger's session")
	assert.False(t, ledgerProcessGone(""), "unknown")
}
