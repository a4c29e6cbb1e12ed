package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runPlain runs pbn2hl with an empty environment.
func runPlain(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
	return code, out.String(), errOut.String()
}

// Issue 19.1: every command lists only the flags it reads. The lists are
// the contract: a flag added to a group shows up here as a diff to review.
func TestFlagsOnlyWhereTheyApply(t *testing.T) {
	want := map[string]string{
		"init":           "actor company concurrency conversation-provider encoding export fallback-owner force hl-oauth-store hl-rate hl-url ledger ledger-key-file location map on-daily-limit out-dir pbn-url profile request-timeout search-lag",
		"oauth":          "hl-oauth-store hl-url location profile verbose",
		"propose":        "ai-cache ai-endpoint ai-model ai-samples ai-timeout encoding export files from hl-oauth-store hl-rate hl-url location name out overwrite pbn-url profile request-timeout review samples suggest-model suggest-url verbose",
		"doctor":         "company encoding export hl-oauth-store hl-rate hl-url json ledger ledger-key-file location map pbn-url profile request-timeout verbose",
		"approve":        "by map profile",
		"schema":         "actor apply encoding export hl-oauth-store hl-rate hl-url ledger ledger-key-file location map new-ledger pbn-url plaintext-ledger profile request-timeout verbose",
		"preflight":      "accept-invalid company encoding export fallback-owner hl-oauth-store hl-rate hl-url json ledger ledger-key-file location map max-invalid-share pbn-url profile request-timeout verbose",
		"sample":         "accept-invalid actor bodies company concurrency conversation-provider encoding export fallback-owner hl-oauth-store hl-rate hl-url json ledger ledger-key-file location map max-invalid-share new-ledger on-daily-limit out-dir patients pbn-url plaintext-ledger practice profile progress progress-every records report request-timeout search-lag values verbose",
		"approve-sample": "accept-differences actor encoding export hl-oauth-store hl-rate hl-url ledger ledger-key-file location map new-ledger pbn-url plaintext-ledger profile report request-timeout verbose",
		"run":            "accept-invalid actor company concurrency conversation-provider dry-run encoding export fallback-owner hl-oauth-store hl-rate hl-url json ledger ledger-key-file location map max-invalid-share new-ledger on-daily-limit out-dir pbn-url plaintext-ledger profile progress progress-every request-timeout search-lag skip-sample verbose",
		"delta":          "accept-invalid actor company concurrency conversation-provider deletions dry-run encoding export fallback-owner hl-oauth-store hl-rate hl-url json ledger ledger-key-file location map max-invalid-share new-ledger on-daily-limit out-dir pbn-url plaintext-ledger profile progress progress-every request-timeout search-lag verbose",
		"reconcile":      "actor company deep encoding export fallback-owner hl-oauth-store hl-rate hl-url html json ledger ledger-key-file location map pbn-url plaintext-ledger practice profile request-timeout sample verbose",
		"repair":         "actor company conversation-provider deep encoding export fallback-owner force hl-oauth-store hl-rate hl-url ledger ledger-key-file location map on-daily-limit pbn-url plaintext-ledger practice profile report request-timeout search-lag verbose",
		"handover":       "encoding export hl-oauth-store hl-rate hl-url ledger ledger-key-file location map out pbn-url practice profile request-timeout verbose",
		"undo":           "actor concurrency dry-run force hl-oauth-store hl-rate hl-url json ledger ledger-key-file location plaintext-ledger profile progress progress-every request-timeout runs schema verbose",
		"status":         "json ledger ledger-key-file profile verbose",
		"audit":          "format ledger ledger-key-file out problems profile runs verbose",
		"adopt":          "actor company encoding export fallback-owner hl-oauth-store hl-rate hl-url ledger ledger-key-file location map new-ledger pbn-url plaintext-ledger profile request-timeout verbose",
		"purge":          "all-signed-off ledger ledger-key-file plaintext-ledger profile runs verbose",
	}
	tr := newTree(func(string) string { return "" }, io.Discard, io.Discard, nil)
	require.Len(t, tr.clis, len(want))
	for _, cmd := range commands {
		var got []string
		tr.clis[cmd.name].flags.VisitAll(func(f *pflag.Flag) {
			if f.Name != "help" {
				got = append(got, f.Name)
			}
		})
		slices.Sort(got)
		assert.Equal(t, want[cmd.name], strings.Join(got, " "), cmd.name)

		// -h lists exactly these.
		code, out, errOut := runPlain(cmd.name, "-h")
		require.Equal(t, exitOK, code, errOut)
		for _, f := range got {
			assert.Contains(t, out, " -"+f+" ", "%s -h lists -%s", cmd.name, f)
		}
	}
	// The examples: flags that did nothing where they were listed.
	for _, c := range []struct{ cmd, flag string }{{"undo", "company"}, {"undo", "fallback-owner"}, {"approve", "actor"},
		{"undo", "search-lag"}, {"status", "actor"}, {"oauth", "hl-rate"}} {
		code, out, errOut := runPlain(c.cmd, "-"+c.flag, "x")
		assert.Equal(t, exitUsage, code, "%s -%s", c.cmd, c.flag)
		assert.Empty(t, out)
		assert.True(t, strings.HasPrefix(errOut, "pbn2hl "+c.cmd+": unknown flag -"+c.flag), errOut)
		_, out, _ = runPlain(c.cmd, "-h")
		assert.NotContains(t, out, " -"+c.flag+" ", "%s -h does not list -%s", c.cmd, c.flag)
	}
}

