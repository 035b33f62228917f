// Command replicas runs three replicas of a middle-tier API in one process,
// sharing their On-Behalf-Of tokens through Redis (package
// github.com/oauth2flows/oauth2flows/redisstore): users' calls are spread
// over the replicas, and each user costs one token request, not one per
// replica.
//
// It uses the embedded oauth2flowstest authorization server and the Redis at
// REDIS_URL (default localhost:6379; a redis:// URL or host:port):
//
//	redis-server --port 6379 --save '' &
//	cd examples/replicas && go run .
//
// With -restart-redis it shows instead that signed-in users survive a Redis
// crash: their refresh tokens rotate, and the redis-server it starts itself
// (redis-server must be on PATH) is SIGKILLed mid-run and restarted empty:
//
//	go run . -restart-redis
//
// It is a module of its own, so that the root module never downloads a Redis
// client.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/redisstore"
)

const (
	replicas         = 3
	callsPerUser     = 9
	middleTierID     = "middle-tier"
	middleTierSecret = "middle-tier-secret"
)

func main() {
	restart := flag.Bool("restart-redis", false, "run signed-in users with rotating refresh tokens on a redis-server of its own, SIGKILLed and restarted empty mid-run")
	flag.Parse()
	run := run
	if *restart {
		run = runRestart
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "replicas:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rdb, addr, err := connect(ctx)
	if err != nil {
		return err
	}
	defer rdb.Close()

	// The authorization server, and API B, which the middle tier calls on
	// behalf of the user.
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: middleTierID, Secret: middleTierSecret}))
	defer srv.Close()
	apiB := httptest.NewServer(srv.Protect("api://b", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "hello %s", claims.Subject)
	})))
	defer apiB.Close()

	// One encryption key for every replica: in production it comes from a
	// secret manager, never from the code.
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	prefix := fmt.Sprintf("oauth2flows-example-%d:", time.Now().UnixNano())
	cfg := &oauth2flows.Config{ClientID: middleTierID, ClientSecret: middleTierSecret,
		Endpoint: srv.Endpoint(), Scopes: []string{"api://b/.default"}}

	// Three replicas of the middle tier, each with its own OBOCache (its
	// own memory) over one shared Store.
	var lb []string
	for i := range replicas {
		store := redisstore.New(rdb, redisstore.WithEncryptionKey(key), redisstore.WithPrefix(prefix))
		cache := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store))
		replica := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			assertion, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok {
				http.Error(w, "bearer token required", http.StatusUnauthorized)
				return
			}
			// The user's token for API B: from this replica's memory, else
			// from Redis, else one exchange for all replicas.
			tok, err := cache.Token(r.Context(), assertion)
			if err != nil {
				http.Error(w, "no token for API B", http.StatusBadGateway)
				return
			}
			req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, apiB.URL, nil)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			resp, err := apiB.Client().Do(req)
			if err != nil {
				http.Error(w, "API B unreachable", http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			fmt.Fprintf(w, "replica %d: %s", i+1, b)
		}))
		defer replica.Close()
		lb = append(lb, replica.URL)
	}

	// Users call the middle tier; a round-robin balancer spreads each
	// user's calls over the three replicas.
	users := []string{"alice", "bob", "carol", "dave"}
	subjectOf := map[string]string{}
	n := 0
	for _, u := range users {
		assertion := srv.IssueAccessToken(u, "api://"+middleTierID, "access_as_user")
		subjectOf[assertion] = u
		for range callsPerUser {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, lb[n%replicas], nil)
			n++
			req.Header.Set("Authorization", "Bearer "+assertion)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.HasSuffix(string(body), "hello "+u) {
				return fmt.Errorf("call for %s: %d %q", u, resp.StatusCode, body)
			}
		}
	}

	perUser := map[string]int{}
	for _, r := range srv.RequestsTo(oauth2flowstest.EndpointToken) {
		perUser[subjectOf[r.Form.Get("assertion")]]++
	}
	sort.Strings(users)
	fmt.Printf("%d replicas sharing Redis at %s; %d calls per user, spread over the replicas\n", replicas, addr, callsPerUser)
	fmt.Println("token requests per user:")
	total := 0
	for _, u := range users {
		fmt.Printf("  %-6s %d\n", u, perUser[u])
		total += perUser[u]
	}
	fmt.Printf("total: %d token requests for %d users (without the shared store: up to %d)\n", total, len(users), replicas*len(users))
	if total != len(users) {
		return errors.New("expected one token request per user")
	}
	return nil
}

// connect returns a client of the Redis at REDIS_URL, after a PING.
func connect(ctx context.Context) (*redis.Client, string, error) {
	addr := os.Getenv("REDIS_URL")
	if addr == "" {
		addr = "localhost:6379"
	}
	opts := &redis.Options{Addr: addr}
	if strings.Contains(addr, "://") {
		var err error
		if opts, err = redis.ParseURL(addr); err != nil {
			return nil, "", fmt.Errorf("REDIS_URL: %w", err)
		}
	}
	opts.MaxRetries, opts.DialTimeout = -1, time.Second
	opts.ContextTimeoutEnabled = true // the store's bounds reach the socket; see redisstore.Store.HonorsContext
	rdb := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, "", fmt.Errorf("no Redis at %s (%v).\nStart one, then run again:\n"+
			"  redis-server --port 6379 --save '' --appendonly no &\n"+
			"  (or: docker run --rm -p 6379:6379 redis)\n"+
			"or point REDIS_URL at yours, e.g. REDIS_URL=redis://localhost:6380/0", opts.Addr, err)
	}
	return rdb, opts.Addr, nil
}
