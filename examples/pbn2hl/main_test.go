package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/highlevel/hltest"
	"github.com/pbnhl/pbnhl/mapping"
	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/rollback"
)

const fallbackEmail = "frontdesk@practice.example"

// rig is a practice on the PbN simulator and a location on the HighLevel
// simulator, both in-process on loopback, with HighLevel's burst limit
// compressed 100× (100 requests per 100ms) so the test takes seconds.
type rig struct {
	t   testing.TB
	pbn *pbntest.Server
	hl  *hltest.Server
	dir string
	// key is an owner-only ledger key file: writing commands need one (or
	// -plaintext-ledger).
	key    string
	env    map[string]string
	stdout bytes.Buffer // every command's output, for the token test
	stderr bytes.Buffer
	// gateSample: run "run" as typed; otherwise it gets -skip-sample
	// (sample_test.go: skipSample).
	gateSample bool
}

func newRig(t testing.TB, patients, daily int) *rig {
	t.Helper()
	return newRigClock(t, patients, daily, nil)
}

// newRigClock is newRig with the simulated HighLevel's clock (nil: now);
// with a clock its refusals carry Retry-After, so a client paused at the
// daily limit tries again when the simulated day ends rather than at its
// 10-minute probe, and its burst limit is off (the clock may stand still).
func newRigClock(t testing.TB, patients, daily int, clock func() time.Time) *rig {
	t.Helper()
	return newRigWith(t, patients, daily, clock, nil)
}

// newRigWith is newRigClock with tune changing the simulated HighLevel's
// options before it starts (nil: none).
func newRigWith(t testing.TB, patients, daily int, clock func() time.Time, tune func(*hltest.Options)) *rig {
	t.Helper()
	ps, err := pbntest.NewServer(pbntest.Options{Seed: 7, Patients: patients})
	require.NoError(t, err)
	t.Cleanup(ps.Close)
	burst := hltest.RateLimit{Max: 100, Window: 100 * time.Millisecond, Daily: daily}
	if clock != nil {
		// A test clock may stand still: only the daily limit is
		// simulated (the client paces the burst itself).
		burst.Max, burst.RetryAfter = 1<<30, true
	}
	hopts := hltest.Options{Clock: clock,
		Users: []hltest.User{{ID: "hlUserFrontDesk00001", FirstName: "Front", LastName: "Desk", Email: fallbackEmail, Role: "admin"}},
		Locations: []hltest.Location{{ID: hltest.DefaultLocationID, Token: hltest.DefaultToken, Name: "Test Dental",
			AllowDuplicates: true, AllowDuplicateOpportunities: true, ExternalIDFields: []string{"contact.pbn_patient_id"}}},
		RateLimit: burst,
	}
	if tune != nil {
		tune(&hopts)
	}
	hs := hltest.NewServer(hopts)
	t.Cleanup(hs.Close)
	r := &rig{t: t, pbn: ps, hl: hs, dir: t.TempDir(),
		env: map[string]string{envHLToken: hltest.DefaultToken, envPBNToken: ps.Token()}}
	r.key = r.path("ledger.key")
	require.NoError(t, os.WriteFile(r.key, bytes.Repeat([]byte{7}, 32), 0o600))
	return r
}

func (r *rig) path(name string) string { return filepath.Join(r.dir, name) }

// led is -ledger path with the rig's key.
func (r *rig) led(path string) []string { return []string{"-ledger", path, "-ledger-key-file", r.key} }

// hlArgs are the flags every HighLevel command takes here.
func (r *rig) hlArgs() []string {
	return []string{"-hl-url", r.hl.URL, "-location", hltest.DefaultLocationID, "-hl-rate", "100/100ms", "-search-lag", "none",
		"-company", hltest.DefaultCompanyID, "-fallback-owner", fallbackEmail, "-progress-every", "50ms",
		// A resume waits until a lost write can no longer be in flight:
		// the simulator answers in milliseconds.
		"-request-timeout", "2s", "-v"}
}

func (r *rig) srcArgs() []string { return []string{"-pbn-url", r.pbn.URL} }

// run runs one command in-process and returns its exit code and output.
func (r *rig) run(args ...string) (code int, stdout, stderr string) {
	r.t.Helper()
	args = r.onlyTaken(r.skipSample(args))
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, func(k string) string { return r.env[k] }, &out, &errOut)
	r.stdout.Write(out.Bytes())
	r.stderr.Write(errOut.Bytes())
	return code, out.String(), errOut.String()
}

// rigFlags are the rig's shared settings that only some commands take
// (each command lists only the flags it uses: TestFlagsOnlyWhereTheyApply).
var rigFlags = map[string]bool{"search-lag": true, "progress-every": true, "company": true, "fallback-owner": true, "hl-rate": true,
	"request-timeout": true, "on-daily-limit": true, "concurrency": true, "progress": true}

// onlyTaken drops the rig's shared settings (rigFlags, with their value)
// that args' command does not take, so that one argument list serves the
// run, its schema and its reconcile. Any other flag is passed as given.
func (r *rig) onlyTaken(args []string) []string {
	if len(args) == 0 {
		return args
	}
	tr := newTree(func(string) string { return "" }, io.Discard, io.Discard, nil)
	c := tr.clis[args[0]]
	if c == nil {
		return args
	}
	out := []string{args[0]}
	for i := 1; i < len(args); i++ {
		name := strings.TrimLeft(args[i], "-")
		if strings.HasPrefix(args[i], "-") && rigFlags[name] && c.flags.Lookup(name) == nil {
			i++ // and its value
			continue
		}
		out = append(out, args[i])
	}
	return out
}

