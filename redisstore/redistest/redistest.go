// Package redistest starts a real redis-server for tests: on a random
// loopback port, with no persistence, stopped at the end. It is shared by
// the tests of the redisstore module and of the modules that test against
// it (interop), so that none of them copies the start-up code, and none of
// them runs against a fake such as miniredis.
//
// redis-server must be on PATH (Debian: apt-get install -y redis-server).
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is one redis-server process. Its methods are safe for concurrent
// use: a test may watch a server from one goroutine while it kills it from
// another.
type Server struct {
	port int
	dir  string
	args []string // the command's arguments

	mu  sync.Mutex
	cmd *exec.Cmd // the running process, or the last one, exited
}

// Run starts redis-server on 127.0.0.1:port (0: a free port) with no
// persistence and waits until it answers PING. It is for TestMain, which has
// no *testing.T; tests call [Start].
func Run(port int) (*Server, error) {
	return run(port, "redistest")
}

// run starts redis-server as [Run] does, with extra arguments.
func run(port int, name string, extra ...string) (*Server, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, fmt.Errorf("redistest: these tests need redis-server (apt-get install -y redis-server): %w", err)
	}
	if port == 0 {
		var err error
		if port, err = freePort(false); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", name)
	if err != nil {
		return nil, err
	}
	s := &Server{port: port, dir: dir, args: append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir}, extra...)}
	if err := s.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// freePort returns a free loopback port; with bus, one whose Cluster bus
// port (port+10000) is free too.
func freePort(bus bool) (int, error) {
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		if !bus {
			l.Close()
			return port, nil
		}
		if port+10000 < 65536 {
			if l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000)); err == nil {
				l2.Close()
				l.Close()
				return port, nil
			}
		}
		l.Close()
	}
	return 0, fmt.Errorf("redistest: no free port pair for a Cluster node")
}

// start starts the server's process and waits until it answers PING.
func (s *Server) start() error {
	cmd := exec.Command("redis-server", s.args...)
	s.mu.Lock()
	s.cmd = cmd
	err := cmd.Start()
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("redistest: start redis-server: %w", err)
	}
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("redistest: redis-server on port %d: no PING answer: %w", s.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill ends the server with SIGKILL, as a crash does, and waits for it to
// exit. Its directory stays, so that [Server.Revive] can start it again.
func (s *Server) Kill() { s.kill() }

func (s *Server) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
}

// Running reports whether the server's process has not exited.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd.ProcessState == nil
}

// Revive starts a killed server again, on its port, with its arguments and
// directory: empty, as after a crash without persistence, but a Cluster
// node keeps its nodes.conf and so its place in the cluster.
func (s *Server) Revive() error {
	if s.Running() {
		return fmt.Errorf("redistest: redis-server on port %d is running", s.port)
	}
	return s.start()
}

// RunReplica starts a redis-server that replicates master (as [Run] does,
// plus --replicaof) and waits until it acknowledges the master's writes
// (WAIT).
func RunReplica(master *Server) (*Server, error) {
	m := node(master)
	defer m.Close()
	ctx := context.Background()
	if err := m.ConfigSet(ctx, "repl-diskless-sync-delay", "0").Err(); err != nil {
		return nil, err
	}
	s, err := run(0, "redistest-replica", "--replicaof", "127.0.0.1", strconv.Itoa(master.port))
	if err != nil {
		return nil, err
	}
	conn := m.Conn()
	defer conn.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		err := conn.Set(ctx, "redistest:replica", s.Addr(), 0).Err()
		if err == nil {
			var n int64
			if n, err = conn.Wait(ctx, 1, 100*time.Millisecond).Result(); err == nil && n >= 1 {
				return s, conn.Del(ctx, "redistest:replica").Err()
			}
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("redistest: replica of %s not in sync: %v", master.Addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Main is the body of a test package's TestMain: it starts a redis-server
// (see [Run]) for the whole package, sets *srv to it, runs the tests, stops
// the server and returns the tests' exit code, or 1 when redis-server
// cannot start.
//
//	func TestMain(m *testing.M) { os.Exit(redistest.Main(m, &testRedis)) }
func Main(m *testing.M, srv **Server) int {
	r, err := Run(0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*srv = r
	defer r.Stop()
	return m.Run()
}

// Start starts a redis-server of the test's own (see [Run]), stopped when
// the test ends. The test fails when redis-server cannot be started.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := Run(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Restart starts a new redis-server on the port of s, which must have been
// stopped: an empty one, as after a crash of a Redis without persistence.
func (s *Server) Restart(t testing.TB) *Server {
	t.Helper()
	s2, err := Run(s.port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s2.Stop)
	return s2
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Port is the server's port.
func (s *Server) Port() int { return s.port }

// Process is the redis-server process, e.g. to stop it with SIGSTOP.
func (s *Server) Process() *os.Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd.Process
}

// Stop kills the server, waits for it to exit and removes its directory.
// Calling it again does nothing.
func (s *Server) Stop() {
	s.kill()
	os.RemoveAll(s.dir)
}

// Client returns a client of the server, database db, closed when the test
// ends: the store's time bounds reach the socket (ContextTimeoutEnabled),
// and neither commands nor dials are retried by the client, so that a dead
// Redis fails fast and the store's own retries are what the tests see.
func (s *Server) Client(t testing.TB, db int) *redis.Client {
	return NewClient(t, s.Addr(), db)
}

// NewClient is [Server.Client] for a server at addr.
func NewClient(t testing.TB, addr string, db int) *redis.Client {
	c := redis.NewClient(&redis.Options{
		Addr:                  addr,
		DB:                    db,
		ContextTimeoutEnabled: true,
		MaxRetries:            -1,
		DialerRetries:         1,
		DialTimeout:           time.Second,
	})
	t.Cleanup(func() { c.Close() })
	return c
}
