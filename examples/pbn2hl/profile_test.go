package main

import (
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func profileEnv(dir string) env {
	return func(k string) string {
		if k == envProfileDir {
			return dir
		}
		return ""
	}
}

// TestProfileRoundTrip: init's flags become a profile file (owner-only,
// absolute paths, credentials nowhere), and -profile NAME reads the same
// profile back from $PBN2HL_PROFILE_DIR.
func TestProfileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(t.TempDir())
	given := map[string]string{"location": "loc-1", "company": "co-1", "export": "export", "ledger": "acme.ledger",
		"map": "map.yaml", "hl-rate": "50/10s", "search-lag": "none", "out-dir": "reports", "conversation-provider": "prov1"}
	p, err := profileFrom(func(name string) (string, bool) { v, ok := given[name]; return v, ok })
	require.NoError(t, err)
	wd, _ := os.Getwd()
	assert.Equal(t, filepath.Join(wd, "acme.ledger"), p.Ledger, "paths are made absolute")
	assert.Equal(t, filepath.Join(wd, "reports"), p.OutDir, "-out-dir is a path too")
	assert.Equal(t, "prov1", p.ConversationProvider)
	assert.Equal(t, "loc-1", p.Location)

	path, err := profilePath("acme", profileEnv(dir))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "acme.yaml"), path)
	require.NoError(t, writeProfile(path, p, false))
	if runtime.GOOS != "windows" {
		st, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(b), "location: loc-1")
	assert.Contains(t, string(b), "Never put a token here")

	got, gotPath, err := loadProfile("acme", profileEnv(dir))
	require.NoError(t, err)
	assert.Equal(t, path, gotPath)
	assert.Equal(t, p, got)
}

// TestWriteProfileRefusesOverwrite: an existing profile is kept unless
// force; force replaces it owner-only.
func TestWriteProfileRefusesOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "p.yaml")
	require.NoError(t, writeProfile(path, Profile{Location: "a"}, false))
	err := writeProfile(path, Profile{Location: "b"}, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exists")
	assert.Contains(t, err.Error(), "-force")
	p, _, err := loadProfile(path, profileEnv(""))
	require.NoError(t, err)
	assert.Equal(t, "a", p.Location, "the refused write left the file as it was")

	require.NoError(t, os.Chmod(path, 0o644))
	require.NoError(t, writeProfile(path, Profile{Location: "b"}, true))
	p, _, err = loadProfile(path, profileEnv(""))
	require.NoError(t, err)
	assert.Equal(t, "b", p.Location)
	if runtime.GOOS != "windows" {
		st, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	}
}

// TestProfileRefusesCredentials: a key named like a credential, or a value
// shaped like a token, is refused with the key and line — never the value.
func TestProfileRefusesCredentials(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"hl token key", "location: L\nhl-token: abc123\n", `line 2: key "hl-token" looks like a credential`},
		{"env-style key", "PBN_TOKEN: abc123\n", `key "PBN_TOKEN" looks like a credential`},
		{"secret", "client_secret: abc123\n", `key "client_secret" looks like a credential`},
		{"password", "password: abc123\n", `key "password" looks like a credential`},
		{"ledger key", "ledger-key: abc123\n", `key "ledger-key" looks like a credential`},
		{"pit token as a value", "location: pit-abc123\n", "line 1: the value of location looks like a token"},
		{"jwt as a value", "company: eyJhbGciOi.eyJzdWIi.abc123\n", "the value of company looks like a token"},
		{"hex key in the key file's place", "ledger-key-file: " + strings.Repeat("ab", 32) + "\n", "the value of ledger-key-file looks like a token or key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseProfile([]byte(tc.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "abc123", "the value is never repeated")
			assert.NotContains(t, err.Error(), strings.Repeat("ab", 32))
		})
	}
	// The key file's path is a known key, not a credential.
	p, err := parseProfile([]byte("ledger-key-file: /etc/pbn2hl/acme.key\n"))
	require.NoError(t, err)
	assert.Equal(t, "/etc/pbn2hl/acme.key", p.LedgerKeyFile)
	// profileFrom refuses a token given to init as a flag value.
	_, err = profileFrom(func(name string) (string, bool) { return "pit-abc123", name == "company" })
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "abc123")
}

