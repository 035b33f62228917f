package interop

import (
	"context"
	"crypto"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/storage"
	fjwt "github.com/ory/fosite/token/jwt"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/oauth2flows/oauth2flows"
)

// Credentials of the clients and the user registered in every fosite server.
const (
	fositeRedirectURL = "http://127.0.0.1/callback"

	fositeBasicClient = "basic-client"
	fositePostClient  = "post-client"
	// fositeSecret holds characters that RFC 6749 §2.3.1 requires to be
	// form-urlencoded inside HTTP Basic credentials.
	fositeSecret       = "s3cr3t:&+/=%"
	fositePublicClient = "public-client"
	fositeRSAClient    = "rsa-client"
	fositeRSAKeyID     = "rsa-1"
	fositeECClient     = "ec-client"
	fositeECKeyID      = "ec-1"

	fositeUser     = "peter" // storage.MemoryStore checks passwords by equality
	fositePassword = "secret"

	// fositeUpstreamIssuer is the trusted issuer of jwt-bearer (OBO) user
	// assertions; its key is serverRSAKey.
	fositeUpstreamIssuer = "https://upstream-idp.example"
	fositeUpstreamKeyID  = "idp-1"
	fositeUpstreamUser   = "alice"
)

// fositeScopes are the scopes every fosite client may ask for. "offline"
// is what fosite wants before it issues a refresh token.
var fositeScopes = []string{"openid", "offline", "read", "write"}

// fositeEnv is an ory/fosite authorization server on loopback.
type fositeEnv struct {
	URL      string
	Endpoint oauth2flows.Endpoint
	Store    *storage.MemoryStore
	Wire     *wire
}

// fositeServer starts ory/fosite (compose.ComposeAllEnabled, in-memory storage)
// on 127.0.0.1 with the clients above registered. The authorize endpoint
// signs in fositeUser and consents to every requested scope without a page.
func fositeServer(t testing.TB) *fositeEnv {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	env := &fositeEnv{
		URL: base,
		Endpoint: oauth2flows.Endpoint{
			Issuer:           base,
			AuthURL:          base + "/auth",
			TokenURL:         base + "/token",
			RevocationURL:    base + "/revoke",
			IntrospectionURL: base + "/introspect",
			PushedAuthURL:    base + "/par",
		},
		Store: storage.NewMemoryStore(),
		Wire:  &wire{},
	}
	cfg := &fosite.Config{
		AccessTokenLifespan:         time.Hour,
		RefreshTokenLifespan:        24 * time.Hour,
		AuthorizeCodeLifespan:       time.Minute,
		GlobalSecret:                []byte("interop-global-secret-of-32bytes"),
		TokenURL:                    env.Endpoint.TokenURL,
		IDTokenIssuer:               base,
		AccessTokenIssuer:           base,
		SendDebugMessagesToClients:  true,
		EnforcePKCEForPublicClients: true,
	}
	env.registerClients(t)
	provider := compose.ComposeAllEnabled(cfg, env.Store, serverRSAKey(t))

	mux := http.NewServeMux()
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ar, err := provider.NewAuthorizeRequest(ctx, r)
		if err != nil {
			provider.WriteAuthorizeError(ctx, w, ar, err)
			return
		}
		for _, s := range ar.GetRequestedScopes() {
			ar.GrantScope(s)
		}
		for _, a := range ar.GetRequestedAudience() {
			ar.GrantAudience(a)
		}
		resp, err := provider.NewAuthorizeResponse(ctx, ar, fositeSession(base, fositeUser))
		if err != nil {
			provider.WriteAuthorizeError(ctx, w, ar, err)
			return
		}
		provider.WriteAuthorizeResponse(ctx, w, ar, resp)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		sess := fositeSession(base, "")
		ar, err := provider.NewAccessRequest(ctx, r, sess)
		if err != nil {
			provider.WriteAccessError(ctx, w, ar, err)
			return
		}
		if ar.GetGrantTypes().ExactOne("client_credentials") || ar.GetGrantTypes().ExactOne("password") {
			for _, s := range ar.GetRequestedScopes() {
				ar.GrantScope(s)
			}
		}
		if ar.GetGrantTypes().ExactOne("password") {
			sess.Subject = r.PostForm.Get("username")
			sess.Username = sess.Subject
			sess.Claims.Subject = sess.Subject
		}
		resp, err := provider.NewAccessResponse(ctx, ar)
		if err != nil {
			provider.WriteAccessError(ctx, w, ar, err)
			return
		}
		provider.WriteAccessResponse(ctx, w, ar, resp)
	})
	mux.HandleFunc("/revoke", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		provider.WriteRevocationResponse(ctx, w, provider.NewRevocationRequest(ctx, r))
	})
	mux.HandleFunc("/introspect", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ir, err := provider.NewIntrospectionRequest(ctx, r, fositeSession(base, ""))
		if err != nil {
			provider.WriteIntrospectionError(ctx, w, err)
			return
		}
		provider.WriteIntrospectionResponse(ctx, w, ir)
	})
	// RFC 9126: fosite's PAR handler (in ComposeAllEnabled) stores the
	// request; /auth takes its request_uri.
	mux.HandleFunc("/par", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ar, err := provider.NewPushedAuthorizeRequest(ctx, r)
		if err != nil {
			provider.WritePushedAuthorizeError(ctx, w, ar, err)
			return
		}
		resp, err := provider.NewPushedAuthorizeResponse(ctx, ar, fositeSession(base, ""))
		if err != nil {
			provider.WritePushedAuthorizeError(ctx, w, ar, err)
			return
		}
		provider.WritePushedAuthorizeResponse(ctx, w, ar, resp)
	})
	srv.Config.Handler = env.Wire.record(mux)
	srv.Start()
	t.Cleanup(srv.Close)
	return env
}

