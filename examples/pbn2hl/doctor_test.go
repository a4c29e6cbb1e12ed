package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
)

// TestDoctor: against the simulators with a new ledger path every check
// passes (exit 0, one line each); with the ledger encrypted and its key
// file gone, the key line fails with its fix and the exit is 1; -json
// says the same as data. No token is printed.
func TestDoctor(t *testing.T) {
	r := newRig(t, 3, 0)
	mp := writeDefaultMap(t, r)
	led := r.path("migration.ledger")
	args := join([]string{"doctor", "-map", mp}, r.led(led), r.srcArgs(), r.hlArgs())

	code, out, errOut := r.run(args...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	for _, name := range []string{"highlevel connectivity", "highlevel scope contacts.readonly", "practice by numbers access",
		"location timezone", "location schema", "clock: HighLevel", "clock: Practice by Numbers", "ledger", "ledger disk"} {
		assert.Contains(t, out, "ok   "+name, out)
	}
	assert.NotContains(t, out, "FAIL")
	t.Log("\n" + out)

	// An encrypted ledger (schema -apply journals into it), then its key file gone.
	r.mustRun(join([]string{"approve", "-map", mp, "-by", "test"})...)
	r.mustRun(join([]string{"schema", "-apply", "-new-ledger", "-map", mp}, r.led(led), r.srcArgs(), r.hlArgs())...)
	require.NoError(t, os.Remove(r.key))
	code, out, errOut = r.run(args...)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "FAIL ledger key")
	assert.Contains(t, out, "fix: restore the key file")
	assert.Contains(t, errOut, "checks failed")

	code, out, _ = r.run(append(args, "-json")...)
	assert.Equal(t, exitFailed, code)
	var got struct {
		OK     bool `json:"ok"`
		Checks []struct {
			Name, Detail, Fix string
			OK                bool
		} `json:"checks"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	assert.False(t, got.OK)
	failed := 0
	for _, c := range got.Checks {
		if !c.OK {
			failed++
			assert.Equal(t, "ledger key", c.Name)
			assert.NotEmpty(t, c.Fix)
		}
	}
	assert.Equal(t, 1, failed)
	all := r.stdout.String() + r.stderr.String()
	assert.False(t, strings.Contains(all, hltest.DefaultToken) || strings.Contains(all, r.pbn.Token()), "a token was printed")
}
