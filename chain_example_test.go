package oauth2flows_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/resource"
)

// The middle tier in one line: v.Middleware(obo.Middleware(h)). The
// Validator checks the caller's token (signature, issuer, audience,
// lifetime, scope); only a token that passes is exchanged (cached) for a
// token to API B; the handler calls API B with the client DownstreamClient
// gives it. A forged token is refused before any token request.
func ExampleOBOCache_Middleware() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	defer srv.Close()
	apiB := httptest.NewServer(srv.Protect("api://api-b", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "API B serves %s", claims.Subject)
	})))
	defer apiB.Close()

	v, err := resource.NewValidator(context.Background(), resource.Config{
		Issuer:         srv.URL(), // its discovery document gives the key set
		Audiences:      []string{"api://api-a"},
		RequiredScopes: []string{"access_as_user"},
	})
	if err != nil {
		log.Fatal(err)
	}
	obo := oauth2flows.NewOBOCache(&oauth2flows.Config{ClientID: "api-a", ClientSecret: "api-a-secret",
		Endpoint: srv.Endpoint(), Scopes: []string{"api://api-b/.default"}})
	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		downstream, _ := oauth2flows.DownstreamClient(r.Context())
		resp, err := downstream.Get(apiB.URL)
		if err != nil {
			http.Error(w, "API B unavailable", http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		io.Copy(w, resp.Body)
	})
	apiA := httptest.NewServer(v.Middleware(obo.Middleware(orders)))
	defer apiA.Close()

	alice := srv.IssueAccessToken("alice", "api://api-a", "access_as_user")
	forged := alice[:len(alice)-4] + "AAAA" // the signature no longer matches
	for _, token := range []string{alice, alice, forged} {
		req, _ := http.NewRequest(http.MethodGet, apiA.URL, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Println("token requests:", len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output:
	// 200 API B serves alice
	// 200 API B serves alice
	// 401 Unauthorized
	// token requests: 1
}
