package redisstore

import (
	"context"
	"crypto/rand"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/redisstore/redistest"
)

// The tests run against a real redis-server, never a fake: TestMain starts
// one for the package on a random loopback port with no persistence, and
// stops it at the end. Tests that stop Redis start their own.

// testRedis is the package's redis-server.
var testRedis *redistest.Server

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain())
	}
	os.Exit(redistest.Main(m, &testRedis))
}

// startTestRedis starts a redis-server of the test's own, stopped at the
// end: for tests that stop or restart it.
func startTestRedis(t *testing.T) *redistest.Server { return redistest.Start(t) }

// startReplicated starts a redis-server and a replica of it for one test
// or benchmark.
func startReplicated(tb testing.TB) (master, replica *redistest.Server) {
	master = redistest.Start(tb)
	replica, err := redistest.RunReplica(master)
	require.NoError(tb, err)
	tb.Cleanup(replica.Stop)
	return master, replica
}

// newClient returns a client of the server at addr, database db, failing
// fast (see redistest.NewClient).
func newClient(t testing.TB, addr string, db int) *redis.Client {
	return redistest.NewClient(t, addr, db)
}

// freshDB returns a client of an emptied database of the package's server.
// Each test that looks at what Redis holds takes its own database.
func freshDB(t testing.TB, db int) *redis.Client {
	c := newClient(t, testRedis.Addr(), db)
	require.NoError(t, c.FlushDB(context.Background()).Err())
	return c
}

func newKey(t testing.TB) []byte {
	k := make([]byte, 32)
	_, err := rand.Read(k)
	require.NoError(t, err)
	return k
}
