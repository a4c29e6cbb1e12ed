package fleet

import "testing"

func TestLedgerDir(t *testing.T) {
	for _, c := range []struct {
		loc, dir string
		ok       bool
	}{
		{"/srv/fleet/a/practice.ledger", "/srv/fleet/a", true},
		{"sqlite:/srv/fleet/b/practice.ledger", "/srv/fleet/b", true},
		{"postgres://fleet@db.internal/ledgers?search_path=loc_a", "", false},
		{"PostgreSQL://fleet@db.internal/ledgers", "", false},
	} {
		dir, ok := ledgerDir(c.loc)
		if dir != c.dir || ok != c.ok {
			t.Errorf("ledgerDir(%q) = %q, %v; want %q, %v", c.loc, dir, ok, c.dir, c.ok)
		}
	}
}