func TestNormaliseArgs(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("ledger", "", "")
	fs.String("by", "", "")
	fs.Bool("dry-run", false, "")
	fs.BoolP("verbose", "v", false, "")
	fs.StringP("out", "o", "", "")
	fs.Float64("max-invalid-share", 0, "")
	fs.BoolP("help", "h", false, "")
	for _, tc := range []struct {
		name     string
		in, want []string
		err      string
	}{
		{"single dash long flags", []string{"-ledger", "x", "-dry-run"}, []string{"--ledger", "x", "--dry-run"}, ""},
		{"double dash kept", []string{"--ledger", "x", "--dry-run"}, []string{"--ledger", "x", "--dry-run"}, ""},
		{"with =", []string{"-ledger=x", "-dry-run=false"}, []string{"--ledger=x", "--dry-run=false"}, ""},
		{"a value that looks like a flag", []string{"-by", "-x", "-max-invalid-share", "-1"}, []string{"--by", "-x", "--max-invalid-share", "-1"}, ""},
		{"one-letter flags stay", []string{"-v", "-o", "-file", "-h"}, []string{"-v", "-o", "-file", "-h"}, ""},
		{"-help", []string{"-help"}, []string{"--help"}, ""},
		{"after --", []string{"-v", "--", "-ledger", "x"}, []string{"-v", "--", "-ledger", "x"}, ""},
		{"arguments pass", []string{"x", "-", "-dry-run"}, []string{"x", "-", "--dry-run"}, ""},
		{"a flag as the last word", []string{"-ledger"}, []string{"--ledger"}, ""},
		{"unknown, as typed, with the nearest", []string{"-ledgr=x"}, nil, "unknown flag -ledgr (did you mean -ledger?)"},
		{"unknown double dash", []string{"--frobnicate"}, nil, "unknown flag --frobnicate"},
		{"a token flag", []string{"-hl-token", "x"}, nil, "tokens are read from the environment only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := normaliseArgs("t", fs, tc.in)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				assert.NotContains(t, err.Error(), "did you mean -help", "no help suggested for a typo")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// Single-dash long flags (the README's, scripts') and double-dash ones
// reach the same flag; -h, -help, --help and help <command> are the
// command's help on stdout with exit 0.
func TestDashesAndHelp(t *testing.T) {
	r := newRig(t, 1, 0)
	mapPath := writeDefaultMap(t, r)
	out := r.mustRun("approve", "-map", mapPath, "-by", "Dr. One")
	assert.Contains(t, out, "approved: "+mapPath+" by Dr. One")
	out = r.mustRun("approve", "--map", mapPath, "--by=Dr. Two")
	assert.Contains(t, out, "approved: "+mapPath+" by Dr. Two")

	// The brief's example: -hl-rate reaches its own check (a rate is
	// REQUESTS/WINDOW), not pflag's one-letter flags.
	for _, dash := range []string{"-", "--"} {
		code, out, errOut := r.run("run", dash+"ledger", "x", dash+"hl-rate", "0.5", dash+"map", mapPath, dash+"pbn-url", r.pbn.URL)
		assert.Equal(t, exitUsage, code)
		assert.Empty(t, out)
		assert.Equal(t, "pbn2hl run: -hl-rate \"0.5\": want REQUESTS/WINDOW, e.g. 100/10s (see -h)\n", errOut)
	}

	for _, args := range [][]string{{"run", "-h"}, {"run", "--help"}, {"run", "-help"}, {"help", "run"}, {"run", "-ledger", "x", "-h"}} {
		code, out, errOut := runPlain(args...)
		assert.Equal(t, exitOK, code, "%v", args)
		assert.Empty(t, errOut, "%v", args)
		assert.True(t, strings.HasPrefix(out, "Usage: pbn2hl run [flags]\n"), "%v: %s", args, out)
		assert.Contains(t, out, "-skip-sample")
		assert.NotContains(t, out, "-apply", "schema's flag is not run's")
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-help"}, {"help"}} {
		code, out, errOut := runPlain(args...)
		assert.Equal(t, exitOK, code, "%v", args)
		assert.Empty(t, errOut)
		assert.Contains(t, out, "Commands, in the order of a migration:")
		assert.Contains(t, out, "completion")
	}
	code, out, errOut := runPlain()
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "Commands, in the order of a migration:")

	code, out, errOut = runPlain("rn")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Equal(t, "pbn2hl: unknown command \"rn\" (did you mean \"run\"?)\nrun 'pbn2hl -h' for the commands\n", errOut)

	code, out, errOut = runPlain("help", "rn")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Equal(t, "pbn2hl: unknown command \"rn\" (did you mean \"run\"?)\nrun 'pbn2hl -h' for the commands\n", errOut)
	code, out, _ = runPlain("help", "completion", "bash")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "source <(pbn2hl completion bash)", "cobra's help of its completion commands")

	code, _, errOut = runPlain("status", "extra")
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "pbn2hl status: unexpected arguments [\"extra\"]\nRun 'pbn2hl status -h' for its flags.\n", errOut)

	code, _, errOut = runPlain("undo", "-concurrency", "many")
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, 2, strings.Count(errOut, "\n"), errOut)
	assert.Contains(t, errOut, "pbn2hl undo: invalid argument \"many\"")
}

