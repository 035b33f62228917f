package oauth2flows_test

import (
	"context"
	"crypto"
	"net/url"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// jarServer registers client "jar", whose authorization requests must be
// signed request objects verified with key's public half.
func jarServer(t *testing.T, key crypto.Signer, opts ...oauth2flowstest.Option) (*oauth2flowstest.Server, *oauth2flows.Config) {
	t.Helper()
	srv := grantServer(t, append(opts, oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "jar", PublicKey: key.Public(),
		AuthMethod: oauth2flowstest.AuthPrivateKeyJWT, RedirectURIs: []string{gRedirect}, RequireSignedRequestObject: true}))...)
	cfg := &oauth2flows.Config{ClientID: "jar", PrivateKey: key, RequestObjectKey: key, RequestObjectKeyID: "k1",
		RedirectURL: gRedirect, Endpoint: srv.Endpoint(), Scopes: []string{"openid"}}
	return srv, cfg
}

// readRequestObject verifies a request object with pub as a server does.
func readRequestObject(t *testing.T, raw string, pub crypto.PublicKey) (*jwt.Token, jwt.MapClaims) {
	t.Helper()
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"PS256", "ES256"}))
	require.NoError(t, err)
	return tok, claims
}

// JAR (RFC 9101 §4) through PAR (RFC 9126 §3): the push carries client_id
// and a request object holding every parameter, signed PS256 or ES256,
// with iss, aud = the issuer, exp, nbf, iat and jti; the server verifies it
// with the client's registered key, and the flow completes.
func TestPushAuthCodeURLSignsARequestObject(t *testing.T) {
	for name, key := range map[string]crypto.Signer{"PS256": rsaKey(t), "ES256": ecKey(t)} {
		t.Run(name, func(t *testing.T) {
			srv, cfg := jarServer(t, key, oauth2flowstest.WithDPoPNonce())
			cfg.DPoPKey = ecKey(t)
			ctx := context.Background()
			state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
			u, err := oauth2flows.PushAuthCodeURL(ctx, cfg, state, oauth2flows.WithPKCE(verifier), oauth2flows.WithParam("nonce", "n-1"))
			require.NoError(t, err)
			pars := srv.RequestsTo(oauth2flowstest.EndpointPAR)
			form := pars[len(pars)-1].Form
			for _, k := range []string{"state", "redirect_uri", "code_challenge", "dpop_jkt", "nonce", "response_type", "scope"} {
				assert.False(t, form.Has(k), "%s is only inside the request object", k)
			}
			assert.Equal(t, "jar", form.Get("client_id"))
			tok, claims := readRequestObject(t, form.Get("request"), key.Public())
			assert.Equal(t, name, tok.Method.Alg())
			assert.Equal(t, "oauth-authz-req+jwt", tok.Header["typ"])
			assert.Equal(t, "k1", tok.Header["kid"])
			assert.Equal(t, "jar", claims["iss"])
			assert.Equal(t, cfg.Endpoint.Issuer, claims["aud"])
			assert.Equal(t, state, claims["state"])
			assert.Equal(t, "n-1", claims["nonce"])
			assert.Equal(t, oauth2flows.S256Challenge(verifier), claims["code_challenge"])
			for _, c := range []string{"exp", "nbf", "iat", "jti"} {
				assert.Contains(t, claims, c)
			}
			code, err := oauth2flows.ParseCallbackURL(cfg, authorize(t, srv, u), state)
			require.NoError(t, err)
			_, err = oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
			require.NoError(t, err)
		})
	}
}

// AuthCodeURL carries the request object by value (RFC 9101 §5): only
// client_id, response_type, scope and request in the URL.
func TestAuthCodeURLCarriesTheRequestObjectByValue(t *testing.T) {
	key := ecKey(t)
	srv, cfg := jarServer(t, key)
	state := oauth2flows.NewState()
	u, err := oauth2flows.BuildAuthCodeURL(cfg, state, oauth2flows.WithPKCE(oauth2flows.NewVerifier()))
	require.NoError(t, err)
	pu, err := url.Parse(u)
	require.NoError(t, err)
	q := pu.Query()
	assert.ElementsMatch(t, []string{"client_id", "response_type", "scope", "request"}, keys(q))
	_, claims := readRequestObject(t, q.Get("request"), key.Public())
	assert.Equal(t, state, claims["state"])
	_, err = oauth2flows.ParseCallbackURL(cfg, authorize(t, srv, u), state)
	require.NoError(t, err)
}

// A client registered with require_signed_request_object is refused
// without one, and a request object signed by another key is refused.
func TestRequestObjectsRequiredAndVerified(t *testing.T) {
	srv, cfg := jarServer(t, ecKey(t))
	ctx := context.Background()
	unsigned := *cfg
	unsigned.RequestObjectKey = nil
	_, err := oauth2flows.PushAuthCodeURL(ctx, &unsigned, oauth2flows.NewState())
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_request", oe.Code)

	forged := *cfg
	forged.RequestObjectKey = ecKey(t)
	_, err = oauth2flows.PushAuthCodeURL(ctx, &forged, oauth2flows.NewState())
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_request_object", oe.Code)
	_ = srv
}

func TestRequestObjectAlgIsPS256OrES256(t *testing.T) {
	_, cfg := jarServer(t, rsaKey(t))
	cfg.RequestObjectAlg = "RS256"
	_, err := oauth2flows.BuildAuthCodeURL(cfg, oauth2flows.NewState())
	var ce *oauth2flows.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "Config.RequestObjectAlg", ce.Field)
	cfg.RequestObjectAlg, cfg.Endpoint.Issuer = "", ""
	_, err = oauth2flows.BuildAuthCodeURL(cfg, oauth2flows.NewState())
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "Config.Endpoint.Issuer", ce.Field)
}

func keys(v url.Values) []string {
	var out []string
	for k := range v {
		out = append(out, k)
	}
	return out
}
