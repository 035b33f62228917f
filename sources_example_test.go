package oauth2flows_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// A service that needs its token outside an http.Client (a gRPC credential,
// a message header) asks the source for it each time; the source fetches a
// token once and serves it until it nears expiry.
func ExampleClientCredentialsSource() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "billing-job", Secret: "job-secret"}),
	)
	defer srv.Close()
	cfg := &oauth2flows.Config{
		ClientID:     "billing-job",
		ClientSecret: "job-secret",
		Endpoint:     srv.Endpoint(),
	}
	src := oauth2flows.ClientCredentialsSource(cfg, oauth2flows.WithScopes("api://orders/.default"))

	for range 3 {
		tok, err := src.Token(context.Background())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("token type:", tok.TokenType, "valid:", tok.Valid())
	}
	fmt.Println("token requests:", len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output:
	// token type: Bearer valid: true
	// token type: Bearer valid: true
	// token type: Bearer valid: true
	// token requests: 1
}

// A worker acts for a user whose refresh token it loaded from storage.
// Concurrent callers share one refresh, so a rotating server never sees the
// same refresh token twice.
func ExampleRefreshTokenSource() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{
			ID: "web-app", Secret: "web-secret", RedirectURIs: []string{"http://127.0.0.1/callback"},
		}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice"}),
	)
	defer srv.Close()
	cfg := &oauth2flows.Config{
		ClientID:     "web-app",
		ClientSecret: "web-secret",
		Endpoint:     srv.Endpoint(),
		RedirectURL:  "http://127.0.0.1/callback",
		Scopes:       []string{"openid", "read"},
	}
	ctx := context.Background()
	signedIn, err := signIn(ctx, srv, cfg) // the code flow with PKCE, as in ExampleExchangeCode
	if err != nil {
		fmt.Println(err)
		return
	}
	before := len(srv.RequestsTo(oauth2flowstest.EndpointToken))

	// Loaded from storage: the refresh token alone.
	src := oauth2flows.RefreshTokenSource(cfg, &oauth2flows.Token{Token: oauth2.Token{RefreshToken: signedIn.RefreshToken}})
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Go(func() { _, errs[i] = src.Token(ctx) })
	}
	wg.Wait()
	fmt.Println("errors:", errors.Join(errs...))
	fmt.Println("refreshes:", len(srv.RequestsTo(oauth2flowstest.EndpointToken))-before)

	tok, err := src.Token(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("scope:", tok.Scope, "rotated:", tok.RefreshToken != signedIn.RefreshToken)
	// Output:
	// errors: <nil>
	// refreshes: 1
	// scope: openid read rotated: true
}
