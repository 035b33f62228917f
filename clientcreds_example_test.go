package oauth2flows_test

import (
	"context"
	"fmt"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// A service calls an API as itself: no user, no refresh token.
func ExampleClientCredentials() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "billing-job", Secret: "job-secret"}),
	)
	defer srv.Close()
	cfg := &oauth2flows.Config{
		ClientID:     "billing-job",
		ClientSecret: "job-secret",
		Endpoint:     srv.Endpoint(),
		Scopes:       []string{"invoices.read"},
	}

	tok, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	req := srv.RequestsTo(oauth2flowstest.EndpointToken)[0]
	fmt.Println("client auth:", req.AuthMethod)
	fmt.Println("scope:", tok.Scope, "bearer:", tok.IsBearer(), "refresh token:", tok.RefreshToken != "")
	// Output:
	// client auth: client_secret_basic
	// scope: invoices.read bearer: true refresh token: false
}
