package redistest

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// NodeTimeout is the cluster-node-timeout of a [Cluster] and the
// down-after-milliseconds of a [Sentinel] set-up: a master that does not
// answer for this long is failed over, which then takes about one to three
// seconds more. Shorter makes a loaded machine fail over masters that are
// alive: at 1 s, the sentinels of a machine running the tests under -race
// beside other work took a master promoted a second before for down, and
// failed it over again, in 2 of 8 runs.
const NodeTimeout = 2 * time.Second

// Cluster is a Redis Cluster of redis-server processes on loopback: masters
// with their replicas, every slot covered, no persistence.
type Cluster struct {
	Nodes []*Server // in the order they were started; roles change with failovers
}

// RunCluster starts a Redis Cluster of masters masters with replicas
// replicas each (redis-cli --cluster create), and waits until it is
// healthy (see [Cluster.WaitHealthy]). It takes a few seconds: share one
// per test package, from TestMain.
func RunCluster(masters, replicas int) (*Cluster, error) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		return nil, fmt.Errorf("redistest: a Cluster needs redis-cli (Debian: redis-tools, installed with redis-server): %w", err)
	}
	c := &Cluster{}
	args := []string{"--cluster", "create"}
	for range masters * (1 + replicas) {
		port, err := freePort(true)
		if err != nil {
			c.Stop()
			return nil, err
		}
		s, err := run(port, "redistest-cluster", "--cluster-enabled", "yes",
			"--cluster-node-timeout", strconv.FormatInt(NodeTimeout.Milliseconds(), 10),
			"--cluster-replica-validity-factor", "0", // any replica may be promoted
			"--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0")
		if err != nil {
			c.Stop()
			return nil, err
		}
		c.Nodes = append(c.Nodes, s)
		args = append(args, s.Addr())
	}
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		c.Stop()
		return nil, fmt.Errorf("redistest: redis-cli --cluster create: %w: %s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.WaitHealthy(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// Addrs are the nodes' host:port, for redis.ClusterOptions.Addrs.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, s := range c.Nodes {
		out = append(out, s.Addr())
	}
	return out
}

// Stop stops every node.
func (c *Cluster) Stop() {
	for _, s := range c.Nodes {
		s.Stop()
	}
}

// NewClusterClient returns a client of the cluster whose time bounds reach
// the socket, which neither retries commands nor dials by itself, so that
// the store's own retries are what a test sees (see [NewClient]). Close it
// when done.
func (c *Cluster) NewClusterClient() *redis.ClusterClient {
	return redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:                 c.Addrs(),
		ContextTimeoutEnabled: true,
		MaxRetries:            -1,
		DialerRetries:         1,
		DialTimeout:           time.Second,
	})
}

// node returns a client of one node, closed by the caller.
func node(s *Server) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DialerRetries: 1, DialTimeout: 200 * time.Millisecond})
}

// MasterOf returns the node that now serves key's slot as master, as the
// live nodes see it.
func (c *Cluster) MasterOf(ctx context.Context, key string) (*Server, error) {
	var lastErr error
	for _, s := range c.Nodes {
		if !s.Running() {
			continue
		}
		n := node(s)
		slot, err := n.ClusterKeySlot(ctx, key).Result()
		var shards []redis.ClusterShard
		if err == nil {
			shards, err = n.ClusterShards(ctx).Result()
		}
		n.Close()
		if err != nil {
			lastErr = err
			continue
		}
		for _, sh := range shards {
			for _, r := range sh.Slots {
				if r.Start > slot || slot > r.End {
					continue
				}
				for _, nd := range sh.Nodes {
					if nd.Role != "master" || nd.Health != "online" {
						continue
					}
					for _, m := range c.Nodes {
						if m.port == int(nd.Port) {
							return m, nil
						}
					}
				}
			}
		}
	}
	return nil, fmt.Errorf("redistest: no master found for the key: %w", lastErr)
}

// WaitHealthy waits until every node runs and says cluster_state:ok, and
// every master has all its replicas connected and in sync, so that the
// next failover can promote one.
func (c *Cluster) WaitHealthy(ctx context.Context) error {
	return poll(ctx, "cluster not healthy", c.healthy)
}

// poll calls check every 50 ms until it returns nil, or ctx ends: then the
// last error, as what.
func poll(ctx context.Context, what string, check func(context.Context) error) error {
	for {
		why := check(ctx)
		if why == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("redistest: %s: %w", what, why)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c *Cluster) healthy(ctx context.Context) error {
	masters, replicas := 0, 0
	for _, s := range c.Nodes {
		if !s.Running() {
			return fmt.Errorf("node %s is not running", s.Addr())
		}
		n := node(s)
		info, err := n.ClusterInfo(ctx).Result()
		var repl string
		if err == nil {
			repl, err = n.Info(ctx, "replication").Result()
		}
		n.Close()
		if err != nil {
			return err
		}
		if !strings.Contains(info, "cluster_state:ok") {
			return fmt.Errorf("node %s: cluster_state not ok", s.Addr())
		}
		switch {
		case strings.Contains(repl, "role:master"):
			masters++
		case strings.Contains(repl, "master_link_status:up") && strings.Contains(repl, "master_sync_in_progress:0"):
			replicas++
		default:
			return fmt.Errorf("node %s: replica not in sync", s.Addr())
		}
	}
	if masters == 0 || replicas%masters != 0 || masters+replicas != len(c.Nodes) {
		return fmt.Errorf("%d masters, %d replicas in sync", masters, replicas)
	}
	return c.replicasSpread(ctx, replicas/masters)
}

// replicasSpread checks that each master has per replicas connected.
func (c *Cluster) replicasSpread(ctx context.Context, per int) error {
	for _, s := range c.Nodes {
		n := node(s)
		repl, err := n.Info(ctx, "replication").Result()
		n.Close()
		if err != nil {
			return err
		}
		if strings.Contains(repl, "role:master") && !strings.Contains(repl, "connected_slaves:"+strconv.Itoa(per)) {
			return errors.New("node " + s.Addr() + ": replicas not all connected")
		}
	}
	return nil
}
