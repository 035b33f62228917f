package oauth2flows_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/oauth2flows/oauth2flows"
)

// benchBody is an Entra-shaped token response.
const benchBody = `{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGk6Ly9iZW5jaCIsImlzcyI6Imh0dHBzOi8vbG9naW4uZXhhbXBsZSJ9.c2lnbmF0dXJl","scope":"api://bench/.default"}`

// BenchmarkClientCredentialsRoundTrip compares one client credentials
// request, POST to decoded token, with x/oauth2's clientcredentials against
// the same loopback tokenFake and the same http.Client (client_secret_basic,
// one scope, no caching on either side).
func BenchmarkClientCredentialsRoundTrip(b *testing.B) {
	srv := httptest.NewServer(&tokenFake{status: http.StatusOK, ctype: "application/json", body: benchBody})
	b.Cleanup(srv.Close)
	hc := srv.Client()
	b.Run("oauth2flows", func(b *testing.B) {
		cfg := &oauth2flows.Config{ClientID: "bench-app", ClientSecret: "bench-secret-value",
			Endpoint: oauth2flows.Endpoint{TokenURL: srv.URL + "/token"}, Scopes: []string{"api://bench/.default"},
			HTTPClient: hc}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := oauth2flows.ClientCredentials(ctx, cfg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("x-oauth2", func(b *testing.B) {
		cfg := &clientcredentials.Config{ClientID: "bench-app", ClientSecret: "bench-secret-value",
			TokenURL: srv.URL + "/token", Scopes: []string{"api://bench/.default"}, AuthStyle: oauth2.AuthStyleInHeader}
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cfg.Token(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
