package oauth2flows_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

type oauth2SourceFunc func() (*oauth2.Token, error)

func (f oauth2SourceFunc) Token() (*oauth2.Token, error) { return f() }

func TestFromOAuth2CarriesTheExtraMembers(t *testing.T) {
	expiry := time.Now().Add(time.Hour).Round(time.Second)
	in := (&oauth2.Token{AccessToken: "at", TokenType: "Bearer", RefreshToken: "rt", Expiry: expiry}).WithExtra(map[string]any{
		"id_token": "idt", "scope": "openid items.read", "issued_token_type": oauth2flows.TokenTypeAccessToken,
	})
	tok, err := oauth2flows.FromOAuth2(oauth2.StaticTokenSource(in)).Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "at", tok.AccessToken)
	assert.Equal(t, "rt", tok.RefreshToken)
	assert.Equal(t, expiry, tok.Expiry)
	assert.Equal(t, "idt", tok.IDToken)
	assert.Equal(t, []string{"openid", "items.read"}, tok.Scopes())
	assert.Equal(t, oauth2flows.TokenTypeAccessToken, tok.IssuedTokenType)
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
			func(t *testing.T, err error) { var ce *oauth2flows.ConfigError; assert.ErrorAs(t, err, &ce) }},
		{"CancelledContext", cancelled, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "at"}),
			func(t *testing.T, err error) { assert.ErrorIs(t, err, context.Canceled) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := oauth2flows.FromOAuth2(tt.ts).Token(tt.ctx)
			assert.Nil(t, tok)
			tt.want(t, err)
		})
	}
}

func TestToOAuth2PlugsIntoXOAuth2Transport(t *testing.T) {
	f := newRenewalFixture(t)
	base := &recordingBase{}
	src := oauth2flows.RefreshTokenSource(f.cfg, f.valid())
	ts := oauth2flows.ToOAuth2(t.Context(), src)
	client := &http.Client{Transport: &oauth2.Transport{Source: ts, Base: base}}

	_, err := get(t.Context(), client, resourceURL)
	require.NoError(t, err)
	assert.Equal(t, []string{"Bearer " + f.seed.AccessToken}, base.seen())

	out, err := ts.Token()
	require.NoError(t, err)
	out.AccessToken = "changed by the caller"
	again, err := src.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, f.seed.AccessToken, again.AccessToken, "a copy is handed out")
	count, _ := f.refreshes()
	assert.Zero(t, count)
}

func TestToOAuth2PassesErrors(t *testing.T) {
	f := newRenewalFixture(t) // knows no refresh token "rt-revoked"
	_, err := oauth2flows.ToOAuth2(t.Context(), oauth2flows.RefreshTokenSource(f.cfg,
		token(f.seed.AccessToken, "rt-revoked", time.Now().Add(-time.Minute)))).Token()
	assert.ErrorIs(t, err, oauth2flows.ErrReauthRequired)
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_grant", oe.Code)
	_, sent := f.refreshes()
	assert.Equal(t, []string{"rt-revoked"}, sent)
	reqs := f.srv.RequestsTo(oauth2flowstest.EndpointToken)
	assert.Equal(t, http.StatusBadRequest, reqs[len(reqs)-1].Status)
	_, err = oauth2flows.ToOAuth2(t.Context(), nil).Token()
	var ce *oauth2flows.ConfigError
	assert.ErrorAs(t, err, &ce)
}

func TestToOAuth2SourceWithoutTokenOrErrorIsAnErrorNotAPanic(t *testing.T) {
	tests := []struct {
		name string
		src  oauth2flows.TokenSource
	}{
		{"NilNil", tokenSourceFunc(func(context.Context) (*oauth2flows.Token, error) { return nil, nil })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tok *oauth2.Token
			var err error
			require.NotPanics(t, func() { tok, err = oauth2flows.ToOAuth2(t.Context(), tt.src).Token() })
			assert.Nil(t, tok)
			assert.ErrorContains(t, err, "oauth2flows: ")
		})
	}
}
