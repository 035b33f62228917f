package oauth2flows_test

import (
	"context"
	"fmt"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// On an Azure VM, the VM's identity gets a token for Key Vault from IMDS.
// Here oauth2flowstest plays IMDS: its Client sends requests for
// 169.254.169.254 to it. On Azure, leave HTTPClient nil.
func ExampleManagedIdentitySource() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithManagedIdentity(oauth2flowstest.ManagedIdentity{}))
	defer srv.Close()

	src := oauth2flows.ManagedIdentitySource(oauth2flows.ManagedIdentity{HTTPClient: srv.Client()},
		"https://vault.azure.net")
	for range 3 {
		tok, err := src.Token(context.Background())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("token type:", tok.TokenType, "valid:", tok.Valid())
	}
	fmt.Println("IMDS requests:", len(srv.RequestsTo(oauth2flowstest.EndpointIMDS)))
	// Output:
	// token type: Bearer valid: true
	// token type: Bearer valid: true
	// token type: Bearer valid: true
	// IMDS requests: 1
}

// A middle tier with no secret: its app registration trusts the host's
// managed identity as a federated identity credential, and the identity's
// token is the client assertion of the On-Behalf-Of exchange.
func ExampleManagedIdentityAssertion() {
	const app = "orders-api"
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithEntra(""),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: app}),
		oauth2flowstest.WithManagedIdentity(oauth2flowstest.ManagedIdentity{FederatedWith: []string{app}}))
	defer srv.Close()

	cfg := &oauth2flows.Config{
		ClientID:        app,
		Endpoint:        srv.Endpoint(),
		HTTPClient:      srv.Client(),
		Scopes:          []string{"https://graph.microsoft.com/User.Read"},
		ClientAssertion: oauth2flows.ManagedIdentityAssertion(oauth2flows.ManagedIdentity{HTTPClient: srv.Client()}),
	}
	user := srv.IssueAccessToken("alice", "api://"+app, "access_as_user")
	tok, err := oauth2flows.OnBehalfOf(context.Background(), cfg, user)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("Graph token:", tok.Valid())
	fmt.Println("client authentication:", srv.RequestsTo(oauth2flowstest.EndpointToken)[0].AuthMethod)
	// Output:
	// Graph token: true
	// client authentication: private_key_jwt
}
