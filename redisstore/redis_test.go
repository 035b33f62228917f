package redisstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// The tests run against a real redis-server, never a fake: TestMain starts
// one for the package on a random loopback port with no persistence, and
// stops it at the end. Tests that stop Redis start their own.

// testRedis is the package's redis-server.
var testRedis *redisServer

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain())
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		fmt.Fprintln(os.Stderr, "redisstore tests need redis-server: apt-get install -y redis-server")
		os.Exit(1)
	}
	r, err := startRedis(0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testRedis = r
	code := m.Run()
	r.stop()
	os.Exit(code)
}

type redisServer struct {
	port int
	cmd  *exec.Cmd
}

func (r *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// startRedis starts redis-server on port (0: a free one) and waits for PING.
func startRedis(port int) (*redisServer, error) {
	if port == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	dir, err := os.MkdirTemp("", "redisstore-test")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	r := &redisServer{port: port, cmd: cmd}
	c := redis.NewClient(&redis.Options{Addr: r.addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return r, nil
		}
		if time.Now().After(deadline) {
			r.stop()
			return nil, fmt.Errorf("redis-server on port %d: no PING answer: %w", port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the server and waits for it to exit.
func (r *redisServer) stop() {
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
}

// startTestRedis starts a redis-server of the test's own, stopped at the
// end: for tests that stop or restart it.
func startTestRedis(t *testing.T) *redisServer {
	t.Helper()
	r, err := startRedis(0)
	require.NoError(t, err)
	t.Cleanup(r.stop)
	return r
}

// newClient returns a client of the server at addr, database db, with the
// store's time bounds reaching the socket (ContextTimeoutEnabled) and no
// retries, so that a dead Redis fails fast.
func newClient(t testing.TB, addr string, db int) *redis.Client {
	c := redis.NewClient(&redis.Options{
		Addr:                  addr,
		DB:                    db,
		ContextTimeoutEnabled: true,
		MaxRetries:            -1,
		DialTimeout:           time.Second,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// freshDB returns a client of an emptied database of the package's server.
// Each test that looks at what Redis holds takes its own database.
func freshDB(t testing.TB, db int) *redis.Client {
	c := newClient(t, testRedis.addr(), db)
	require.NoError(t, c.FlushDB(context.Background()).Err())
	return c
}

func newKey(t testing.TB) []byte {
	k := make([]byte, 32)
	_, err := rand.Read(k)
	require.NoError(t, err)
	return k
}
