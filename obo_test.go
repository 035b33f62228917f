package oauth2flows_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

const (
	middleID     = "middle-tier"
	middleSecret = "middle-s3cret-value"
)

// oboServer starts a server with the middle tier registered and returns it,
// the middle tier's Config and the user's incoming token for API A.
func oboServer(t *testing.T, opts ...oauth2flowstest.Option) (*oauth2flowstest.Server, *oauth2flows.Config, string) {
	t.Helper()
	opts = append(opts, oauth2flowstest.WithClient(oauth2flowstest.Client{ID: middleID, Secret: middleSecret}))
	srv := oauth2flowstest.NewServer(opts...)
	t.Cleanup(srv.Close)
	cfg := &oauth2flows.Config{ClientID: middleID, ClientSecret: middleSecret, Endpoint: srv.Endpoint()}
	return srv, cfg, srv.IssueAccessToken("alice", "api://"+middleID, "access_as_user")
}

func TestOnBehalfOfEntraV2SendsTheGrantAndReturnsTheTriple(t *testing.T) {
	srv, cfg, assertion := oboServer(t)
	cfg.Scopes = []string{"api://downstream/.default", "offline_access", "openid"}

	tok, err := oauth2flows.OnBehalfOf(context.Background(), cfg, assertion)
	require.NoError(t, err)

	reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.Len(t, reqs, 1)
	form := reqs[0].Form
	assert.Equal(t, oauth2flows.GrantTypeJWTBearer, form.Get("grant_type"))
	assert.Equal(t, assertion, form.Get("assertion"))
	assert.Equal(t, "on_behalf_of", form.Get("requested_token_use"))
	assert.Equal(t, "api://downstream/.default offline_access openid", form.Get("scope"))
	assert.Empty(t, form.Get("client_secret"))
	assert.True(t, strings.HasPrefix(reqs[0].Header.Get("Authorization"), "Basic "))
	assert.Equal(t, "client_secret_basic", reqs[0].AuthMethod)
	assert.Equal(t, middleID, reqs[0].ClientID)

	claims, err := srv.VerifyAccessToken(tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "alice", claims.Subject)
	assert.Equal(t, []string{"api://downstream"}, []string(claims.Audience))
	assert.NotEmpty(t, tok.RefreshToken, "offline_access gives a refresh token")
	assert.NotEmpty(t, tok.IDToken, "openid gives an id token")
	assert.True(t, tok.IsBearer())
	assert.WithinDuration(t, time.Now().Add(time.Hour), tok.Expiry, 5*time.Second)
}

func TestOnBehalfOfEntraV1SendsResourceAndReadsStringNumbers(t *testing.T) {
	srv, cfg, assertion := oboServer(t, oauth2flowstest.WithEntraV1Responses())

	tok, err := oauth2flows.OnBehalfOf(context.Background(), cfg, assertion,
		oauth2flows.WithResource("https://graph.example.com"))
	require.NoError(t, err)

	form := srv.RequestsTo(oauth2flowstest.EndpointToken)[0].Form
	assert.Equal(t, []string{"https://graph.example.com"}, form["resource"])
	assert.NotContains(t, form, "scope")
	assert.IsType(t, "", tok.Extra("expires_in"), "v1 sends numbers as strings")
	assert.WithinDuration(t, time.Now().Add(time.Hour), tok.Expiry, 5*time.Second)
	claims, err := srv.VerifyAccessToken(tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, []string{"https://graph.example.com"}, []string(claims.Audience))
}

func TestOnBehalfOfSAML(t *testing.T) {
	tests := []struct {
		name, tokenType, xmlMarker string
	}{
		{"SAML1", oauth2flows.TokenTypeSAML1, "urn:oasis:names:tc:SAML:1.0:assertion"},
		{"SAML2", oauth2flows.TokenTypeSAML2, "urn:oasis:names:tc:SAML:2.0:assertion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, cfg, assertion := oboServer(t)
			cfg.Scopes = []string{"https://saml-api.example.com/.default"}
			tok, err := oauth2flows.OnBehalfOf(context.Background(), cfg, assertion,
				oauth2flows.WithRequestedTokenType(tt.tokenType))
			require.NoError(t, err)

			form := srv.RequestsTo(oauth2flowstest.EndpointToken)[0].Form
			assert.Equal(t, tt.tokenType, form.Get("requested_token_type"))
			assert.Equal(t, tt.tokenType, tok.IssuedTokenType)
			assert.False(t, tok.IsBearer(), "a SAML assertion is not sent as a bearer")
			xml, err := oauth2flows.SAMLAssertion(tok)
			require.NoError(t, err)
			assert.Contains(t, string(xml), tt.xmlMarker)
			assert.Contains(t, string(xml), "alice")
		})
	}
}

