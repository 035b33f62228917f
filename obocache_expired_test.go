package oauth2flows_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// skewedOBOServer is oboServer whose clock runs skew behind this one, as
// Entra tolerates 5 minutes of skew: it accepts an assertion that has
// expired here. assertion returns a user's token expiring in (negative:
// expired for) d by this clock.
func skewedOBOServer(t *testing.T, skew time.Duration) (srv *oauth2flowstest.Server, cfg *oauth2flows.Config, assertion func(d time.Duration) string) {
	t.Helper()
	var offset atomic.Int64
	offset.Store(int64(-skew))
	srv, cfg, _ = oboServer(t, oauth2flowstest.WithClock(func() time.Time {
		return time.Now().Add(time.Duration(offset.Load()))
	}))
	cfg.Scopes = []string{"api://b/.default"}
	return srv, cfg, func(d time.Duration) string {
		offset.Store(int64(d - time.Hour)) // tokens live an hour
		defer offset.Store(int64(-skew))
		return srv.IssueAccessToken("alice", "api://"+middleID, "access_as_user")
	}
}

// countingAPI is a downstream API that counts its calls.
func countingAPI(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
	t.Cleanup(api.Close)
	return api, &calls
}

// unvalidatedTier is a middle tier of OBOCache.Middleware with
// WithInsecureUnvalidatedTokens, which stands for a Validator that accepted
// the token (within its leeway), over handle.
func unvalidatedTier(t *testing.T, cfg *oauth2flows.Config, handle func(w http.ResponseWriter, client *http.Client)) *httptest.Server {
	tier := httptest.NewServer(oauth2flows.NewOBOCache(cfg, oauth2flows.WithInsecureUnvalidatedTokens()).Middleware(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			client, _ := oauth2flows.DownstreamClient(r.Context())
			handle(w, client)
		})))
	t.Cleanup(tier.Close)
	return tier
}

// An expired assertion is never sent, through Token, Source under a
// Transport, or Middleware: ErrReauthRequired with nothing on the wire
// (SECURITY.md), though the token endpoint would have accepted it.
func TestOBOCacheNeverSendsAnExpiredAssertion(t *testing.T) {
	srv, cfg, assertion := skewedOBOServer(t, time.Minute)
	expired := assertion(-30 * time.Second)
	ctx := context.Background()
	api, downstreamCalls := countingAPI(t)

	t.Run("Token", func(t *testing.T) {
		_, err := oauth2flows.NewOBOCache(cfg).Token(ctx, expired)
		assert.ErrorIs(t, err, oauth2flows.ErrReauthRequired)
	})
	t.Run("Source", func(t *testing.T) {
		client := &http.Client{Transport: oauth2flows.NewTransport(oauth2flows.NewOBOCache(cfg).Source(expired))}
		_, err := client.Get(api.URL)
		assert.ErrorIs(t, err, oauth2flows.ErrReauthRequired)
	})
	assert.Equal(t, 0, oboPosts(srv), "nothing sent")
	assert.Zero(t, downstreamCalls.Load())
}

// Middleware: a token the Validator accepted within its leeway (1 minute)
// but expired here is not exchanged; the caller gets 401 invalid_token,
// and the handler never runs. (It was: an exchange per request and one per
// downstream call, 8 token requests for 2 requests of 3 calls, as the
// served token was never cached past the assertion's exp.) An assertion
// about to expire is exchanged once and its token cached until then.
func TestOBOMiddlewareNeverSendsAnExpiredAssertion(t *testing.T) {
	srv, cfg, assertion := skewedOBOServer(t, time.Minute)
	api, downstreamCalls := countingAPI(t)
	var handled atomic.Int32
	var lastErr atomic.Pointer[error]
	tier := unvalidatedTier(t, cfg, func(w http.ResponseWriter, client *http.Client) {
		handled.Add(1)
		for range 3 {
			resp, err := client.Get(api.URL)
			if err != nil {
				lastErr.Store(&err)
				http.Error(w, "downstream", http.StatusBadGateway)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})

	expired := assertion(-30 * time.Second)
	for range 2 {
		status, _ := callTier(t, tier, expired)
		assert.Equal(t, http.StatusUnauthorized, status)
	}
	assert.Equal(t, 0, oboPosts(srv), "an expired assertion is never exchanged")
	assert.Zero(t, handled.Load())
	assert.Zero(t, downstreamCalls.Load())

	soon := assertion(20 * time.Second)
	for range 2 {
		status, _ := callTier(t, tier, soon)
		assert.Equal(t, http.StatusOK, status)
	}
	assert.Equal(t, 1, oboPosts(srv), "2 requests of 3 calls each: one exchange, cached until the assertion's exp")
	assert.EqualValues(t, 6, downstreamCalls.Load())
	assert.Nil(t, lastErr.Load())
}

// The downstream client of Middleware, in a handler that outlives the
// user's token, does not exchange the expired assertion again: its call
// fails with ErrReauthRequired and nothing is sent.
func TestOBOMiddlewareDownstreamRefetchNeverSendsAnExpiredAssertion(t *testing.T) {
	srv, cfg, assertion := skewedOBOServer(t, time.Minute)
	api, downstreamCalls := countingAPI(t)
	user := assertion(2 * time.Second)
	exp := time.Now().Add(2 * time.Second)
	errs := make(chan error, 2)
	tier := unvalidatedTier(t, cfg, func(_ http.ResponseWriter, client *http.Client) {
		for i := range 2 {
			if i == 1 {
				time.Sleep(time.Until(exp) + 1100*time.Millisecond) // exp is in whole seconds
			}
			resp, err := client.Get(api.URL)
			if err == nil {
				resp.Body.Close()
			}
			errs <- err
		}
	})

	callTier(t, tier, user)
	require.NoError(t, <-errs, "the first call, before the user's token expires")
	err := <-errs
	assert.ErrorIs(t, err, oauth2flows.ErrReauthRequired, "the call after it expired")
	assert.False(t, errors.Is(err, context.DeadlineExceeded))
	assert.Equal(t, 1, oboPosts(srv), "the expired assertion is not exchanged again")
	assert.EqualValues(t, 1, downstreamCalls.Load())
}
