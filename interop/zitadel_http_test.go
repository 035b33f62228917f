package interop

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// zitadelLogin runs the code flow with PKCE through golang.org/x/oauth2 for
// the web client and returns zitadelUser's token, so that the token exchange
// tests do not depend on the SDK's code flow (tested on its own).
func zitadelLogin(t testing.TB, env *zitadelEnv) *oauth2.Token {
	t.Helper()
	return zitadelLoginAs(t, env, zitadelClient)
}

// zitadelLoginAs runs the code flow for client: the web client with its
// secret, or zitadelJWTClient with a hand-made client assertion.
func zitadelLoginAs(t testing.TB, env *zitadelEnv, client string) *oauth2.Token {
	t.Helper()
	c := &oauth2.Config{
		ClientID: client, ClientSecret: zitadelSecret, RedirectURL: zitadelRedirectURL,
		Scopes:   []string{"openid", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: env.Endpoint.AuthURL, TokenURL: env.Endpoint.TokenURL, AuthStyle: oauth2.AuthStyleInHeader},
	}
	verifier := oauth2.GenerateVerifier()
	exchangeOpts := []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}
	if client == zitadelJWTClient {
		c.ClientSecret, c.Endpoint.AuthStyle = "", oauth2.AuthStyleInParams
		exchangeOpts = append(exchangeOpts,
			oauth2.SetAuthURLParam("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
			oauth2.SetAuthURLParam("client_assertion", clientAssertion(t, client, env.Endpoint.Issuer, zitadelJWTKeyID, jwt.SigningMethodRS256, clientRSAKey(t))))
	}
	loc := authorizeRedirect(t, c.AuthCodeURL("state-12345678", oauth2.S256ChallengeOption(verifier)))
	require.Equal(t, "state-12345678", loc.Query().Get("state"))
	code := loc.Query().Get("code")
	require.NotEmpty(t, code, "redirect: %s", loc)
	tok, err := c.Exchange(context.Background(), code, exchangeOpts...)
	require.NoError(t, err)
	return tok
}

// zitadelActorToken is the service user's client-credentials access token.
func zitadelActorToken(t testing.TB, env *zitadelEnv) string {
	t.Helper()
	cc := clientcredentials.Config{ClientID: zitadelService, ClientSecret: zitadelServiceSecret,
		TokenURL: env.Endpoint.TokenURL, AuthStyle: oauth2.AuthStyleInHeader}
	tok, err := cc.Token(context.Background())
	require.NoError(t, err)
	return tok.AccessToken
}

// TestZitadelSetup proves the zitadel server's setup with golang.org/x/oauth2
// and plain net/http, independently of the SDK.
func TestZitadelSetup(t *testing.T) {
	env := zitadelServer(t)

	user := zitadelLogin(t, env)
	assert.NotEmpty(t, user.AccessToken)
	assert.NotEmpty(t, user.RefreshToken)
	assert.NotEmpty(t, user.Extra("id_token"))
	assert.Equal(t, "Bearer", user.TokenType)

	actor := zitadelActorToken(t, env)
	const at = "urn:ietf:params:oauth:token-type:access_token"
	form := url.Values{
		"grant_type":           {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token":        {user.AccessToken},
		"subject_token_type":   {at},
		"requested_token_type": {at},
		"audience":             {"https://api.example"},
	}
	// Without an actor, the non-admin user may not be impersonated; the
	// example storage's refusal comes out as a 500 server_error.
	status, body := postForm(t, env.Endpoint.TokenURL, form, zitadelClient, zitadelSecret)
	assert.Equal(t, http.StatusInternalServerError, status, "%v", body)
	assert.Equal(t, "server_error", body["error"])

	form.Set("actor_token", actor)
	form.Set("actor_token_type", at)
	status, body = postForm(t, env.Endpoint.TokenURL, form, zitadelClient, zitadelSecret)
	require.Equal(t, http.StatusOK, status, "%v", body)
	assert.NotEmpty(t, body["access_token"])
	assert.Equal(t, at, body["issued_token_type"])
	got := env.Storage.lastExchange(t)
	assert.Equal(t, []string{"https://api.example"}, got.GetAudience())
	assert.Equal(t, zitadelService, got.GetExchangeActor())
	assert.Equal(t, zitadelUserID, got.GetExchangeSubject())

	// zitadel reads client credentials for token exchange from HTTP Basic only.
	form.Set("client_id", zitadelClient)
	form.Set("client_secret", zitadelSecret)
	status, body = postForm(t, env.Endpoint.TokenURL, form, "", "")
	assert.Equal(t, http.StatusUnauthorized, status, "%v", body)
}
