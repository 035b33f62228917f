package oauth2flows_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

const gPostLogout = "http://127.0.0.1/signed-out"

// oidcSignIn runs the authorization code flow with PKCE and a nonce against
// srv and returns the token, the nonce and the code.
func oidcSignIn(t *testing.T, srv *oauth2flowstest.Server, cfg *oauth2flows.Config) (tok *oauth2flows.Token, nonce, code string) {
	t.Helper()
	state, verifier, nonce := oauth2flows.NewState(), oauth2flows.NewVerifier(), oauth2flows.NewNonce()
	authURL := oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(verifier), oauth2flows.WithNonce(nonce))
	u, err := url.Parse(authURL)
	require.NoError(t, err)
	assert.Equal(t, nonce, u.Query().Get("nonce"), "the authorization request carries the nonce")
	code, err = oauth2flows.ParseCallbackURL(cfg, authorize(t, srv, authURL), state)
	require.NoError(t, err)
	tok, err = oauth2flows.ExchangeCode(context.Background(), cfg, code, oauth2flows.WithPKCE(verifier))
	require.NoError(t, err)
	return tok, nonce, code
}

func oidcServer(t *testing.T, opts ...oauth2flowstest.Option) (*oauth2flowstest.Server, *oauth2flows.Config) {
	t.Helper()
	srv := grantServer(t, append([]oauth2flowstest.Option{oauth2flowstest.WithClient(oauth2flowstest.Client{
		ID: "oidc-app", Secret: gSecret, RedirectURIs: []string{gRedirect}, PostLogoutRedirectURIs: []string{gPostLogout},
	})}, opts...)...)
	md, err := oauth2flows.Discover(context.Background(), srv.URL())
	require.NoError(t, err)
	cfg := confidential(srv)
	cfg.ClientID, cfg.Endpoint, cfg.Scopes = "oidc-app", md.Endpoint(), []string{"openid", gScopeRead}
	return srv, cfg
}

func TestDiscoverFillsTheOpenIDConnectEndpoints(t *testing.T) {
	srv, cfg := oidcServer(t)
	assert.Equal(t, srv.URL()+"/jwks", cfg.Endpoint.JWKSURL)
	assert.Equal(t, srv.URL()+"/userinfo", cfg.Endpoint.UserInfoURL)
	assert.Equal(t, srv.URL()+"/session/end", cfg.Endpoint.EndSessionURL)
	assert.Equal(t, srv.Endpoint(), cfg.Endpoint)
}

func TestSignInVerifiesTheIDTokenAgainstTheTestServer(t *testing.T) {
	srv, cfg := oidcServer(t)
	cfg.KeySet = oauth2flows.NewKeySet(cfg.Endpoint.JWKSURL, nil)
	tok, nonce, code := oidcSignIn(t, srv, cfg)
	claims, err := tok.VerifyIDToken(context.Background(), cfg, nonce)
	require.NoError(t, err)
	assert.Equal(t, gUser, claims.Subject)
	assert.Equal(t, nonce, claims.Nonce)
	assert.NotEmpty(t, claims.AccessTokenHash, "the test server sends at_hash")
	require.NoError(t, claims.VerifyCodeHash(code), "and c_hash of the code")
	require.NoError(t, claims.VerifyAuthTime(time.Minute), "auth_time is when the user authorized")

	_, err = tok.VerifyIDToken(context.Background(), cfg, oauth2flows.NewNonce())
	var ie *oauth2flows.IDTokenError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, oauth2flows.IDTokenNonce, ie.Reason, "another session's nonce is refused")

	other := *cfg
	other.ClientID = gClientID
	_, err = tok.VerifyIDToken(context.Background(), &other, nonce)
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, oauth2flows.IDTokenAudience, ie.Reason, "an ID token for another client is refused")
}

func TestWithNonceIsRefusedWhereItMeansNothing(t *testing.T) {
	srv, cfg := oidcServer(t)
	_, err := oauth2flows.ExchangeCode(context.Background(), cfg, "code", oauth2flows.WithNonce("n"))
	var ce *oauth2flows.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "WithNonce", ce.Field)
	_, err = oauth2flows.BuildAuthCodeURL(cfg, "state", oauth2flows.WithNonce(""))
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "WithNonce", ce.Field)
	assert.Empty(t, srv.RequestsTo(oauth2flowstest.EndpointToken), "nothing was sent")
}

