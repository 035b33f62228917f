package redisstore

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// commandCalls returns INFO commandstats as calls per command.
func commandCalls(t *testing.T, c *redis.Client) map[string]int {
	info, err := c.Info(context.Background(), "commandstats").Result()
	require.NoError(t, err)
	out := map[string]int{}
	for line := range strings.SplitSeq(info, "\r\n") {
		name, rest, ok := strings.Cut(strings.TrimPrefix(line, "cmdstat_"), ":calls=")
		if !ok || !strings.HasPrefix(line, "cmdstat_") {
			continue
		}
		n, err := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
		require.NoError(t, err)
		out[name] = n
	}
	return out
}

// TestWhatAUserCostsRedis measures, on a real redis-server, the commands a
// served request and a renewal cost and the keys and bytes a user holds
// (INFO commandstats, MEMORY USAGE), for BENCHMARKS.md's "Scale" section,
// and pins the command counts.
func TestWhatAUserCostsRedis(t *testing.T) {
	r := startTestRedis(t)
	c := newClient(t, r.Addr(), 0)
	ctx := context.Background()
	s := New(c, WithEncryptionKey(newKey(t)))
	// Entra-sized: a 1.2 kB access token, a 1 kB ID token, a refresh token.
	tok := testToken(jwtLike(1200), jwtLike(800), time.Now().Add(time.Hour))
	tok.IDToken = jwtLike(1000)
	put(t, s, "warm", tok, tok.Expiry) // loads the scripts

	const users = 100
	require.NoError(t, c.ConfigResetStat(ctx).Err())
	for i := range users {
		// A renewal as the root package makes it: a Load that finds the
		// token due, the lease, a Load under it, the write, the release.
		key := "user-" + strconv.Itoa(i)
		_, err := s.Load(ctx, key)
		require.NoError(t, err)
		l, err := s.Lock(ctx, key)
		require.NoError(t, err)
		_, err = s.Load(ctx, key)
		require.NoError(t, err)
		require.NoError(t, l.Store(ctx, tok, tok.Expiry))
		require.NoError(t, l.Unlock(ctx))
	}
	renewal := commandCalls(t, c)
	require.NoError(t, c.ConfigResetStat(ctx).Err())
	for i := range users {
		_, err := s.Load(ctx, "user-"+strconv.Itoa(i))
		require.NoError(t, err)
	}
	served := commandCalls(t, c)

	delete(renewal, "config|resetstat")
	delete(renewal, "info")
	t.Logf("commands of %d renewals, those the scripts run included: %v", users, renewal)
	assert.Equal(t, 2*users, renewal["getrange"], "a renewal: 2 loads (before and under the lease), each a GETRANGE")
	assert.Equal(t, 2*users, renewal["persist"], "and its guard, a PERSIST in the same round trip")
	assert.Equal(t, 3*users, renewal["evalsha"], "3 scripts: lock, store, release")
	delete(served, "config|resetstat")
	delete(served, "info")
	assert.Equal(t, map[string]int{"persist": users, "getrange": users}, served, "a request served from the store: 1 round trip, PERSIST of the guard and GETRANGE")

	keys := s.keys("user-0")
	var bytes int64
	for _, k := range []string{keys.token, keys.fence} {
		n, err := c.MemoryUsage(ctx, k).Result()
		require.NoError(t, err)
		bytes += n
	}
	v, err := c.StrLen(ctx, keys.token).Result()
	require.NoError(t, err)
	n, err := c.DBSize(ctx).Result()
	require.NoError(t, err)
	assert.Equal(t, int64(2*users+2), n, "per user: a token and a fence (the lease is gone after Unlock)")
	t.Logf("per user: 2 keys, %d bytes (MEMORY USAGE of token and fence; the sealed value %d bytes)", bytes, v)
}