func (r *rig) mustRun(args ...string) string {
	r.t.Helper()
	code, out, errOut := r.run(args...)
	require.Equal(r.t, exitOK, code, "pbn2hl %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), out, errOut)
	return out
}

func join(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func (r *rig) contacts() int { return r.hl.Count(hltest.DefaultLocationID, hltest.KindContact) }

// practiceSize keeps -short (the race run) quick; the full run takes a
// practice big enough for every kind of record and problem.
func practiceSize() int {
	if testing.Short() {
		return 10
	}
	return 25
}

func TestSession(t *testing.T) {
	r := newRig(t, practiceSize(), 0)
	mapPath, ledger := r.path("map.yaml"), r.path("migration.ledger")
	keyFile := r.key
	led := r.led(ledger)

	out := r.mustRun(join([]string{"propose", "-from", "default", "-out", mapPath, "-review", r.path("review.md")}, r.srcArgs(), r.hlArgs())...)
	assert.Contains(t, out, "not approved")
	review, err := os.ReadFile(r.path("review.md"))
	require.NoError(t, err)
	assert.NotEmpty(t, review)

	out = r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	assert.Contains(t, out, "digest: ")

	out = r.mustRun(join([]string{"schema", "-map", mapPath}, r.srcArgs(), r.hlArgs())...)
	assert.Contains(t, out, "missing", "the plan diffed with an empty location lists missing elements")

	out = r.mustRun(join([]string{"schema", "-apply", "-new-ledger", "-map", mapPath}, led, r.srcArgs(), r.hlArgs())...)
	assert.Contains(t, out, "schema run 1: created")

	out = r.mustRun(join([]string{"preflight", "-map", mapPath}, led, r.srcArgs(), r.hlArgs())...)
	assert.Contains(t, out, "ready: nothing blocks the run")

	out = r.mustRun(join([]string{"run", "-dry-run", "-map", mapPath}, led, r.srcArgs(), r.hlArgs())...)
	assert.Contains(t, out, "run (dry run: nothing written)")
	assert.Contains(t, out, "the dry run's invalid records are in ledger run 2")
	assert.Zero(t, r.contacts())

	code, out, errOut := r.run(join([]string{"run", "-map", mapPath}, led, r.srcArgs(), r.hlArgs())...)
	require.Equal(t, exitOK, code, "%s\n%s", out, errOut)
	assert.Contains(t, out, "run done, ledger run 3:", "the dry run recorded its problems in run 2, a run of its own")
	assert.Contains(t, errOut, "run patients", "progress lines go to stderr")
	require.Positive(t, r.contacts())
	afterRun := r.contacts()

	out = r.mustRun(join([]string{"run", "-map", mapPath}, led, r.srcArgs(), r.hlArgs())...)
	assert.Equal(t, afterRun, r.contacts(), "a second run writes nothing twice")

	ch := r.pbn.MutateWith(pbntest.MutateOptions{Update: 4, Create: 2, Delete: 1, Touch: 2})
	require.Positive(t, ch.Count())
	out = r.mustRun(join([]string{"delta", "-map", mapPath}, led, r.srcArgs(), r.hlArgs())...)
	assert.Contains(t, out, "delta done, ledger run 5:")
	assert.Greater(t, r.contacts(), afterRun, "the delta created the new patients")

	out = r.mustRun("status", "-ledger", ledger, "-ledger-key-file", keyFile)
	assert.Contains(t, out, "encryption aes-256-gcm")
	for _, kind := range []string{"schema", "full", "delta"} {
		assert.Contains(t, out, " "+kind+" ", "status lists the %s run", kind)
	}
	assert.Contains(t, out, "pending intents: none")

	out = r.mustRun("audit", "-ledger", ledger, "-ledger-key-file", keyFile, "-runs", "2")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.NotEmpty(t, lines)
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &rec), "JSONL")
	out = r.mustRun("audit", "-ledger", ledger, "-ledger-key-file", keyFile, "-format", "csv")
	assert.Greater(t, strings.Count(out, "\n"), 1, "CSV header and rows")
	r.mustRun("audit", "-ledger", ledger, "-ledger-key-file", keyFile, "-problems", "-o", r.path("problems.csv"))
	_, err = os.Stat(r.path("problems.csv"))
	require.NoError(t, err)

	out = r.mustRun(join([]string{"undo", "-dry-run"}, led, r.hlArgs())...)
	assert.Contains(t, out, "undo (dry run)")
	assert.Positive(t, r.contacts(), "a dry run changes nothing")

	out = r.mustRun(join([]string{"undo", "-schema"}, led, r.hlArgs())...)
	assert.Contains(t, out, "undo run 6 of runs 1,3,4,5", "a dry run has nothing to undo")
	assert.Contains(t, out, "cannot remove", "custom object schemas and pipelines are reported, not hidden")
	assert.Zero(t, r.contacts(), "undo removed every contact the runs created")
	for _, k := range []hltest.Kind{hltest.KindBusiness, hltest.KindRecord, hltest.KindOpportunity, hltest.KindNote} {
		assert.Zero(t, r.hl.Count(hltest.DefaultLocationID, k), "%s left after undo", k)
	}
	out = r.mustRun(append([]string{"status"}, led...)...)
	assert.Regexp(t, `\n +3 +full +undone `, out, "the undone runs say so")
	out = r.mustRun(join([]string{"undo", "-schema"}, led, r.hlArgs())...)
	assert.Contains(t, out, "nothing left to undo", "a repeated undo is no failure")
	out = r.mustRun(append([]string{"status"}, led...)...)
	assert.NotRegexp(t, `\n +7 `, out, "and records no run")

	// Nothing the tool printed carries a token.
	all := r.stdout.String() + r.stderr.String()
	assert.NotContains(t, all, hltest.DefaultToken)
	assert.NotContains(t, all, r.pbn.Token())
}

func TestMutatingCommandsRefuseUnapprovedMap(t *testing.T) {
	r := newRig(t, 5, 0)
	mapPath, ledger := r.path("map.yaml"), r.path("l.ledger")
	r.mustRun(join([]string{"propose", "-from", "default", "-out", mapPath, "-review", r.path("review.md")}, r.srcArgs())...)
	for _, cmd := range [][]string{{"run"}, {"delta"}, {"sample"}, {"schema", "-apply"}} {
		code, _, errOut := r.run(join(cmd, []string{"-map", mapPath, "-ledger", ledger}, r.srcArgs(), r.hlArgs())...)
		assert.Equal(t, exitFailed, code, "%v", cmd)
		assert.Contains(t, errOut, "approve the map first", "%v", cmd)
	}
	// An approved map edited afterwards is refused too.
	r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	b, err := os.ReadFile(mapPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(mapPath, bytes.Replace(b, []byte("name: "), []byte("name: edited "), 1), 0o600))
	code, _, errOut := r.run(join([]string{"run", "-map", mapPath, "-ledger", ledger}, r.srcArgs(), r.hlArgs())...)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "approve the map first")
	assert.Zero(t, r.contacts(), "nothing was written")
	assert.Zero(t, r.hl.Count(hltest.DefaultLocationID, hltest.KindCustomField))
}

func TestTokensNeverPrinted(t *testing.T) {
	r := newRig(t, 5, 0)
	secret := "pit-secret-0000-4000-8000-000000000099"
	r.env[envHLToken] = secret // a wrong token: HighLevel answers 401
	r.env[envPBNToken] = "pbn-secret-token-zzz"
	code, _, _ := r.run(join([]string{"propose", "-out", r.path("m.yaml"), "-review", r.path("r.md")}, r.srcArgs(), r.hlArgs())...)
	assert.Equal(t, exitFailed, code, "the PbN simulator refuses the wrong token")
	r.env[envPBNToken] = r.pbn.Token()
	code, _, _ = r.run(join([]string{"schema", "-map", writeDefaultMap(t, r)}, r.srcArgs(), r.hlArgs())...)
	assert.Equal(t, exitFailed, code, "HighLevel refuses the wrong token")
	code, _, _ = r.run("run", "-h")
	assert.Equal(t, exitOK, code)
	all := r.stdout.String() + r.stderr.String()
	assert.Contains(t, all, "$HL_TOKEN", "-h says where the token comes from")
	for _, s := range []string{secret, "pbn-secret-token-zzz", r.pbn.Token()} {
		assert.NotContains(t, all, s)
	}
}

