package oauth2flows_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

//nolint:staticcheck // the deprecated implicit grant is tested on purpose
func TestParseImplicitResponse(t *testing.T) {
	const base = "https://app.example/callback"
	tests := []struct {
		name    string
		url     string
		check   func(t *testing.T, tok *oauth2flows.Token)
		wantErr string // "callback", "server", "config"
		param   string
		wantIs  error
	}{
		{
			name: "Token",
			url:  base + "#access_token=at-impl&token_type=bearer&expires_in=3600&scope=read+write&state=" + goodState,
			check: func(t *testing.T, tok *oauth2flows.Token) {
				assert.Equal(t, "at-impl", tok.AccessToken)
				assert.Equal(t, "Bearer", tok.TokenType)
				assert.Equal(t, []string{"read", "write"}, tok.Scopes())
				assert.EqualValues(t, 3600, tok.ExpiresIn)
				assert.WithinDuration(t, time.Now().Add(time.Hour), tok.Expiry, 5*time.Second)
				assert.Empty(t, tok.RefreshToken)
			},
		},
		{
			name: "NoExpiresIn",
			url:  base + "#access_token=at-impl&token_type=Bearer&state=" + goodState + "&id_token=idt",
			check: func(t *testing.T, tok *oauth2flows.Token) {
				assert.True(t, tok.Expiry.IsZero())
				assert.Equal(t, "idt", tok.IDToken)
			},
		},
		{
			name: "RefreshTokenInFragmentIgnored",
			url:  base + "#access_token=at-impl&refresh_token=rt-leak&state=" + goodState,
			check: func(t *testing.T, tok *oauth2flows.Token) {
				assert.Empty(t, tok.RefreshToken)
				assert.Empty(t, tok.Extra("refresh_token"))
			},
		},
		{name: "BareFragment", url: "#access_token=at-impl&state=" + goodState, check: func(t *testing.T, tok *oauth2flows.Token) {
			assert.Equal(t, "at-impl", tok.AccessToken)
		}},
		{name: "WrongState", url: base + "#access_token=at-impl&state=st-attacker-0000000", wantErr: "callback", param: "state", wantIs: oauth2flows.ErrStateMismatch},
		{name: "MissingState", url: base + "#access_token=at-impl", wantErr: "callback", param: "state", wantIs: oauth2flows.ErrStateMismatch},
		{name: "MissingFragment", url: base + "?access_token=at-impl&state=" + goodState, wantErr: "callback", param: "fragment"},
		{name: "EmptyFragment", url: base + "#", wantErr: "callback", param: "fragment"},
		{name: "MalformedFragment", url: base + "#access_token=%zz&state=" + goodState, wantErr: "callback", param: "fragment"},
		{name: "MissingAccessToken", url: base + "#token_type=Bearer&state=" + goodState, wantErr: "callback", param: "access_token"},
		{name: "ExpiresInNotANumber", url: base + "#access_token=at-impl&expires_in=soon&state=" + goodState, wantErr: "callback", param: "expires_in"},
		{name: "ExpiresInNegative", url: base + "#access_token=at-impl&expires_in=-5&state=" + goodState, wantErr: "callback", param: "expires_in"},
		{name: "RepeatedAccessToken", url: base + "#access_token=a&access_token=b&state=" + goodState, wantErr: "callback", param: "access_token"},
		{name: "ErrorFragment", url: base + "#error=access_denied&error_description=no&state=" + goodState, wantErr: "server"},
		{name: "ErrorInQueryInstead", url: base + "?error=unauthorized_client&state=" + goodState, wantErr: "server"},
		{name: "ErrorFragmentWithWrongState", url: base + "#error=access_denied&state=st-attacker-0000000", wantErr: "callback", param: "state", wantIs: oauth2flows.ErrStateMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := oauth2flows.ParseImplicitResponse(tt.url, goodState)
			if tt.wantErr == "" {
				require.NoError(t, err)
				tt.check(t, tok)
				return
			}
			require.Error(t, err)
			assert.Nil(t, tok)
			assert.NotContains(t, err.Error(), "at-impl")
			switch tt.wantErr {
			case "callback":
				var ce *oauth2flows.CallbackError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, tt.param, ce.Param)
			case "server":
				var e *oauth2flows.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, 0, e.StatusCode)
				assert.NotEmpty(t, e.Code)
			}
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			}
		})
	}

	_, err := oauth2flows.ParseImplicitResponse("https://app.example/cb#access_token=at-impl", "")
	var ce *oauth2flows.ConfigError
	assert.ErrorAs(t, err, &ce, "an empty expected state is refused")
}

//nolint:staticcheck // the deprecated implicit grant is fuzzed on purpose
func FuzzParseImplicitResponse(f *testing.F) {
	f.Add("https://app.example/cb#access_token=at&token_type=bearer&expires_in=3600&state="+goodState, goodState)
	f.Add("https://app.example/cb#error=access_denied&error_description=%ff%00&state=x", "x")
	f.Add("#expires_in=99999999999999999999&access_token=a&state=s", "s")
	f.Add("?error=e&state=s&state=t", "s")
	f.Add("##%%&=;", "")
	f.Fuzz(func(t *testing.T, raw, state string) {
		tok, err := oauth2flows.ParseImplicitResponse(raw, state)
		if err == nil {
			if tok == nil || tok.AccessToken == "" {
				t.Fatal("no error and no token")
			}
			if state == "" {
				t.Fatal("accepted with an empty expected state")
			}
			if !tok.Expiry.IsZero() && tok.Expiry.Before(time.Now().Add(-time.Minute)) {
				t.Fatal("expiry in the past or overflowed")
			}
			return
		}
		if tok != nil {
			t.Fatal("token with an error")
		}
		if !strings.HasPrefix(err.Error(), "oauth2flows: ") {
			t.Fatalf("unprefixed error %q", err)
		}
		var ce *oauth2flows.CallbackError
		var se *oauth2flows.Error
		var cfe *oauth2flows.ConfigError
		if !errors.As(err, &ce) && !errors.As(err, &se) && !errors.As(err, &cfe) {
			t.Fatalf("untyped error %T", err)
		}
	})
}
