package replicas_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/redisstore"
	"github.com/oauth2flows/oauth2flows/redisstore/redistest"
)

// testRedis is the package's redis-server; tests that stop Redis start
// their own.
var testRedis *redistest.Server

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain())
	}
	os.Exit(redistest.Main(m, &testRedis))
}

const (
	clientID     = "app"
	clientSecret = "app-secret"
)

// signedIn starts a test server (refresh tokens rotate; a second use of one
// revokes its family) and returns it, the client's Config and alice's
// token.
func signedIn(t testing.TB, opts ...oauth2flowstest.Option) (*oauth2flowstest.Server, *oauth2flows.Config, *oauth2flows.Token) {
	t.Helper()
	srv := oauth2flowstest.NewServer(append([]oauth2flowstest.Option{
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: clientID, Secret: clientSecret}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice", Password: "pw"}),
	}, opts...)...)
	t.Cleanup(srv.Close)
	cfg := &oauth2flows.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoint: srv.Endpoint()}
	resp, err := srv.Client().PostForm(cfg.Endpoint.TokenURL, url.Values{
		"grant_type": {"password"}, "username": {"alice"}, "password": {"pw"},
		"client_id": {clientID}, "client_secret": {clientSecret},
	})
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	tok := &oauth2flows.Token{}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(tok))
	require.NotEmpty(t, tok.RefreshToken)
	tok.Expiry = time.Now().Add(-time.Minute) // as every replica loads it: expired
	return srv, cfg, tok
}

// protectedAPI answers with the subject of the server's tokens for "app".
func protectedAPI(t testing.TB, srv *oauth2flowstest.Server) string {
	api := httptest.NewServer(srv.Protect(clientID, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		fmt.Fprint(w, claims.Subject)
	})))
	t.Cleanup(api.Close)
	return api.URL
}

func countGrant(srv *oauth2flowstest.Server, grant string) int {
	n := 0
	for _, r := range srv.RequestsTo(oauth2flowstest.EndpointToken) {
		if r.Form.Get("grant_type") == grant {
			n++
		}
	}
	return n
}

// tokenProxy puts handle in front of the server's token endpoint: cfg's
// TokenURL then goes through it. handle returns false to drop the request.
func tokenProxy(t *testing.T, srv *oauth2flowstest.Server, cfg *oauth2flows.Config, handle func(r *http.Request) bool) {
	target, err := url.Parse(srv.URL())
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(target)
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if handle(r) {
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(p.Close)
	cfg.Endpoint.TokenURL = strings.Replace(cfg.Endpoint.TokenURL, srv.URL(), p.URL, 1)
	require.True(t, strings.HasPrefix(cfg.Endpoint.TokenURL, p.URL))
}

// newKey is a fresh 32-byte encryption key.
func newKey(t testing.TB) []byte {
	k := make([]byte, 32)
	_, err := rand.Read(k)
	require.NoError(t, err)
	return k
}

var prefixes atomic.Int64

// newStore is a store on the package's Redis under a prefix of its own, so
// that tests do not see each other's keys.
func newStore(t testing.TB, c redis.UniversalClient, key []byte, opts ...redisstore.Option) *redisstore.Store {
	return redisstore.New(c, append([]redisstore.Option{redisstore.WithEncryptionKey(key),
		redisstore.WithPrefix(fmt.Sprintf("t%d:", prefixes.Add(1)))}, opts...)...)
}

// get sends one GET through c: status and body.
func get(ctx context.Context, c *http.Client, u string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// everything returns every key and value Redis holds, whatever its type.
func everything(t *testing.T, c *redis.Client) map[string]string {
	ctx := context.Background()
	keys, err := c.Keys(ctx, "*").Result()
	require.NoError(t, err)
	out := map[string]string{}
	for _, k := range keys {
		typ, err := c.Type(ctx, k).Result()
		require.NoError(t, err)
		switch typ {
		case "string":
			v, err := c.Get(ctx, k).Result()
			if err == redis.Nil {
				continue // expired meanwhile
			}
			require.NoError(t, err)
			out[k] = v
		case "none":
		default:
			v, err := c.Dump(ctx, k).Result()
			require.NoError(t, err)
			out[k] = typ + ":" + v
		}
	}
	return out
}