func TestTokenExchangeWire(t *testing.T) {
	tests := []struct {
		name     string
		opts     []oauth2flows.Option
		wantForm map[string][]string
		wantAud  []string
		check    func(t *testing.T, srv *oauth2flowstest.Server, tok *oauth2flows.Token)
	}{
		{
			name:     "AudienceRepeated",
			opts:     []oauth2flows.Option{oauth2flows.WithAudience("https://a.example"), oauth2flows.WithAudience("https://b.example")},
			wantForm: map[string][]string{"audience": {"https://a.example", "https://b.example"}},
			wantAud:  []string{"https://a.example", "https://b.example"},
		},
		{
			name:     "Resource",
			opts:     []oauth2flows.Option{oauth2flows.WithResource("https://api.example/orders")},
			wantForm: map[string][]string{"resource": {"https://api.example/orders"}},
			wantAud:  []string{"https://api.example/orders"},
		},
		{
			name: "ActorAndRequestedType",
			opts: []oauth2flows.Option{
				oauth2flows.WithAudience("https://a.example"),
				oauth2flows.WithRequestedTokenType(oauth2flows.TokenTypeJWT),
			},
			wantForm: map[string][]string{"requested_token_type": {oauth2flows.TokenTypeJWT}},
			wantAud:  []string{"https://a.example"},
			check: func(t *testing.T, srv *oauth2flowstest.Server, tok *oauth2flows.Token) {
				assert.Equal(t, oauth2flows.TokenTypeJWT, tok.IssuedTokenType)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, cfg, subject := oboServer(t)
			tok, err := oauth2flows.TokenExchange(context.Background(), cfg, subject, tt.opts...)
			require.NoError(t, err)
			form := srv.RequestsTo(oauth2flowstest.EndpointToken)[0].Form
			assert.Equal(t, oauth2flows.GrantTypeTokenExchange, form.Get("grant_type"))
			assert.Equal(t, subject, form.Get("subject_token"))
			assert.Equal(t, oauth2flows.TokenTypeAccessToken, form.Get("subject_token_type"))
			for k, v := range tt.wantForm {
				assert.Equal(t, v, form[k], k)
			}
			claims, err := srv.VerifyAccessToken(tok.AccessToken)
			require.NoError(t, err)
			assert.Equal(t, "alice", claims.Subject)
			assert.ElementsMatch(t, tt.wantAud, []string(claims.Audience))
			if tt.check != nil {
				tt.check(t, srv, tok)
			}
		})
	}
}

func TestTokenExchangeWithActorAddsActClaim(t *testing.T) {
	srv, cfg, subject := oboServer(t)
	actor := srv.IssueAccessToken("service-x", "api://"+middleID)
	tok, err := oauth2flows.TokenExchange(context.Background(), cfg, subject,
		oauth2flows.WithAudience("https://a.example"),
		oauth2flows.WithActorToken(actor, oauth2flows.TokenTypeAccessToken))
	require.NoError(t, err)

	form := srv.RequestsTo(oauth2flowstest.EndpointToken)[0].Form
	assert.Equal(t, actor, form.Get("actor_token"))
	assert.Equal(t, oauth2flows.TokenTypeAccessToken, form.Get("actor_token_type"))
	claims, err := srv.VerifyAccessToken(tok.AccessToken)
	require.NoError(t, err)
	require.NotNil(t, claims.Act)
	assert.Equal(t, "service-x", claims.Act.Subject)
}

func TestTokenExchangeAuth0Shape(t *testing.T) {
	// Auth0's documented exchange: client_secret_post, an audience, a scope.
	srv, cfg, subject := oboServer(t)
	cfg.AuthMethod = oauth2flows.ClientSecretPost
	cfg.Scopes = []string{"read:orders"}
	_, err := oauth2flows.TokenExchange(context.Background(), cfg, subject, oauth2flows.WithAudience("https://orders.example.com"))
	require.NoError(t, err)

	r := srv.RequestsTo(oauth2flowstest.EndpointToken)[0]
	assert.Equal(t, "client_secret_post", r.AuthMethod)
	assert.Empty(t, r.Header.Get("Authorization"))
	assert.Equal(t, middleID, r.Form.Get("client_id"))
	assert.Equal(t, middleSecret, r.Form.Get("client_secret"))
	assert.Equal(t, "https://orders.example.com", r.Form.Get("audience"))
	assert.Equal(t, "read:orders", r.Form.Get("scope"))
}