func TestUserInfoChecksTheSubject(t *testing.T) {
	srv, cfg := oidcServer(t)
	tok, nonce, _ := oidcSignIn(t, srv, cfg)
	claims, err := tok.VerifyIDToken(context.Background(), cfg, nonce)
	require.NoError(t, err)

	info, err := oauth2flows.UserInfo(context.Background(), cfg, tok, claims.Subject)
	require.NoError(t, err)
	assert.Equal(t, gUser, info.Subject)
	assert.Equal(t, gUser, info.PreferredUsername)
	reqs := srv.RequestsTo(oauth2flowstest.EndpointUserInfo)
	require.Len(t, reqs, 1)
	assert.Equal(t, "Bearer "+tok.AccessToken, reqs[0].Header.Get("Authorization"))

	// OpenID Connect Core §5.3.2: a response about another user is refused.
	srv.InjectFault(oauth2flowstest.EndpointUserInfo, 1, oauth2flowstest.Fault{Status: http.StatusOK, Body: `{"sub":"mallory"}`})
	_, err = oauth2flows.UserInfo(context.Background(), cfg, tok, claims.Subject)
	var ie *oauth2flows.IDTokenError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, oauth2flows.IDTokenSubject, ie.Reason)
	assert.NotContains(t, err.Error(), tok.AccessToken)

	srv.InjectFault(oauth2flowstest.EndpointUserInfo, 1, oauth2flowstest.Fault{Status: http.StatusUnauthorized,
		Header: http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}}})
	_, err = oauth2flows.UserInfo(context.Background(), cfg, tok, claims.Subject)
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_token", oe.Code)
}

func TestUserInfoSendsADPoPBoundTokenWithAProof(t *testing.T) {
	srv, cfg := oidcServer(t, oauth2flowstest.WithDPoPRequired(), oauth2flowstest.WithDPoPNonce())
	cfg.DPoPKey = ecKey(t)
	tok, _, _ := oidcSignIn(t, srv, cfg)
	require.Equal(t, "DPoP", tok.TokenType)
	info, err := oauth2flows.UserInfo(context.Background(), cfg, tok, gUser)
	require.NoError(t, err)
	assert.Equal(t, gUser, info.Subject)
	reqs := srv.RequestsTo(oauth2flowstest.EndpointUserInfo)
	require.Len(t, reqs, 2, "one use_dpop_nonce refusal, then the retry with the nonce")
	for _, r := range reqs {
		assert.Equal(t, "DPoP "+tok.AccessToken, r.Header.Get("Authorization"))
		assert.NotEmpty(t, r.Header.Get("DPoP"))
	}
	assert.Equal(t, http.StatusOK, reqs[1].Status)
}

func TestLogoutURLEndsTheSessionAtTheTestServer(t *testing.T) {
	srv, cfg := oidcServer(t)
	tok, _, _ := oidcSignIn(t, srv, cfg)
	state := oauth2flows.NewState()
	logout, err := oauth2flows.LogoutURL(cfg, tok.IDToken, gPostLogout, state)
	require.NoError(t, err)
	u, err := url.Parse(logout)
	require.NoError(t, err)
	assert.Equal(t, srv.URL()+"/session/end", u.Scheme+"://"+u.Host+u.Path)
	assert.Equal(t, url.Values{"id_token_hint": {tok.IDToken}, "client_id": {"oidc-app"},
		"post_logout_redirect_uri": {gPostLogout}, "state": {state}}, u.Query())

	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(logout)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, gPostLogout+"?state="+state, resp.Header.Get("Location"))

	_, err = oauth2flows.Refresh(context.Background(), cfg, tok.RefreshToken)
	require.ErrorIs(t, err, oauth2flows.ErrReauthRequired, "the session's refresh token ended with it")

	_, err = oauth2flows.LogoutURL(cfg, "", "not-absolute", "")
	var ce *oauth2flows.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "postLogoutRedirectURI", ce.Field)
	cfg.Endpoint.EndSessionURL = ""
	_, err = oauth2flows.LogoutURL(cfg, "", "", "")
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "Config.Endpoint.EndSessionURL", ce.Field)
}

func TestUserInfoSendsACertificateBoundTokenToTheMTLSAlias(t *testing.T) {
	e := newMTLSEnv(t)
	cfg := e.config(mPKIClient, oauth2flows.AuthAuto, e.pki, e.srv.Client())
	cfg.Scopes = []string{"openid"}
	tok, err := oauth2flows.PasswordCredentials(context.Background(), cfg, mUser, mPassword)
	require.NoError(t, err)

	info, err := oauth2flows.UserInfo(context.Background(), cfg, tok, mUser)
	require.NoError(t, err)
	assert.Equal(t, mUser, info.Subject)
	reqs := e.srv.RequestsTo(oauth2flowstest.EndpointUserInfo)
	require.Len(t, reqs, 1)
	assert.True(t, reqs[0].MTLS, "sent to mtls_endpoint_aliases.userinfo_endpoint (RFC 8705 §5)")
	assert.Equal(t, oauth2flows.CertificateThumbprint(e.pki.Leaf), reqs[0].ClientCertThumbprint)

	// RFC 8705 §3: without the certificate the bound token is refused.
	bare := *cfg
	bare.Certificate = nil
	_, err = oauth2flows.UserInfo(context.Background(), &bare, tok, mUser)
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, http.StatusUnauthorized, oe.StatusCode)
}
