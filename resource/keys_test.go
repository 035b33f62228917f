package resource_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/resource"
)

// A flood of tokens with forged kids, from many goroutines, costs one
// refetch of the key set per KeyRefetchInterval, not one per token.
func TestValidatorUnknownKidRefetchIsRateLimited(t *testing.T) {
	iss := newVIssuer(t)
	v := newTestValidator(t, iss, resource.Config{})
	clock := newFakeClock()
	resource.SetValidatorClock(v, clock.Now)
	require.EqualValues(t, 1, iss.jwksHits.Load())

	flood := func(n int) {
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				tok := mint(t, jwt.SigningMethodRS256, vRSAKey2(), map[string]any{"kid": fmt.Sprintf("forged-%d", i)}, vClaims(iss.URL()))
				_, err := v.Validate(context.Background(), tok)
				requireRefused(t, err, resource.ReasonUnknownKey, tok)
			})
		}
		wg.Wait()
	}
	flood(50)
	assert.EqualValues(t, 2, iss.jwksHits.Load(), "the first unknown kid after start refetches, once for the 50")

	clock.Advance(30 * time.Second)
	flood(20)
	assert.EqualValues(t, 2, iss.jwksHits.Load(), "none again within the interval")

	clock.Advance(31 * time.Second)
	flood(50)
	assert.EqualValues(t, 3, iss.jwksHits.Load(), "one refetch for 50 forged kids")

	// A valid token still validates from the cache during the flood.
	_, err := v.Validate(context.Background(), mintRS256(t, vClaims(iss.URL())))
	require.NoError(t, err)
}

// Keys rotate without a restart: a token signed with a new key makes the
// Validator refetch the set, once; a retired key stops working once the
// set no longer holds it.
func TestValidatorFollowsKeyRotation(t *testing.T) {
	iss := newVIssuer(t)
	v := newTestValidator(t, iss, resource.Config{KeyRefetchInterval: 10 * time.Second})
	clock := newFakeClock()
	resource.SetValidatorClock(v, clock.Now)
	ctx := context.Background()
	claims := vClaims(iss.URL())
	claims["exp"] = time.Now().Add(3 * time.Hour).Unix() // outlives the clock's jumps
	oldTok := mintRS256(t, claims)
	newTok := mint(t, jwt.SigningMethodRS256, vRSAKey2(), map[string]any{"kid": vKidRSA2}, claims)

	_, err := v.Validate(ctx, oldTok)
	require.NoError(t, err)

	// The issuer publishes the new key next to the old one and signs with it.
	iss.setKeys(jwkOf(vKidRSA, &vRSAKey().PublicKey), jwkOf(vKidRSA2, &vRSAKey2().PublicKey))
	clock.Advance(11 * time.Second)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			_, err := v.Validate(ctx, newTok)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.EqualValues(t, 2, iss.jwksHits.Load(), "ten concurrent tokens of the new key share one refetch")
	_, err = v.Validate(ctx, oldTok)
	require.NoError(t, err, "the old key is still published")

	// The old key is retired; after the cache TTL the set is fetched again.
	iss.setKeys(jwkOf(vKidRSA2, &vRSAKey2().PublicKey))
	clock.Advance(time.Hour + time.Second)
	_, err = v.Validate(ctx, oldTok) // stale but still cached: served while a refresh runs
	require.NoError(t, err)
	require.Eventually(t, func() bool { return iss.jwksHits.Load() == 3 }, 5*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool {
		_, err := v.Validate(ctx, oldTok)
		return err != nil
	}, 5*time.Second, 10*time.Millisecond, "the retired key is dropped")
	_, err = v.Validate(ctx, oldTok)
	requireRefused(t, err, resource.ReasonUnknownKey, oldTok)
	_, err = v.Validate(ctx, newTok)
	require.NoError(t, err)
}

// When the key set host fails, the keys in hand keep working.
func TestValidatorKeepsKeysWhenRefreshFails(t *testing.T) {
	iss := newVIssuer(t)
	v := newTestValidator(t, iss, resource.Config{})
	clock := newFakeClock()
	resource.SetValidatorClock(v, clock.Now)
	iss.jwksFault.Store(503)
	clock.Advance(2 * time.Hour)
	c := vClaims(iss.URL())
	c["exp"] = clock.Now().Add(time.Hour).Unix()
	tok := mintRS256(t, c)
	for range 5 {
		_, err := v.Validate(context.Background(), tok)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return iss.jwksHits.Load() == 2 }, 5*time.Second, 10*time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	assert.EqualValues(t, 2, iss.jwksHits.Load(), "one failed refresh, then the rate limit")
}

// The key set is fetched with Config.HTTPClient (here trusting a
// TLS test server), and a redirect is never followed: keys from wherever
// it points would be trusted.
func TestValidatorKeySetClientAndRedirects(t *testing.T) {
	iss := newVIssuer(t)
	ctx := context.Background()
	tlsKeys := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, iss.JWKSURL(), http.StatusFound)
			return
		}
		resp, err := http.Get(iss.JWKSURL())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		_, _ = io.Copy(w, resp.Body)
	}))
	tlsKeys.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusting client's handshake failure
	tlsKeys.StartTLS()
	t.Cleanup(tlsKeys.Close)

	v, err := resource.NewValidator(ctx, resource.Config{
		Issuer: iss.URL(), Audiences: []string{vAudience}, JWKSURL: tlsKeys.URL + "/jwks", HTTPClient: tlsKeys.Client(),
	})
	require.NoError(t, err)
	_, err = v.Validate(ctx, mintRS256(t, vClaims(iss.URL())))
	require.NoError(t, err)

	_, err = resource.NewValidator(ctx, resource.Config{
		Issuer: iss.URL(), Audiences: []string{vAudience}, JWKSURL: tlsKeys.URL + "/moved", HTTPClient: tlsKeys.Client(),
	})
	var de *oauth2flows.DiscoveryError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, http.StatusFound, de.StatusCode, "the redirect is not followed")

	_, err = resource.NewValidator(ctx, resource.Config{
		Issuer: iss.URL(), Audiences: []string{vAudience}, JWKSURL: tlsKeys.URL + "/jwks",
	})
	require.ErrorAs(t, err, &de, "without the test CA the TLS key set is not trusted")

	var nilCtx context.Context // a nil context is what is tested
	_, err = v.Validate(nilCtx, "a.b.c")
	var ce *oauth2flows.ConfigError
	require.ErrorAs(t, err, &ce)
}
