package interop

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/storage"
	fjwt "github.com/ory/fosite/token/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/resource"
)

// fositeJWTAudience is the API fosite's JWT access tokens are for.
const fositeJWTAudience = "https://api.example/orders"

// fositeJWTEnv is fosite with its JWT access token strategy (RFC 9068-like,
// "scp" as a JSON array), a signing key the test can rotate, and the
// metadata and key set a deployment (Ory Hydra) would publish: fosite
// itself serves neither.
type fositeJWTEnv struct {
	URL     string
	keyHits atomic.Int64

	mu        sync.Mutex
	signing   *jose.JSONWebKey
	published []*jose.JSONWebKey
}

func (e *fositeJWTEnv) rotate(signing *jose.JSONWebKey, published ...*jose.JSONWebKey) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.signing, e.published = signing, published
}

func rsaJWK(kid string, k *rsa.PrivateKey) *jose.JSONWebKey {
	return &jose.JSONWebKey{Key: k, KeyID: kid, Algorithm: "RS256", Use: "sig"}
}

func fositeJWTServer(t *testing.T, first *jose.JSONWebKey) *fositeJWTEnv {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	env := &fositeJWTEnv{URL: base, signing: first, published: []*jose.JSONWebKey{first}}
	cfg := &fosite.Config{
		AccessTokenLifespan: time.Hour,
		GlobalSecret:        []byte("interop-global-secret-of-32bytes"),
		TokenURL:            base + "/token",
		AccessTokenIssuer:   base,
	}
	store := storage.NewMemoryStore()
	hash, err := bcrypt.GenerateFromPassword([]byte(fositeSecret), bcrypt.MinCost)
	require.NoError(t, err)
	store.Clients[fositeBasicClient] = &fosite.DefaultClient{
		ID: fositeBasicClient, Secret: hash, GrantTypes: []string{"client_credentials"},
		Scopes: []string{"orders.read", "orders.write"}, Audience: []string{fositeJWTAudience},
	}
	keyGetter := func(context.Context) (any, error) {
		env.mu.Lock()
		defer env.mu.Unlock()
		return env.signing, nil
	}
	provider := compose.Compose(cfg, store, &compose.CommonStrategy{
		CoreStrategy: compose.NewOAuth2JWTStrategy(keyGetter, compose.NewOAuth2HMACStrategy(cfg), cfg),
		Signer:       &fjwt.DefaultSigner{GetPrivateKey: keyGetter},
	}, compose.OAuth2ClientCredentialsGrantFactory)

	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		sess := &oauth2.JWTSession{JWTClaims: &fjwt.JWTClaims{}, JWTHeader: &fjwt.Headers{}}
		ar, err := provider.NewAccessRequest(ctx, r, sess)
		if err != nil {
			provider.WriteAccessError(ctx, w, ar, err)
			return
		}
		for _, s := range ar.GetRequestedScopes() {
			ar.GrantScope(s)
		}
		for _, a := range ar.GetRequestedAudience() {
			ar.GrantAudience(a)
		}
		sess.JWTClaims.Subject = ar.GetClient().GetID()
		resp, err := provider.NewAccessResponse(ctx, ar)
		if err != nil {
			provider.WriteAccessError(ctx, w, ar, err)
			return
		}
		provider.WriteAccessResponse(ctx, w, ar, resp)
	})
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": base, "token_endpoint": base + "/token", "jwks_uri": base + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		env.keyHits.Add(1)
		env.mu.Lock()
		set := jose.JSONWebKeySet{}
		for _, k := range env.published {
			set.Keys = append(set.Keys, k.Public())
		}
		env.mu.Unlock()
		_ = json.NewEncoder(w).Encode(set)
	})
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	return env
}

// TestValidatorAcceptsFositeJWTAccessTokensAcrossKeyRotation validates
// fosite's JWT access tokens ("scp" as an array) through the SDK's
// discovery, while the signing key rotates.
func TestValidatorAcceptsFositeJWTAccessTokensAcrossKeyRotation(t *testing.T) {
	keyA, keyB := rsaJWK("fosite-a", serverRSAKey(t)), rsaJWK("fosite-b", newRSA(t))
	env := fositeJWTServer(t, keyA)
	ctx := context.Background()
	md, err := oauth2flows.Discover(ctx, env.URL)
	require.NoError(t, err)
	cfg := &oauth2flows.Config{ClientID: fositeBasicClient, ClientSecret: fositeSecret, Endpoint: md.Endpoint(),
		Scopes: []string{"orders.read"}}
	token := func() string {
		t.Helper()
		tok, err := oauth2flows.ClientCredentials(ctx, cfg, oauth2flows.WithAudience(fositeJWTAudience))
		require.NoError(t, err)
		return tok.AccessToken
	}
	v, err := resource.NewValidator(ctx, resource.Config{
		Issuer: env.URL, Audiences: []string{fositeJWTAudience}, RequiredScopes: []string{"orders.read"},
		KeyRefetchInterval: time.Millisecond,
	})
	require.NoError(t, err)

	tokA := token()
	hdr, err := base64.RawURLEncoding.DecodeString(strings.Split(tokA, ".")[0])
	require.NoError(t, err)
	assert.JSONEq(t, `{"alg":"RS256","kid":"fosite-a","typ":"JWT"}`, string(hdr))
	p, err := v.Validate(ctx, tokA)
	require.NoError(t, err)
	assert.Equal(t, fositeBasicClient, p.Subject)
	assert.Equal(t, []string{"orders.read"}, p.Scopes, "fosite's scp is a JSON array")
	assert.Equal(t, []string{fositeJWTAudience}, p.Audience)
	assert.EqualValues(t, 1, env.keyHits.Load())

	env.rotate(keyB, keyA, keyB)
	time.Sleep(5 * time.Millisecond) // past KeyRefetchInterval
	tokB := token()
	_, err = v.Validate(ctx, tokB)
	require.NoError(t, err, "a token of the new key validates without a restart")
	assert.EqualValues(t, 2, env.keyHits.Load())
	_, err = v.Validate(ctx, tokA)
	require.NoError(t, err)

	// A token without the required scope answers insufficient_scope.
	noScope, err := oauth2flows.ClientCredentials(ctx, cfg, oauth2flows.WithScopes("orders.write"), oauth2flows.WithAudience(fositeJWTAudience))
	require.NoError(t, err)
	_, err = v.Validate(ctx, noScope.AccessToken)
	var ve *resource.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, resource.ReasonInsufficientScope, ve.Reason)
}
