package oauth2flows_test

import (
	"context"
	"fmt"

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
