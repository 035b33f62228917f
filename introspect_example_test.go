package oauth2flows_test

import (
	"context"
	"fmt"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// An API that cannot validate the tokens it receives itself (opaque tokens,
// or to see revocations at once) asks the authorization server, with its
// own client credentials. An inactive token is an answer, not an error.
func ExampleIntrospect() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "orders-api", Secret: "orders-secret"}),
	)
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "orders-api", ClientSecret: "orders-secret", Endpoint: srv.Endpoint()}
	ctx := context.Background()

	// The bearer token a caller sent to the API.
	incoming := srv.IssueAccessToken("alice", "api://orders", "orders.read")

	info, err := oauth2flows.Introspect(ctx, cfg, incoming, oauth2flows.WithTokenTypeHint("access_token"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("active:", info.Active, "subject:", info.Subject, "audience:", info.Audience, "scope:", info.Scope)

	info, err = oauth2flows.Introspect(ctx, cfg, "forged-or-expired-token")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("active:", info.Active)
	// Output:
	// active: true subject: alice audience: [api://orders] scope: orders.read
	// active: false
}