func writeDefaultMap(t testing.TB, r *rig) string {
	t.Helper()
	p := r.path("default.yaml")
	r.mustRun(join([]string{"propose", "-from", "default", "-out", p, "-review", r.path("d.md")}, r.srcArgs())...)
	return p
}

func TestDailyLimitExitsThree(t *testing.T) {
	r := newRig(t, 10, 150)
	mapPath, ledger := r.path("map.yaml"), r.path("l.ledger")
	r.mustRun(join([]string{"propose", "-from", "default", "-out", mapPath, "-review", r.path("review.md")}, r.srcArgs())...)
	r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	led := r.led(ledger)
	// The quota runs out in the schema step or in the run; either way the
	// tool stops with exit 3 and says how to resume.
	stop := []string{"-on-daily-limit", "stop"}
	code, out, errOut := r.run(join([]string{"schema", "-apply", "-new-ledger", "-map", mapPath}, stop, led, r.srcArgs(), r.hlArgs())...)
	if code == exitOK {
		code, out, errOut = r.run(join([]string{"run", "-map", mapPath}, stop, led, r.srcArgs(), r.hlArgs())...)
	}
	t.Log(errOut)
	require.Equal(t, exitDailyLimit, code, "%s\n%s", out, errOut)
	assert.Contains(t, errOut, "daily limit")
	assert.Contains(t, errOut, "run the same command again")
}

// pauseWatch is a stdout that notes when pbn2hl printed its pause line.
type pauseWatch struct {
	bytes.Buffer
	paused *atomic.Bool
}

func (w *pauseWatch) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("daily limit for this location is spent: pausing")) {
		w.paused.Store(true)
	}
	return w.Buffer.Write(p)
}

// By default a run that meets the daily limit pauses until the quota
// comes back, printing (without -v) when it tries again, and then
// finishes. The simulated HighLevel's clock stands two seconds before
// midnight until pbn2hl says it pauses, then the next day begins: the
// pause is the Retry-After of those two seconds.
func TestDailyLimitPausesByDefault(t *testing.T) {
	midnight := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	var paused atomic.Bool
	var pausedAt atomic.Int64
	clock := func() time.Time {
		if paused.Load() {
			pausedAt.CompareAndSwap(0, time.Now().UnixNano())
			return midnight.Add(time.Since(time.Unix(0, pausedAt.Load())))
		}
		return midnight.Add(-2 * time.Second)
	}
	// prepare proposes, approves and applies the schema; it returns the
	// calls the schema took and the run's estimate.
	prepare := func(r *rig) (mapPath string, led []string, schema, calls int) {
		mapPath = r.path("map.yaml")
		r.mustRun(join([]string{"propose", "-from", "default", "-out", mapPath, "-review", r.path("review.md")}, r.srcArgs())...)
		r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
		led = r.led(r.path("l.ledger"))
		r.mustRun(join([]string{"schema", "-apply", "-new-ledger", "-map", mapPath}, led, r.srcArgs(), r.hlArgs())...)
		schema = int(r.hl.Served())
		pre := r.mustRun(join([]string{"preflight", "-map", mapPath}, led, r.srcArgs(), r.hlArgs())...)
		for line := range strings.Lines(pre) {
			if f := strings.Fields(line); len(f) > 2 && f[0] == "total" && f[2] == "calls" {
				calls, _ = strconv.Atoi(f[1])
			}
		}
		require.Positive(t, calls, pre)
		return mapPath, led, schema, calls
	}
	// A first practice measures what the schema and the run cost; the
	// second's day holds the schema, the preflight and half the run: one
	// pause, then the next day holds the rest.
	_, _, schema, calls := prepare(newRig(t, 10, 0))
	r := newRigClock(t, 10, schema+calls/2, clock)
	mapPath, led, _, _ := prepare(r)

	out := &pauseWatch{paused: &paused}
	var errOut bytes.Buffer
	args := r.skipSample(join([]string{"run", "-map", mapPath}, led, r.srcArgs(), r.hlArgs()))
	code := run(context.Background(), args, func(k string) string { return r.env[k] }, out, &errOut)
	require.Equal(t, exitOK, code, "%s\n%s", out.String(), errOut.String())
	assert.True(t, paused.Load(), "the run paused at the daily limit")
	assert.Contains(t, out.String(), "pausing; next try at ")
	// The first pause waits what HighLevel's Retry-After said (the two
	// seconds to the simulated midnight), not the one-minute fallback.
	if m := regexp.MustCompile(`pausing; next try at \S+ UTC \(in ([^)]+)\)`).FindStringSubmatch(out.String()); assert.NotNil(t, m, out.String()) {
		d, err := time.ParseDuration(m[1])
		require.NoError(t, err)
		assert.LessOrEqual(t, d, 3*time.Second, "the pause follows Retry-After")
	}
	assert.Contains(t, out.String(), "the run goes on by itself")
	assert.Equal(t, 10, r.contacts(), "the run finished after the reset")
}

func TestUsage(t *testing.T) {
	r := newRig(t, 1, 0)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no command", nil},
		{"unknown command", []string{"frobnicate"}},
		{"run without ledger", join([]string{"run", "-map", "m.yaml"}, r.srcArgs(), r.hlArgs())},
		{"no source", join([]string{"run", "-map", "m.yaml", "-ledger", "l"}, r.hlArgs())},
		{"bad rate", join([]string{"preflight", "-map", "m.yaml", "-hl-rate", "fast"}, r.srcArgs())},
		{"approve without -by", []string{"approve", "-map", "m.yaml"}},
		{"token as a flag", []string{"run", "-token", "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, _ := r.run(tc.args...)
			assert.Equal(t, exitUsage, code)
		})
	}
	delete(r.env, envHLToken)
	code, _, errOut := r.run(join([]string{"schema", "-map", "m.yaml"}, r.srcArgs(), r.hlArgs())...)
	assert.NotEqual(t, exitOK, code)
	_ = errOut
}

// cancelOn is stderr that cancels the command when a line contains match:
// Ctrl-C at a known point of a run, without sleeping.
type cancelOn struct {
	bytes.Buffer
	match  string
	cancel context.CancelFunc
}

func (w *cancelOn) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(w.match)) {
		w.cancel()
	}
	return w.Buffer.Write(p)
}

