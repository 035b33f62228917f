package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/redisstore"
)

// runRestart is the -restart-redis mode: signed-in users whose refresh
// tokens rotate (a reused one revokes its family, as Auth0, Okta and fosite
// do) call three replicas sharing their tokens through a redis-server of
// its own, which is SIGKILLed mid-run and restarted empty. Every user stays
// signed in: no refresh token is redeemed twice, and every user is served
// once Redis is back.
func runRestart() error {
	const users, tokenLife, run = 10, 2 * time.Second, 12 * time.Second
	rs, err := startRedis(0)
	if err != nil {
		return err
	}
	defer func() { rs.stop() }()

	var opts []oauth2flowstest.Option
	names := make([]string, users)
	for i := range names {
		names[i] = fmt.Sprintf("user%d", i+1)
		opts = append(opts, oauth2flowstest.WithUser(oauth2flowstest.User{Username: names[i], Password: "pw"}))
	}
	srv := oauth2flowstest.NewServer(append(opts,
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: middleTierID, Secret: middleTierSecret}),
		oauth2flowstest.WithAccessTokenLifetime(tokenLife))...)
	defer srv.Close()
	api := httptest.NewServer(srv.Protect("api://b", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		fmt.Fprint(w, claims.Subject)
	})))
	defer api.Close()
	// Store failures are counted, not logged one by one (nor by go-redis).
	redis.SetLogger(quiet{})
	cfg := &oauth2flows.Config{ClientID: middleTierID, ClientSecret: middleTierSecret,
		Endpoint: srv.Endpoint(), Scopes: []string{"api://b/.default"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var storeFailures atomic.Int64
	onStoreError := oauth2flows.WithTokenStoreErrorHandler(func(context.Context, *oauth2flows.StoreError) { storeFailures.Add(1) })

	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	ctx := context.Background()
	seeds := make([]*oauth2flows.Token, users)
	for u, name := range names { // each user signs in once
		//lint:ignore SA1019 the test server's users sign in with the password grant: the shortest way to a refresh token here
		if seeds[u], err = oauth2flows.PasswordCredentials(ctx, cfg, name, "pw"); err != nil {
			return err
		}
	}
	// Each replica: its own Redis client and Store, one Transport per user.
	clients := make([][]*http.Client, replicas)
	for r := range clients {
		rdb := redis.NewClient(&redis.Options{Addr: rs.addr(), MaxRetries: -1, DialTimeout: time.Second, ContextTimeoutEnabled: true})
		defer rdb.Close()
		store := redisstore.New(rdb, redisstore.WithEncryptionKey(key))
		for u, name := range names {
			seed := *seeds[u]
			clients[r] = append(clients[r], oauth2flows.NewClient(cfg, &seed, oauth2flows.WithTokenStore(store, "user:"+name), onStoreError))
		}
	}
	call := func(r, u int) error {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, api.URL, nil)
		resp, err := clients[r][u].Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || string(b) != names[u] {
			return fmt.Errorf("%d %q", resp.StatusCode, b)
		}
		return nil
	}

	fmt.Printf("%d users on %d replicas sharing a redis-server of their own at %s; tokens live %v, refresh tokens rotate\n",
		users, replicas, rs.addr(), tokenLife)
	var mu sync.Mutex
	failed := map[string]int{}
	var wg sync.WaitGroup
	start := time.Now()
	wg.Go(func() {
		time.Sleep(run / 3)
		fmt.Printf("%4.1fs: redis-server SIGKILLed\n", time.Since(start).Seconds())
		rs.stop()
		time.Sleep(time.Second)
		if rs, err = startRedis(rs.port); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return
		}
		fmt.Printf("%4.1fs: redis-server restarted, empty\n", time.Since(start).Seconds())
	})
	for n := 0; time.Since(start) < run; n++ {
		r, u := n%replicas, (n/replicas)%users
		wg.Go(func() {
			if err := call(r, u); err != nil {
				mu.Lock()
				failed[reason(err)]++
				mu.Unlock()
			}
		})
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	fmt.Printf("store calls failed meanwhile: %d\n", storeFailures.Load())
	for why, n := range failed {
		fmt.Printf("requests failed meanwhile: %d, %s\n", n, why)
	}

	// Once Redis is back, every user is served by every replica; a request
	// that fails while the replicas write their tokens back is retried.
	signedIn := 0
	for u, name := range names {
		ok := true
		for r := range clients {
			deadline := time.Now().Add(45 * time.Second)
			for call(r, u) != nil {
				if time.Now().After(deadline) {
					ok = false
					break
				}
				time.Sleep(500 * time.Millisecond)
			}
		}
		if ok {
			signedIn++
		}
		fmt.Printf("  %-7s signed in: %v\n", name, ok)
	}
	stats := srv.RefreshStats()
	fmt.Printf("%d of %d users still signed in; refresh tokens redeemed twice: %d; families revoked: %d (%d refreshes)\n",
		signedIn, users, stats.Reused, stats.RevokedFamilies, stats.Redeemed)
	if signedIn != users || stats.Reused != 0 {
		return errors.New("a user was signed out")
	}
	return nil
}

// reason is the class of a failed request, for the summary.
func reason(err error) string {
	var unavailable *oauth2flows.StoreUnavailableError
	switch {
	case errors.As(err, &unavailable):
		return "store unavailable (Redis down or refilling): retry"
	case errors.Is(err, oauth2flows.ErrReauthRequired):
		return "signed out"
	}
	return strings.SplitN(err.Error(), ": ", 2)[len(strings.SplitN(err.Error(), ": ", 2))-1]
}

// redisServer is a redis-server of the example's own, without persistence.
type redisServer struct {
	port int
	cmd  *exec.Cmd
}

func startRedis(port int) (*redisServer, error) {
	if port == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("-restart-redis needs redis-server on PATH: %w", err)
	}
	rs := &redisServer{port: port, cmd: cmd}
	c := redis.NewClient(&redis.Options{Addr: rs.addr(), MaxRetries: -1})
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c.Ping(context.Background()).Err() == nil {
			return rs, nil
		}
		if time.Now().After(deadline) {
			rs.stop()
			return nil, errors.New("redis-server did not answer")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (rs *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(rs.port) }

// stop SIGKILLs the server, as a crash would.
func (rs *redisServer) stop() {
	if rs.cmd.ProcessState == nil {
		_ = rs.cmd.Process.Kill()
		_ = rs.cmd.Wait()
	}
}

// quiet is a go-redis logger that says nothing.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
