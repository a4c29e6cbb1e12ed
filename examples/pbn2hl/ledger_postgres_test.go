package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/rollback/pgtest"
)

// TestLedgerOnPostgres: -ledger postgres://… — a database holding no
// ledger is a missing ledger (nothing created; read-only commands refuse
// it, writing ones need -new-ledger), a password in the URL is refused
// without being printed, and schema, run and status work on the
// PostgreSQL ledger. The server is pgtest's (PBNHL_POSTGRES_URL or a
// throwaway local cluster); the test skips only when neither exists.
func TestLedgerOnPostgres(t *testing.T) {
	srv, err := pgtest.Start(pgtest.Options{})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	loc := srv.Database(t)

	r := newRig(t, 3, 0)
	code, out, errOut := r.run("status", "-ledger", loc)
	assert.Equal(t, exitUsage, code, "%s\n%s", out, errOut)
	assert.Contains(t, errOut, "the ledger "+loc+" does not exist (nothing was created)")

	const secret = "n0t-in-0utput"
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	for _, withPW := range []string{loc + sep + "password=" + secret, strings.Replace(loc, "://", "://pbnhl:"+secret+"@", 1)} {
		code, out, errOut = r.run("status", "-ledger", withPW)
		assert.Equal(t, exitUsage, code, "%s\n%s", out, errOut)
		assert.Contains(t, errOut, "carries a password")
		assert.Contains(t, errOut, "PGPASSWORD")
		assert.NotContains(t, out+errOut, secret)
	}

	mapPath := r.path("map.yaml")
	r.mustRun(join([]string{"propose", "-from", "default", "-out", mapPath, "-review", r.path("review.md")}, r.srcArgs())...)
	r.mustRun("approve", "-map", mapPath, "-by", "Dr. Reviewer")
	args := join([]string{"-map", mapPath}, r.led(loc), r.srcArgs(), r.hlArgs())
	code, out, errOut = r.run(append([]string{"run"}, args...)...)
	assert.Equal(t, exitUsage, code, "a writing command refuses a database without a ledger unless -new-ledger\n%s\n%s", out, errOut)
	r.mustRun(append([]string{"schema", "-apply", "-new-ledger"}, args...)...)
	r.mustRun(append([]string{"run"}, args...)...)
	assert.Equal(t, 3, r.contacts())
	status := r.mustRun(append([]string{"status"}, r.led(loc)...)...)
	assert.Contains(t, status, "pending intents: none")
}
