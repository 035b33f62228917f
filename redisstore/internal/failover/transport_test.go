package failover_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// TestTransportsThroughAFailover is TestFailoverMidStorm with the root
// package's Transports (oauth2flows.NewClient with WithTokenStore) where
// the emulator was: 3 replicas x 8 users x 2 callers call an API with
// 2-second access tokens, which the Transports renew under the lease about
// every second, while a Cluster or a Sentinel set-up fails over. Same bar:
// no refresh token redeemed twice, no family lost, every request that
// started a second after the set-up healed served.
func TestTransportsThroughAFailover(t *testing.T) {
	for _, tp := range topologies() {
		for _, f := range faults[:2] { // SIGKILL; SIGSTOP past the failover
			t.Run(tp.name+"/"+f.name, func(t *testing.T) { runFailover(t, tp, f, transports) })
		}
	}
}

// transports serves through one Transport per replica and user, made from
// the user's first token (which the store holds too), as an application
// makes one at a user's first request.
func transports(t *testing.T, w *world, replicas []*replica, users []string) func(ctx context.Context, r int, user string) error {
	api := httptest.NewServer(w.srv.Protect(clientID, http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		claims, _ := oauth2flowstest.ClaimsFromContext(req.Context())
		fmt.Fprint(rw, claims.Subject)
	})))
	t.Cleanup(api.Close)
	cfg := *w.cfg
	cfg.Logger = slog.New(slog.DiscardHandler) // the stores' failures are counted by their handler
	clients := make([]map[string]*http.Client, len(replicas))
	for i, rp := range replicas {
		clients[i] = map[string]*http.Client{}
		for _, u := range users {
			seed := *w.users[u]
			clients[i][u] = oauth2flows.NewClient(&cfg, &seed, oauth2flows.WithTokenStore(rp.store, u))
		}
	}
	return func(ctx context.Context, r int, user string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, api.URL, nil)
		if err != nil {
			return err
		}
		resp, err := clients[r][user].Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || string(body) != user {
			return fmt.Errorf("the API answered %d %q", resp.StatusCode, body)
		}
		return nil
	}
}
