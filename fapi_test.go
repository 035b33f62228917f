package oauth2flows_test

import (
	"context"
	"crypto"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

const fapiClient = "fapi-app"

// fapiServer is a FAPI 2.0 server (WithFAPI2, DPoP nonces) with a
// private_key_jwt client of key, and the client's FAPI 2.0 Config: PAR,
// PKCE, a nonce, DPoP and an assertion audience of the issuer.
func fapiServer(t *testing.T, key crypto.Signer, opts ...oauth2flowstest.Option) (*oauth2flowstest.Server, *oauth2flows.Config) {
	t.Helper()
	srv := grantServer(t, append([]oauth2flowstest.Option{oauth2flowstest.WithFAPI2(), oauth2flowstest.WithDPoPNonce(),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: fapiClient, PublicKey: key.Public(), RedirectURIs: []string{gRedirect}})},
		opts...)...)
	md, err := oauth2flows.Discover(context.Background(), srv.URL())
	require.NoError(t, err)
	return srv, &oauth2flows.Config{
		ClientID:          fapiClient,
		Endpoint:          md.Endpoint(),
		RedirectURL:       gRedirect,
		Scopes:            []string{"openid", gScopeRead},
		PrivateKey:        key,
		AssertionAlg:      "ES256",
		AssertionAudience: oauth2flows.AudienceIssuer, // FAPI 2.0 §5.3.2.1
		DPoPKey:           ecKey(t),
		IDTokenAlgs:       oauth2flows.FAPI2Algs(),
		Retry:             oauth2flows.RetryPolicy{MaxAttempts: 1},
	}
}

// fapiSignIn is the FAPI 2.0 sign-in: PAR with PKCE and a nonce, the
// callback with iss, the code redeemed with DPoP, the ID token verified.
func fapiSignIn(t *testing.T, srv *oauth2flowstest.Server, cfg *oauth2flows.Config) (*oauth2flows.Token, error) {
	t.Helper()
	ctx := context.Background()
	state, verifier, nonce := oauth2flows.NewState(), oauth2flows.NewVerifier(), oauth2flows.NewNonce()
	authURL, err := oauth2flows.PushAuthCodeURL(ctx, cfg, state, oauth2flows.WithPKCE(verifier), oauth2flows.WithNonce(nonce))
	if err != nil {
		return nil, err
	}
	code, err := oauth2flows.ParseCallbackURL(cfg, authorize(t, srv, authURL), state)
	if err != nil {
		return nil, err
	}
	tok, err := oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
	if err != nil {
		return nil, err
	}
	_, err = tok.VerifyIDToken(ctx, cfg, nonce)
	return tok, err
}

func TestFAPI2SignInAgainstTheTestServersProfile(t *testing.T) {
	srv, cfg := fapiServer(t, ecKey(t))
	assert.True(t, cfg.Endpoint.RequirePushedAuthRequests, "WithFAPI2 requires PAR")
	tok, err := fapiSignIn(t, srv, cfg)
	require.NoError(t, err)
	assert.Equal(t, "DPoP", tok.TokenType)
	pushes := srv.RequestsTo(oauth2flowstest.EndpointPAR)
	require.NotEmpty(t, pushes)
	assert.Equal(t, oauth2flowstest.AuthPrivateKeyJWT, pushes[len(pushes)-1].AuthMethod)
	assert.NotEmpty(t, pushes[len(pushes)-1].Form.Get("nonce"), "the pushed request carries the nonce")
}

func TestFAPI2MessageSigningSignInAgainstTheTestServersProfile(t *testing.T) {
	key := ecKey(t)
	srv, cfg := fapiServer(t, key, oauth2flowstest.WithFAPI2MessageSigning())
	_, err := fapiSignIn(t, srv, cfg)
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe, "without a request object")
	assert.Equal(t, "invalid_request", oe.Code)

	cfg.RequestObjectKey = key // JAR (RFC 9101)
	_, err = fapiSignIn(t, srv, cfg)
	require.ErrorAs(t, err, &oe, "without JARM")
	assert.Contains(t, oe.Description, "response_mode jwt")

	cfg.ResponseMode = "jwt" // JARM
	tok, err := fapiSignIn(t, srv, cfg)
	require.NoError(t, err)
	assert.Equal(t, "DPoP", tok.TokenType)
	pushes := srv.RequestsTo(oauth2flowstest.EndpointPAR)
	last := pushes[len(pushes)-1].Form
	assert.NotEmpty(t, last.Get("request"), "the pushed request is a request object")
	assert.False(t, last.Has("nonce"), "every parameter, the nonce too, is inside it")
}

func TestFAPI2ProfileRefusesWhatFAPIForbids(t *testing.T) {
	key := ecKey(t)
	tests := []struct {
		name string
		edit func(*oauth2flows.Config)
		want string // the server's error code
	}{
		{"assertion audience the token URL", func(c *oauth2flows.Config) { c.AssertionAudience = oauth2flows.AudienceTokenURL }, "invalid_client"},
		{"no sender constraint", func(c *oauth2flows.Config) { c.DPoPKey = nil }, "invalid_request"},
		{"RS256 DPoP proofs", func(c *oauth2flows.Config) { c.DPoPKey, c.DPoPAlg = rsaKey(t), "RS256" }, "invalid_dpop_proof"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, cfg := fapiServer(t, key)
			tt.edit(cfg)
			_, err := fapiSignIn(t, srv, cfg)
			var oe *oauth2flows.Error
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, tt.want, oe.Code, oe.Description)
		})
	}

	t.Run("client secret", func(t *testing.T) {
		srv, cfg := fapiServer(t, key)
		cfg.ClientID, cfg.ClientSecret, cfg.PrivateKey = gClientID, gSecret, nil
		_, err := oauth2flows.PushAuthCodeURL(context.Background(), cfg, oauth2flows.NewState(), oauth2flows.WithPKCE(oauth2flows.NewVerifier()))
		var oe *oauth2flows.Error
		require.ErrorAs(t, err, &oe)
		assert.Equal(t, "invalid_client", oe.Code)
		assert.Equal(t, oauth2flowstest.AuthClientSecretBasic, srv.RequestsTo(oauth2flowstest.EndpointPAR)[0].AuthMethod)
	})
	t.Run("no PKCE", func(t *testing.T) {
		_, cfg := fapiServer(t, key)
		_, err := oauth2flows.PushAuthCodeURL(context.Background(), cfg, oauth2flows.NewState())
		var oe *oauth2flows.Error
		require.ErrorAs(t, err, &oe)
		assert.Equal(t, "invalid_request", oe.Code)
	})
	t.Run("front-channel request", func(t *testing.T) {
		_, cfg := fapiServer(t, key)
		_, err := oauth2flows.BuildAuthCodeURL(cfg, oauth2flows.NewState(), oauth2flows.WithPKCE(oauth2flows.NewVerifier()))
		var ce *oauth2flows.ConfigError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "Config.Endpoint.RequirePushedAuthRequests", ce.Field)
	})
	t.Run("RS256 assertion", func(t *testing.T) {
		rk := rsaKey(t)
		srv, cfg := fapiServer(t, rk)
		cfg.AssertionAlg = "RS256"
		_, err := fapiSignIn(t, srv, cfg)
		var oe *oauth2flows.Error
		require.ErrorAs(t, err, &oe)
		assert.Equal(t, "invalid_client", oe.Code)
		cfg.AssertionAlg = "PS256"
		_, err = fapiSignIn(t, srv, cfg)
		require.NoError(t, err, "PS256 is FAPI's")
	})
}
