// Package pgtest starts a real PostgreSQL server for tests: Debian's
// postgresql binaries, initdb into a temporary folder and postgres
// listening only on a unix socket in that folder, run as an unprivileged
// user when the tests run as root (initdb and postgres refuse root). One
// server serves a whole test package (Main, from TestMain); each test gets
// a database of its own (Server.Database).
//
// Without the binaries the tests that need the server skip, except when
// CI=true: there the package fails, since CI installs postgresql
// (.ci/deps.sh).
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoPostgres: the PostgreSQL server binaries are not installed.
var ErrNoPostgres = errors.New("pgtest: PostgreSQL is not installed (Debian: apt-get install postgresql; .ci/deps.sh does)")

// Server is a running PostgreSQL server of a test package.
type Server struct {
	dir  string // owns data/ and the socket
	cmd  *exec.Cmd
	done chan struct{}
	n    atomic.Int64
	log  string
}

// binDir finds initdb and postgres: $PG_BINDIR, then the newest
// /usr/lib/postgresql/*/bin, then $PATH.
func binDir() (string, error) {
	if d := os.Getenv("PG_BINDIR"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", ErrNoPostgres
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// Start runs initdb and starts postgres. Stop it with Stop.
func Start() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, done: make(chan struct{}), log: filepath.Join(dir, "postgres.log")}
	cred, err := unprivileged(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	run := func(name string, args ...string) *exec.Cmd {
		c := exec.Command(filepath.Join(bin, name), args...) // #nosec G204 -- the server binaries, test arguments
		c.Dir = dir
		c.Env = append(os.Environ(), "LC_ALL=C")
		if cred != nil {
			c.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		return c
	}
	data := filepath.Join(dir, "data")
	if out, err := run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	logf, err := os.Create(s.log)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	s.cmd = run("postgres", "-D", data, "-k", dir, "-c", "listen_addresses=", "-c", "fsync=off",
		"-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200")
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	// A test binary killed (a timeout's panic) takes its server with it.
	if s.cmd.SysProcAttr == nil {
		s.cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	s.cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	if err := s.cmd.Start(); err != nil {
		_ = logf.Close()
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: postgres: %w", err)
	}
	go func() { _ = s.cmd.Wait(); _ = logf.Close(); close(s.done) }()
	if err := s.ready(30 * time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// unprivileged chowns dir to nobody and returns nobody's credential when
// this process is root; nil otherwise.
func unprivileged(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root and no user nobody to run postgres as: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	if err := os.Chown(dir, int(uid), int(gid)); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// ready waits until the server takes connections.
func (s *Server) ready(wait time.Duration) error {
	end := time.Now().Add(wait)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := pgx.Connect(ctx, s.DSN("postgres"))
		cancel()
		if err == nil {
			_ = c.Close(context.Background())
			return nil
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(s.log)
			return fmt.Errorf("pgtest: postgres exited: %s", log)
		default:
		}
		if time.Now().After(end) {
			return fmt.Errorf("pgtest: postgres not ready after %s: %v", wait, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// DSN is the connection string of database db on the server.
func (s *Server) DSN(db string) string {
	return "host=" + s.dir + " user=postgres dbname=" + db + " sslmode=disable"
}

// NewDatabase creates an empty database and returns its DSN.
func (s *Server) NewDatabase() (string, error) {
	name := fmt.Sprintf("t%d", s.n.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
		return "", fmt.Errorf("pgtest: create database: %w", err)
	}
	return s.DSN(name), nil
}

// Database creates an empty database for t and returns its DSN.
func (s *Server) Database(t testing.TB) string {
	t.Helper()
	dsn, err := s.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// Stop stops the server (a fast shutdown) and removes its folder. It is
// idempotent.
func (s *Server) Stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	_ = os.RemoveAll(s.dir)
	s.cmd = nil
}

// Main is a test package's TestMain around one server: it starts the
// server into *srv, runs the tests and stops it. Without PostgreSQL *srv
// stays nil (Need skips) unless CI=true, where the package fails.
func Main(m *testing.M, srv **Server) {
	s, err := Start()
	switch {
	case errors.Is(err, ErrNoPostgres) && os.Getenv("CI") != "true":
		fmt.Fprintln(os.Stderr, err, "- the PostgreSQL tests skip")
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*srv = s
	code := m.Run()
	s.Stop()
	os.Exit(code)
}

// Need skips t when there is no server (PostgreSQL not installed, outside
// CI) and returns it otherwise.
func Need(t testing.TB, s *Server) *Server {
	t.Helper()
	if s == nil {
		t.Skip(ErrNoPostgres)
	}
	return s
}

// StartT starts a server for one test and stops it when the test ends:
// for a package whose other tests need none. Without PostgreSQL it skips
// t, or fails it when CI=true.
func StartT(t testing.TB) *Server {
	t.Helper()
	s, err := Start()
	if errors.Is(err, ErrNoPostgres) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}
