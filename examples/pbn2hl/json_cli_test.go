package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/internal/golden"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/rollback"
)

// normalizeJSON replaces the values of the named keys, wherever they are,
// with a placeholder ("<time>", "<number>", "<text>"), after checking each
// is of its kind; the shape and every other value stay for the golden file.
func normalizeJSON(t *testing.T, b []byte, keys ...string) []byte {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(b, &v), "%s", b)
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				if !drop[k] {
					walk(val)
					continue
				}
				switch val := val.(type) {
				case float64:
					x[k] = "<number>"
				case string:
					if _, err := time.Parse(time.RFC3339Nano, val); err == nil {
						assert.True(t, strings.HasSuffix(val, "Z"), "%s %s is in UTC", k, val)
						x[k] = "<time>"
					} else {
						x[k] = "<text>"
					}
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(v))
	return out.Bytes()
}

// TestJSONOutput: -json on preflight, run, status, undo and delta writes one JSON
// document on stdout and nothing else there (the text and progress go to
// stderr); preflight's and status's are golden files (times, durations,
// paths and ids that change from run to run replaced). No token, no
// patient's e-mail in any of them.
func TestJSONOutput(t *testing.T) {
	r, args := prepared(t, 6)

	code, out, errOut := r.run(append([]string{"preflight", "-json"}, args...)...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	var pre pbnhl.PreflightJSON
	require.NoError(t, json.Unmarshal([]byte(out), &pre), "stdout is the JSON document alone:\n%s", out)
	assert.True(t, pre.Ready)
	assert.Contains(t, errOut, "At 100 requests per 100ms", "the text goes to stderr")
	golden.AssertJSON(t, "testdata/preflight.golden.json", normalizeJSON(t, []byte(out), "cutover", "start", "reset"))

	code, out, errOut = r.run(append([]string{"run", "-json"}, args...)...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	var rep pbnhl.ReportJSON
	require.NoError(t, json.Unmarshal([]byte(out), &rep), "stdout is the JSON document alone:\n%s", out)
	assert.Equal(t, "run", rep.Phase)
	assert.Positive(t, rep.Run)
	assert.Positive(t, rep.Totals.Written)
	assert.Equal(t, int64(r.contacts()), objectWritten(rep, "patients"), "the report counts what HighLevel holds")
	assert.Contains(t, errOut, "success file", "the success file's line goes to stderr")

	led := args[slices.Index(args, "-ledger")+1]
	code, out, errOut = r.run(join([]string{"status", "-json"}, r.led(led))...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	var st pbnhl.LedgerStatus
	require.NoError(t, json.Unmarshal([]byte(out), &st), out)
	require.Len(t, st.Runs, 2)
	assert.Equal(t, "schema", st.Runs[0].Kind)
	assert.Equal(t, "full", st.Runs[1].Kind)
	assert.True(t, st.Runs[1].SampleSkipped, "the rig runs with -skip-sample")
	assert.Equal(t, "aes-256-gcm", st.Ledger.Encryption)
	golden.AssertJSON(t, "testdata/status.golden.json", normalizeJSON(t, []byte(out), "startedAt", "finishedAt", "path", "migrationId", "keyId", "actor"))

	code, out, errOut = r.run(join([]string{"undo", "-dry-run", "-json"}, r.led(led), r.hlArgs())...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	var undo rollback.UndoSummary
	require.NoError(t, json.Unmarshal([]byte(out), &undo), out)
	assert.True(t, undo.DryRun)
	assert.Equal(t, []rollback.RunID{2}, undo.Runs, "the data run (the schema run only with -schema)")
	assert.Positive(t, undo.Compensations)

	// delta -json after the source changed: the delta's report alone on
	// stdout (its success file's line on stderr).
	r.pbn.MutateWith(pbntest.MutateOptions{Update: 2, Create: 1, Delete: 1})
	code, out, errOut = r.run(append([]string{"delta", "-json"}, args...)...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	var delta pbnhl.ReportJSON
	require.NoError(t, json.Unmarshal([]byte(out), &delta), "stdout is the JSON document alone:\n%s", out)
	assert.Equal(t, "delta", delta.Phase)
	assert.Greater(t, delta.Run, rep.Run)
	assert.Positive(t, delta.Totals.Written, "the changed and new records")
	assert.Equal(t, 1, delta.KeptDeleted, "the deleted patient, kept in HighLevel by default")
	assert.Contains(t, errOut, "success file", "the success file's line goes to stderr")
	// Off a terminal the delta's progress is lines too, ending with its
	// overall line (issue 19.2: the same view for run, sample, delta, undo).
	assert.Regexp(t, `(?m)^delta finished · [\d,]+/[\d,]+ records`, errOut)
	assert.NotContains(t, errOut, "\x1b", "no escape codes off a terminal")

	all := r.stdout.String() + r.stderr.String()
	assert.NotContains(t, all, hltest.DefaultToken)
	assert.NotContains(t, all, r.pbn.Token())
	n := 0
	for p := range r.pbn.Practice().Patients() {
		if p.Email != "" && n < 5 {
			assert.NotContains(t, r.stdout.String(), p.Email, "no patient data in the JSON")
			n++
		}
	}
}

func objectWritten(rep pbnhl.ReportJSON, object string) int64 {
	for _, o := range rep.Objects {
		if o.Object == object {
			return o.Written
		}
	}
	return -1
}

// TestProfileCommandLine: init writes a profile (owner-only, refused over
// an existing one without -force, refused with a token-like value);
// -profile NAME runs preflight and status with only it; a flag on the
// command line overrides the profile; a profile with a credential key or
// an unknown key is refused with exit 2, naming the key, never the value.
func TestProfileCommandLine(t *testing.T) {
	r, args := prepared(t, 4)
	dir := r.path("profiles")
	r.env[envProfileDir] = dir
	led := args[slices.Index(args, "-ledger")+1]
	mp := args[slices.Index(args, "-map")+1]
	initArgs := []string{"init", "-profile", "acme", "-map", mp, "-ledger", led, "-ledger-key-file", r.key, "-pbn-url", r.pbn.URL,
		"-hl-url", r.hl.URL, "-location", hltest.DefaultLocationID, "-hl-rate", "100/100ms", "-search-lag", "none",
		"-company", hltest.DefaultCompanyID, "-fallback-owner", fallbackEmail, "-request-timeout", "2s"}
	out := r.mustRun(initArgs...)
	path := filepath.Join(dir, "acme.yaml")
	assert.Contains(t, out, "profile "+path+" written")
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(b), hltest.DefaultToken)
	assert.NotContains(t, string(b), r.pbn.Token())

	code, _, errOut := r.run(initArgs...)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "exists: give another -profile, or -force")
	r.mustRun(append(initArgs, "-force")...)

	code, _, errOut = r.run("init", "-profile", "tok", "-location", "pit-0123456789abcdef")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "-location looks like a token")
	assert.NotContains(t, errOut, "pit-0123456789abcdef")
	code, _, errOut = r.run("init", "-profile", "bad", "-hl-rate", "fast")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, `-hl-rate "fast"`)

	// The profile alone: preflight and status as with every flag typed.
	code, out, errOut = r.run("preflight", "-profile", "acme")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "ready: nothing blocks the run")
	code, out, errOut = r.run("status", "-profile", "acme", "-json")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	var st pbnhl.LedgerStatus
	require.NoError(t, json.Unmarshal([]byte(out), &st), out)
	assert.Len(t, st.Runs, 1, "the schema run of the profile's ledger")

	// A flag on the command line wins: another ledger, which does not exist.
	other := r.path("other.ledger")
	code, _, errOut = r.run("status", "-profile", "acme", "-ledger", other)
	assert.NotEqual(t, exitOK, code)
	assert.Contains(t, errOut, other)
	noFile(t, other)
	// -profile PATH.yaml works too.
	code, _, errOut = r.run("status", "-profile", path)
	assert.Equal(t, exitOK, code, errOut)

	// Refused profiles: a credential key, an unknown key, a missing file.
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("ledger: x.ledger\nhl-token: "+hltest.DefaultToken+"\n"), 0o600))
	code, _, errOut = r.run("status", "-profile", "bad")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, `line 2: key "hl-token" looks like a credential`)
	assert.NotContains(t, errOut, hltest.DefaultToken)
	require.NoError(t, os.WriteFile(bad, []byte("ledgr: x.ledger\n"), 0o600))
	code, _, errOut = r.run("status", "-profile", "bad")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, `unknown key "ledgr" (did you mean "ledger"?)`)
	code, _, errOut = r.run("status", "-profile", "nosuch")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "no such file")
}
