package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSideFilePlaces: where a side file goes for each kind of -ledger
// (sidefiles.go): beside a ledger file (sqlite: prefix dropped), beside
// the map for a postgres:// ledger, named after its database and schema
// with no user, host, port or other parameter in the name, and in
// -out-dir when given (created owner-only). The postgres:// case end to
// end: TestLedgerOnPostgres.
func TestSideFilePlaces(t *testing.T) {
	for _, tc := range []struct{ ledger, mapPath, want string }{
		{"/data/smile.ledger", "/maps/map.yaml", "/data/smile.ledger-run3-success.csv"},
		{"smile.ledger", "map.yaml", "smile.ledger-run3-success.csv"},
		{"sqlite:/data/smile.ledger", "/maps/map.yaml", "/data/smile.ledger-run3-success.csv"},
		{"SQLite:rel/smile.ledger", "", "rel/smile.ledger-run3-success.csv"},
		{"postgres://pbnhl@db.example:5432/pbnhl_prod", "/maps/map.yaml", "/maps/pbnhl_prod-run3-success.csv"},
		{"postgresql://db.example/pbnhl_prod?search_path=practice_a,public&sslmode=require", "/maps/map.yaml", "/maps/pbnhl_prod.practice_a-run3-success.csv"},
		{"postgres://pbnhl@/pbnhl_t1?host=%2Ftmp%2Fpg&port=5432", "m/map.yaml", "m/pbnhl_t1-run3-success.csv"},
		{"postgres:///?dbname=smile&host=/run/pg", "/maps/map.yaml", "/maps/smile-run3-success.csv"},
		{"postgres://db.example", "/maps/map.yaml", "/maps/postgres-run3-success.csv"},
		{"postgres://db.example/a%2Fb%20c", "/maps/map.yaml", "/maps/a_b_c-run3-success.csv"},
		{"postgres://db.example/..", "/maps/map.yaml", "/maps/ledger-run3-success.csv"},
		{"postgres://db.example/smile", "", "smile-run3-success.csv"},
	} {
		c := &cli{cfg: config{ledger: tc.ledger, mapPath: tc.mapPath}}
		got, err := c.sideFile(successSuffix(3))
		require.NoError(t, err, tc.ledger)
		assert.Equal(t, filepath.FromSlash(tc.want), got, tc.ledger)
	}

	dir := filepath.Join(t.TempDir(), "reports", "smile")
	for _, ledger := range []string{"/data/smile.ledger", "postgres://db.example/smile"} {
		c := &cli{cfg: config{ledger: ledger, mapPath: "/maps/map.yaml", outDir: dir}}
		got, err := c.sideFile(sampleReportSuffix)
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(dir, "smile"+map[bool]string{true: ".ledger", false: ""}[ledger[0] == '/']+sampleReportSuffix), got)
	}
	st, err := os.Stat(dir)
	require.NoError(t, err)
	assert.True(t, st.IsDir())
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())

	// An -out-dir that cannot be a folder is an error, not a guess.
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	c := &cli{cfg: config{ledger: "/data/smile.ledger", outDir: filepath.Join(file, "sub")}}
	_, err = c.sideFile(sampleReportSuffix)
	assert.ErrorContains(t, err, "-out-dir")
}
