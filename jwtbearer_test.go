package oauth2flows_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

const (
	gIssuer     = "https://issuer.example"
	gFedID      = "workload-app"
	gFedSubject = "system:serviceaccount:prod:api"
	gFedAud     = "api://AzureADTokenExchange"
)

// outsideIssuer is an issuer nobody here runs: a service account's key, a
// cluster's service-account issuer, GitHub Actions. The key is generated
// at test time.
type outsideIssuer struct{ key *ecdsa.PrivateKey }

func newOutsideIssuer(t *testing.T) *outsideIssuer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return &outsideIssuer{key: k}
}

// mint signs an assertion with a fresh jti; extra claims are added.
func (o *outsideIssuer) mint(t *testing.T, sub, aud string, extra jwt.MapClaims) string {
	t.Helper()
	jti := make([]byte, 12)
	_, _ = rand.Read(jti)
	now := time.Now()
	claims := jwt.MapClaims{"iss": gIssuer, "sub": sub, "aud": aud, "iat": now.Unix(),
		"exp": now.Add(10 * time.Minute).Unix(), "jti": base64.RawURLEncoding.EncodeToString(jti)}
	for k, v := range extra {
		claims[k] = v
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodES256, claims).SignedString(o.key)
	require.NoError(t, err)
	return s
}

func TestJWTBearerSendsTheAssertionAndReturnsTheToken(t *testing.T) {
	iss := newOutsideIssuer(t)
	srv := grantServer(t, oauth2flowstest.WithTrustedIssuer(oauth2flowstest.TrustedIssuer{Issuer: gIssuer, PublicKey: &iss.key.PublicKey}))
	tests := []struct {
		name       string
		cfg        func() *oauth2flows.Config
		opts       []oauth2flows.Option
		wantMethod string
		wantScope  string
	}{
		{"two-legged, no client (Google)", func() *oauth2flows.Config {
			return &oauth2flows.Config{Endpoint: srv.Endpoint(), Scopes: []string{"read"}}
		}, nil, "none", "read"},
		{"confidential client, WithScopes", func() *oauth2flows.Config { return confidential(srv) },
			[]oauth2flows.Option{oauth2flows.WithScopes("write")}, "client_secret_basic", "write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetRequests()
			leaks := watchLeaks(t, srv)
			a := iss.mint(t, "svc@example", srv.Endpoint().TokenURL, nil)
			tok, err := oauth2flows.JWTBearer(context.Background(), tt.cfg(), a, tt.opts...)
			require.NoError(t, leaks.err(err))
			assert.NotEmpty(t, tok.AccessToken)
			assert.Equal(t, tt.wantScope, tok.Scope)

			reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
			require.Len(t, reqs, 1)
			f := reqs[0].Form
			assert.Equal(t, oauth2flows.GrantTypeJWTBearer, f.Get("grant_type"))
			assert.Equal(t, a, f.Get("assertion"))
			assert.Equal(t, tt.wantScope, f.Get("scope"))
			assert.False(t, f.Has("requested_token_use"), "not Entra's OBO")
			assert.Equal(t, tt.wantMethod, reqs[0].AuthMethod)
			if tt.wantMethod == "none" {
				assert.False(t, f.Has("client_id"))
				assert.Empty(t, reqs[0].Header.Get("Authorization"))
			}
		})
	}
}

func TestJWTBearerRefusals(t *testing.T) {
	iss, stranger := newOutsideIssuer(t), newOutsideIssuer(t)
	srv := grantServer(t, oauth2flowstest.WithTrustedIssuer(oauth2flowstest.TrustedIssuer{Issuer: gIssuer, PublicKey: &iss.key.PublicKey}))
	cfg := &oauth2flows.Config{Endpoint: srv.Endpoint()}
	tests := []struct {
		name      string
		assertion string
		opts      []oauth2flows.Option
		wantField string
		wantCode  string
	}{
		{"empty assertion", "", nil, "assertion", ""},
		{"option of no token request", "x.y.z", []oauth2flows.Option{oauth2flows.WithPKCE(oauth2flows.NewVerifier())}, "WithPKCE", ""},
		{"signed by another key", stranger.mint(t, "svc@example", srv.Endpoint().TokenURL, nil), nil, "", "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetRequests()
			tok, err := oauth2flows.JWTBearer(context.Background(), cfg, tt.assertion, tt.opts...)
			assert.Nil(t, tok)
			if tt.wantField != "" {
				var ce *oauth2flows.ConfigError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, "JWTBearer", ce.Op)
				assert.Equal(t, tt.wantField, ce.Field)
				assert.Empty(t, srv.Requests())
				return
			}
			var e *oauth2flows.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.wantCode, e.Code)
			assert.NotContains(t, err.Error(), tt.assertion)
		})
	}
}

func TestJWTBearerSourceMintsAFreshAssertionPerRequest(t *testing.T) {
	iss := newOutsideIssuer(t)
	srv := grantServer(t,
		oauth2flowstest.WithTrustedIssuer(oauth2flowstest.TrustedIssuer{Issuer: gIssuer, PublicKey: &iss.key.PublicKey}),
		// Inside the refresh window at once: the source renews in the background.
		oauth2flowstest.WithAccessTokenLifetime(time.Second))
	cfg := &oauth2flows.Config{Endpoint: srv.Endpoint(), Scopes: []string{"read"}}
	var minted atomic.Int32
	src := oauth2flows.JWTBearerSource(cfg, func(context.Context) (string, error) {
		minted.Add(1)
		return iss.mint(t, "svc@example", srv.Endpoint().TokenURL, nil), nil
	})
	first, err := src.Token(context.Background())
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		next, err := src.Token(context.Background())
		require.NoError(t, err)
		return next.AccessToken != first.AccessToken
	}, 5*time.Second, 20*time.Millisecond)
	reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.GreaterOrEqual(t, len(reqs), 2)
	assert.Equal(t, int32(len(reqs)), minted.Load(), "one assertion per request")
	assert.NotEqual(t, reqs[0].Form.Get("assertion"), reqs[1].Form.Get("assertion"), "a fresh jti per request")
}

func TestJWTBearerSourceWrapsTheAssertionFunctionsFailure(t *testing.T) {
	srv := grantServer(t)
	cause := errors.New("metadata server unreachable")
	tests := []struct {
		name  string
		fn    func(context.Context) (string, error)
		is    error
		inMsg string
	}{
		{"error", func(context.Context) (string, error) { return "", cause }, cause, "metadata server unreachable"},
		{"empty", func(context.Context) (string, error) { return "", nil }, nil, "empty assertion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := oauth2flows.JWTBearerSource(&oauth2flows.Config{Endpoint: srv.Endpoint()}, tt.fn).Token(context.Background())
			var ae *oauth2flows.AssertionError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, "JWTBearerSource", ae.Op)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			assert.True(t, strings.HasPrefix(err.Error(), "oauth2flows: JWTBearerSource: assertion: "), err.Error())
			assert.Contains(t, err.Error(), tt.inMsg)
			assert.Empty(t, srv.Requests())
		})
	}
}
