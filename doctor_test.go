package pbnhl_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl"
	"github.com/pbnhl/pbnhl/highlevel"
	"github.com/pbnhl/pbnhl/highlevel/hltest"
	pbn "github.com/pbnhl/pbnhl/practicebynumbers"
	"github.com/pbnhl/pbnhl/rollback"
)

// doctorFaults sits in front of a simulator: it refuses the paths in
// refuse with their status (HighLevel's answer to a token without the
// scope), and replaces the Date header when date is set (a server whose
// clock differs from ours).
type doctorFaults struct {
	next   http.RoundTripper
	refuse map[string]int // path prefix → status
	date   time.Time
}

func (f doctorFaults) RoundTrip(req *http.Request) (*http.Response, error) {
	for p, status := range f.refuse {
		if strings.HasPrefix(req.URL.Path, p) {
			return &http.Response{StatusCode: status, Status: http.StatusText(status), Request: req,
				Header: http.Header{"Content-Type": {"application/json"}, "Date": {time.Now().UTC().Format(http.TimeFormat)}},
				Body:   io.NopCloser(strings.NewReader(`{"statusCode":401,"message":"The token is not authorized for this scope."}`))}, nil
		}
	}
	resp, err := f.next.RoundTrip(req)
	if err == nil && !f.date.IsZero() {
		resp.Header.Set("Date", f.date.UTC().Format(http.TimeFormat))
	}
	return resp, err
}

type doctorEnv struct {
	*env
	faults *doctorFaults
	in     pbnhl.DoctorInputs
}

func newDoctorEnv(t *testing.T) *doctorEnv {
	e := newEnv(t, envOptions{patients: 6, seed: 5})
	f := &doctorFaults{next: e.hl.Client().Transport, refuse: map[string]int{}}
	hc := &http.Client{Transport: f}
	c, err := highlevel.NewClient(highlevel.Options{BaseURL: e.hl.URL, LocationID: hltest.DefaultLocationID,
		Auth: highlevel.StaticToken(hltest.DefaultToken), Limiter: e.limit, HTTPClient: hc,
		Retry: highlevel.RetryPolicy{MaxAttempts: 1}})
	require.NoError(t, err)
	return &doctorEnv{env: e, faults: f, in: pbnhl.DoctorInputs{Client: c, Source: e.src, Map: e.m, CompanyID: hltest.DefaultCompanyID,
		LedgerPath: e.path, HighLevelURL: e.hl.URL, HTTPClient: hc, MinFreeBytes: 1}}
}

func (d *doctorEnv) run(t *testing.T) (*pbnhl.DoctorReport, string) {
	t.Helper()
	r, err := pbnhl.Doctor(context.Background(), d.in)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, r.WriteText(&b))
	text := b.String()
	assert.NotContains(t, text, hltest.DefaultToken, "no token in any line")
	assert.NotContains(t, text, d.pbn.Token())
	return r, text
}

func check(t *testing.T, r *pbnhl.DoctorReport, name string) pbnhl.DoctorCheck {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, r.Checks)
	return pbnhl.DoctorCheck{}
}

// TestDoctorAllPass: a reachable location and source, a map whose schema
// the schema phase can create, a clean plaintext ledger: every line ok.
func TestDoctorAllPass(t *testing.T) {
	d := newDoctorEnv(t)
	r, text := d.run(t)
	assert.True(t, r.OK(), "%s", text)
	for _, name := range []string{"highlevel connectivity", "highlevel scope contacts.readonly", "highlevel scope users.readonly",
		"practice by numbers access", "location timezone", "location schema", "clock: HighLevel", "ledger", "ledger key",
		"ledger pending intents", "ledger location", "ledger disk"} {
		assert.True(t, check(t, r, name).OK, "%s: %s", name, text)
	}
	assert.Contains(t, check(t, r, "location schema").Detail, "planned by the schema phase")
	assert.Equal(t, "UTC", check(t, r, "location timezone").Detail)
}

// TestDoctorMissingScope: a 401 or 403 on one read names the scope the
// token lacks; a 401 on every read is the token itself.
func TestDoctorMissingScope(t *testing.T) {
	d := newDoctorEnv(t)
	d.faults.refuse["/users/"] = http.StatusUnauthorized
	d.faults.refuse["/businesses"] = http.StatusForbidden
	r, text := d.run(t)
	assert.False(t, r.OK())
	assert.True(t, check(t, r, "highlevel connectivity").OK, text)
	users := check(t, r, "highlevel scope users.readonly")
	assert.False(t, users.OK)
	assert.Contains(t, users.Detail, "lacks scope users.readonly")
	assert.Contains(t, users.Fix, "users.readonly")
	cal := check(t, r, "highlevel scope businesses.readonly")
	assert.False(t, cal.OK)
	assert.Contains(t, cal.Detail, "HTTP 403")
	assert.True(t, check(t, r, "highlevel scope contacts.readonly").OK)

	d.faults.refuse["/"] = http.StatusUnauthorized
	r, text = d.run(t)
	conn := check(t, r, "highlevel connectivity")
	assert.False(t, conn.OK, text)
	assert.Contains(t, conn.Detail, "refused the token on every read")
}

// TestDoctorNoCompany: owners need the agency id, said before any call.
func TestDoctorNoCompany(t *testing.T) {
	d := newDoctorEnv(t)
	d.in.CompanyID = ""
	r, _ := d.run(t)
	c := check(t, r, "highlevel scope users.readonly")
	assert.False(t, c.OK)
	assert.Contains(t, c.Fix, "-company")
}

