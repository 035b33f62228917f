package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/redis/go-redis/v9"
)

var _ oauth2flows.RestartReportingStore = (*Store)(nil)

// uptimeScript returns the uptime in seconds of the master that holds
// KEYS[1] (INFO server's uptime_in_seconds). A script, so that a Cluster
// client routes it to the key's master, as it does the lease's.
var uptimeScript = redis.NewScript(`#!lua
local up = string.match(redis.call("INFO", "server"), "uptime_in_seconds:(%d+)")
return tonumber(up)
`)

// RestartedAt returns when the Redis master holding key started, if that
// was after [New] made this store: a restart this process lived through,
// which for a Redis without persistence lost every token it held; the zero
// time otherwise (see [oauth2flows.RestartReportingStore]). Redis counts
// its uptime in whole seconds: the time is the latest the master may have
// started, and a restart within a second of New is not reported. A master
// that took over in a failover reports when its own process started,
// usually long before: [WithWaitReplicas] is what keeps a failover from
// losing a token.
func (s *Store) RestartedAt(ctx context.Context, key string) (time.Time, error) {
	if s.err != nil {
		return time.Time{}, s.err
	}
	res, err := s.run(ctx, s.timeout, "RestartedAt", uptimeScript, []string{s.keys(key).guard}, func() []any { return nil })
	if err != nil {
		return time.Time{}, &RedisError{Op: "restartedat", Err: err}
	}
	up, ok := res.(int64)
	if !ok {
		return time.Time{}, &RedisError{Op: "restartedat", Err: fmt.Errorf("unexpected reply %T", res)}
	}
	latest := time.Now().Add(-time.Duration(up) * time.Second)
	if !latest.Add(-time.Second).After(s.made) {
		return time.Time{}, nil
	}
	return latest, nil
}
