package oauth2flows_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows"
)

func TestTransportRefusesBearerOverPlainHTTPOffLoopback(t *testing.T) {
	src := oauth2flows.FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "at-secret-value", TokenType: "Bearer"}))
	tests := []struct {
		name     string
		url      string
		opts     []oauth2flows.TransportOption
		wantSent bool
	}{
		{"RemoteHTTPRefused", "http://api.example.com/orders", nil, false},
		{"RemoteHTTPS", "https://api.example.com/orders", nil, true},
		{"LoopbackHTTP", "http://127.0.0.1:8080/orders", nil, true},
		{"LocalhostHTTP", "http://localhost:8080/orders", nil, true},
		{"RemoteHTTPInsecure", "http://api.example.com/orders", []oauth2flows.TransportOption{oauth2flows.WithInsecureBearerOverHTTP()}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				got = r.Header.Get("Authorization")
				return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: r}, nil
			})
			client := &http.Client{Transport: oauth2flows.NewTransport(src, append(tt.opts, oauth2flows.WithBase(base))...)}
			resp, err := client.Get(tt.url)
			if !tt.wantSent {
				var ce *oauth2flows.ConfigError
				require.True(t, errors.As(err, &ce), "want *ConfigError, got %v", err)
				assert.NotContains(t, err.Error(), "at-secret-value")
				assert.Empty(t, got, "nothing reached the base transport")
				return
			}
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, "Bearer at-secret-value", got)
		})
	}
}

func TestTransportTokenIsTheTokenItSends(t *testing.T) {
	src := oauth2flows.FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "at-1", TokenType: "Bearer"}))
	var sent string
	tr := oauth2flows.NewTransport(src, oauth2flows.WithBase(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent = r.Header.Get("Authorization")
		return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: r}, nil
	})))
	var _ oauth2flows.TokenSource = tr
	tok, err := tr.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "at-1", tok.AccessToken)
	resp, err := (&http.Client{Transport: tr}).Get("https://api.example.com/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "Bearer "+tok.AccessToken, sent)
}
