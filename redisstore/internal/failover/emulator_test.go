package failover_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/redisstore"
)

// renewEvery is how long the emulator serves a stored token before it
// renews it: short, so that a fault of a few seconds meets many renewals.
const renewEvery = 200 * time.Millisecond

// tokenLife is how long the server's access tokens live. The root package
// renews one this short halfway through its life: every second.
const tokenLife = 2 * time.Second

const (
	clientID     = "app"
	clientSecret = "app-secret"
)

// world is an authorization server whose refresh tokens rotate and whose
// reuse of a rotated one revokes the family (RFC 9700 §4.14.2), and users
// signed in to it.
type world struct {
	srv   *oauth2flowstest.Server
	cfg   *oauth2flows.Config
	users map[string]*oauth2flows.Token // the first token of each user
}

func newWorld(t *testing.T, users int) *world {
	opts := []oauth2flowstest.Option{oauth2flowstest.WithClient(oauth2flowstest.Client{ID: clientID, Secret: clientSecret}),
		oauth2flowstest.WithAccessTokenLifetime(tokenLife)}
	for i := range users {
		opts = append(opts, oauth2flowstest.WithUser(oauth2flowstest.User{Username: fmt.Sprintf("user%d", i), Password: "pw"}))
	}
	srv := oauth2flowstest.NewServer(opts...)
	t.Cleanup(srv.Close)
	w := &world{srv: srv, users: map[string]*oauth2flows.Token{},
		cfg: &oauth2flows.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoint: srv.Endpoint()}}
	for i := range users {
		name := fmt.Sprintf("user%d", i)
		resp, err := srv.Client().PostForm(w.cfg.Endpoint.TokenURL, url.Values{
			"grant_type": {"password"}, "username": {name}, "password": {"pw"},
			"client_id": {clientID}, "client_secret": {clientSecret},
		})
		require.NoError(t, err)
		tok := &oauth2flows.Token{}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(tok))
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NotEmpty(t, tok.RefreshToken)
		tok.Expiry = time.Now().Add(-time.Second)
		w.users[name] = tok
	}
	srv.ResetRequests()
	return w
}

// redemptions counts, from the server's log, refresh tokens presented more
// than once (double redemptions) and refresh requests refused (each one a
// family lost, as reuse revokes it).
func (w *world) redemptions() (total, twice, refused int) {
	seen := map[string]int{}
	for _, r := range w.srv.RequestsTo(oauth2flowstest.EndpointToken) {
		if r.Form.Get("grant_type") != oauth2flows.GrantTypeRefreshToken {
			continue
		}
		total++
		if seen[r.Form.Get("refresh_token")]++; seen[r.Form.Get("refresh_token")] == 2 {
			twice++
		}
		if r.Status != http.StatusOK {
			refused++
		}
	}
	return total, twice, refused
}

// replica does what the root package's renewal does with a shared store,
// through the store's calls only: serve the stored token while it is
// fresh; renew under the lease only, never outside it; and when the store
// holds a token whose refresh token this replica has already redeemed (its
// write was lost), write back the newer one it holds instead of redeeming.
type replica struct {
	w        *world
	store    *redisstore.Store
	mu       sync.Mutex
	newest   map[string]*oauth2flows.Token // per user, the newest this replica got
	redeemed map[string]bool               // refresh tokens this replica redeemed
}

var errLostToken = errors.New("the store lost the token and this replica has none newer")

// serve is one user request that needs user's token.
func (r *replica) serve(ctx context.Context, user string) error {
	tok, err := r.store.Load(ctx, user)
	if err != nil {
		return err
	}
	if tok != nil && time.Now().Before(tok.Expiry) {
		return nil
	}
	l, err := r.store.Lock(ctx, user)
	if err != nil {
		return err // no lease: no redemption
	}
	defer l.Unlock(context.WithoutCancel(ctx))
	// Under the lease the renewal runs to its end whatever the request's
	// deadline, as the root package's renewal job does (renewTimeout): a
	// refresh whose answer a request's deadline threw away, or whose new
	// token it kept from being stored, would leave the redeemed refresh
	// token in the store for the next holder to redeem again.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if tok, err = r.store.Load(ctx, user); err != nil {
		return err
	}
	if tok != nil && time.Now().Before(tok.Expiry) {
		return nil // renewed by another while this one waited
	}
	r.mu.Lock()
	mine, lost := r.newest[user], tok == nil || r.redeemed[tok.RefreshToken]
	r.mu.Unlock()
	if lost {
		if mine == nil {
			return errLostToken
		}
		return l.Store(ctx, mine, time.Time{}) // republish; the next request renews it
	}
	r.mu.Lock()
	r.redeemed[tok.RefreshToken] = true
	r.mu.Unlock()
	fresh, err := oauth2flows.Refresh(ctx, r.w.cfg, tok.RefreshToken)
	if err != nil {
		return fmt.Errorf("refresh: %w", err)
	}
	fresh.Expiry = time.Now().Add(renewEvery)
	r.mu.Lock()
	r.newest[user] = fresh
	r.mu.Unlock()
	return l.Store(ctx, fresh, time.Time{})
}

// outcome is one request's.
type outcome struct {
	start, end time.Time
	err        error
}

// storm runs callers goroutines per replica and user, each sending requests
// (serve) back to back, each bounded at 10 s, until stop is closed, and
// returns every outcome.
func storm(replicas int, users []string, callers int, serve func(ctx context.Context, r int, user string) error, stop <-chan struct{}) []outcome {
	var mu sync.Mutex
	var out []outcome
	var wg sync.WaitGroup
	for r := range replicas {
		for _, u := range users {
			for range callers {
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
						o := outcome{start: time.Now()}
						o.err = serve(ctx, r, u)
						o.end = time.Now()
						cancel()
						mu.Lock()
						out = append(out, o)
						mu.Unlock()
						time.Sleep(10 * time.Millisecond)
					}
				})
			}
		}
	}
	wg.Wait()
	return out
}
