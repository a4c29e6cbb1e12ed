// Package pgtest gives tests a PostgreSQL server to run the rollback
// ledger's PostgreSQL backend on: the server PBNHL_POSTGRES_URL names, or a
// throwaway local cluster started from Debian's postgresql binaries.
//
// Where the server comes from:
//   - PBNHL_POSTGRES_URL, if set, names a server the tests may create and
//     drop databases on (the URL's database is only used to connect).
//   - Otherwise a throwaway cluster: the newest /usr/lib/postgresql/*/bin,
//     initdb into a temp dir, the server listening only on a unix socket in
//     that dir (listen_addresses empty), so its fixed port number never
//     clashes with another cluster. initdb refuses to run as root, so as
//     root the cluster runs as the "postgres" user the Debian package
//     creates (else "nobody"), with its uid/gid set on the child, in a dir
//     chowned to that user. Options.Durable keeps the server's fsync,
//     synchronous_commit and full_page_writes on (benchmarks); tests turn
//     them off for speed. Stop ends it and removes the dir.
//   - Neither: Server.Skip says which package to install, and Database
//     skips the test with that message.
//
// Server.Database gives each test a fresh, empty database as a
// postgres:// URL (the form a ledger location takes), dropped when the
// test ends.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options configure Start.
type Options struct {
	// Durable keeps the throwaway cluster's durability settings at their
	// defaults (fsync on); otherwise they are off for speed.
	Durable bool
}

// Server is a PostgreSQL server tests may create databases on.
type Server struct {
	admin  string // connection string of a database to issue CREATE DATABASE on
	dsnFor func(db string) string
	skip   string
	cmd    *exec.Cmd
	dir    string
	seq    atomic.Int64
}

// Skip is why there is no server ("" when there is one).
func (s *Server) Skip() string { return s.skip }

// DataDir is the throwaway cluster's data directory ("" for a server given
// by PBNHL_POSTGRES_URL, whose files a test cannot read).
func (s *Server) DataDir() string {
	if s.cmd == nil {
		return ""
	}
	return filepath.Join(s.dir, "data")
}

// Database returns the postgres:// URL of a new, empty database on the
// server, dropped when the test ends; it skips the test when there is no
// server.
func (s *Server) Database(t testing.TB) string {
	t.Helper()
	if s.skip != "" {
		t.Skip(s.skip)
	}
	name := fmt.Sprintf("pbnhl_t%d_%d", os.Getpid(), s.seq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.admin)
	if err != nil {
		t.Fatalf("connect to the PostgreSQL test server: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, s.admin)
		if err != nil {
			t.Errorf("drop test database: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return toURL(s.dsnFor(name))
}

// toURL turns a keyword connection string (host=DIR port=N user=U
// dbname=D, unquoted values) into postgres://U@/D?host=DIR&port=N; a URL
// comes back unchanged.
func toURL(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return dsn
	}
	u := url.URL{Scheme: "postgres"}
	q := url.Values{}
	var user, password string
	for _, f := range strings.Fields(dsn) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "dbname":
			u.Path = "/" + v
		case "user":
			user = v
		case "password":
			password = v
		default:
			q.Set(k, v)
		}
	}
	if password != "" {
		u.User = url.UserPassword(user, password)
	} else if user != "" {
		u.User = url.User(user)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Start finds or starts the server. A missing server is not an error:
// Skip says why there is none.
func Start(opts Options) (*Server, error) {
	if u := os.Getenv("PBNHL_POSTGRES_URL"); u != "" {
		if _, err := pgx.ParseConfig(u); err != nil {
			return nil, fmt.Errorf("PBNHL_POSTGRES_URL is not a valid PostgreSQL connection string")
		}
		return &Server{admin: u, dsnFor: func(db string) string {
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
		return &Server{skip: "PostgreSQL tests skipped: PBNHL_POSTGRES_URL is unset and no PostgreSQL binaries " +
			"are installed (/usr/lib/postgresql/*/bin/initdb): apt-get install postgresql, or point PBNHL_POSTGRES_URL at a server"}, nil
	}
	// The newest major version installed.
	sort.Slice(bins, func(i, j int) bool { return pgMajor(bins[i]) < pgMajor(bins[j]) })
	bin := filepath.Dir(bins[len(bins)-1])

	dir, err := os.MkdirTemp("", "pbnhl-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir}
	var cred *syscall.Credential // the unprivileged user, when root
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			u, err = user.Lookup("nobody")
		}
		if err != nil {
			os.RemoveAll(dir)
			return &Server{skip: "PostgreSQL tests skipped: running as root and no unprivileged user (postgres, nobody) to run initdb as"}, nil
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
		// it before Stop does.
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
	args := []string{filepath.Join(bin, "postgres"), "-D", data, "-k", dir, "-p", "5432",
		"-c", "listen_addresses=", "-c", "max_connections=200"}
	if !opts.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	s.cmd = run(args...)
	log, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start postgres: %v", err)
	}
	s.admin = fmt.Sprintf("host=%s port=5432 user=pbnhl dbname=postgres", dir)
	s.dsnFor = func(db string) string { return fmt.Sprintf("host=%s port=5432 user=pbnhl dbname=%s", dir, db) }
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, s.admin)
		if err == nil {
			conn.Close(ctx)
			cancel()
			break
		}
		cancel()
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			s.Stop()
			return nil, fmt.Errorf("postgres did not accept connections within 60s: %v; log: %s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return s, nil
}

func pgMajor(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// Stop stops the throwaway cluster (fast shutdown) and removes its dir; a
// server named by PBNHL_POSTGRES_URL is left alone.
func (s *Server) Stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	// SIGINT is PostgreSQL's fast shutdown: sessions are cut, no waiting
	// for clients.
	s.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL) // the whole group
		<-done
	}
	os.RemoveAll(s.dir)
}
