package main

import (
	"testing"

	"github.com/pbnhl/pbnhl/internal/clitest"
)

// TestMainProcess is not a test: clitest.Run runs the test binary with
// HLSIM_RUN_MAIN set to have it be hlsim, so exit codes and the two
// streams are the real process's.
func TestMainProcess(t *testing.T) { clitest.MainProcess(t, "hlsim", main) }

// -h is a request, not a mistake: usage on stdout, exit 0. A mistyped flag
// is one line of error and a hint on stderr, exit 2 — not the whole usage.
func TestHelpAndMistypedFlagExit(t *testing.T) {
	clitest.HelpAndMistypedFlag(t, "hlsim", "-rate-mode", "-rate-maks 5", "-rate-max x")
}
