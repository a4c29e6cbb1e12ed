package rollback

// The PostgreSQL test harness: a test asks postgresDB(t) for a fresh,
// empty database and gets its postgres:// URL. The server is pgtest's
// (rollback/pgtest): PBNHL_POSTGRES_URL when set, else one throwaway
// cluster per test binary from Debian's postgresql binaries, stopped by
// TestMain; neither, and the test skips saying which package to install.

import (
	"context"
	"flag"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pbnhl/pbnhl/rollback/pgtest"
)

var (
	pgOnce sync.Once
	pg     *pgtest.Server
	pgErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

// postgresDB returns the postgres:// URL of a new, empty database on the
// test server, dropped when the test ends; it skips the test when there is
// no server and no binaries to start one. The throwaway cluster keeps its
// durability settings on under -bench (BenchmarkJournal compares durable
// commits) and turns them off for tests.
func postgresDB(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() {
		bench := flag.Lookup("test.bench")
		pg, pgErr = pgtest.Start(pgtest.Options{Durable: bench != nil && bench.Value.String() != ""})
	})
	if pgErr != nil {
		t.Fatalf("PostgreSQL test server: %v", pgErr)
	}
	return pg.Database(t)
}

// TestPostgresHarness: the harness gives each test its own empty database
// on a live server, and a second database is really separate.
func TestPostgresHarness(t *testing.T) {
	ctx := context.Background()
	a, b := postgresDB(t), postgresDB(t)
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	if _, err := ca.Exec(ctx, "CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Exec(ctx, "INSERT INTO meta VALUES ('k', 'v')"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := ca.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'k'").Scan(&v); err != nil || v != "v" {
		t.Fatalf("read back %q, %v", v, err)
	}
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close(ctx)
	var n int
	if err := cb.QueryRow(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("the second test database sees the first one's table")
	}
}
