package resource_test

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/resource"
)

const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// respell changes the unused low bit of a base64url segment's last
// character: the lenient decoder reads the same bytes from both spellings
// (RFC 4648 §3.5). ok is false when the segment has no unused bits.
func respell(t *testing.T, seg string) (string, bool) {
	t.Helper()
	if len(seg)%4 == 0 {
		return "", false
	}
	last := strings.IndexByte(b64url, seg[len(seg)-1])
	other := seg[:len(seg)-1] + string(b64url[last^1])
	a, errA := base64.RawURLEncoding.DecodeString(seg)
	b, errB := base64.RawURLEncoding.DecodeString(other)
	require.NoError(t, errA)
	require.NoError(t, errB)
	require.Equal(t, a, b, "both spellings decode to the same bytes")
	return other, true
}

// mintRaw signs a payload given as JSON text, so that member order and
// duplicate names are the test's own.
func mintRaw(t *testing.T, header, payload string) string {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	signing := enc([]byte(header)) + "." + enc([]byte(payload))
	sig, err := jwt.SigningMethodRS256.Sign(signing, vRSAKey())
	require.NoError(t, err)
	return signing + "." + enc(sig)
}

// A token has one spelling: re-spelling the unused bits of the last
// character of any segment gives a token that is refused, not a second
// valid token (and a second cache key, OBO exchange, replay-cache entry).
func TestValidatorRefusesNonCanonicalBase64url(t *testing.T) {
	iss := newVIssuer(t)
	for _, cache := range []bool{true, false} {
		v := newTestValidator(t, iss, resource.Config{DisableVerificationCache: !cache})
		respelled := 0
		for pad := range 4 { // one of four payload lengths leaves unused bits in each segment
			claims := vClaims(iss.URL())
			claims["x"] = strings.Repeat("p", pad)
			tok := mint(t, jwt.SigningMethodRS256, vRSAKey(), map[string]any{"kid": vKidRSA, "x": strings.Repeat("h", pad)}, claims)
			_, err := v.Validate(context.Background(), tok)
			require.NoError(t, err)
			segs := strings.Split(tok, ".")
			for i := range segs {
				other, ok := respell(t, segs[i])
				if !ok {
					continue
				}
				respelled++
				parts := append([]string(nil), segs...)
				parts[i] = other
				forged := strings.Join(parts, ".")
				_, err := v.Validate(context.Background(), forged)
				requireRefused(t, err, resource.ReasonMalformed, forged)
			}
		}
		assert.GreaterOrEqual(t, respelled, 6, "header, payload and signature were each re-spelled")
	}
}

// RFC 9068 §4: under RequireATJWT a token without "typ" is refused; an ID
// token without "typ" must not pass as an access token.
func TestValidatorRequireATJWTRequiresTyp(t *testing.T) {
	iss := newVIssuer(t)
	strict := newTestValidator(t, iss, resource.Config{RequireATJWT: true})
	lax := newTestValidator(t, iss, resource.Config{})
	tests := []struct {
		name     string
		typ      any // nil: no typ
		strictOK bool
	}{
		{"at+jwt", "at+jwt", true},
		{"application/at+jwt", "application/at+jwt", true},
		{"AT+JWT", "AT+JWT", true},
		{"JWT", "JWT", false},
		{"no typ", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := mint(t, jwt.SigningMethodRS256, vRSAKey(), map[string]any{"kid": vKidRSA, "typ": tt.typ}, vClaims(iss.URL()))
			_, err := lax.Validate(context.Background(), tok)
			require.NoError(t, err)
			_, err = strict.Validate(context.Background(), tok)
			if tt.strictOK {
				require.NoError(t, err)
			} else {
				requireRefused(t, err, resource.ReasonTokenType, tok)
			}
		})
	}
}

// RFC 7519 §4: claim names are case-sensitive. A signed private claim
// whose name differs from a registered one only in case, placed after it,
// must not replace it.
func TestValidatorClaimNamesAreCaseSensitive(t *testing.T) {
	iss := newVIssuer(t)
	v := newTestValidator(t, iss, resource.Config{})
	now := time.Now().Unix()
	base := func(members string) string {
		return `{"iss":"` + iss.URL() + `","sub":"user-1","scp":"orders.read",` + members + `}`
	}
	const header = `{"alg":"RS256","kid":"` + vKidRSA + `","typ":"at+jwt"}`
	tests := []struct {
		name    string
		members string
		reason  resource.Reason // "" accepts
	}{
		{"AUD after aud", `"aud":"api://other","exp":` + itoa(now+3600) + `,"AUD":"` + vAudience + `"`, resource.ReasonAudience},
		{"Aud after aud", `"aud":"api://other","exp":` + itoa(now+3600) + `,"Aud":["` + vAudience + `"]`, resource.ReasonAudience},
		{"EXP after exp", `"aud":"` + vAudience + `","exp":` + itoa(now-3600) + `,"EXP":` + itoa(now+3600), resource.ReasonExpired},
		{"ISS after iss", `"aud":"` + vAudience + `","exp":` + itoa(now+3600) + `,"ISS":"https://evil.example"`, ""},
		{"only AUD", `"AUD":"` + vAudience + `","exp":` + itoa(now+3600), resource.ReasonAudience},
		{"iſs (long s) after iss", `"aud":"` + vAudience + `","exp":` + itoa(now+3600) + `,"iſs":"https://evil.example"`, ""},
		{"escaped AUD after aud", `"aud":"api://other","exp":` + itoa(now+3600) + `,"\u0041UD":"` + vAudience + `"`, resource.ReasonAudience},
		{"escaped aud", `"\u0061ud":"` + vAudience + `","exp":` + itoa(now+3600), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := mintRaw(t, header, base(tt.members))
			p, err := v.Validate(context.Background(), tok)
			if tt.reason == "" {
				require.NoError(t, err)
				assert.Equal(t, iss.URL(), p.Issuer)
				return
			}
			requireRefused(t, err, tt.reason, tok)
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A key the issuer starts signing with just after the Validator started
// is found at once: the start-up fetch does not count against the refetch
// limit.
func TestValidatorFindsAKeyRotatedInJustAfterStart(t *testing.T) {
	iss := newVIssuer(t)
	v := newTestValidator(t, iss, resource.Config{})
	iss.setKeys(jwkOf(vKidRSA, &vRSAKey().PublicKey), jwkOf(vKidRSA2, &vRSAKey2().PublicKey))
	tok := mint(t, jwt.SigningMethodRS256, vRSAKey2(), map[string]any{"kid": vKidRSA2}, vClaims(iss.URL()))
	_, err := v.Validate(context.Background(), tok)
	require.NoError(t, err)
	assert.EqualValues(t, 2, iss.jwksHits.Load())
}