// prepared is a rig with an approved default map and its schema applied.
func prepared(t testing.TB, patients int) (r *rig, args []string) {
	t.Helper()
	r = newRig(t, patients, 0)
	mapPath := r.path("map.yaml")
	r.mustRun(join([]string{"propose", "-from", "default", "-out", mapPath, "-review", r.path("review.md")}, r.srcArgs())...)
	r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	args = join([]string{"-map", mapPath}, r.led(r.path("l.ledger")), r.srcArgs(), r.hlArgs())
	r.mustRun(append([]string{"schema", "-apply", "-new-ledger"}, args...)...)
	return r, args
}

func (r *rig) kinds() map[hltest.Kind]int {
	out := map[hltest.Kind]int{}
	for _, k := range []hltest.Kind{hltest.KindContact, hltest.KindBusiness, hltest.KindRelation, hltest.KindOpportunity, hltest.KindNote, hltest.KindTask} {
		out[k] = r.hl.Count(hltest.DefaultLocationID, k)
	}
	return out
}

func TestInterruptedRunResumes(t *testing.T) {
	ref, refArgs := prepared(t, practiceSize())
	ref.mustRun(append([]string{"run"}, refArgs...)...)
	want := ref.kinds()

	r, args := prepared(t, practiceSize())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errOut := &cancelOn{match: "run patients", cancel: cancel}
	var out bytes.Buffer
	code := run(ctx, r.skipSample(append([]string{"run"}, args...)), func(k string) string { return r.env[k] }, &out, errOut)
	require.Equal(t, exitFailed, code, "%s\n%s", out.String(), errOut.String())
	assert.Contains(t, errOut.String(), "interrupted")
	assert.Contains(t, errOut.String(), "run the same command again")

	r.mustRun(append([]string{"run"}, args...)...)
	assert.Equal(t, want, r.kinds(), "the resumed run left the location as an uninterrupted one: nothing lost, nothing twice")
	status := r.mustRun(append([]string{"status"}, r.led(r.path("l.ledger"))...)...)
	assert.Contains(t, status, "pending intents: none")
}

func TestSampleWritesBodies(t *testing.T) {
	r, args := prepared(t, 15)
	bodies := r.path("bodies.jsonl")
	out := r.mustRun(append([]string{"sample", "-patients", "3", "-bodies", bodies}, args...)...)
	assert.Contains(t, out, "sample done, ledger run 2:")
	b, err := os.ReadFile(bodies)
	require.NoError(t, err)
	st, err := os.Stat(bodies)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "the bodies hold PHI")
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.NotEmpty(t, lines)
	var w struct {
		ObjectType, HighLevelID string
		Body                    json.RawMessage
	}
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &w))
	assert.NotEmpty(t, w.HighLevelID)
	assert.NotEmpty(t, w.Body)
	assert.Equal(t, r.contacts(), countType(t, lines, "contact"), "one body per contact written")
}

func countType(t *testing.T, lines []string, objectType string) int {
	n := 0
	for _, l := range lines {
		var w struct{ ObjectType string }
		require.NoError(t, json.Unmarshal([]byte(l), &w))
		if w.ObjectType == objectType {
			n++
		}
	}
	return n
}

func TestOAuth(t *testing.T) {
	ps, err := pbntest.NewServer(pbntest.Options{Seed: 7, Patients: 3})
	require.NoError(t, err)
	t.Cleanup(ps.Close)
	const clientID, secret = "pbn2hl-test-app", "app-secret-do-not-print"
	hs := hltest.NewServer(hltest.Options{OAuthClients: []hltest.OAuthClient{{ID: clientID, Secret: secret}},
		RateLimit: hltest.RateLimit{Max: 100, Window: 100 * time.Millisecond}})
	t.Cleanup(hs.Close)
	r := &rig{t: t, pbn: ps, hl: hs, dir: t.TempDir(), env: map[string]string{envPBNToken: ps.Token(),
		envOAuthClientID: clientID, envOAuthClientSecret: secret}}
	store := r.path("hl-token.json")
	oauth := []string{"-hl-oauth-store", store}

	code, _, errOut := r.run(join([]string{"oauth"}, oauth, r.hlArgs())...)
	assert.Equal(t, exitUsage, code, "no code in the environment")
	assert.Contains(t, errOut, envOAuthCode)

	r.env[envOAuthCode] = hs.AuthorizationCode(clientID, "Location", hltest.DefaultLocationID)
	out := r.mustRun(join([]string{"oauth"}, oauth, r.hlArgs())...)
	assert.Contains(t, out, "tokens stored in "+store)
	st, err := os.Stat(store)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	mapPath := writeDefaultMap(t, r)
	out = r.mustRun(join([]string{"schema", "-map", mapPath}, oauth, r.srcArgs(), r.hlArgs())...)
	assert.Contains(t, out, "missing", "the plan was diffed with the location through OAuth")

	var tok struct{ AccessToken, RefreshToken string }
	b, err := os.ReadFile(store)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &struct {
		A *string `json:"access_token"`
		R *string `json:"refresh_token"`
	}{&tok.AccessToken, &tok.RefreshToken}))
	require.NotEmpty(t, tok.AccessToken)
	all := r.stdout.String() + r.stderr.String()
	for _, s := range []string{tok.AccessToken, tok.RefreshToken, secret, r.env[envOAuthCode]} {
		if s != "" {
			assert.NotContains(t, all, s)
		}
	}
}

func TestExportFolderSource(t *testing.T) {
	r := newRig(t, 10, 0)
	export := r.path("export")
	_, err := r.pbn.WriteExport(context.Background(), export, pbntest.ExportOptions{BOM: true, HumanHeaders: true, PMSDates: true})
	require.NoError(t, err)
	delete(r.env, envPBNToken) // an export folder needs no PbN token
	src := []string{"-export", export}
	mapPath, ledger := r.path("map.yaml"), r.path("l.ledger")
	r.mustRun(join([]string{"propose", "-out", mapPath, "-review", r.path("review.md")}, src, r.hlArgs())...)
	code, _, errOut := r.run(join([]string{"propose", "-from", "default", "-out", mapPath, "-review", r.path("review.md")}, src)...)
	assert.Equal(t, exitUsage, code, "an existing map is not overwritten")
	assert.Contains(t, errOut, "-overwrite")
	r.mustRun(join([]string{"propose", "-from", "default", "-overwrite", "-out", mapPath, "-review", r.path("review.md")}, src)...)
	r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	args := join([]string{"-map", mapPath}, r.led(ledger), src, r.hlArgs())
	code, out, _ := r.run(join([]string{"preflight", "-map", mapPath}, src, r.hlArgs())...)
	assert.Equal(t, exitFailed, code, "preflight without a ledger works, and the schema is not there yet")
	assert.Contains(t, out, "Preflight")
	r.mustRun(append([]string{"schema", "-apply", "-new-ledger"}, args...)...)
	out = r.mustRun(append([]string{"run"}, args...)...)
	assert.Contains(t, out, "run done, ledger run 2:")
	assert.Positive(t, r.contacts())
}