func TestTokenExchangeNAIsNotABearer(t *testing.T) {
	_, cfg, subject := oboServer(t)
	tok, err := oauth2flows.TokenExchange(context.Background(), cfg, subject,
		oauth2flows.WithRequestedTokenType(oauth2flows.TokenTypeIDToken))
	require.NoError(t, err)
	assert.Equal(t, "N_A", tok.TokenType)
	assert.False(t, tok.IsBearer())
}

func TestOnBehalfOfClaimsChallengeRoundTrip(t *testing.T) {
	srv, cfg, assertion := oboServer(t)
	cfg.Scopes = []string{"api://downstream/.default"}
	const claims = `{"access_token":{"capolids":{"essential":true,"values":["c1"]}}}`
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{
		Status: http.StatusBadRequest,
		Body:   oauth2flowstest.EntraError("interaction_required", "AADSTS50079: MFA required.", claims),
	})

	_, err := oauth2flows.OnBehalfOf(context.Background(), cfg, assertion)
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "interaction_required", oe.Code)
	assert.Equal(t, []int{50079}, oe.ErrorCodes)
	assert.NotEmpty(t, oe.TraceID)
	assert.NotEmpty(t, oe.CorrelationID)
	assert.NotContains(t, err.Error(), assertion)
	assert.NotContains(t, err.Error(), "\r")

	got, ok := oauth2flows.ClaimsFromError(err)
	require.True(t, ok)
	rec := httptest.NewRecorder()
	oauth2flows.WriteClaimsChallenge(rec, got)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	h := rec.Header().Get("WWW-Authenticate")
	assert.Equal(t, `Bearer error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsiY2Fwb2xpZHMiOnsiZXNzZW50aWFsIjp0cnVlLCJ2YWx1ZXMiOlsiYzEiXX19fQ=="`, h)
	back, ok := oauth2flows.ParseClaimsChallenge(h)
	require.True(t, ok)
	assert.JSONEq(t, claims, back)

	// The caller comes back with a token satisfying the claims; the retry
	// passes them on.
	_, err = oauth2flows.OnBehalfOf(context.Background(), cfg, assertion, oauth2flows.WithClaims(back))
	require.NoError(t, err)
	reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
	assert.JSONEq(t, claims, reqs[len(reqs)-1].Form.Get("claims"))
}

func TestOnBehalfOfBadInputSendsNothing(t *testing.T) {
	tests := []struct {
		name    string
		call    func(cfg *oauth2flows.Config, assertion string) error
		wantMsg string
	}{
		{"EmptyAssertion", func(cfg *oauth2flows.Config, _ string) error {
			_, err := oauth2flows.OnBehalfOf(context.Background(), cfg, "")
			return err
		}, "assertion"},
		{"MisspelledSAML2URN", func(cfg *oauth2flows.Config, a string) error {
			_, err := oauth2flows.OnBehalfOf(context.Background(), cfg, a, oauth2flows.WithRequestedTokenType("tf:params:oauth:token-type:saml2"))
			return err
		}, "oauth2flows.TokenTypeSAML2"},
		{"NotAURI", func(cfg *oauth2flows.Config, a string) error {
			_, err := oauth2flows.OnBehalfOf(context.Background(), cfg, a, oauth2flows.WithRequestedTokenType("saml2"))
			return err
		}, "TokenTypeSAML2"},
		{"UnknownTokenTypeInIETFNamespace", func(cfg *oauth2flows.Config, a string) error {
			_, err := oauth2flows.TokenExchange(context.Background(), cfg, a, oauth2flows.WithSubjectTokenType("urn:ietf:params:oauth:token-type:acess_token"))
			return err
		}, "absolute token type URI"},
		{"ActorWithoutType", func(cfg *oauth2flows.Config, a string) error {
			_, err := oauth2flows.TokenExchange(context.Background(), cfg, a, oauth2flows.WithActorToken("actor.jwt", ""))
			return err
		}, "actor_token_type"},
		{"NoScopeNorResource", func(cfg *oauth2flows.Config, a string) error {
			cfg.Scopes = nil
			_, err := oauth2flows.OnBehalfOf(context.Background(), cfg, a)
			return err
		}, "scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, cfg, assertion := oboServer(t)
			cfg.Scopes = []string{"api://downstream/.default"}
			err := tt.call(cfg, assertion)
			var ce *oauth2flows.ConfigError
			require.True(t, errors.As(err, &ce), "want *ConfigError, got %v", err)
			assert.Contains(t, err.Error(), tt.wantMsg)
			assert.NotContains(t, err.Error(), assertion)
			assert.Empty(t, srv.RequestsTo(oauth2flowstest.EndpointToken), "nothing may be sent")
		})
	}
}
