package pbnhl

import "testing"

// TestLedgerName: the ledger name kept in the location's custom value and
// shown in LedgerMismatchError is a file's name, or a PostgreSQL ledger's
// database (and schema), never a directory, user, password, host or
// connection option.
func TestLedgerName(t *testing.T) {
	for in, want := range map[string]string{
		"/home/jane/migrations/smile.ledger": "smile.ledger",
		"smile ledger.db":                    "smile_ledger.db",
		"sqlite:/data/smile.ledger":          "smile.ledger",
		"SQLite:rel/smile.ledger":            "smile.ledger",
		"postgres://pbnhl:xxxxx@db.example:5432/pbnhl_prod?sslmode=require": "pbnhl_prod",
		"postgresql://db.example/pbnhl_prod?search_path=practice_a,public":  "pbnhl_prod.practice_a",
		"postgres://pbnhl@/pbnhl_t1_2?host=%2Ftmp%2Fpbnhl-pg-1&port=5432":   "pbnhl_t1_2",
		"postgres:///?dbname=smile&host=/run/pg":                            "smile",
		"postgres://db.example":                                             "postgres",
		"postgres://db.example/a%2Fb":                                       "a_b",
	} {
		if got := ledgerName(in); got != want {
			t.Errorf("ledgerName(%q) = %q, want %q", in, got, want)
		}
	}
}
