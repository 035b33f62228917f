package interop

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// The Entra profile's tenant and apps, as an Entra test would name them.
const (
	entraTID         = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490"
	entraMiddleID    = "0b3f1b7e-7f4c-4b1a-9a51-6a2c3f0d9e11"
	entraMiddleKey   = "middle-tier-secret"
	entraDaemonID    = "5c2d6a4e-3b1f-4e8d-9c7a-1f2e3d4c5b6a"
	entraDaemonKey   = "daemon-secret"
	entraRedirectURI = "https://app.example/signin-oidc"
)

// entraServer starts oauth2flowstest's Entra profile with a middle tier
// (web app and API), a daemon holding an app role, and one user.
func entraServer(t *testing.T, opts ...oauth2flowstest.Option) *oauth2flowstest.Server {
	t.Helper()
	srv := oauth2flowstest.NewServer(append([]oauth2flowstest.Option{
		oauth2flowstest.WithEntra(entraTID),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: entraMiddleID, Secret: entraMiddleKey,
			RedirectURIs: []string{entraRedirectURI}}),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: entraDaemonID, Secret: entraDaemonKey,
			Roles: []string{"Orders.Read.All"}}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Subject: "alice-sub", Username: "alice@contoso.example"}),
	}, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

// msalApp is MSAL Go's confidential client for the test server: its
// authority is the server's tenant, and its HTTP client is the server's,
// which trusts the server's certificate. Instance discovery stays on.
func msalApp(t *testing.T, srv *oauth2flowstest.Server, clientID, secret string) confidential.Client {
	t.Helper()
	cred, err := confidential.NewCredFromSecret(secret)
	require.NoError(t, err)
	app, err := confidential.New(srv.URL()+"/"+entraTID, clientID, cred, confidential.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	return app
}

// tokenForms returns the forms the token endpoint received.
func tokenForms(srv *oauth2flowstest.Server) []url.Values {
	var out []url.Values
	for _, r := range srv.RequestsTo(oauth2flowstest.EndpointToken) {
		out = append(out, r.Form)
	}
	return out
}

func TestMSALClientCredentialsAgainstEntraProfile(t *testing.T) {
	srv := entraServer(t)
	app := msalApp(t, srv, entraDaemonID, entraDaemonKey)
	ctx := context.Background()

	res, err := app.AcquireTokenByCredential(ctx, []string{"api://orders/.default"})
	require.NoError(t, err)
	assert.Equal(t, confidential.TokenSourceIdentityProvider, res.Metadata.TokenSource)
	claims, err := srv.VerifyAccessToken(res.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, []string{"api://orders"}, []string(claims.Audience))
	assert.Equal(t, []string{"Orders.Read.All"}, claims.Roles)
	assert.Equal(t, entraTID, claims.TenantID)
	assert.Equal(t, claims.ObjectID, claims.Subject)

	// What MSAL sent: instance discovery, the tenant's metadata, one grant.
	disc := srv.RequestsTo(oauth2flowstest.EndpointDiscovery)
	require.NotEmpty(t, disc)
	assert.Equal(t, "1.1", disc[0].Form.Get("api-version"))
	assert.Equal(t, srv.URL()+"/"+entraTID+"/oauth2/v2.0/authorize", disc[0].Form.Get("authorization_endpoint"))
	forms := tokenForms(srv)
	require.Len(t, forms, 1)
	assert.Equal(t, "client_credentials", forms[0].Get("grant_type"))
	assert.Equal(t, "api://orders/.default openid offline_access profile", forms[0].Get("scope"))
	assert.Equal(t, entraDaemonID, forms[0].Get("client_id"))

	// The second call is MSAL's cache.
	again, err := app.AcquireTokenByCredential(ctx, []string{"api://orders/.default"})
	require.NoError(t, err)
	assert.Equal(t, confidential.TokenSourceCache, again.Metadata.TokenSource)
	assert.Len(t, tokenForms(srv), 1)

	// Entra's /.default rule reaches MSAL's caller with its AADSTS code.
	_, err = app.AcquireTokenByCredential(ctx, []string{"api://orders/read"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "AADSTS1002012")
	assert.Contains(t, err.Error(), "invalid_scope")
}

func TestMSALOnBehalfOfAgainstEntraProfile(t *testing.T) {
	srv := entraServer(t)
	app := msalApp(t, srv, entraMiddleID, entraMiddleKey)
	ctx := context.Background()
	incoming := srv.IssueAccessToken("alice-sub", "api://"+entraMiddleID, "access_as_user")

	res, err := app.AcquireTokenOnBehalfOf(ctx, incoming, []string{"api://downstream/read"})
	require.NoError(t, err)
	claims, err := srv.VerifyAccessToken(res.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "alice-sub", claims.Subject)
	assert.Equal(t, []string{"api://downstream"}, []string(claims.Audience))
	assert.Equal(t, "read", claims.Scope)
	assert.Equal(t, entraMiddleID, claims.ClientID)
	assert.NotEmpty(t, claims.ObjectID)
	assert.Contains(t, res.GrantedScopes, "api://downstream/read")

	forms := tokenForms(srv)
	require.Len(t, forms, 1)
	assert.Equal(t, oauth2flows.GrantTypeJWTBearer, forms[0].Get("grant_type"))
	assert.Equal(t, "on_behalf_of", forms[0].Get("requested_token_use"))
	assert.Equal(t, incoming, forms[0].Get("assertion"))
	assert.Equal(t, "1", forms[0].Get("client_info"))

	again, err := app.AcquireTokenOnBehalfOf(ctx, incoming, []string{"api://downstream/read"})
	require.NoError(t, err)
	assert.Equal(t, confidential.TokenSourceCache, again.Metadata.TokenSource)
	assert.Len(t, tokenForms(srv), 1)

	// A token meant for another API is refused as Entra refuses it.
	foreign := srv.IssueAccessToken("alice-sub", "api://billing", "access_as_user")
	_, err = app.AcquireTokenOnBehalfOf(ctx, foreign, []string{"api://downstream/read"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid_grant")
	assert.Contains(t, err.Error(), "AADSTS500131")
}

// msalSignIn runs MSAL's authorization code flow through the test server's
// browser and returns MSAL's result.
func msalSignIn(t *testing.T, srv *oauth2flowstest.Server, app confidential.Client, scopes []string) confidential.AuthResult {
	t.Helper()
	ctx := context.Background()
	authURL, err := app.AuthCodeURL(ctx, entraMiddleID, entraRedirectURI, scopes)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(authURL, srv.URL()+"/"+entraTID+"/oauth2/v2.0/authorize?"), authURL)
	loc, err := srv.Authorize(ctx, authURL)
	require.NoError(t, err)
	code := loc.Query().Get("code")
	require.NotEmpty(t, code, loc.String())
	res, err := app.AcquireTokenByAuthCode(ctx, code, entraRedirectURI, scopes)
	require.NoError(t, err)
	return res
}

func TestMSALSilentUsesItsCacheThenRefreshes(t *testing.T) {
	scopes := []string{"api://downstream/read"}
	t.Run("Cache", func(t *testing.T) {
		srv := entraServer(t)
		app := msalApp(t, srv, entraMiddleID, entraMiddleKey)
		res := msalSignIn(t, srv, app, scopes)
		// client_info makes MSAL's home account {oid}.{tid}.
		claims, err := srv.VerifyAccessToken(res.AccessToken)
		require.NoError(t, err)
		assert.Equal(t, claims.ObjectID+"."+entraTID, res.Account.HomeAccountID)
		assert.Equal(t, "alice@contoso.example", res.Account.PreferredUsername)

		silent, err := app.AcquireTokenSilent(context.Background(), scopes, confidential.WithSilentAccount(res.Account))
		require.NoError(t, err)
		assert.Equal(t, confidential.TokenSourceCache, silent.Metadata.TokenSource)
		assert.Equal(t, res.AccessToken, silent.AccessToken)
		assert.Len(t, tokenForms(srv), 1, "the code redemption only")
	})
	t.Run("Refresh", func(t *testing.T) {
		// MSAL refreshes a token that expires within five minutes.
		srv := entraServer(t, oauth2flowstest.WithAccessTokenLifetime(2*time.Minute))
		app := msalApp(t, srv, entraMiddleID, entraMiddleKey)
		res := msalSignIn(t, srv, app, scopes)

		silent, err := app.AcquireTokenSilent(context.Background(), scopes, confidential.WithSilentAccount(res.Account))
		require.NoError(t, err)
		assert.Equal(t, confidential.TokenSourceIdentityProvider, silent.Metadata.TokenSource)
		assert.NotEqual(t, res.AccessToken, silent.AccessToken)
		forms := tokenForms(srv)
		require.Len(t, forms, 2)
		assert.Equal(t, "refresh_token", forms[1].Get("grant_type"))
		_, err = srv.VerifyAccessToken(silent.AccessToken)
		require.NoError(t, err)

		// Entra keeps a used refresh token valid: a second process holding
		// the first one still refreshes.
		first := forms[1].Get("refresh_token")
		cfg := &oauth2flows.Config{ClientID: entraMiddleID, ClientSecret: entraMiddleKey,
			Endpoint: srv.EntraEndpoint(entraTID), HTTPClient: srv.Client()}
		_, err = oauth2flows.Refresh(context.Background(), cfg, first)
		require.NoError(t, err)
	})
}

// The SDK's own Entra flows run unchanged against the profile: only the
// endpoint and the HTTP client differ from production.
func TestSDKEntraFlowsAgainstEntraProfile(t *testing.T) {
	srv := entraServer(t)
	ctx := context.Background()
	prod := oauth2flows.EntraEndpoint(entraTID)
	test := srv.EntraEndpoint(entraTID)
	assert.Equal(t, strings.TrimPrefix(prod.TokenURL, "https://login.microsoftonline.com"), strings.TrimPrefix(test.TokenURL, srv.URL()))
	assert.Equal(t, strings.TrimPrefix(prod.Issuer, "https://login.microsoftonline.com"), strings.TrimPrefix(test.Issuer, srv.URL()))

	daemon := &oauth2flows.Config{ClientID: entraDaemonID, ClientSecret: entraDaemonKey, Endpoint: test,
		HTTPClient: srv.Client(), Scopes: []string{"api://orders/.default"}}
	tok, err := oauth2flows.ClientCredentials(ctx, daemon)
	require.NoError(t, err)
	claims, err := srv.VerifyAccessToken(tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, []string{"Orders.Read.All"}, claims.Roles)

	daemon.Scopes = []string{"api://orders/read"}
	_, err = oauth2flows.ClientCredentials(ctx, daemon)
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_scope", oe.Code)
	assert.Equal(t, []int{1002012}, oe.ErrorCodes)
	assert.NotEmpty(t, oe.TraceID)
	assert.NotEmpty(t, oe.CorrelationID)

	middle := &oauth2flows.Config{ClientID: entraMiddleID, ClientSecret: entraMiddleKey, Endpoint: test,
		HTTPClient: srv.Client()}
	incoming := srv.IssueAccessToken("alice-sub", "api://"+entraMiddleID, "access_as_user")
	obo, err := oauth2flows.OnBehalfOf(ctx, middle, incoming, oauth2flows.WithScopes("User.Read", "offline_access"))
	require.NoError(t, err)
	claims, err = srv.VerifyAccessToken(obo.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, []string{"https://graph.microsoft.com"}, []string(claims.Audience), "a bare scope is Graph's")
	assert.Equal(t, "User.Read", claims.Scope)
	assert.NotEmpty(t, obo.RefreshToken)

	_, err = oauth2flows.OnBehalfOf(ctx, middle, srv.IssueAccessToken("alice-sub", "api://billing"),
		oauth2flows.WithScopes("User.Read"))
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_grant", oe.Code)
	assert.Equal(t, []int{500131}, oe.ErrorCodes)
}

// Auth0-style token exchange (RFC 8693) against the Auth0 layout: the API
// posts to /oauth/token and names the audience it wants, errors are
// {"error","error_description"}, and a refused exchange is Auth0's 403
// access_denied.
func TestSDKAuth0StyleTokenExchange(t *testing.T) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithAuth0(), oauth2flowstest.WithClient(oauth2flowstest.Client{
		ID: "api-a", Secret: "api-a-secret", Audiences: []string{"https://api-a.example.com"}}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	cfg := &oauth2flows.Config{ClientID: "api-a", ClientSecret: "api-a-secret", Endpoint: srv.Endpoint()}
	incoming := srv.IssueAccessToken("auth0|alice", "https://api-a.example.com", "read:orders")

	tok, err := oauth2flows.TokenExchange(ctx, cfg, incoming, oauth2flows.WithAudience("https://orders.example.com"))
	require.NoError(t, err)
	claims, err := srv.VerifyAccessToken(tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "auth0|alice", claims.Subject)
	assert.Equal(t, []string{"https://orders.example.com"}, []string(claims.Audience))
	assert.True(t, strings.HasSuffix(cfg.Endpoint.TokenURL, "/oauth/token"), cfg.Endpoint.TokenURL)
	form := srv.RequestsTo(oauth2flowstest.EndpointToken)[0].Form
	assert.Equal(t, "https://orders.example.com", form.Get("audience"))

	// Auth0 requires the audience.
	_, err = oauth2flows.TokenExchange(ctx, cfg, incoming)
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, http.StatusBadRequest, oe.StatusCode)
	assert.Equal(t, "invalid_request", oe.Code)
	assert.Empty(t, oe.ErrorCodes)

	// A subject token for another API: 403 access_denied, in the plain
	// RFC 6749 §5.2 shape.
	_, err = oauth2flows.TokenExchange(ctx, cfg, srv.IssueAccessToken("auth0|alice", "https://billing.example.com"),
		oauth2flows.WithAudience("https://orders.example.com"))
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, http.StatusForbidden, oe.StatusCode)
	assert.Equal(t, "access_denied", oe.Code)
	assert.Empty(t, oe.ErrorCodes)
	assert.False(t, errors.Is(err, oauth2flows.ErrReauthRequired))
}

// MSAL's certificate credential: a client assertion signed with the
// app's key, whose aud is the tenant's token endpoint.
func TestMSALCertificateCredentialAgainstEntraProfile(t *testing.T) {
	key := clientRSAKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "daemon"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)

	const certApp = "9d1c4f2a-6b3e-4c5d-8e7f-0a1b2c3d4e5f"
	srv := entraServer(t, oauth2flowstest.WithClient(oauth2flowstest.Client{ID: certApp, PublicKey: &key.PublicKey}))
	cred, err := confidential.NewCredFromCert([]*x509.Certificate{cert}, key)
	require.NoError(t, err)
	app, err := confidential.New(srv.URL()+"/"+entraTID, certApp, cred, confidential.WithHTTPClient(srv.Client()))
	require.NoError(t, err)

	res, err := app.AcquireTokenByCredential(context.Background(), []string{"api://orders/.default"})
	require.NoError(t, err)
	_, err = srv.VerifyAccessToken(res.AccessToken)
	require.NoError(t, err)
	reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.Len(t, reqs, 1)
	assert.Equal(t, oauth2flowstest.AuthPrivateKeyJWT, reqs[0].AuthMethod)
	assert.Empty(t, reqs[0].Form.Get("client_secret"))
}