// TestProfileRefusesMistakes: unknown keys (with the closest known key),
// repeated keys, nested values and a file that is not a mapping are
// errors with the line.
func TestProfileRefusesMistakes(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"typo", "location: L\nlegder: x.ledger\n", `line 2: unknown key "legder" (did you mean "ledger"?)`},
		{"unknown", "colour: blue\n", `line 1: unknown key "colour" (a profile's keys are flag names: location, company`},
		{"twice", "map: a.yaml\nmap: b.yaml\n", `line 2: key "map" given twice`},
		{"nested", "location:\n  id: L\n", "line 2: location: want one value, not a mapping"},
		{"list", "- location\n", "line 1: want keys and values"},
		{"not yaml", "location: [\n", "not YAML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseProfile([]byte(tc.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	p, err := parseProfile(nil)
	require.NoError(t, err, "an empty file sets nothing")
	assert.True(t, p.empty())

	_, path, err := loadProfile("missing", profileEnv(t.TempDir()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no such file")
	assert.Contains(t, err.Error(), "pbn2hl init -profile missing")
	assert.True(t, strings.HasSuffix(path, "missing.yaml"))
}

// TestProfilePath: a .yaml path or a path with a directory is used as it
// is; a name goes to $PBN2HL_PROFILE_DIR, else the user's configuration
// directory.
func TestProfilePath(t *testing.T) {
	p, err := profilePath("./x.yml", profileEnv("/ignored"))
	require.NoError(t, err)
	assert.Equal(t, "./x.yml", p)
	p, err = profilePath("profiles/acme", profileEnv("/ignored"))
	require.NoError(t, err)
	assert.Equal(t, "profiles/acme", p)
	p, err = profilePath("acme", profileEnv("/etc/pbn2hl"))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join("/etc/pbn2hl", "acme.yaml"), p)
	if runtime.GOOS == "linux" {
		t.Setenv("XDG_CONFIG_HOME", "/home/u/.cfg")
		p, err = profilePath("acme", profileEnv(""))
		require.NoError(t, err)
		assert.Equal(t, "/home/u/.cfg/pbn2hl/acme.yaml", p)
	}
	_, err = profilePath("", profileEnv(""))
	require.Error(t, err)
	_, err = profilePath("..", profileEnv("/etc/pbn2hl"))
	require.Error(t, err)
}

// TestProfileApply: the profile fills the flags the command line left
// unset, a flag given wins, a flag the command does not take is skipped
// by set, relative paths are relative to the profile's directory, and a
// bad value is an error naming the key.
func TestProfileApply(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.yaml")
	require.NoError(t, os.WriteFile(path, []byte("location: from-profile\nledger: acme.ledger\nconcurrency: 4\nmap: /abs/map.yaml\n"), 0o600))
	p, _, err := loadProfile(path, profileEnv(""))
	require.NoError(t, err)

	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	location := fs.String("location", "", "")
	ledger := fs.String("ledger", "", "")
	concurrency := fs.Int("concurrency", 8, "")
	require.NoError(t, fs.Parse([]string{"-location", "from-flag"}))
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	setFlag := func(name, value string) error {
		if fs.Lookup(name) == nil {
			return nil // this command has no -map
		}
		return fs.Set(name, value)
	}
	require.NoError(t, p.apply(func(n string) bool { return set[n] }, setFlag))
	assert.Equal(t, "from-flag", *location, "the command line wins")
	assert.Equal(t, filepath.Join(dir, "acme.ledger"), *ledger, "relative to the profile's directory")
	assert.Equal(t, 4, *concurrency)

	bad := Profile{Concurrency: "many"}
	err = bad.apply(func(string) bool { return false }, setFlag)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "profile key concurrency")
}

// TestProfileLedgerURL: a postgres:// ledger is a URL, not a path: init
// keeps it as given (never "/cwd/postgres:/host/db") and -profile hands it
// back unchanged; sqlite:PATH keeps its prefix with PATH made absolute
// (relative to the profile's directory when read); a ledger URL carrying
// a password is refused without printing it.
func TestProfileLedgerURL(t *testing.T) {
	t.Chdir(t.TempDir())
	wd, _ := os.Getwd()
	dir := t.TempDir()
	for _, tc := range []struct{ given, written, read string }{
		{"postgres://pbnhl@db.example:5432/pbnhl_prod?search_path=practice_a", "postgres://pbnhl@db.example:5432/pbnhl_prod?search_path=practice_a", "postgres://pbnhl@db.example:5432/pbnhl_prod?search_path=practice_a"},
		{"postgresql:///smile?host=/run/pg", "postgresql:///smile?host=/run/pg", "postgresql:///smile?host=/run/pg"},
		{"sqlite:acme.ledger", "sqlite:" + filepath.Join(wd, "acme.ledger"), "sqlite:" + filepath.Join(wd, "acme.ledger")},
	} {
		p, err := profileFrom(func(name string) (string, bool) { return map[string]string{"ledger": tc.given}[name], name == "ledger" })
		require.NoError(t, err, tc.given)
		assert.Equal(t, tc.written, p.Ledger)
		path := filepath.Join(dir, "p.yaml")
		require.NoError(t, writeProfile(path, p, true))
		got, _, err := loadProfile(path, profileEnv(""))
		require.NoError(t, err)
		assert.Equal(t, tc.read, got.Ledger)
	}
	// Written by hand: relative to the profile's directory.
	path := filepath.Join(dir, "hand.yaml")
	require.NoError(t, os.WriteFile(path, []byte("ledger: sqlite:acme.ledger\n"), 0o600))
	got, _, err := loadProfile(path, profileEnv(""))
	require.NoError(t, err)
	assert.Equal(t, "sqlite:"+filepath.Join(dir, "acme.ledger"), got.Ledger)

	const secret = "s3cr3t-pw"
	for _, v := range []string{"postgres://pbnhl:" + secret + "@db.example/pbnhl_prod", "postgres://db.example/pbnhl_prod?password=" + secret} {
		_, err := profileFrom(func(name string) (string, bool) { return v, name == "ledger" })
		require.Error(t, err)
		assert.Contains(t, err.Error(), "carries a password")
		assert.NotContains(t, err.Error(), secret)
	}
}
