package rollback

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseLocation(t *testing.T) {
	for _, c := range []struct{ in, backend, target string }{
		{"ledger.db", backendSQLite, "ledger.db"},
		{"/var/lib/pbnhl/ledger.db", backendSQLite, "/var/lib/pbnhl/ledger.db"},
		{"sqlite:/var/lib/pbnhl/ledger.db", backendSQLite, "/var/lib/pbnhl/ledger.db"},
		{"SQLite:rel/ledger.db", backendSQLite, "rel/ledger.db"},
		{"dir:with/colon.db", backendSQLite, "dir:with/colon.db"},
		{"postgres://u:p@db/pbnhl", backendPostgres, "postgres://u:p@db/pbnhl"},
		{"postgresql://db/pbnhl?sslmode=require", backendPostgres, "postgresql://db/pbnhl?sslmode=require"},
	} {
		b, tgt := parseLocation(c.in)
		if b != c.backend || tgt != c.target {
			t.Errorf("parseLocation(%q) = %q, %q; want %q, %q", c.in, b, tgt, c.backend, c.target)
		}
	}
}

func TestRedactDSN(t *testing.T) {
	const secret = "s3cr3t-Pw"
	for _, c := range []struct{ in, want string }{
		{"postgres://migrator:" + secret + "@db.example:5432/pbnhl?sslmode=require",
			"postgres://migrator:xxxxx@db.example:5432/pbnhl?sslmode=require"},
		{"postgresql://db.example/pbnhl?user=m&password=" + secret + "&sslmode=disable",
			"postgresql://db.example/pbnhl?user=m&password=xxxxx&sslmode=disable"},
		{"host=/tmp/s user=m password=" + secret + " dbname=pbnhl",
			"host=/tmp/s user=m password=xxxxx dbname=pbnhl"},
		{"postgres://migrator@db.example/pbnhl", "postgres://migrator@db.example/pbnhl"},
		{"postgres://m:" + secret + "@db.example:notaport/pbnhl",
			"postgres://m:xxxxx@db.example:notaport/pbnhl"},
		{"/var/lib/pbnhl/ledger.db", "/var/lib/pbnhl/ledger.db"},
	} {
		got := RedactDSN(c.in)
		if got != c.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.Contains(got, secret) {
			t.Errorf("RedactDSN(%q) leaks the password: %q", c.in, got)
		}
	}
}

// TestOpenSQLitePrefix: "sqlite:PATH" opens the same file as PATH.
func TestOpenSQLitePrefix(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	l, err := Open(ctx, "sqlite:"+path, Options{Plaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	info, err := l.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = Open(ctx, path, Options{Plaintext: true, MustExist: true})
	if err != nil {
		t.Fatalf("the file the sqlite: location created does not open by its bare path: %v", err)
	}
	defer l.Close()
	again, err := l.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.MigrationID != info.MigrationID {
		t.Fatalf("migration id %q through the bare path, %q through sqlite:", again.MigrationID, info.MigrationID)
	}
	if _, err := Open(ctx, "sqlite:", Options{Plaintext: true}); err == nil {
		t.Fatal("Open(\"sqlite:\") succeeded; want an invalid-argument error")
	}
}

// TestOpenPostgresUnreachable: a PostgreSQL URL selects the PostgreSQL
// backend (it is not taken for a file name); a server that cannot be
// reached fails Open with an error that never carries the password, and
// nothing is created in the working directory.
func TestOpenPostgresUnreachable(t *testing.T) {
	const secret = "n0t-in-l0gs"
	dir := t.TempDir()
	t.Chdir(dir)
	for _, loc := range []string{
		"postgres://migrator:" + secret + "@127.0.0.1:1/pbnhl?connect_timeout=5",
		"postgresql://127.0.0.1:1/pbnhl?connect_timeout=5&password=" + secret,
		"postgres://migrator:" + secret + "@[::1:bad/pbnhl",
	} {
		l, err := Open(context.Background(), loc, Options{Plaintext: true})
		if err == nil {
			l.Close()
			t.Fatalf("Open(%s) succeeded", RedactDSN(loc))
		}
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error carries the password: %v", err)
		}
		if !strings.Contains(err.Error(), "127.0.0.1") && !strings.Contains(err.Error(), "not a valid PostgreSQL") {
			t.Fatalf("error does not say which server: %v", err)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 0 {
		t.Fatalf("Open of a PostgreSQL URL created files: %v", m)
	}
}
