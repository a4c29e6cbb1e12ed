package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMainProcess is not a test: TestHelpAndMistypedFlagExit runs the test
// binary with PBNSIM_RUN_MAIN set to have it be pbnsim, so exit codes and the
// two streams are the real process's.
func TestMainProcess(t *testing.T) {
	if os.Getenv("PBNSIM_RUN_MAIN") == "" {
		t.Skip("helper process only")
	}
	os.Args = append([]string{"pbnsim"}, strings.Fields(os.Getenv("PBNSIM_RUN_MAIN"))...)
	main()
	os.Exit(0)
}

func runMain(t *testing.T, args string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainProcess$")
	cmd.Env = append(os.Environ(), "PBNSIM_RUN_MAIN="+args)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return o.String(), e.String(), code
}

// -h is a request, not a mistake: usage on stdout, exit 0. A mistyped flag
// is one line of error and a hint on stderr, exit 2 — not the whole usage.
func TestHelpAndMistypedFlagExit(t *testing.T) {
	for _, h := range []string{"-h", "-help", "--help"} {
		out, errOut, code := runMain(t, h)
		assert.Equal(t, 0, code, h)
		assert.Contains(t, out, "Usage: pbnsim")
		assert.Contains(t, out, "-export")
		assert.Empty(t, errOut, h)
	}
	out, errOut, code := runMain(t, "-patiens 5")
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Equal(t, "pbnsim: flag provided but not defined: -patiens\nRun 'pbnsim -h' for the flags.\n", errOut)

	_, errOut, code = runMain(t, "-patients x")
	assert.Equal(t, 2, code)
	assert.Equal(t, 2, strings.Count(errOut, "\n"), errOut)
}