// TestDoctorSourceForbidden: Practice by Numbers refusing one entity is
// named with the entity.
func TestDoctorSourceForbidden(t *testing.T) {
	d := newDoctorEnv(t)
	f := doctorFaults{next: d.pbn.Client().Transport, refuse: map[string]int{"/v1/appointments": http.StatusForbidden}}
	src, err := pbn.NewClient(pbn.Options{BaseURL: d.pbn.URL, Token: d.pbn.Token(), HTTPClient: &http.Client{Transport: f}, RateLimit: -1})
	require.NoError(t, err)
	d.in.Source = src
	d.in.SourceURL = d.pbn.URL
	r, text := d.run(t)
	c := check(t, r, "practice by numbers access")
	assert.False(t, c.OK, text)
	assert.Contains(t, c.Detail, "appointments (HTTP 403)")
	assert.True(t, check(t, r, "clock: Practice by Numbers").OK, text)
}

// TestDoctorClockSkew: a server Date ten minutes ahead of ours fails; one
// second ahead passes.
func TestDoctorClockSkew(t *testing.T) {
	d := newDoctorEnv(t)
	d.faults.date = time.Now().Add(10 * time.Minute)
	r, text := d.run(t)
	c := check(t, r, "clock: HighLevel")
	assert.False(t, c.OK, text)
	assert.Contains(t, c.Detail, "behind the server's")
	assert.Contains(t, c.Fix, "NTP")

	d.faults.date = time.Now().Add(time.Second)
	r, text = d.run(t)
	assert.True(t, check(t, r, "clock: HighLevel").OK, text)
}

// TestDoctorPendingIntents: a journaled call without its outcome (a kill)
// is reported with how to settle it.
func TestDoctorPendingIntents(t *testing.T) {
	d := newDoctorEnv(t)
	ctx := context.Background()
	run, err := d.ledger.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindFull, MapDigest: "x", Location: hltest.DefaultLocationID})
	require.NoError(t, err)
	for _, k := range []string{"1", "2"} {
		_, err = run.Intent(ctx, rollback.Intent{Op: rollback.OpCreate, ObjectType: rollback.TypeContact, SourceKey: k, Payload: []byte(`{}`)})
		require.NoError(t, err)
	}
	r, text := d.run(t)
	c := check(t, r, "ledger pending intents")
	assert.False(t, c.OK, text)
	assert.Contains(t, c.Detail, "2 calls")
	assert.Contains(t, c.Fix, "run the interrupted phase again")
}

// TestDoctorLedgerKey: an encrypted ledger with no key configured, with a
// key file that is missing, and with the wrong key fails; its own key
// passes.
func TestDoctorLedgerKey(t *testing.T) {
	d := newDoctorEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "enc.ledger")
	key := bytes.Repeat([]byte{7}, 32)
	l, err := rollback.Open(ctx, path, rollback.Options{Key: key})
	require.NoError(t, err)
	run, err := l.BeginRun(ctx, rollback.RunOptions{Kind: rollback.KindFull, MapDigest: "x", Location: hltest.DefaultLocationID})
	require.NoError(t, err)
	seq, err := run.Intent(ctx, rollback.Intent{Op: rollback.OpCreate, ObjectType: rollback.TypeContact, SourceKey: "1", Payload: []byte(`{"a":1}`)})
	require.NoError(t, err)
	require.NoError(t, run.Outcome(ctx, seq, rollback.Outcome{Status: rollback.OutcomeDone, ID: "c1"}))
	require.NoError(t, run.Finish(ctx, rollback.StatusSucceeded))
	require.NoError(t, l.Close())
	d.in.LedgerPath = path

	d.in.LedgerKey = nil
	r, text := d.run(t)
	c := check(t, r, "ledger key")
	assert.False(t, c.OK, text)
	assert.Contains(t, c.Detail, "no key is configured")

	missing := filepath.Join(dir, "ledger.key")
	d.in.LedgerKey = func() ([]byte, error) { return os.ReadFile(missing) }
	r, text = d.run(t)
	c = check(t, r, "ledger key")
	assert.False(t, c.OK, text)
	assert.Contains(t, c.Detail, "cannot be read")

	d.in.LedgerKey = func() ([]byte, error) { return bytes.Repeat([]byte{8}, 32), nil }
	r, text = d.run(t)
	c = check(t, r, "ledger key")
	assert.False(t, c.OK, text)
	assert.Contains(t, c.Detail, "does not open")

	d.in.LedgerKey = func() ([]byte, error) { return key, nil }
	r, text = d.run(t)
	assert.True(t, check(t, r, "ledger key").OK, text)
}

// TestDoctorDisk: less free space than required fails with the sizes.
func TestDoctorDisk(t *testing.T) {
	d := newDoctorEnv(t)
	d.in.MinFreeBytes = 1 << 62
	r, text := d.run(t)
	c := check(t, r, "ledger disk")
	assert.False(t, c.OK, text)
	assert.Contains(t, c.Detail, "needed")
}

// TestDoctorDatabaseLedgerURL: a ledger named by a database URL is never
// printed (it may hold a password), and its disk is not measured here.
func TestDoctorDatabaseLedgerURL(t *testing.T) {
	d := newDoctorEnv(t)
	d.in.LedgerPath = "postgres://migrator:s3cretPW@127.0.0.1:1/ledger?sslmode=disable"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := pbnhl.Doctor(ctx, d.in)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, r.WriteText(&b))
	assert.NotContains(t, b.String(), "s3cretPW")
	assert.False(t, check(t, r, "ledger").OK, b.String()) // nothing listens there
}
