package main

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pbnhl/pbnhl/practicebynumbers/pbntest"
	"github.com/pbnhl/pbnhl/rollback/pgtest"
)

// TestLedgerOnPostgres: -ledger postgres://… — a database holding no
// ledger is a missing ledger (nothing created; read-only commands refuse
// it, writing ones need -new-ledger), a password in the URL is refused
// without being printed, and schema, run, delta, sample and status work
// on the PostgreSQL ledger. The side files, which have no ledger folder
// to go beside, go beside the map named after the database (run's
// success file, sample's report) or into -out-dir (delta's), never to a
// path made of the URL. The server is pgtest's (PBNHL_POSTGRES_URL or a
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

	// Side files. The map is in its own folder, the working directory is
	// another: neither gets a file named after the URL.
	u, err := url.Parse(loc)
	require.NoError(t, err)
	db := strings.TrimPrefix(u.Path, "/")
	require.NotEmpty(t, db)
	mapDir := filepath.Dir(mapPath)
	success := filepath.Join(mapDir, db+"-run2-success.csv")
	assert.Contains(t, out+r.stdout.String(), "success file (source key → HighLevel id, action): "+success)
	csv, err := os.ReadFile(success)
	require.NoError(t, err, "run's success file beside the map")
	assert.Len(t, regexp.MustCompile(`(?m)^patients,[^,]+,contact,[^,]+,created,2$`).FindAll(csv, -1), 3, "one contact row per patient:\n%s", csv)
	st, err := os.Stat(success)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	r.pbn.MutateWith(pbntest.MutateOptions{Update: 1, Create: 1})
	outDir := r.path("side/files")
	out = r.mustRun(append([]string{"delta", "-out-dir", outDir}, args...)...)
	delta := filepath.Join(outDir, db+"-run3-success.csv")
	assert.Contains(t, out, "success file (source key → HighLevel id, action): "+delta)
	_, err = os.Stat(delta)
	require.NoError(t, err, "delta's success file in -out-dir")
	dst, err := os.Stat(outDir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), dst.Mode().Perm(), "-out-dir is created owner-only")

	// Another ledger against this location is refused, naming the owner's
	// ledger by its database, not by the tail of its URL.
	other := srv.Database(t)
	code, out, errOut = r.run(join([]string{"sample", "-new-ledger", "-records", "10", "-map", mapPath}, r.led(other), r.srcArgs(), r.hlArgs())...)
	assert.Equal(t, exitUsage, code, "%s\n%s", out, errOut)
	assert.Contains(t, errOut, "with -ledger pointing at the ledger named "+db+".\n")

	// A sample goes into a staging location with its own ledger: another
	// HighLevel (and practice) here, the same approved map.
	stg := newRig(t, 3, 0)
	staging := srv.Database(t)
	sargs := join([]string{"-map", mapPath}, stg.led(staging), stg.srcArgs(), stg.hlArgs())
	stg.mustRun(append([]string{"schema", "-apply", "-new-ledger"}, sargs...)...)
	out = stg.mustRun(append([]string{"sample", "-records", "10"}, sargs...)...)
	su, err := url.Parse(staging)
	require.NoError(t, err)
	report := filepath.Join(mapDir, strings.TrimPrefix(su.Path, "/")+".sample-report.json")
	assert.Contains(t, out, "sample: report written to "+report)
	_, err = os.Stat(report)
	require.NoError(t, err, "the sample report beside the map")

	for _, dir := range []string{".", mapDir, r.dir, stg.dir} {
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			assert.False(t, strings.HasPrefix(e.Name(), "postgres"), "%s in %s: a file named after the URL", e.Name(), dir)
		}
	}
}