// pbn2hl completion bash|zsh|fish prints the shell's script; the script's
// callback completes commands, flags and the values of fixed-choice flags.
func TestCompletion(t *testing.T) {
	for shell, marker := range map[string]string{"bash": "complete -o default -F __start_pbn2hl pbn2hl", "zsh": "#compdef pbn2hl",
		"fish": "complete -c pbn2hl"} {
		code, out, errOut := runPlain("completion", shell)
		assert.Equal(t, exitOK, code, "%s: %s", shell, errOut)
		assert.Contains(t, out, marker, shell)
	}
	code, out, errOut := runPlain("completion", "tcsh")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Equal(t, "pbn2hl completion: unknown shell \"tcsh\": bash, zsh, fish or powershell\nRun 'pbn2hl completion -h' for its flags.\n", errOut)
	code, out, _ = runPlain("completion")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "pbn2hl completion [command]")

	code, out, _ = runPlain("__complete", "re")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "reconcile\t")
	assert.Contains(t, out, "repair\t")
	assert.NotContains(t, out, "run\t")

	code, out, _ = runPlain("__complete", "undo", "--comp")
	assert.Equal(t, exitOK, code)
	assert.NotContains(t, out, "--company", "undo has no -company")
	_, out, _ = runPlain("__complete", "run", "--comp")
	assert.Contains(t, out, "--company")

	_, out, _ = runPlain("__complete", "run", "--on-daily-limit", "")
	assert.Equal(t, []string{"pause", "stop"}, strings.Fields(strings.Split(out, ":")[0]))
}