func TestLedgerOfAnotherLocationRefused(t *testing.T) {
	r, args := prepared(t, 3)
	other := join(args, []string{"-location", "hlsimOtherLocation01"}) // the last -location wins
	code, _, errOut := r.run(append([]string{"run"}, other...)...)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "one ledger per location")
	code, _, errOut = r.run(join([]string{"undo"}, r.led(r.path("l.ledger")), r.hlArgs(), []string{"-location", "hlsimOtherLocation01"})...)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "one ledger per location")
}

// BenchmarkRun measures the full load through the command line: records
// written per second, HighLevel calls per record, and how full the
// limiter (100 requests per 100ms here) was kept.
func BenchmarkRun(b *testing.B) {
	const window, limit = 100 * time.Millisecond, 100
	var records, calls int
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		r, args := prepared(b, 40)
		before := len(r.hl.RequestLog())
		b.StartTimer()
		start := time.Now()
		r.mustRun(append([]string{"run"}, args...)...)
		elapsed += time.Since(start)
		b.StopTimer()
		calls += len(r.hl.RequestLog()) - before
		for _, k := range []hltest.Kind{hltest.KindContact, hltest.KindBusiness, hltest.KindRecord, hltest.KindOpportunity, hltest.KindNote, hltest.KindTask} {
			records += r.hl.Count(hltest.DefaultLocationID, k)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(records)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(calls)/float64(max(records, 1)), "calls/record")
	b.ReportMetric(float64(calls)/elapsed.Seconds()/(limit/window.Seconds()), "limiter-utilisation")
}

// noFile asserts that neither path nor SQLite's companions exist.
func noFile(t *testing.T, path string) {
	t.Helper()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		_, err := os.Lstat(p)
		assert.ErrorIs(t, err, os.ErrNotExist, "%s was created", p)
	}
}

// A mistyped -ledger on a command that only reads fails, names the path,
// and creates nothing (issue 11: status, audit, preflight and undo
// -dry-run used to create an empty ledger and answer as if nothing had
// been migrated).
func TestReadOnlyCommandsNeverCreateLedger(t *testing.T) {
	r, args := prepared(t, 3)
	r.mustRun(append([]string{"run"}, args...)...)
	typo := r.path("l.ledgr")
	mapPath := r.path("map.yaml")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"status", []string{"status", "-ledger", typo}},
		{"audit", []string{"audit", "-ledger", typo}},
		{"audit problems", []string{"audit", "-problems", "-ledger", typo, "-o", r.path("p.csv")}},
		{"preflight", join([]string{"preflight", "-map", mapPath, "-ledger", typo}, r.srcArgs(), r.hlArgs())},
		{"undo dry run", join([]string{"undo", "-dry-run", "-ledger", typo}, r.hlArgs())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := r.run(tc.args...)
			assert.Equal(t, exitUsage, code, "%s\n%s", out, errOut)
			assert.Contains(t, errOut, "the ledger "+typo+" does not exist (nothing was created)")
			assert.Contains(t, errOut, "mistyped")
			assert.NotContains(t, out, "nothing to undo")
			noFile(t, typo)
		})
	}
	_, err := os.Lstat(r.path("p.csv"))
	assert.ErrorIs(t, err, os.ErrNotExist, "no export of a ledger that does not exist")
}

// A command that writes refuses a missing ledger unless -new-ledger says a
// new migration starts: a typo against a loaded location would otherwise
// write the practice a second time.
func TestWritingCommandsRefuseMissingLedger(t *testing.T) {
	r, args := prepared(t, 3)
	r.mustRun(append([]string{"run"}, args...)...)
	before := r.kinds()
	typo := r.path("l.ledgr")
	typoArgs := join(args, []string{"-ledger", typo}) // the last -ledger wins
	for _, cmd := range [][]string{{"run"}, {"run", "-dry-run"}, {"delta"}, {"sample", "-patients", "2"}, {"schema", "-apply"}} {
		t.Run(strings.Join(cmd, " "), func(t *testing.T) {
			code, out, errOut := r.run(join(cmd, typoArgs)...)
			assert.Equal(t, exitUsage, code, "%s\n%s", out, errOut)
			assert.Contains(t, errOut, "the ledger "+typo+" does not exist")
			assert.Contains(t, errOut, "pbn2hl "+cmd[0]+" -new-ledger", "names the way to start a new migration")
			assert.Contains(t, errOut, "mistyped", "names the other way out")
			noFile(t, typo)
		})
	}
	code, _, errOut := r.run(join([]string{"undo", "-ledger", typo}, r.hlArgs())...)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "does not exist")
	assert.NotContains(t, errOut, "-new-ledger ... creates", "undo never creates a ledger")
	noFile(t, typo)
	assert.Equal(t, before, r.kinds(), "nothing was written to HighLevel")

	// -new-ledger against a location another ledger loaded: the library
	// refuses it before writing anything, and the tool says what to do.
	fresh := r.path("fresh.ledger")
	for _, cmd := range [][]string{{"run", "-dry-run"}, {"run"}, {"sample", "-patients", "2"}} {
		code, _, errOut = r.run(join(cmd, []string{"-new-ledger"}, args, []string{"-ledger", fresh})...)
		assert.Equal(t, exitUsage, code, errOut)
		assert.Contains(t, errOut, "refused: the ledger "+fresh)
		assert.Contains(t, errOut, "does not belong to location "+hltest.DefaultLocationID)
		assert.Contains(t, errOut, "-ledger pointing at the ledger named l.ledger")
		assert.Contains(t, errOut, "pbn2hl adopt")
	}
	assert.Contains(t, errOut, "exists: using it", "-new-ledger on an existing ledger uses it")
	assert.Equal(t, before, r.kinds(), "nothing was written to HighLevel")
}

// An unknown flag is one line and the way to the help, not the help.
func TestUnknownFlagOneLine(t *testing.T) {
	r := newRig(t, 1, 0)
	code, out, errOut := r.run("run", "-ledgr", "x")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Equal(t, "pbn2hl run: unknown flag -ledgr (did you mean -ledger?)\nRun 'pbn2hl run -h' for its flags.\n", errOut)

	code, out, errOut = r.run("frobnicate")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Equal(t, 2, strings.Count(errOut, "\n"), errOut)

	code, out, errOut = r.run("status", "-h")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "Usage: pbn2hl status", "help asked for goes to stdout")
	assert.Contains(t, out, "-ledger")
	assert.Empty(t, errOut)
}

