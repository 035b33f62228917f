package resource_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/resource"
)

// flipBit flips one bit of the decoded segment i of token and encodes it
// again: a token one bit different.
func flipBit(t *testing.T, token string, seg, bit int) string {
	t.Helper()
	parts := strings.Split(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[seg])
	require.NoError(t, err)
	b[bit/8%len(b)] ^= 1 << (bit % 8)
	parts[seg] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

// A cached token is the same bytes: a token one bit different, in any
// segment, is verified in full and refused.
func TestVerificationCacheOneBitDifferentIsVerifiedInFull(t *testing.T) {
	iss := newVIssuer(t)
	v := newTestValidator(t, iss, resource.Config{})
	ctx := context.Background()
	tok := mintRS256(t, vClaims(iss.URL()))
	for range 2 {
		_, err := v.Validate(ctx, tok)
		require.NoError(t, err)
	}
	require.Equal(t, 1, resource.CachedTokens(v))
	for _, tt := range []struct {
		seg    int
		reason resource.Reason
	}{{0, resource.ReasonMalformed}, {1, resource.ReasonSignature}, {2, resource.ReasonSignature}} {
		for _, bit := range []int{0, 7, 100, 333} {
			forged := flipBit(t, tok, tt.seg, bit)
			if forged == tok {
				continue
			}
			_, err := v.Validate(ctx, forged)
			require.Error(t, err, "segment %d bit %d", tt.seg, bit)
			var ve *resource.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.NotEqual(t, resource.Reason(""), ve.Reason)
		}
	}
	forged := flipBit(t, tok, 1, 8*40) // inside the payload's JSON
	_, err := v.Validate(ctx, forged)
	requireRefused(t, err, resource.ReasonSignature, forged)
	assert.Equal(t, 1, resource.CachedTokens(v), "no refusal was cached")
}

// A key withdrawn from the key set ends the tokens it signed, cached or
// not: on the first use after the set is fetched again, whether a token of
// a new key or the TTL made it refetch.
func TestVerificationCacheEndsTokensOfAWithdrawnKey(t *testing.T) {
	for _, how := range []string{"new key's token", "TTL"} {
		t.Run(how, func(t *testing.T) {
			iss := newVIssuer(t)
			v := newTestValidator(t, iss, resource.Config{KeyRefetchInterval: time.Second})
			clock := newFakeClock()
			resource.SetValidatorClock(v, clock.Now)
			ctx := context.Background()
			claims := vClaims(iss.URL())
			claims["exp"] = time.Now().Add(3 * time.Hour).Unix()
			old := mintRS256(t, claims)
			for range 3 {
				_, err := v.Validate(ctx, old)
				require.NoError(t, err)
			}
			iss.setKeys(jwkOf(vKidRSA2, &vRSAKey2().PublicKey)) // the old key withdrawn
			if how == "TTL" {
				clock.Advance(time.Hour + time.Second)
				_, _ = v.Validate(ctx, old) // stale keys serve while the set is fetched again
				require.Eventually(t, func() bool { return iss.jwksHits.Load() == 2 }, 5*time.Second, 5*time.Millisecond)
				require.Eventually(t, func() bool { _, err := v.Validate(ctx, old); return err != nil }, 5*time.Second, 5*time.Millisecond)
			} else {
				clock.Advance(2 * time.Second)
				_, err := v.Validate(ctx, mint(t, jwt.SigningMethodRS256, vRSAKey2(), map[string]any{"kid": vKidRSA2}, claims))
				require.NoError(t, err)
			}
			_, err := v.Validate(ctx, old)
			requireRefused(t, err, resource.ReasonUnknownKey, old)
		})
	}
}

// A key published again under the same kid but with other key material
// does not keep the tokens of the old one.
func TestVerificationCacheEndsTokensOfAReplacedKey(t *testing.T) {
	iss := newVIssuer(t)
	v := newTestValidator(t, iss, resource.Config{KeyRefetchInterval: time.Second})
	clock := newFakeClock()
	resource.SetValidatorClock(v, clock.Now)
	ctx := context.Background()
	old := mintRS256(t, vClaims(iss.URL()))
	_, err := v.Validate(ctx, old)
	require.NoError(t, err)
	iss.setKeys(jwkOf(vKidRSA, &vRSAKey2().PublicKey), jwkOf(vKidEC, &vECKey().PublicKey))
	clock.Advance(2 * time.Second)
	_, err = v.Validate(ctx, mint(t, jwt.SigningMethodRS256, vRSAKey(), map[string]any{"kid": "unknown"}, vClaims(iss.URL())))
	requireRefused(t, err, resource.ReasonUnknownKey, "")
	_, err = v.Validate(ctx, old)
	requireRefused(t, err, resource.ReasonUnknownKey, old)
}

// The same token bytes before Validators of two tenants: each decides by
// its own configuration, every time, cached or not; and one Validator of
// several tenants keeps each token's own tenant.
func TestVerificationCacheNeverConfusesTenants(t *testing.T) {
	const tenantA, tenantB = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
	const template = "https://login.microsoftonline.com/{tenantid}/v2.0"
	iss := newVIssuer(t)
	entraToken := func(tid string) string {
		claims := vClaims(strings.Replace(template, "{tenantid}", tid, 1))
		claims["tid"] = tid
		return mintRS256(t, claims)
	}
	tokA, tokB := entraToken(tenantA), entraToken(tenantB)
	onlyA := newTestValidator(t, iss, resource.Config{Issuer: template, Tenants: []string{tenantA}})
	onlyB := newTestValidator(t, iss, resource.Config{Issuer: template, Tenants: []string{tenantB}})
	both := newTestValidator(t, iss, resource.Config{Issuer: template})
	ctx := context.Background()
	for range 3 {
		p, err := onlyA.Validate(ctx, tokA)
		require.NoError(t, err)
		assert.Equal(t, tenantA, p.TenantID)
		_, err = onlyB.Validate(ctx, tokA)
		requireRefused(t, err, resource.ReasonTenant, tokA)
		_, err = onlyA.Validate(ctx, tokB)
		requireRefused(t, err, resource.ReasonTenant, tokB)
		for tid, tok := range map[string]string{tenantA: tokA, tenantB: tokB} {
			p, err := both.Validate(ctx, tok)
			require.NoError(t, err)
			assert.Equal(t, tid, p.TenantID)
			assert.Equal(t, strings.Replace(template, "{tenantid}", tid, 1), p.Issuer)
		}
	}
	assert.Equal(t, 0, resource.CachedTokens(onlyB), "refusals are never cached")
	assert.Equal(t, 2, resource.CachedTokens(both))
}

// A cached token expires on time, with the leeway, and is not served
// after; a refusal is never cached; the cache is bounded in entries and
// memory; DisableVerificationCache turns it off.
func TestVerificationCacheLifetimeAndBounds(t *testing.T) {
	iss := newVIssuer(t)
	ctx := context.Background()
	t.Run("expiry", func(t *testing.T) {
		v := newTestValidator(t, iss, resource.Config{Leeway: 30 * time.Second})
		clock := newFakeClock()
		resource.SetValidatorClock(v, clock.Now)
		claims := vClaims(iss.URL())
		claims["exp"] = clock.Now().Add(time.Minute).Unix()
		tok := mintRS256(t, claims)
		_, err := v.Validate(ctx, tok)
		require.NoError(t, err)
		clock.Advance(time.Minute + 20*time.Second) // past exp, within the leeway
		_, err = v.Validate(ctx, tok)
		require.NoError(t, err)
		clock.Advance(15 * time.Second)
		_, err = v.Validate(ctx, tok)
		requireRefused(t, err, resource.ReasonExpired, tok)
		assert.Equal(t, 0, resource.CachedTokens(v))
	})
	t.Run("nbf", func(t *testing.T) {
		v := newTestValidator(t, iss, resource.Config{Leeway: 30 * time.Second})
		clock := newFakeClock()
		resource.SetValidatorClock(v, clock.Now)
		claims := vClaims(iss.URL())
		claims["nbf"] = clock.Now().Add(20 * time.Second).Unix() // ahead, within the leeway
		tok := mintRS256(t, claims)
		_, err := v.Validate(ctx, tok)
		require.NoError(t, err)
		clock.Advance(-time.Minute) // the host's clock is set back
		_, err = v.Validate(ctx, tok)
		requireRefused(t, err, resource.ReasonNotYetValid, tok)
	})
	t.Run("refusals", func(t *testing.T) {
		v := newTestValidator(t, iss, resource.Config{RequiredScopes: []string{"admin"}})
		tok := mintRS256(t, vClaims(iss.URL()))
		for range 3 {
			_, err := v.Validate(ctx, tok)
			requireRefused(t, err, resource.ReasonInsufficientScope, tok)
		}
		assert.Equal(t, 0, resource.CachedTokens(v))
	})
	t.Run("entries", func(t *testing.T) {
		v := newTestValidator(t, iss, resource.Config{VerificationCacheSize: 16})
		for i := range 100 {
			claims := vClaims(iss.URL())
			claims["sub"] = fmt.Sprint("user-", i)
			_, err := v.Validate(ctx, mintRS256(t, claims))
			require.NoError(t, err)
			require.LessOrEqual(t, resource.CachedTokens(v), 16)
		}
	})
	t.Run("memory", func(t *testing.T) {
		v := newTestValidator(t, iss, resource.Config{VerificationCacheSize: 16}) // 128 KiB
		for i := range 20 {
			claims := vClaims(iss.URL())
			claims["sub"] = fmt.Sprint("user-", i)
			claims["pad"] = strings.Repeat("x", 10<<10)
			_, err := v.Validate(ctx, mintRS256(t, claims))
			require.NoError(t, err)
			require.LessOrEqual(t, resource.CachedTokens(v), 4, "about 28 KiB each")
		}
	})
	t.Run("disabled", func(t *testing.T) {
		v := newTestValidator(t, iss, resource.Config{DisableVerificationCache: true})
		_, err := v.Validate(ctx, mintRS256(t, vClaims(iss.URL())))
		require.NoError(t, err)
		assert.Equal(t, -1, resource.CachedTokens(v))
	})
	t.Run("negative size", func(t *testing.T) {
		_, err := resource.NewValidator(ctx, resource.Config{Issuer: iss.URL(), Audiences: []string{vAudience}, VerificationCacheSize: -1})
		require.Error(t, err)
	})
}

// A Principal returned by Validate is the caller's own: changing it does
// not change what the next Validate of the same token returns.
func TestVerificationCacheHandsOutCopies(t *testing.T) {
	iss := newVIssuer(t)
	v := newTestValidator(t, iss, resource.Config{})
	tok := mintRS256(t, vClaims(iss.URL()))
	p, err := v.Validate(context.Background(), tok)
	require.NoError(t, err)
	p.Subject = "mallory"
	p2, err := v.Validate(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, "user-1", p2.Subject)
}

// Concurrent hits, misses, refusals and evictions of a small cache: under
// -race, and every answer right.
func TestVerificationCacheConcurrentUse(t *testing.T) {
	iss := newVIssuer(t)
	v := newTestValidator(t, iss, resource.Config{VerificationCacheSize: 8})
	tokens := make([]string, 32)
	for i := range tokens {
		claims := vClaims(iss.URL())
		claims["sub"] = fmt.Sprint("user-", i)
		tokens[i] = mintRS256(t, claims)
	}
	forged := flipBit(t, tokens[0], 2, 5)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 64 {
				k := (g*7 + i) % len(tokens)
				p, err := v.Validate(context.Background(), tokens[k])
				if assert.NoError(t, err) {
					assert.Equal(t, fmt.Sprint("user-", k), p.Subject)
				}
				_, err = v.Validate(context.Background(), forged)
				assert.Error(t, err)
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, resource.CachedTokens(v), 8)
}

// TestVerificationCacheHoldsWhatItIsSizedFor: a cache sized for n tokens
// keeps n tokens of the sizes real issuers send (Entra's access tokens
// run from about 1.2 KB to past 2.5 KB with group claims), so that a
// second pass over them verifies no signature again.
func TestVerificationCacheHoldsWhatItIsSizedFor(t *testing.T) {
	iss := newVIssuer(t)
	ctx := context.Background()
	const n = 300
	for _, size := range []int{1200, 2000, 2600, 3200} {
		t.Run(fmt.Sprint(size, " bytes"), func(t *testing.T) {
			v := newTestValidator(t, iss, resource.Config{VerificationCacheSize: n})
			toks := make([]string, n)
			for i := range toks {
				claims := vClaims(iss.URL())
				claims["sub"] = fmt.Sprint("user-", i)
				toks[i] = mintRS256(t, claims)
				if pad := size - len(toks[i]); pad > 0 {
					claims["pad"] = strings.Repeat("x", pad*3/4)
					toks[i] = mintRS256(t, claims)
				}
				_, err := v.Validate(ctx, toks[i])
				require.NoError(t, err)
			}
			t.Logf("tokens of %d bytes: %d of %d cached", len(toks[0]), resource.CachedTokens(v), n)
			assert.Equal(t, n, resource.CachedTokens(v))
		})
	}
}
