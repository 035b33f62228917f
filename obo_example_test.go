package oauth2flows_test

import (
	"context"
	"fmt"
	"log"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// A middle tier exchanges the access token it received for a token to a
// downstream API, on behalf of the same user (Entra's On-Behalf-Of).
func ExampleOnBehalfOf() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	defer srv.Close()
	incoming := srv.IssueAccessToken("alice", "api://api-a", "access_as_user") // what API A's caller sent

	cfg := &oauth2flows.Config{
		ClientID:     "api-a",
		ClientSecret: "api-a-secret",
		Endpoint:     srv.Endpoint(), // oauth2flows.EntraEndpoint(tenant) in production
		Scopes:       []string{"api://api-b/.default", "offline_access"},
	}
	tok, err := oauth2flows.OnBehalfOf(context.Background(), cfg, incoming)
	if err != nil {
		log.Fatal(err)
	}
	claims, _ := srv.VerifyAccessToken(tok.AccessToken)
	fmt.Println("subject:", claims.Subject, "audience:", claims.Audience[0])
	fmt.Println("refresh token:", tok.RefreshToken != "")
	// Output:
	// subject: alice audience: api://api-b
	// refresh token: true
}

// Auth0 and other RFC 8693 servers: exchange the incoming token for one to
// another audience.
func ExampleTokenExchange() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret",
		Audiences: []string{"https://api-a.example.com"}}))
	defer srv.Close()
	incoming := srv.IssueAccessToken("alice", "https://api-a.example.com")

	cfg := &oauth2flows.Config{ClientID: "api-a", ClientSecret: "api-a-secret", Endpoint: srv.Endpoint()}
	tok, err := oauth2flows.TokenExchange(context.Background(), cfg, incoming,
		oauth2flows.WithAudience("https://orders.example.com"))
	if err != nil {
		log.Fatal(err)
	}
	claims, _ := srv.VerifyAccessToken(tok.AccessToken)
	fmt.Println(claims.Subject, claims.Audience[0], tok.IssuedTokenType)
	// Output: alice https://orders.example.com urn:ietf:params:oauth:token-type:access_token
}

// A middle tier caches On-Behalf-Of tokens: the second call for the same
// user and scopes is served from memory.
func ExampleOBOCache() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "api-a", ClientSecret: "api-a-secret", Endpoint: srv.Endpoint(),
		Scopes: []string{"api://api-b/.default"}}
	cache := oauth2flows.NewOBOCache(cfg)
	incoming := srv.IssueAccessToken("alice", "api://api-a")

	for range 3 {
		if _, err := cache.Token(context.Background(), incoming); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("token requests:", len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output: token requests: 1
}

// Replicas of a middle tier share their tokens through a TokenStore (Redis
// in production: package redisstore): what one replica exchanged, another
// serves. Store failures are misses, reported to the handler.
func ExampleWithCacheStore() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "api-a", ClientSecret: "api-a-secret", Endpoint: srv.Endpoint(),
		Scopes: []string{"api://api-b/.default"}}
	store := newFakeStore() // redisstore.New(client, redisstore.WithEncryptionKey(key))
	onFailure := oauth2flows.WithStoreErrorHandler(func(ctx context.Context, err *oauth2flows.StoreError) {
		log.Printf("token store %s failed: %v", err.Op, err.Err) // a metric, an alert
	})
	replica1 := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store), onFailure)
	replica2 := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheStore(store), onFailure)

	incoming := srv.IssueAccessToken("alice", "api://api-a")
	a, _ := replica1.Token(context.Background(), incoming)
	b, _ := replica2.Token(context.Background(), incoming)
	fmt.Println("same token:", a.AccessToken == b.AccessToken)
	fmt.Println("token requests:", len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output:
	// same token: true
	// token requests: 1
}
