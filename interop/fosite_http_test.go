package interop

import (
	"context"
	"crypto"
	"net/http"
	"net/url"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TestFositeSetup proves the fosite server's setup with golang.org/x/oauth2
// and plain net/http, independently of the SDK, so that an SDK test failing
// against it points at the SDK.
func TestFositeSetup(t *testing.T) {
	env := fositeServer(t)
	ctx := context.Background()
	xcfg := func(id, secret string, style oauth2.AuthStyle) *oauth2.Config {
		return &oauth2.Config{
			ClientID: id, ClientSecret: secret, RedirectURL: fositeRedirectURL,
			Scopes:   []string{"openid", "offline", "read"},
			Endpoint: oauth2.Endpoint{AuthURL: env.Endpoint.AuthURL, TokenURL: env.Endpoint.TokenURL, AuthStyle: style},
		}
	}

	t.Run("code with PKCE, public client", func(t *testing.T) {
		c := xcfg(fositePublicClient, "", oauth2.AuthStyleInParams)
		verifier := oauth2.GenerateVerifier()
		loc := authorizeRedirect(t, c.AuthCodeURL("state-12345678", oauth2.S256ChallengeOption(verifier)))
		require.Equal(t, "state-12345678", loc.Query().Get("state"))
		code := loc.Query().Get("code")
		require.NotEmpty(t, code, "redirect: %s", loc)
		tok, err := c.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		require.NoError(t, err)
		assert.NotEmpty(t, tok.AccessToken)
		assert.NotEmpty(t, tok.RefreshToken)
		assert.NotEmpty(t, tok.Extra("id_token"))
		assert.Equal(t, "bearer", tok.TokenType, "fosite answers token_type in lower case")
	})

	t.Run("implicit", func(t *testing.T) {
		q := url.Values{"response_type": {"token"}, "client_id": {fositeBasicClient},
			"redirect_uri": {fositeRedirectURL}, "scope": {"read"}, "state": {"state-12345678"}}
		loc := authorizeRedirect(t, env.Endpoint.AuthURL+"?"+q.Encode())
		frag, err := url.ParseQuery(loc.Fragment)
		require.NoError(t, err)
		assert.NotEmpty(t, frag.Get("access_token"), "redirect: %s", loc)
		assert.Equal(t, "state-12345678", frag.Get("state"))
	})

	t.Run("password", func(t *testing.T) {
		tok, err := xcfg(fositeBasicClient, fositeSecret, oauth2.AuthStyleInHeader).PasswordCredentialsToken(ctx, fositeUser, fositePassword)
		require.NoError(t, err)
		assert.NotEmpty(t, tok.AccessToken)
	})

	for _, tc := range []struct {
		client string
		style  oauth2.AuthStyle
	}{{fositeBasicClient, oauth2.AuthStyleInHeader}, {fositePostClient, oauth2.AuthStyleInParams}} {
		t.Run("client credentials "+tc.client, func(t *testing.T) {
			cc := clientcredentials.Config{ClientID: tc.client, ClientSecret: fositeSecret,
				TokenURL: env.Endpoint.TokenURL, AuthStyle: tc.style, Scopes: []string{"read"}}
			tok, err := cc.Token(ctx)
			require.NoError(t, err)
			assert.NotEmpty(t, tok.AccessToken)
		})
	}

	for _, tc := range []struct {
		client, kid string
		method      jwt.SigningMethod
		key         func(testing.TB) crypto.Signer
	}{
		{fositeRSAClient, fositeRSAKeyID, jwt.SigningMethodRS256, func(t testing.TB) crypto.Signer { return clientRSAKey(t) }},
		{fositeECClient, fositeECKeyID, jwt.SigningMethodES256, func(t testing.TB) crypto.Signer { return clientECKey(t) }},
	} {
		t.Run("private_key_jwt "+tc.client, func(t *testing.T) {
			form := url.Values{"grant_type": {"client_credentials"}, "scope": {"read"},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
				"client_assertion":      {clientAssertion(t, tc.client, env.Endpoint.TokenURL, tc.kid, tc.method, tc.key(t))}}
			status, body := postForm(t, env.Endpoint.TokenURL, form, "", "")
			require.Equal(t, http.StatusOK, status, "%v", body)
			assert.NotEmpty(t, body["access_token"])

			// fosite wants the token URL as aud: the issuer is refused.
			form.Set("client_assertion", clientAssertion(t, tc.client, env.Endpoint.Issuer, tc.kid, tc.method, tc.key(t)))
			status, body = postForm(t, env.Endpoint.TokenURL, form, "", "")
			assert.Equal(t, http.StatusUnauthorized, status, "%v", body)
		})
	}

	t.Run("refresh rotation and reuse detection", func(t *testing.T) {
		tok, err := xcfg(fositeBasicClient, fositeSecret, oauth2.AuthStyleInHeader).PasswordCredentialsToken(ctx, fositeUser, fositePassword)
		require.NoError(t, err)
		require.NotEmpty(t, tok.RefreshToken)
		refresh := func(rt string) (int, map[string]any) {
			return postForm(t, env.Endpoint.TokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}},
				fositeBasicClient, fositeSecret)
		}
		status, body := refresh(tok.RefreshToken)
		require.Equal(t, http.StatusOK, status, "%v", body)
		rt2, _ := body["refresh_token"].(string)
		require.NotEmpty(t, rt2)
		require.NotEqual(t, tok.RefreshToken, rt2, "fosite rotates refresh tokens")

		status, body = refresh(tok.RefreshToken)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "invalid_grant", body["error"], "%v", body)
		// Reuse revoked the whole family, the new token included.
		status, body = refresh(rt2)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "invalid_grant", body["error"], "%v", body)
	})

	t.Run("jwt-bearer", func(t *testing.T) {
		status, body := postForm(t, env.Endpoint.TokenURL, url.Values{
			"grant_type":          {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
			"assertion":           {env.userAssertion(t)},
			"requested_token_use": {"on_behalf_of"},
			"scope":               {"read"},
		}, fositeBasicClient, fositeSecret)
		require.Equal(t, http.StatusOK, status, "%v", body)
		assert.NotEmpty(t, body["access_token"])
	})

	t.Run("introspect and revoke", func(t *testing.T) {
		cc := clientcredentials.Config{ClientID: fositeBasicClient, ClientSecret: fositeSecret,
			TokenURL: env.Endpoint.TokenURL, AuthStyle: oauth2.AuthStyleInHeader, Scopes: []string{"read"}}
		tok, err := cc.Token(ctx)
		require.NoError(t, err)
		introspect := func() map[string]any {
			status, body := postForm(t, env.Endpoint.IntrospectionURL, url.Values{"token": {tok.AccessToken}}, fositeBasicClient, fositeSecret)
			require.Equal(t, http.StatusOK, status, "%v", body)
			return body
		}
		assert.Equal(t, true, introspect()["active"])
		status, body := postForm(t, env.Endpoint.RevocationURL, url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}},
			fositeBasicClient, fositeSecret)
		require.Equal(t, http.StatusOK, status, "%v", body)
		assert.Equal(t, false, introspect()["active"])
	})
}