// quiet is hlArgs without -v: what a warning says must not depend on it.
func (r *rig) quiet() []string {
	var out []string
	for _, a := range r.hlArgs() {
		if a != "-v" {
			out = append(out, a)
		}
	}
	return out
}

// Issue 21: a writing command needs the ledger's key, or an explicit
// -plaintext-ledger that is warned about every time.
func TestWritingCommandsNeedKeyOrPlaintext(t *testing.T) {
	r := newRig(t, 3, 0)
	mapPath := writeDefaultMap(t, r)
	r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	ledger := r.path("clear.ledger")
	args := join([]string{"-map", mapPath, "-ledger", ledger}, r.srcArgs(), r.quiet())

	code, _, errOut := r.run(join([]string{"schema", "-apply", "-new-ledger"}, args)...)
	assert.Equal(t, exitUsage, code, errOut)
	assert.Contains(t, errOut, "-ledger-key-file")
	assert.Contains(t, errOut, "-plaintext-ledger")
	assert.Contains(t, errOut, "$"+envLedgerKeyFile)
	noFile(t, ledger)
	assert.Zero(t, r.hl.Count(hltest.DefaultLocationID, hltest.KindCustomField), "nothing written to HighLevel")

	code, _, errOut = r.run(join([]string{"schema", "-apply", "-new-ledger", "-plaintext-ledger", "-ledger-key-file", r.key}, args)...)
	assert.Equal(t, exitUsage, code, "a key and -plaintext-ledger exclude each other")
	assert.Contains(t, errOut, "exclude each other")
	noFile(t, ledger)

	warning := "WARNING: -plaintext-ledger: " + ledger + " stores patient data"
	code, _, errOut = r.run(join([]string{"schema", "-apply", "-new-ledger", "-plaintext-ledger"}, args)...)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, warning, "warned without -v")
	code, _, errOut = r.run(join([]string{"run", "-plaintext-ledger"}, args)...)
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, 1, strings.Count(errOut, warning), "warned again, on every command")

	// The choice is made on every writing command, not once.
	code, _, errOut = r.run(join([]string{"delta"}, args)...)
	assert.Equal(t, exitUsage, code, errOut)
	assert.Contains(t, errOut, "-plaintext-ledger")
	code, _, errOut = r.run(join([]string{"undo", "-ledger", ledger}, r.quiet())...)
	assert.Equal(t, exitUsage, code, errOut)
	assert.Contains(t, errOut, "-plaintext-ledger")
	assert.Positive(t, r.contacts(), "the refused undo removed nothing")

	// Reading needs no choice: nothing is written.
	out := r.mustRun(join([]string{"undo", "-dry-run", "-ledger", ledger}, r.quiet())...)
	assert.Contains(t, out, "undo (dry run)")
	out = r.mustRun("status", "-ledger", ledger)
	assert.Contains(t, out, "encryption none")

	// The key file named by the environment instead of the flag (another
	// location: this one belongs to the plaintext ledger now).
	r2 := newRig(t, 3, 0)
	r2.env[envLedgerKeyFile] = r2.key
	sealed := r2.path("sealed.ledger")
	r2.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	r2.mustRun(join([]string{"schema", "-apply", "-new-ledger", "-map", mapPath, "-ledger", sealed}, r2.srcArgs(), r2.quiet())...)
	out = r2.mustRun("status", "-ledger", sealed)
	assert.Contains(t, out, "encryption aes-256-gcm")
}

// Issue 21: every file the tool writes that may hold patient data ends
// owner-only (0600), also when the target existed with 0644, and a
// symbolic link at the target is replaced, not written through.
func TestFilesOwnerOnly(t *testing.T) {
	r := newRig(t, 6, 0)
	elsewhere := t.TempDir()
	// plant puts at name either a 0644 file or a link to a file elsewhere
	// (what a link would leak the data into); victim is that file.
	plant := func(name string, link bool) (path, victim string) {
		path = r.path(name)
		if !link {
			require.NoError(t, os.WriteFile(path, []byte("old\n"), 0o644))
			require.NoError(t, os.Chmod(path, 0o644)) // whatever the umask
			return path, ""
		}
		victim = filepath.Join(elsewhere, name)
		require.NoError(t, os.WriteFile(victim, []byte("victim\n"), 0o644))
		require.NoError(t, os.Symlink(victim, path))
		return path, victim
	}
	check := func(path, victim string) {
		t.Helper()
		st, err := os.Lstat(path)
		require.NoError(t, err)
		assert.True(t, st.Mode().IsRegular(), "%s is a regular file, not a link", path)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "%s is owner-only", path)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.NotEqual(t, "old\n", string(b), "%s was rewritten", path)
		if victim != "" {
			b, err := os.ReadFile(victim)
			require.NoError(t, err)
			assert.Equal(t, "victim\n", string(b), "the link's target was not written through")
		}
		entries, err := os.ReadDir(filepath.Dir(path))
		require.NoError(t, err)
		for _, e := range entries {
			assert.NotContains(t, e.Name(), ".tmp-", "no temporary file left behind")
		}
	}

	mapPath, _ := plant("map.yaml", false)
	review, reviewVictim := plant("review.md", true)
	r.mustRun(join([]string{"propose", "-overwrite", "-from", "default", "-out", mapPath, "-review", review}, r.srcArgs())...)
	check(mapPath, "")
	check(review, reviewVictim)

	require.NoError(t, os.Chmod(mapPath, 0o644))
	r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	check(mapPath, "")

	args := join([]string{"-map", mapPath}, r.led(r.path("l.ledger")), r.srcArgs(), r.hlArgs())
	r.mustRun(append([]string{"schema", "-apply", "-new-ledger"}, args...)...)
	bodies, _ := plant("bodies.jsonl", false)
	r.mustRun(append([]string{"sample", "-patients", "2", "-bodies", bodies}, args...)...)
	check(bodies, "")
	linked, linkedVictim := plant("bodies-link.jsonl", true)
	r.mustRun(append([]string{"sample", "-patients", "2", "-bodies", linked}, args...)...)
	check(linked, linkedVictim)

	for i, extra := range [][]string{{"-problems"}, {"-format", "csv"}, {}} {
		for _, link := range []bool{false, true} {
			out, victim := plant(fmt.Sprintf("export-%d-%v", i, link), link)
			r.mustRun(join([]string{"audit", "-o", out}, extra, r.led(r.path("l.ledger")))...)
			check(out, victim)
		}
	}
}

