package oauth2flows_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// Any provider is configured from its issuer alone: Discover reads its
// metadata, and Endpoint turns that into Config.Endpoint. A document
// published for another issuer is refused, so credentials never go to a
// server the caller did not name.
func ExampleDiscover() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "billing-job", Secret: "job-secret"}),
	)
	defer srv.Close()
	ctx := context.Background()
	issuer := srv.URL() // e.g. "https://login.example.com" in production

	md, err := oauth2flows.Discover(ctx, issuer)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("issuer matches:", md.Issuer == issuer)
	fmt.Println("PKCE S256:", slices.Contains(md.CodeChallengeMethodsSupported, "S256"))
	fmt.Println("client credentials:", slices.Contains(md.GrantTypesSupported, "client_credentials"))

	cfg := &oauth2flows.Config{ClientID: "billing-job", ClientSecret: "job-secret", Endpoint: md.Endpoint()}
	if _, err := oauth2flows.ClientCredentials(ctx, cfg); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("token: ok")

	// The same server under another name: the document it publishes is for
	// issuer srv.URL(), which is not an exact match (RFC 8414 §3.3).
	_, err = oauth2flows.Discover(ctx, strings.Replace(issuer, "127.0.0.1", "localhost", 1))
	var derr *oauth2flows.DiscoveryError
	fmt.Println("other issuer refused:", errors.As(err, &derr))
	// Output:
	// issuer matches: true
	// PKCE S256: true
	// client credentials: true
	// token: ok
	// other issuer refused: true
}
