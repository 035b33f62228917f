package oauth2flows_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"log/slog"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// TestTransportStoreThatPanicsOrHangsIsAMiss: a TokenStore that panics, or
// ignores its context and never returns, is a miss for a Transport that
// may renew outside the lease (WithInsecureRenewalOutsideLease) as it is
// for the OBOCache: the request is served from memory and the token
// endpoint, in about the call's bound, and the failure reaches
// Config.Logger and the handler of WithTokenStoreErrorHandler. Without the
// option, see TestRefreshTokenIsNeverRedeemedOutsideTheLease.
func TestTransportStoreThatPanicsOrHangsIsAMiss(t *testing.T) {
	for _, tc := range []struct {
		name    string
		failOp  func(block <-chan struct{}) func(ctx context.Context, op string) error
		wantErr string
	}{
		{name: "Load panics", wantErr: "panicked", failOp: func(<-chan struct{}) func(context.Context, string) error {
			return func(_ context.Context, op string) error { panic("store broke: " + op) }
		}},
		{name: "Load ignores ctx", wantErr: "context deadline exceeded", failOp: func(block <-chan struct{}) func(context.Context, string) error {
			return func(context.Context, string) error { <-block; return nil }
		}},
		{name: "Lock ignores ctx", wantErr: "context deadline exceeded", failOp: func(block <-chan struct{}) func(context.Context, string) error {
			return func(_ context.Context, op string) error {
				if op == "Lock" {
					<-block
				}
				return nil
			}
		}},
		{name: "Store panics", wantErr: "panicked", failOp: func(<-chan struct{}) func(context.Context, string) error {
			return func(_ context.Context, op string) error {
				if op == "Store" {
					panic("store broke")
				}
				return nil
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, cfg, tok := signedIn(t)
			api := protectedAPI(t, srv)
			tok.Expiry = time.Now().Add(-time.Minute)
			var logs syncBuffer
			var mu sync.Mutex
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			block := make(chan struct{})
			t.Cleanup(func() { close(block) })
			store := newFakeStore()
			store.failOp = tc.failOp(block)
			var reported []*oauth2flows.StoreError
			client := oauth2flows.NewClient(cfg, tok, oauth2flows.WithTokenStore(store, "user:alice"),
				oauth2flows.WithTokenStoreTimeouts(50*time.Millisecond, 100*time.Millisecond),
				oauth2flows.WithInsecureRenewalOutsideLease(),
				oauth2flows.WithTokenStoreErrorHandler(func(_ context.Context, err *oauth2flows.StoreError) {
					mu.Lock()
					defer mu.Unlock()
					reported = append(reported, err)
					panic("a handler that panics ends nothing either")
				}))

			start := time.Now()
			for range 3 {
				status, body, err := getBody(t, client, api.URL)
				require.NoError(t, err, "a broken store is a miss, never a failed request")
				assert.Equal(t, http.StatusOK, status)
				assert.Equal(t, "alice", body)
			}
			assert.Less(t, time.Since(start), 5*time.Second, "bounded, not a hang")
			n, _ := refreshRequests(srv)
			assert.Equal(t, 1, n, "renewed once, from memory and the token endpoint")

			mu.Lock()
			defer mu.Unlock()
			require.NotEmpty(t, reported)
			assert.Contains(t, reported[0].Error(), tc.wantErr)
			assert.Contains(t, logs.String(), "token store failed")
			assert.NotContains(t, logs.String(), tok.RefreshToken)
			assert.NotContains(t, logs.String(), "user:alice", "the key may name a user")
		})
	}
}
