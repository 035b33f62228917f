package oauth2flows_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// jarmConfig is a Config of the grant server's confidential client that
// asks for JARM responses.
func jarmConfig(srv *oauth2flowstest.Server) *oauth2flows.Config {
	cfg := confidential(srv)
	cfg.ResponseMode = "jwt"
	cfg.Endpoint.JWKSURL = srv.URL() + "/jwks"
	return cfg
}

// response_mode=jwt (JARM §2.3.4): the server answers with one signed
// "response"; ParseCallback verifies it with the issuer's keys, fetched
// with the request's context, and takes code and state from inside it.
func TestJARMResponseIsVerifiedAndRead(t *testing.T) {
	srv := grantServer(t)
	cfg := jarmConfig(srv)
	state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
	u := oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(verifier))
	pu, err := url.Parse(u)
	require.NoError(t, err)
	assert.Equal(t, "jwt", pu.Query().Get("response_mode"))
	redirect := authorize(t, srv, u)
	ru, err := url.Parse(redirect)
	require.NoError(t, err)
	assert.Equal(t, []string{"response"}, keys(ru.Query()), "nothing outside the JWT")

	r := httptest.NewRequest(http.MethodGet, redirect, nil)
	code, err := oauth2flows.ParseCallback(cfg, r, state)
	require.NoError(t, err)
	_, err = oauth2flows.ExchangeCode(context.Background(), cfg, code, oauth2flows.WithPKCE(verifier))
	require.NoError(t, err)

	// The request's context bounds the key fetch.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = oauth2flows.ParseCallback(cfg, r.WithContext(ctx), state)
	require.ErrorIs(t, err, context.Canceled)
}

// What a JARM client must refuse: a response without the JWT, a JWT from
// another issuer or signed with other keys, one for another client, a
// tampered one; a wrong state inside is a state mismatch; an error inside
// is an *Error.
func TestJARMResponsesRefused(t *testing.T) {
	srv := grantServer(t)
	other := grantServer(t)
	cfg := jarmConfig(srv)
	state := oauth2flows.NewState()
	good := authorize(t, srv, oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(oauth2flows.NewVerifier())))
	response := func(redirect string) string {
		u, _ := url.Parse(redirect)
		return u.Query().Get("response")
	}
	otherCfg := jarmConfig(other)
	fromOther := authorize(t, other, oauth2flows.AuthCodeURL(otherCfg, state, oauth2flows.WithPKCE(oauth2flows.NewVerifier())))
	tampered := response(good)
	parts := strings.Split(tampered, ".")
	parts[1] = parts[1][:len(parts[1])-2] + "AA"
	tampered = strings.Join(parts, ".")

	tests := map[string]struct {
		redirect string
		check    func(t *testing.T, err error)
	}{
		"plain response": {gRedirect + "?code=c&state=" + state + "&iss=" + url.QueryEscape(srv.URL()), func(t *testing.T, err error) {
			var ce *oauth2flows.CallbackError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "response", ce.Param)
		}},
		"other issuer's keys": {fromOther, func(t *testing.T, err error) {
			var ce *oauth2flows.CallbackError
			require.ErrorAs(t, err, &ce)
			assert.Contains(t, ce.Reason, "signature")
		}},
		"tampered": {gRedirect + "?response=" + tampered, func(t *testing.T, err error) {
			var ce *oauth2flows.CallbackError
			require.ErrorAs(t, err, &ce)
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := oauth2flows.ParseCallbackURL(cfg, tt.redirect, state)
			tt.check(t, err)
		})
	}

	t.Run("wrong state inside", func(t *testing.T) {
		_, err := oauth2flows.ParseCallbackURL(cfg, good, oauth2flows.NewState())
		require.ErrorIs(t, err, oauth2flows.ErrStateMismatch)
	})
	t.Run("another client's response", func(t *testing.T) {
		c2 := *cfg
		c2.ClientID = "someone-else"
		_, err := oauth2flows.ParseCallbackURL(&c2, good, state)
		var ce *oauth2flows.CallbackError
		require.ErrorAs(t, err, &ce)
		assert.Contains(t, ce.Reason, "aud")
	})
	t.Run("error inside", func(t *testing.T) {
		redirect := authorize(t, srv, oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithParam("code_challenge_method", "S256")))
		_, err := oauth2flows.ParseCallbackURL(cfg, redirect, state)
		var oe *oauth2flows.Error
		require.ErrorAs(t, err, &oe)
		assert.Equal(t, "invalid_request", oe.Code)
	})
}

// A key set that cannot be fetched is a *NetworkError, never a code.
func TestJARMKeyFetchFailureIsANetworkError(t *testing.T) {
	srv := grantServer(t)
	cfg := jarmConfig(srv)
	state := oauth2flows.NewState()
	redirect := authorize(t, srv, oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(oauth2flows.NewVerifier())))
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	cfg.Endpoint.JWKSURL = gone.URL + "/jwks"
	code, err := oauth2flows.ParseCallbackURL(cfg, redirect, state)
	assert.Empty(t, code)
	var ne *oauth2flows.NetworkError
	require.ErrorAs(t, err, &ne)
}
