package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Side files are what a command writes besides the ledger and its
// output: run's and delta's success and problems CSVs, sample's report.
// Where they go:
//
//   - -out-dir DIR: in DIR (created, owner-only, when missing);
//   - otherwise, a ledger file (a path, or sqlite:PATH): beside it, named
//     after it (migration.ledger-run3-success.csv);
//   - otherwise, a postgres:// ledger, which has no folder: beside the map
//     (-map, which every such command takes), named after the database
//     and its search_path schema (pbnhl_prod.practice_a-run3-success.csv).
//
// Never in the working directory by surprise, never a path built from a
// URL.

// sideFileDirFlag registers -out-dir on a command that writes side files.
func (c *cli) sideFileDirFlag() {
	c.flags.StringVar(&c.cfg.outDir, "out-dir", "", "write the side files (success and problems CSVs, sample report) into this `DIR` (default: beside -ledger; beside -map for a postgres:// ledger)")
}

// sideFile is the path of a side file named after the ledger plus suffix
// ("-run3-success.csv", ".sample-report.json"). With -out-dir the folder
// is created (0700) when missing.
func (c *cli) sideFile(suffix string) (string, error) {
	dir, name := c.ledgerPlace()
	if c.cfg.outDir != "" {
		dir = c.cfg.outDir
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", fmt.Errorf("-out-dir: %w", err)
		}
	}
	return filepath.Join(dir, name+suffix), nil
}

// ledgerPlace is the folder a ledger's side files go to by default and
// the name they start with.
func (c *cli) ledgerPlace() (dir, name string) {
	loc := c.cfg.ledger
	if isPostgresLedger(loc) {
		dir = "."
		if c.cfg.mapPath != "" {
			dir = filepath.Dir(c.cfg.mapPath)
		}
		return dir, postgresLedgerName(loc)
	}
	if strings.HasPrefix(strings.ToLower(loc), "sqlite:") {
		loc = loc[len("sqlite:"):]
	}
	return filepath.Dir(loc), filepath.Base(loc)
}

// isPostgresLedger reports a -ledger naming a PostgreSQL database (the
// schemes rollback.Open reads as PostgreSQL): a URL, not a path.
func isPostgresLedger(loc string) bool {
	lower := strings.ToLower(loc)
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
}

// postgresLedgerName names a postgres:// ledger for file names: its
// database, and the search_path schema when one is given (one database
// may hold several practices' ledgers, one schema each). Characters a
// file name should not carry become "_"; no user, host or password.
func postgresLedgerName(loc string) string {
	db, schema := "", ""
	if u, err := url.Parse(loc); err == nil {
		db = strings.TrimPrefix(u.Path, "/")
		q := u.Query()
		if db == "" {
			db = q.Get("dbname")
		}
		if sp := q.Get("search_path"); sp != "" {
			schema, _, _ = strings.Cut(sp, ",")
		}
	}
	if db == "" {
		db = "postgres"
	}
	name := safeName(db)
	if name == "" {
		name = "ledger"
	}
	if s := safeName(strings.TrimSpace(schema)); s != "" {
		name += "." + s
	}
	return name
}

// safeName keeps letters, digits, '.', '-' and '_' (never a leading '.').
func safeName(s string) string {
	b := []rune(s)
	for i, r := range b {
		ok := r == '-' || r == '_' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			b[i] = '_'
		}
	}
	return strings.TrimLeft(string(b), ".")
}
