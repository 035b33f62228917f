package oauth2flows_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// A middle tier that calls its downstream API by other means than HTTP
// (gRPC, a queue) asks the cache for a token per incoming request. Each user
// gets their own token; a user's second request is served from memory.
func ExampleOBOCache_Token() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	defer srv.Close()
	cfg := &oauth2flows.Config{
		ClientID:     "api-a",
		ClientSecret: "api-a-secret",
		Endpoint:     srv.Endpoint(), // oauth2flows.EntraEndpoint(tenant) in production
		Scopes:       []string{"api://api-b/.default"},
	}
	cache := oauth2flows.NewOBOCache(cfg) // one per process, shared by all requests

	// The access tokens API A received from its callers.
	alice := srv.IssueAccessToken("alice", "api://api-a", "access_as_user")
	bob := srv.IssueAccessToken("bob", "api://api-a", "access_as_user")

	for _, incoming := range []string{alice, bob, alice} {
		tok, err := cache.Token(context.Background(), incoming)
		if err != nil {
			fmt.Println(err)
			return
		}
		claims, err := srv.VerifyAccessToken(tok.AccessToken) // what API B checks
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("for", claims.Subject, "to", claims.Audience[0])
	}
	fmt.Println("token requests:", len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output:
	// for alice to api://api-b
	// for bob to api://api-b
	// for alice to api://api-b
	// token requests: 2
}

// A middle tier behind a gateway that already validates the incoming token:
// Middleware exchanges the caller's bearer as it is, which needs
// WithInsecureUnvalidatedTokens, and the handler calls API B with the client
// DownstreamClient gives it, on behalf of the same user. Without such a
// gateway, put Validator.Middleware in front instead (see the
// OBOCache.Middleware example).
func ExampleOBOCache_Middleware_behindGateway() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	defer srv.Close()

	// API B accepts tokens for its own audience only.
	apiB := httptest.NewServer(srv.Protect("api://api-b", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "orders of %s", claims.Subject)
	})))
	defer apiB.Close()

	// API A sits behind a gateway that validates the incoming token
	// (srv.Protect stands in for it), so the cache's Middleware may
	// exchange the bearer without a Validator of its own.
	cfg := &oauth2flows.Config{
		ClientID:     "api-a",
		ClientSecret: "api-a-secret",
		Endpoint:     srv.Endpoint(),
		Scopes:       []string{"api://api-b/.default"},
	}
	cache := oauth2flows.NewOBOCache(cfg, oauth2flows.WithInsecureUnvalidatedTokens())
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, ok := oauth2flows.DownstreamClient(r.Context())
		if !ok {
			http.Error(w, "no downstream client", http.StatusInternalServerError)
			return
		}
		resp, err := client.Get(apiB.URL + "/orders")
		if err != nil {
			http.Error(w, "API B unavailable", http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Fprintf(w, "API B says: %s", body)
	})
	apiA := httptest.NewServer(srv.Protect("api://api-a", cache.Middleware(handler)))
	defer apiA.Close()

	// Alice's app calls API A twice with her token; someone calls it with none.
	alice := srv.IssueAccessToken("alice", "api://api-a", "access_as_user")
	for _, bearer := range []string{alice, alice, ""} {
		req, _ := http.NewRequest(http.MethodGet, apiA.URL+"/summary", nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Println("token requests:", len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output:
	// 200 API B says: orders of alice
	// 200 API B says: orders of alice
	// 401 Unauthorized
	// token requests: 1
}