// fositeSession is the session fosite stores with each grant.
func fositeSession(issuer, subject string) *openid.DefaultSession {
	return &openid.DefaultSession{
		Claims: &fjwt.IDTokenClaims{
			Issuer:      issuer,
			Subject:     subject,
			RequestedAt: time.Now().UTC(),
			AuthTime:    time.Now().UTC(),
		},
		Headers:  &fjwt.Headers{},
		Subject:  subject,
		Username: subject,
	}
}

func (env *fositeEnv) registerClients(t testing.TB) {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(fositeSecret), bcrypt.MinCost)
	require.NoError(t, err)
	grants := []string{"authorization_code", "implicit", "refresh_token", "password",
		"client_credentials", oauth2flows.GrantTypeJWTBearer}
	base := func(id string, secret []byte, public bool) *fosite.DefaultClient {
		return &fosite.DefaultClient{
			ID:            id,
			Secret:        secret,
			RedirectURIs:  []string{fositeRedirectURL},
			GrantTypes:    grants,
			ResponseTypes: []string{"code", "token"},
			Scopes:        fositeScopes,
			Audience:      []string{"https://api.example"},
			Public:        public,
		}
	}
	oidc := func(c *fosite.DefaultClient, method, alg string, jwks *jose.JSONWebKeySet) fosite.Client {
		return &fosite.DefaultOpenIDConnectClient{
			DefaultClient:                     c,
			TokenEndpointAuthMethod:           method,
			TokenEndpointAuthSigningAlgorithm: alg,
			JSONWebKeys:                       jwks,
		}
	}
	jwks := func(kid string, pub crypto.PublicKey) *jose.JSONWebKeySet {
		return &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: pub, KeyID: kid, Use: "sig"}}}
	}
	env.Store.Clients[fositeBasicClient] = oidc(base(fositeBasicClient, hash, false), "client_secret_basic", "", nil)
	env.Store.Clients[fositePostClient] = oidc(base(fositePostClient, hash, false), "client_secret_post", "", nil)
	env.Store.Clients[fositePublicClient] = oidc(base(fositePublicClient, nil, true), "none", "", nil)
	env.Store.Clients[fositeRSAClient] = oidc(base(fositeRSAClient, nil, false), "private_key_jwt", "RS256",
		jwks(fositeRSAKeyID, clientRSAKey(t).Public()))
	env.Store.Clients[fositeECClient] = oidc(base(fositeECClient, nil, false), "private_key_jwt", "ES256",
		jwks(fositeECKeyID, clientECKey(t).Public()))
	env.Store.Users[fositeUser] = storage.MemoryUserRelation{Username: fositeUser, Password: fositePassword}

	env.Store.IssuerPublicKeys[fositeUpstreamIssuer] = storage.IssuerPublicKeys{
		Issuer: fositeUpstreamIssuer,
		KeysBySub: map[string]storage.SubjectPublicKeys{
			fositeUpstreamUser: {
				Subject: fositeUpstreamUser,
				Keys: map[string]storage.PublicKeyScopes{
					fositeUpstreamKeyID: {
						Key:    &jose.JSONWebKey{Key: serverRSAKey(t).Public(), KeyID: fositeUpstreamKeyID, Use: "sig", Algorithm: "RS256"},
						Scopes: fositeScopes,
					},
				},
			},
		},
	}
}

// userAssertion mints the RFC 7523 §3 user assertion a middle-tier API
// receives and passes on with the jwt-bearer grant: issued by the upstream
// IdP for fositeUpstreamUser, with the token URL as audience.
func (env *fositeEnv) userAssertion(t testing.TB) string {
	t.Helper()
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": fositeUpstreamIssuer,
		"sub": fositeUpstreamUser,
		"aud": env.Endpoint.TokenURL,
		"iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(),
		"jti": uuid.NewString(),
	})
	tok.Header["kid"] = fositeUpstreamKeyID
	s, err := tok.SignedString(serverRSAKey(t))
	require.NoError(t, err)
	return s
}

// clientAssertion mints a private_key_jwt client assertion (RFC 7523 §2.2,
// §3) by hand, for the HTTP-level checks of the server setup.
func clientAssertion(t testing.TB, clientID, aud, kid string, method jwt.SigningMethod, key crypto.Signer) string {
	t.Helper()
	now := time.Now()
	tok := jwt.NewWithClaims(method, jwt.MapClaims{
		"iss": clientID,
		"sub": clientID,
		"aud": aud,
		"iat": now.Unix(),
		"exp": now.Add(time.Minute).Unix(),
		"jti": uuid.NewString(),
	})
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

// noRedirectClient plays the browser at an authorize endpoint: it stops at
// the first redirect so the test can read the code or fragment from it.
func noRedirectClient() *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// authorizeRedirect plays the browser from authURL: it follows the
// redirects that stay on the authorization server (such as zitadel's login
// step) and returns the first Location that leaves it, the redirect to the
// client carrying the code or the fragment.
func authorizeRedirect(t testing.TB, authURL string) *url.URL {
	t.Helper()
	next, err := url.Parse(authURL)
	require.NoError(t, err)
	server := next.Host
	for range 5 {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, next.String(), nil)
		require.NoError(t, err)
		resp, err := noRedirectClient().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.True(t, resp.StatusCode/100 == 3, "%s answered %d, not a redirect", next.Path, resp.StatusCode)
		next, err = resp.Location()
		require.NoError(t, err)
		if next.Host != server {
			return next
		}
	}
	t.Fatal("too many redirects at the authorization server")
	return nil
}
