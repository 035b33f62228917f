package oauth2flowstest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzEntraPaths serves arbitrary paths and query strings to the Entra
// profile: whatever the path, the server answers with a status of its
// own, never a panic, and never a 5xx.
func FuzzEntraPaths(f *testing.F) {
	for _, seed := range []string{
		"/contoso.example/oauth2/v2.0/token", "/common/discovery/instance?authorization_endpoint=https://x/y",
		"//oauth2/v2.0/authorize", "/common/v2.0/.well-known/openid-configuration", "/oidc/userinfo",
		"/organizations/oauth2/v2.0/logout?post_logout_redirect_uri=https://a/&client_id=app", "/%2e%2e/token",
	} {
		f.Add(http.MethodGet, seed)
	}
	srv := NewServer(WithEntra("contoso.example"), WithClient(Client{ID: "app", Secret: "s", RedirectURIs: []string{"https://a/"}}))
	f.Cleanup(srv.Close)
	f.Fuzz(func(t *testing.T, method, target string) {
		if method != http.MethodGet && method != http.MethodPost {
			method = http.MethodGet
		}
		path, query, _ := strings.Cut(target, "?")
		req := httptest.NewRequest(method, "/", nil)
		req.URL.Path, req.URL.RawQuery = path, query
		w := httptest.NewRecorder()
		srv.serveHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %q: %d", method, target, w.Code)
		}
	})
}