// -max-invalid-share and -accept-invalid reach the library's preflight
// gate: a reviewer maps treatment plan statuses straight to the status
// without the proposer's value map (HighLevel takes only open, won, lost,
// abandoned), so every plan is invalid and preflight blocks; accepted
// knowingly, it goes on.
func TestAcceptInvalid(t *testing.T) {
	r := newRig(t, 10, 0)
	mapPath := r.path("draft.yaml")
	r.mustRun(join([]string{"propose", "-out", mapPath, "-review", r.path("draft.md")}, r.srcArgs(), r.hlArgs())...)
	m, err := mapping.Load(mapPath)
	require.NoError(t, err)
	tp := m.Object("treatment_plans")
	require.NotNil(t, tp)
	for i := range tp.Fields {
		if tp.Fields[i].From == "status" {
			tp.Fields[i].To, tp.Fields[i].Type, tp.Fields[i].Label = "status", "", ""
			tp.Fields[i].Values, tp.Fields[i].Unknown, tp.Fields[i].Default = nil, "", ""
		}
	}
	require.NotNil(t, tp.Field("status"))
	require.NoError(t, m.SaveFile(mapPath))
	r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	args := join([]string{"-map", mapPath}, r.led(r.path("l.ledger")), r.srcArgs(), r.hlArgs())
	r.mustRun(append([]string{"schema", "-apply", "-new-ledger"}, args...)...)

	code, out, errOut := r.run(join([]string{"preflight"}, args)...)
	require.Equal(t, exitFailed, code, "%s\n%s", out, errOut)
	assert.Contains(t, errOut, "not ready")
	assert.Contains(t, errOut, "more than the 2% allowed")
	assert.Contains(t, errOut, "-accept-invalid")
	out = r.mustRun(join([]string{"preflight", "-accept-invalid"}, args)...)
	assert.Contains(t, out, "Accepted knowingly")
	assert.Contains(t, out, "ready: nothing blocks the run")
	code, _, errOut = r.run(join([]string{"preflight", "-max-invalid-share", "1"}, args)...)
	assert.Equal(t, exitOK, code, "every record may be invalid: %s", errOut)

	out = r.mustRun(join([]string{"run", "-accept-invalid"}, args)...)
	assert.Contains(t, out, "invalid records by reason (never sent):")
	assert.Contains(t, out, "treatment_plans: 7 of 7 invalid")
	assert.Contains(t, out, "accepted knowingly")
	// The run's problems file beside its success file: one row per
	// invalid record, with its reason and no value (issue 19.4).
	m2 := regexp.MustCompile(`problems file \(7 invalid, 0 rejected, with reasons\): (\S+)`).FindStringSubmatch(out)
	require.NotNil(t, m2, out)
	assert.Equal(t, r.path("l.ledger-run2-problems.csv"), m2[1])
	st, err := os.Stat(m2[1])
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	b, err := os.ReadFile(m2[1])
	require.NoError(t, err)
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+7, "%s", b)
	assert.Equal(t, "kind", rows[0][0])
	for _, row := range rows[1:] {
		assert.Equal(t, []string{"invalid", "2", "treatment_plans"}, row[:3], "%s", b)
		assert.Contains(t, row[7], "status", "the reason names the field")
	}
	audit := r.mustRun(join([]string{"audit", "-problems", "-runs", "2"}, r.led(r.path("l.ledger")))...)
	assert.Equal(t, string(b), audit, "the same as audit -problems -runs 2")
	// -v (the rig's) says where the run's time went, object by object
	// (issue 19.6).
	assert.Regexp(t, `(?m)^run: where the time went \(-v\): \S+ in all, [\d,]+ calls$`, r.stderr.String())
	assert.Regexp(t, `(?m)^  patients +\S+ +[\d,]+ calls  [\d.]+ calls/s$`, r.stderr.String())
	assert.Regexp(t, `(?m)^  treatment_plans +\S+ +0 calls$`, r.stderr.String(), "every record invalid: no call")

	for _, bad := range [][]string{
		{"preflight", "-max-invalid-share", "1.5"},
		{"preflight", "-request-timeout", "0s"},
		{"preflight", "-request-timeout", "11m"},
		{"preflight", "-encoding", "windows-1252"}, // with -pbn-url: the API is UTF-8
	} {
		code, _, errOut := r.run(join(bad[:1], args, bad[1:])...) // the last of a repeated flag wins
		assert.Equal(t, exitUsage, code, "%v: %s", bad, errOut)
	}
}

// -encoding reaches the export reader: a Windows-1252 file is refused
// without it (nothing is guessed) and read with it.
func TestExportEncoding(t *testing.T) {
	r := newRig(t, 5, 0)
	export := r.path("export")
	_, err := r.pbn.WriteExport(context.Background(), export, pbntest.ExportOptions{})
	require.NoError(t, err)
	delete(r.env, envPBNToken)
	patients := filepath.Join(export, "patients.csv")
	b, err := os.ReadFile(patients)
	require.NoError(t, err)
	lines := bytes.SplitN(b, []byte("\n"), 3)
	require.Len(t, lines, 3)
	// One é in Windows-1252 (0xE9, not UTF-8) in the first record's last
	// name's place, whatever the column order: a character appended to
	// the line's last field.
	lines[1] = append(bytes.TrimRight(lines[1], "\r"), 0xE9)
	require.NoError(t, os.WriteFile(patients, bytes.Join(lines, []byte("\n")), 0o600))

	src := []string{"-export", export}
	mapPath := r.path("map.yaml")
	r.mustRun(join([]string{"propose", "-from", "default", "-out", mapPath, "-review", r.path("review.md")}, src)...)
	r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	code, out, errOut := r.run(join([]string{"preflight", "-map", mapPath}, src, r.hlArgs())...)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out+errOut, "patients.csv")
	assert.Contains(t, out+errOut, "-encoding")

	assert.Contains(t, out+errOut, "not valid UTF-8")
	_, out, errOut = r.run(join([]string{"preflight", "-map", mapPath, "-encoding", "windows-1252"}, src, r.hlArgs())...)
	assert.NotContains(t, out+errOut, "not valid UTF-8", "read as Windows-1252")
	assert.NotContains(t, out+errOut, "patients.csv", "nothing to say about the file")
}

// A refused token is named, with the environment variable that holds it
// and what to do; the token itself never appears.
func TestRefusedTokenSaysWhichAndWhat(t *testing.T) {
	r := newRig(t, 3, 0)
	mapPath := writeDefaultMap(t, r)
	const wrongHL, wrongPBN = "pit-wrong-0000-4000-8000-000000000042", "pbn-wrong-token-42"

	r.env[envHLToken] = wrongHL
	code, _, errOut := r.run(join([]string{"schema", "-map", mapPath}, r.srcArgs(), r.hlArgs())...)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "HighLevel refused the token in $HL_TOKEN (401 unauthorized)")
	assert.Contains(t, errOut, "location "+hltest.DefaultLocationID)
	assert.NotContains(t, errOut, wrongHL)

	r.env[envHLToken] = hltest.DefaultToken
	r.env[envPBNToken] = wrongPBN
	code, _, errOut = r.run(join([]string{"propose", "-overwrite", "-out", r.path("m.yaml"), "-review", r.path("r.md")}, r.srcArgs())...)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errOut, "Practice by Numbers refused the token in $PBN_TOKEN (401 unauthorized)")
	assert.NotContains(t, errOut, wrongPBN)
}

