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

// benchTokenServer is one loopback token endpoint for both sides of the
// client credentials benchmark: it checks nothing and answers the same
// Entra-shaped token response to every request.
func benchTokenServer(b *testing.B) *httptest.Server {
	b.Helper()
	body := []byte(`{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGk6Ly9iZW5jaCIsImlzcyI6Imh0dHBzOi8vbG9naW4uZXhhbXBsZSJ9.c2lnbmF0dXJl","scope":"api://bench/.default"}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkClientCredentialsRoundTrip compares one client credentials
// request, POST to decoded token, with x/oauth2's clientcredentials against
// the same loopback server and the same http.Client (client_secret_basic,
// one scope, no caching on either side).
func BenchmarkClientCredentialsRoundTrip(b *testing.B) {
	srv := benchTokenServer(b)
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
