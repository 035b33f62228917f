package oauth2flows_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// ordersAPI is an API that accepts the server's access tokens for audience
// "api://orders" and answers with the caller's identity.
func ordersAPI(srv *oauth2flowstest.Server) *httptest.Server {
	return httptest.NewServer(srv.Protect("api://orders", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "orders of %s", claims.Subject)
	})))
}

// get prints the status and body of a GET with client.
func get(client *http.Client, url string) {
	resp, err := client.Get(url)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
}

// A web app calls an API for a signed-in user: the client sends the user's
// access token and refreshes it when it expires.
func ExampleNewClient() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{
			ID: "web-app", Secret: "web-secret", RedirectURIs: []string{"http://127.0.0.1/callback"},
		}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice"}),
	)
	defer srv.Close()
	api := ordersAPI(srv)
	defer api.Close()
	cfg := &oauth2flows.Config{
		ClientID:     "web-app",
		ClientSecret: "web-secret",
		Endpoint:     srv.Endpoint(),
		RedirectURL:  "http://127.0.0.1/callback",
		Scopes:       []string{"openid", "api://orders/read"},
	}
	ctx := context.Background()
	tok, err := signIn(ctx, srv, cfg) // the code flow with PKCE, as in ExampleExchangeCode
	if err != nil {
		fmt.Println(err)
		return
	}

	// Keep tok where the app keeps the user's session; build the client
	// from it for each piece of work on the user's behalf.
	client := oauth2flows.NewClient(cfg, tok)
	resp, err := client.Get(api.URL + "/orders")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 orders of alice
}

// The app keeps the user's tokens between sessions. The saver writes back
// every new token, so the refresh token the server rotates is never lost:
// the one the app started with is spent.
func ExampleWithTokenSaver() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{
			ID: "web-app", Secret: "web-secret", RedirectURIs: []string{"http://127.0.0.1/callback"},
		}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice"}),
	)
	defer srv.Close()
	api := ordersAPI(srv)
	defer api.Close()
	cfg := &oauth2flows.Config{
		ClientID:     "web-app",
		ClientSecret: "web-secret",
		Endpoint:     srv.Endpoint(),
		RedirectURL:  "http://127.0.0.1/callback",
		Scopes:       []string{"openid", "api://orders/read"},
	}
	ctx := context.Background()
	tok, err := signIn(ctx, srv, cfg) // the code flow with PKCE, as in ExampleExchangeCode
	if err != nil {
		fmt.Println(err)
		return
	}
	// What the app stored for alice: her refresh token. A map stands in for
	// a database here.
	store := map[string]string{"alice": tok.RefreshToken}

	saved := &oauth2flows.Token{Token: oauth2.Token{RefreshToken: store["alice"]}}
	client := oauth2flows.NewClient(cfg, saved, oauth2flows.WithTokenSaver(
		func(ctx context.Context, fresh *oauth2flows.Token) error {
			rotated := fresh.RefreshToken != store["alice"]
			store["alice"] = fresh.RefreshToken
			fmt.Println("saved a new token; refresh token rotated:", rotated)
			return nil
		}))
	get(client, api.URL+"/orders") // no access token yet: refresh, save, then send
	get(client, api.URL+"/orders") // the saved token is still fresh
	// Output:
	// saved a new token; refresh token rotated: true
	// 200 orders of alice
	// 200 orders of alice
}

// A service calls an API as itself. The Transport gets a client credentials
// token on the first request and reuses it until it nears expiry; WithBase
// keeps the service's own transport for the connections.
func ExampleNewTransport() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "billing-job", Secret: "job-secret"}),
	)
	defer srv.Close()
	api := ordersAPI(srv)
	defer api.Close()
	cfg := &oauth2flows.Config{
		ClientID:     "billing-job",
		ClientSecret: "job-secret",
		Endpoint:     srv.Endpoint(),
		Scopes:       []string{"api://orders/.default"},
	}

	base := http.DefaultTransport.(*http.Transport).Clone() // e.g. with the service's proxy and TLS settings
	client := &http.Client{Transport: oauth2flows.NewTransport(
		oauth2flows.ClientCredentialsSource(cfg),
		oauth2flows.WithBase(base),
	)}
	for range 3 {
		get(client, api.URL+"/orders")
	}
	fmt.Println("token requests:", len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output:
	// 200 orders of billing-job
	// 200 orders of billing-job
	// 200 orders of billing-job
	// token requests: 1
}