// Issue 21: purge drops the patient data of signed-off runs from the
// ledger file itself (a plaintext ledger here, so that the file's bytes
// can be searched), says what undo can no longer do, and keeps what the
// audit trail needs.
func TestPurge(t *testing.T) {
	r := newRig(t, 6, 0)
	mapPath := writeDefaultMap(t, r)
	r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	ledger := r.path("clear.ledger")
	args := join([]string{"-map", mapPath, "-ledger", ledger, "-plaintext-ledger"}, r.srcArgs(), r.hlArgs())
	r.mustRun(join([]string{"schema", "-apply", "-new-ledger"}, args)...)
	r.mustRun(join([]string{"run"}, args)...)
	r.pbn.MutateWith(pbntest.MutateOptions{Update: 3})
	r.mustRun(join([]string{"delta"}, args)...)

	var names []string
	practice, err := pbntest.NewPractice(7, 6) // the rig's seed and size: the same patients
	require.NoError(t, err)
	for p := range practice.Patients() {
		if len(p.LastName) >= 5 {
			names = append(names, p.LastName)
		}
	}
	require.NotEmpty(t, names)
	inFile := func() int {
		n := 0
		for _, suffix := range []string{"", "-wal"} {
			b, err := os.ReadFile(ledger + suffix)
			if err != nil {
				continue
			}
			for _, name := range names {
				if bytes.Contains(b, []byte(name)) {
					n++
				}
			}
		}
		return n
	}
	require.Positive(t, inFile(), "a plaintext ledger holds the bodies sent: the test can see them")

	code, _, errOut := r.run("purge", "-ledger", ledger, "-plaintext-ledger")
	assert.Equal(t, exitUsage, code, "purge names its runs")
	assert.Contains(t, errOut, "-all-signed-off")
	code, _, errOut = r.run("purge", "-ledger", ledger)
	assert.Equal(t, exitUsage, code, "purge writes: the key or -plaintext-ledger")
	code, _, _ = r.run("purge", "-ledger", r.path("typo.ledger"), "-all-signed-off", "-plaintext-ledger")
	assert.Equal(t, exitUsage, code)
	noFile(t, r.path("typo.ledger"))

	// The delta (run 3) updated records the full run (2) created: purged
	// alone, undo of the delta can no longer restore them.
	out := r.mustRun("purge", "-ledger", ledger, "-plaintext-ledger", "-runs", "3")
	assert.Contains(t, out, "purged runs 3 of "+ledger)
	assert.Regexp(t, `dropped: [1-9][0-9,]* payloads \(bodies sent\) and [1-9][0-9,]* before-images`, out)
	assert.Regexp(t, `undo of these runs can no longer restore [1-9][0-9,]* updated records`, out)
	assert.Contains(t, out, "only with -force")
	out = r.mustRun("purge", "-ledger", ledger, "-plaintext-ledger", "-all-signed-off")
	assert.Contains(t, out, "purged runs 1,2,3 of "+ledger)
	assert.Regexp(t, `dropped: [1-9][0-9,]* payloads`, out)
	assert.Zero(t, inFile(), "no patient name is left in the ledger file or its WAL")

	// The audit trail stays; undo says what the purge took.
	out = r.mustRun("status", "-ledger", ledger)
	assert.Contains(t, out, " delta ")
	out = r.mustRun(join([]string{"undo", "-dry-run", "-ledger", ledger}, r.hlArgs())...)
	assert.Contains(t, out, "limited by pbn2hl purge")
}

// Issue 11: a lost ledger is recovered with adopt, writing nothing to
// HighLevel; the run that follows creates nothing twice.
func TestAdoptRecoversLostLedger(t *testing.T) {
	r, args := prepared(t, practiceSize())
	r.mustRun(append([]string{"run"}, args...)...)
	loaded := r.kinds()
	calls := len(r.hl.RequestLog())

	lost := r.path("recovered.ledger")
	newArgs := join(args, []string{"-ledger", lost})
	code, _, errOut := r.run(join([]string{"run", "-new-ledger"}, newArgs)...)
	require.Equal(t, exitUsage, code, errOut)
	assert.Contains(t, errOut, "pbn2hl adopt -new-ledger")

	out := r.mustRun(join([]string{"adopt"}, newArgs)...) // the refused run created the file: -new-ledger is not needed again
	assert.Regexp(t, `adopt run \d+: the id map of `+lost, out)
	assert.Contains(t, out, "nothing was written to HighLevel")
	assert.Contains(t, out, "undo may delete what it created", "the location names the migration: its records are its own")
	assert.Regexp(t, `\n  contact +[1-9]`, out, "contacts found by their external id")
	for _, l := range r.hl.RequestLog()[calls:] {
		reads := l.Method == "GET" || (l.Method == "POST" && strings.Contains(l.Path, "/search"))
		assert.True(t, reads, "adopt only reads (searches are POSTs): %s %s", l.Method, l.Path)
	}
	assert.Equal(t, loaded, r.kinds())

	out = r.mustRun(join([]string{"run"}, newArgs)...)
	assert.Equal(t, loaded, r.kinds(), "the run after adopt created nothing twice:\n%s", out)
}

// -request-timeout reaches the client and the engine journals it: every
// intent's in-flight horizon is its time plus the timeout (plus the search
// lag, 0 here).
func TestRequestTimeoutJournaled(t *testing.T) {
	r, args := prepared(t, 3)
	r.mustRun(join([]string{"run"}, args, []string{"-request-timeout", "7s"})...)
	l, err := rollback.Open(context.Background(), r.path("l.ledger"), rollback.Options{ReadOnly: true, Key: bytes.Repeat([]byte{7}, 32)})
	require.NoError(t, err)
	defer l.Close()
	n := 0
	for e, err := range l.Entries(context.Background(), rollback.EntryFilter{Runs: []rollback.RunID{2}}) {
		require.NoError(t, err)
		if e.InflightUntil.IsZero() {
			continue
		}
		n++
		d := e.InflightUntil.Sub(e.IntentAt)
		// The deadline is taken just before the intent is stamped.
		assert.True(t, d > 6900*time.Millisecond && d < 8*time.Second, "horizon %s after the intent, want the 7s timeout", d)
	}
	assert.Positive(t, n)
}
