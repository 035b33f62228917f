package oauth2flows

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

type oauth2SourceFunc func() (*oauth2.Token, error)

func (f oauth2SourceFunc) Token() (*oauth2.Token, error) { return f() }

func TestFromOAuth2CarriesTheExtraMembers(t *testing.T) {
	expiry := time.Now().Add(time.Hour).Round(time.Second)
	in := (&oauth2.Token{AccessToken: "at", TokenType: "Bearer", RefreshToken: "rt", Expiry: expiry}).WithExtra(map[string]any{
		"id_token": "idt", "scope": "openid items.read", "issued_token_type": TokenTypeAccessToken,
	})
	tok, err := FromOAuth2(oauth2.StaticTokenSource(in)).Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "at", tok.AccessToken)
	assert.Equal(t, "rt", tok.RefreshToken)
	assert.Equal(t, expiry, tok.Expiry)
	assert.Equal(t, "idt", tok.IDToken)
	assert.Equal(t, []string{"openid", "items.read"}, tok.Scopes())
	assert.Equal(t, TokenTypeAccessToken, tok.IssuedTokenType)
	assert.True(t, tok.IsBearer())
}

func TestFromOAuth2Errors(t *testing.T) {
	boom := errors.New("boom")
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		ts   oauth2.TokenSource
		want func(t *testing.T, err error)
	}{
		{"SourceError", t.Context(), oauth2SourceFunc(func() (*oauth2.Token, error) { return nil, boom }),
			func(t *testing.T, err error) { assert.ErrorIs(t, err, boom) }},
		{"NoToken", t.Context(), oauth2SourceFunc(func() (*oauth2.Token, error) { return nil, nil }),
			func(t *testing.T, err error) { assert.ErrorContains(t, err, "oauth2flows: ") }},
		{"NilSource", t.Context(), nil,
			func(t *testing.T, err error) { var ce *ConfigError; assert.ErrorAs(t, err, &ce) }},
		{"CancelledContext", cancelled, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "at"}),
			func(t *testing.T, err error) { assert.ErrorIs(t, err, context.Canceled) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := FromOAuth2(tt.ts).Token(tt.ctx)
			assert.Nil(t, tok)
			tt.want(t, err)
		})
	}
}

func TestToOAuth2PlugsIntoXOAuth2Transport(t *testing.T) {
	base := &recordingBase{}
	src := newTestTokenEndpoint(t).source(validSeed())
	ts := ToOAuth2(t.Context(), src)
	client := &http.Client{Transport: &oauth2.Transport{Source: ts, Base: base}}

	_, err := get(t.Context(), client, resourceURL)
	require.NoError(t, err)
	assert.Equal(t, []string{"Bearer at-0"}, base.seen())

	out, err := ts.Token()
	require.NoError(t, err)
	out.AccessToken = "changed by the caller"
	again, err := src.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "at-0", again.AccessToken, "a copy is handed out")
}

func TestToOAuth2PassesErrors(t *testing.T) {
	endpoint := newTestTokenEndpoint(t)
	endpoint.set(func(e *testTokenEndpoint) { e.failStatus, e.failCode, e.failTimes = 400, "invalid_grant", -1 })
	_, err := ToOAuth2(t.Context(), endpoint.source(expiredSeed())).Token()
	assert.ErrorIs(t, err, ErrReauthRequired)
	_, err = ToOAuth2(t.Context(), nil).Token()
	var ce *ConfigError
	assert.ErrorAs(t, err, &ce)
}

type tokenSourceFunc func(ctx context.Context) (*Token, error)

func (f tokenSourceFunc) Token(ctx context.Context) (*Token, error) { return f(ctx) }

func TestToOAuth2SourceWithoutTokenOrErrorIsAnErrorNotAPanic(t *testing.T) {
	tests := []struct {
		name string
		src  TokenSource
	}{
		{"NilNil", tokenSourceFunc(func(context.Context) (*Token, error) { return nil, nil })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tok *oauth2.Token
			var err error
			require.NotPanics(t, func() { tok, err = ToOAuth2(t.Context(), tt.src).Token() })
			assert.Nil(t, tok)
			assert.ErrorContains(t, err, "oauth2flows: ")
		})
	}
}
