package oauth2flows_test

import (
	"fmt"

	"github.com/oauth2flows/oauth2flows"
)

// Microsoft Entra ID (v2.0 endpoints) for one tenant, by ID or domain.
func ExampleEntraEndpoint() {
	ep := oauth2flows.EntraEndpoint("contoso.onmicrosoft.com")
	fmt.Println(ep.AuthURL)
	fmt.Println(ep.TokenURL)
	// Output:
	// https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize
	// https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token
}

// Entra's v1 endpoints, whose token requests name a resource
// (WithResource) instead of scopes.
func ExampleEntraV1Endpoint() {
	fmt.Println(oauth2flows.EntraV1Endpoint("contoso.onmicrosoft.com").TokenURL)
	// Output:
	// https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/token
}

// An Auth0 tenant's endpoints, from its domain.
func ExampleAuth0Endpoint() {
	ep := oauth2flows.Auth0Endpoint("example.eu.auth0.com")
	fmt.Println(ep.TokenURL)
	fmt.Println(ep.RevocationURL)
	// Output:
	// https://example.eu.auth0.com/oauth/token
	// https://example.eu.auth0.com/oauth/revoke
}

// Google's OAuth 2.0 endpoints.
func ExampleGoogleEndpoint() {
	fmt.Println(oauth2flows.GoogleEndpoint().TokenURL)
	// Output:
	// https://oauth2.googleapis.com/token
}