// Every pbn2hl command line of the README parses: its flags are the
// command's (the session's $SRC, $HL, $OWNERS and $LAG expanded as the
// README defines them).
func TestREADMECommandLines(t *testing.T) {
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	vars := map[string]string{}
	def := regexp.MustCompile(`^(SRC|HL|OWNERS|LAG)="([^"]*)"`)
	lines := strings.Split(strings.ReplaceAll(string(b), "\\\n", " "), "\n")
	for _, l := range lines {
		if m := def.FindStringSubmatch(l); m != nil {
			vars[m[1]] = m[2]
		}
	}
	vars["STAGING"] = vars["HL"]
	require.Len(t, vars, 5, "the README defines SRC, HL, OWNERS, LAG")
	cmdLine := regexp.MustCompile(`^\s*\$ (?:[A-Z_0-9]+=\S+ )*pbn2hl (.*)$`)
	n := 0
	for i, l := range lines {
		m := cmdLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		line := m[1]
		for _, cut := range []string{" #", " |", " >", " &&"} {
			line, _, _ = strings.Cut(line, cut)
		}
		line = os.Expand(line, func(k string) string { return vars[k] })
		args := shellWords(line)
		tr := newTree(func(string) string { return "" }, io.Discard, io.Discard, nil)
		c := tr.clis[args[0]]
		require.NotNil(t, c, "README: %s", l)
		norm, err := normaliseArgs(args[0], c.flags, args[1:])
		if i+1 < len(lines) && strings.Contains(lines[i+1], "unknown flag") {
			// The README's example of a mistyped flag: its message.
			require.Error(t, err, "README: %s", l)
			assert.Equal(t, strings.TrimSpace(lines[i+1]), "pbn2hl "+err.Error())
			continue
		}
		require.NoError(t, err, "README: %s", l)
		require.NoError(t, c.flags.Parse(norm), "README: %s", l)
		assert.Empty(t, c.flags.Args(), "README: %s", l)
		n++
	}
	assert.Greater(t, n, 30, "the session's command lines")
}

// shellWords splits a command line on spaces, keeping "double quoted" words.
func shellWords(s string) []string {
	var out []string
	var w strings.Builder
	quoted, in := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, in = !quoted, true
		case r == ' ' && !quoted:
			if in {
				out = append(out, w.String())
				w.Reset()
			}
			in = false
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, w.String())
	}
	return out
}

// The shell's completion reads one-dash flags as a command line does: a
// single-dash flag typed before the word and a "-na" word being completed.
func TestCompletionOneDash(t *testing.T) {
	code, out, _ := runPlain("__complete", "run", "-skip-sa")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "--skip-sample")
	_, out, _ = runPlain("__complete", "run", "-ledger", "l.ledger", "-on-daily-limit", "")
	assert.Equal(t, []string{"pause", "stop"}, strings.Fields(strings.Split(out, ":")[0]))
	_, out, _ = runPlain("__complete", "delta", "-dry-run", "-deletions", "m")
	assert.Equal(t, []string{"mirror"}, strings.Fields(strings.Split(out, ":")[0]))
	_, out, _ = runPlain("__complete", "undo", "-comp")
	assert.NotContains(t, out, "--company")
}

// The README's example of a command's help is the help status prints.
func TestREADMEHelpExample(t *testing.T) {
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, after, ok := strings.Cut(string(b), "```\n$ pbn2hl status -h\n")
	require.True(t, ok, "the README shows pbn2hl status -h")
	shown, _, ok := strings.Cut(after, "```\n")
	require.True(t, ok)
	code, out, _ := runPlain("status", "-h")
	require.Equal(t, exitOK, code)
	assert.Equal(t, out, shown, "README.md's status -h: paste the output of pbn2hl status -h")
}
