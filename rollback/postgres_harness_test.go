package rollback

// The PostgreSQL test harness: the groundwork for running the ledger suite
// against PostgreSQL (issue 20.1). A test asks postgresDB(t) for a fresh,
// empty database and gets its connection string.
//
// Where the server comes from:
//   - PBNHL_POSTGRES_URL, if set, names a server the tests may create and
//     drop databases on (the URL's database is only used to connect).
//   - Otherwise one throwaway cluster per test binary run: Debian's
//     postgresql binaries (/usr/lib/postgresql/*/bin), initdb into a temp
//     dir, the server listening only on a unix socket in that dir
//     (listen_addresses=''), fsync off for speed (on under -bench). Since the socket is
//     private to the dir, the fixed port number never clashes with another
//     cluster. initdb refuses to run as root, so as root the cluster runs
//     as the "postgres" user the Debian package creates (else "nobody"),
//     with its uid/gid set on the child, in a dir chowned to that user. TestMain stops it.
//   - Neither: the test skips, saying which package to install.

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

type pgCluster struct {
	admin  string // connection string of a database to issue CREATE DATABASE on
	dsnFor func(db string) string
	skip   string // why there is no server, when there is none
	cmd    *exec.Cmd
	dir    string
}

var (
	pgOnce  sync.Once
	pg      *pgCluster
	pgErr   error
	pgDBSeq atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	stopPostgres()
	os.Exit(code)
}

// postgresDB returns the connection string of a new, empty database on the
// test server, dropped when the test ends; it skips the test when there is
// no server and no binaries to start one.
func postgresDB(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() { pg, pgErr = startPostgres() })
	if pgErr != nil {
		t.Fatalf("PostgreSQL test server: %v", pgErr)
	}
	if pg.skip != "" {
		t.Skip(pg.skip)
	}
	name := fmt.Sprintf("pbnhl_t%d_%d", os.Getpid(), pgDBSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg.admin)
	if err != nil {
		t.Fatalf("connect to the PostgreSQL test server %s: %v", RedactDSN(pg.admin), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, pg.admin)
		if err != nil {
			t.Errorf("drop test database: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return pg.dsnFor(name)
}

func startPostgres() (*pgCluster, error) {
	if u := os.Getenv("PBNHL_POSTGRES_URL"); u != "" {
		if _, err := pgx.ParseConfig(u); err != nil {
			return nil, fmt.Errorf("PBNHL_POSTGRES_URL %s: %v", RedactDSN(u), err)
		}
		return &pgCluster{admin: u, dsnFor: func(db string) string {
			// A URL names its database in the path; a keyword string
			// takes the last dbname= given.
			if p, err := url.Parse(u); err == nil && (p.Scheme == "postgres" || p.Scheme == "postgresql") {
				p.Path = "/" + db
				return p.String()
			}
			return u + " dbname=" + db
		}}, nil
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		return &pgCluster{skip: "PostgreSQL tests skipped: PBNHL_POSTGRES_URL is unset and no PostgreSQL binaries " +
			"are installed (/usr/lib/postgresql/*/bin/initdb): apt-get install postgresql, or point PBNHL_POSTGRES_URL at a server"}, nil
	}
	// The newest major version installed.
	sort.Slice(bins, func(i, j int) bool { return pgMajor(bins[i]) < pgMajor(bins[j]) })
	bin := filepath.Dir(bins[len(bins)-1])

	dir, err := os.MkdirTemp("", "pbnhl-pg-")
	if err != nil {
		return nil, err
	}
	c := &pgCluster{dir: dir}
	var cred *syscall.Credential // the unprivileged user, when root
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			u, err = user.Lookup("nobody")
		}
		if err != nil {
			os.RemoveAll(dir)
			return &pgCluster{skip: "PostgreSQL tests skipped: running as root and no unprivileged user (postgres, nobody) to run initdb as"}, nil
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	// Started directly under the user's ids (not through runuser), so the
	// server is this process's own child and a signal reaches it.
	run := func(args ...string) *exec.Cmd {
		cmd := exec.Command(args[0], args[1:]...)
		// Its own process group: a ^C to the test run does not reach
		// it before TestMain's stop does.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		return cmd
	}
	data := filepath.Join(dir, "data")
	if out, err := run(filepath.Join(bin, "initdb"), "-D", data, "-U", "pbnhl", "--auth=trust",
		"-E", "UTF8", "--no-sync", "--no-instructions").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	args := []string{"-D", data, "-k", dir, "-p", "5432", "-c", "listen_addresses=", "-c", "max_connections=200"}
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		// Tests: durability off for speed. Benchmarks (-bench) keep the
		// server's defaults (fsync, synchronous_commit, full_page_writes
		// on), so BenchmarkJournal compares durable commits on both backends.
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	c.cmd = run(append([]string{filepath.Join(bin, "postgres")}, args...)...)
	log, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.cmd.Stdout, c.cmd.Stderr = log, log
	if err := c.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start postgres: %v", err)
	}
	c.admin = fmt.Sprintf("host=%s port=5432 user=pbnhl dbname=postgres", dir)
	c.dsnFor = func(db string) string { return fmt.Sprintf("host=%s port=5432 user=pbnhl dbname=%s", dir, db) }
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, c.admin)
		if err == nil {
			conn.Close(ctx)
			cancel()
			break
		}
		cancel()
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			pg = c
			stopPostgres()
			return nil, fmt.Errorf("postgres did not accept connections within 60s: %v; log: %s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return c, nil
}

func pgMajor(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// stopPostgres stops the throwaway cluster (fast shutdown) and removes its
// dir; a server named by PBNHL_POSTGRES_URL is left alone.
func stopPostgres() {
	if pg == nil || pg.cmd == nil || pg.cmd.Process == nil {
		return
	}
	// SIGINT is PostgreSQL's fast shutdown: sessions are cut, no waiting
	// for clients.
	pg.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { pg.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		syscall.Kill(-pg.cmd.Process.Pid, syscall.SIGKILL) // the whole group
		<-done
	}
	os.RemoveAll(pg.dir)
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
