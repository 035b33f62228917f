package redistest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// failoverTimeout is the sentinels' failover-timeout: a failover that
// has not ended by then is started over, and a sentinel that took part in
// one (as leader or voter) starts none of the same master for twice as
// long, so that failovers come no closer than that.
const failoverTimeout = 3 * time.Second

// SentinelMaster is the name under which a [Sentinel] set-up's sentinels
// monitor its master.
const SentinelMaster = "redistest"

// Sentinel is a Redis Sentinel set-up on loopback: one master, its
// replicas, and the sentinels that fail it over ([NodeTimeout]), with no
// persistence.
type Sentinel struct {
	Servers   []*Server // the master first, then its replicas; roles change with failovers
	Sentinels []*Server
}

// RunSentinel starts a master, replicas replicas of it and sentinels
// sentinels (a quorum of a majority), and waits until it is healthy (see
// [Sentinel.WaitHealthy]).
func RunSentinel(replicas, sentinels int) (*Sentinel, error) {
	st := &Sentinel{}
	master, err := run(0, "redistest-sentinel", "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0")
	if err != nil {
		return nil, err
	}
	st.Servers = append(st.Servers, master)
	for range replicas {
		s, err := run(0, "redistest-sentinel", "--replicaof", "127.0.0.1", strconv.Itoa(master.port),
			"--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0")
		if err != nil {
			st.Stop()
			return nil, err
		}
		st.Servers = append(st.Servers, s)
	}
	for range sentinels {
		port, err := freePort(false)
		if err != nil {
			st.Stop()
			return nil, err
		}
		dir, err := os.MkdirTemp("", "redistest-sentinel")
		if err != nil {
			st.Stop()
			return nil, err
		}
		conf := filepath.Join(dir, "sentinel.conf")
		body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\n"+
			"sentinel monitor %s 127.0.0.1 %d %d\n"+
			"sentinel down-after-milliseconds %[3]s %[6]d\n"+
			"sentinel failover-timeout %[3]s %[7]d\n"+
			"sentinel parallel-syncs %[3]s %[8]d\n",
			port, dir, SentinelMaster, master.port, sentinels/2+1,
			NodeTimeout.Milliseconds(), failoverTimeout.Milliseconds(), replicas)
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			st.Stop()
			return nil, err
		}
		s := &Server{port: port, dir: dir, args: []string{conf, "--sentinel"}}
		if err := s.start(); err != nil {
			os.RemoveAll(dir)
			st.Stop()
			return nil, err
		}
		st.Sentinels = append(st.Sentinels, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := st.WaitHealthy(ctx); err != nil {
		st.Stop()
		return nil, err
	}
	return st, nil
}

// SentinelAddrs are the sentinels' host:port, for
// redis.FailoverOptions.SentinelAddrs.
func (st *Sentinel) SentinelAddrs() []string {
	var out []string
	for _, s := range st.Sentinels {
		out = append(out, s.Addr())
	}
	return out
}

// NewFailoverClient returns a client of the set-up's master through its
// sentinels (go-redis's FailoverClient), with the settings of
// [NewClient]. Close it when done.
func (st *Sentinel) NewFailoverClient() *redis.Client {
	return redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:            SentinelMaster,
		SentinelAddrs:         st.SentinelAddrs(),
		ContextTimeoutEnabled: true,
		MaxRetries:            -1,
		DialerRetries:         1,
		DialTimeout:           time.Second,
	})
}

// Switches sends, until ctx ends, the address of each master the
// sentinels switch to (their +switch-master event), once per switch,
// however many sentinels report it. Subscribe before the failover.
func (st *Sentinel) Switches(ctx context.Context) (<-chan string, error) {
	out := make(chan string, 16)
	var subs []*redis.PubSub
	for _, s := range st.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
		ps := sc.Subscribe(ctx, "+switch-master")
		if _, err := ps.Receive(ctx); err != nil {
			ps.Close()
			sc.Close()
			for _, p := range subs {
				p.Close()
			}
			return nil, err
		}
		subs = append(subs, ps)
		context.AfterFunc(ctx, func() { ps.Close(); sc.Close() })
	}
	events := make(chan string)
	for _, ps := range subs {
		go func() {
			for m := range ps.Channel() {
				// "<name> <old ip> <old port> <new ip> <new port>"
				if f := strings.Fields(m.Payload); len(f) == 5 && f[0] == SentinelMaster {
					select {
					case events <- f[3] + ":" + f[4]:
					case <-ctx.Done():
						return
					}
				}
			}
		}()
	}
	go func() {
		defer close(out)
		last := ""
		for {
			select {
			case <-ctx.Done():
				return
			case addr := <-events:
				if addr != last { // the same switch, from another sentinel
					last = addr
					out <- addr
				}
			}
		}
	}()
	return out, nil
}

