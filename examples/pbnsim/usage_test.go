package main

import (
	"testing"

	"github.com/pbnhl/pbnhl/internal/clitest"
)

// TestMainProcess is not a test: clitest.Run runs the test binary with
// PBNSIM_RUN_MAIN set to have it be pbnsim, so exit codes and the two
// streams are the real process's.
func TestMainProcess(t *testing.T) { clitest.MainProcess(t, "pbnsim", main) }

// -h is a request, not a mistake: usage on stdout, exit 0. A mistyped flag
// is one line of error and a hint on stderr, exit 2 — not the whole usage.
func TestHelpAndMistypedFlagExit(t *testing.T) {
	clitest.HelpAndMistypedFlag(t, "pbnsim", "-export", "-patiens 5", "-patients x")
}
