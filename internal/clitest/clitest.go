// Package clitest runs a command's main as a real process from its own
// tests — the test binary re-run with an environment variable that makes
// it the command — so exit codes and the two streams are the process's,
// and checks the flag conventions the example commands share (-h is a
// request: usage on stdout, exit 0; a mistyped flag is one line and a
// hint on stderr, exit 2).
package clitest

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

// envOf is the variable that makes the test binary be the command name.
func envOf(name string) string { return strings.ToUpper(name) + "_RUN_MAIN" }

// MainProcess is the body of the command's TestMainProcess, which is not
// a test: run by Run, it sets os.Args from the environment and runs main
// (exit 0 when main returns); otherwise it skips.
func MainProcess(t *testing.T, name string, main func()) {
	v := os.Getenv(envOf(name))
	if v == "" {
		t.Skip("helper process only")
	}
	os.Args = append([]string{name}, strings.Fields(v)...)
	main()
	os.Exit(0)
}

// Run runs the test binary as the command with args (split on spaces) and
// returns what it wrote and its exit code. The command's test package
// must call MainProcess from a test named TestMainProcess.
func Run(t *testing.T, name, args string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainProcess$")
	cmd.Env = append(os.Environ(), envOf(name)+"="+args)
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

// HelpAndMistypedFlag checks the conventions: -h, -help and --help print
// the usage (naming the command and flag, one of its flags) on stdout and
// exit 0; mistyped (an unknown flag, then its arguments) prints one line
// and a hint on stderr, nothing on stdout, and exits 2; badValue (a known
// flag given a value it refuses) prints two lines on stderr and exits 2.
func HelpAndMistypedFlag(t *testing.T, name, flag, mistyped, badValue string) {
	t.Helper()
	for _, h := range []string{"-h", "-help", "--help"} {
		out, errOut, code := Run(t, name, h)
		assert.Equal(t, 0, code, h)
		assert.Contains(t, out, "Usage: "+name)
		assert.Contains(t, out, flag)
		assert.Empty(t, errOut, h)
	}
	out, errOut, code := Run(t, name, mistyped)
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	unknown := strings.Fields(mistyped)[0]
	assert.Equal(t, name+": flag provided but not defined: "+unknown+"\nRun '"+name+" -h' for the flags.\n", errOut)

	_, errOut, code = Run(t, name, badValue)
	assert.Equal(t, 2, code)
	assert.Equal(t, 2, strings.Count(errOut, "\n"), errOut)
}