// Master returns the server the sentinels now name as master.
func (st *Sentinel) Master(ctx context.Context) (*Server, error) {
	var lastErr error
	for _, s := range st.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
		addr, err := sc.GetMasterAddrByName(ctx, SentinelMaster).Result()
		sc.Close()
		if err != nil {
			lastErr = err
			continue
		}
		for _, srv := range st.Servers {
			if len(addr) == 2 && srv.Addr() == addr[0]+":"+addr[1] {
				return srv, nil
			}
		}
	}
	return nil, fmt.Errorf("redistest: sentinels name no master: %v", lastErr)
}

// Rejoin makes s, a master that was killed or frozen and failed over, a
// replica of the master the sentinels now name: it starts s again if it was
// killed, and tells it whom to replicate, as the sentinels would once they
// see it again, only sooner.
func (st *Sentinel) Rejoin(ctx context.Context, s *Server) error {
	if !s.Running() {
		if err := s.Revive(); err != nil {
			return err
		}
	}
	var m *Server
	err := poll(ctx, "no master other than "+s.Addr(), func(ctx context.Context) error {
		var err error
		if m, err = st.Master(ctx); err == nil && m == s {
			err = fmt.Errorf("the sentinels still name %s", s.Addr())
		}
		return err
	})
	if err != nil {
		return err
	}
	n := node(s)
	defer n.Close()
	return n.ReplicaOf(ctx, "127.0.0.1", strconv.Itoa(m.port)).Err()
}

// WaitHealthy waits until every server runs, the master the sentinels name
// has every other server as a replica in sync, and every sentinel sees the
// others and that master, so that the next failover can happen.
func (st *Sentinel) WaitHealthy(ctx context.Context) error {
	return poll(ctx, "sentinel set-up not healthy", st.healthy)
}

func (st *Sentinel) healthy(ctx context.Context) error {
	for _, s := range append(append([]*Server(nil), st.Servers...), st.Sentinels...) {
		if !s.Running() {
			return fmt.Errorf("%s is not running", s.Addr())
		}
	}
	m, err := st.Master(ctx)
	if err != nil {
		return err
	}
	n := node(m)
	repl, err := n.Info(ctx, "replication").Result()
	n.Close()
	if err != nil {
		return err
	}
	if !strings.Contains(repl, "role:master") || !strings.Contains(repl, "connected_slaves:"+strconv.Itoa(len(st.Servers)-1)) {
		return fmt.Errorf("master %s: not every replica connected", m.Addr())
	}
	for _, s := range st.Servers {
		if s == m {
			continue
		}
		n := node(s)
		repl, err := n.Info(ctx, "replication").Result()
		n.Close()
		if err != nil {
			return err
		}
		if !strings.Contains(repl, "master_port:"+strconv.Itoa(m.port)) || !strings.Contains(repl, "master_link_status:up") ||
			!strings.Contains(repl, "master_sync_in_progress:0") {
			return fmt.Errorf("replica %s not in sync with %s", s.Addr(), m.Addr())
		}
	}
	for _, s := range st.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
		info, err := sc.Master(ctx, SentinelMaster).Result()
		sc.Close()
		if err != nil {
			return err
		}
		if info["port"] != strconv.Itoa(m.port) || info["num-other-sentinels"] != strconv.Itoa(len(st.Sentinels)-1) ||
			info["num-slaves"] != strconv.Itoa(len(st.Servers)-1) || strings.Contains(info["flags"], "down") {
			return fmt.Errorf("sentinel %s: sees %v", s.Addr(), info)
		}
	}
	return nil
}

// Stop stops every server and sentinel.
func (st *Sentinel) Stop() {
	for _, s := range append(st.Servers, st.Sentinels...) {
		s.Stop()
	}
}
