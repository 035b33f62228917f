package oauth2flows_test

import (
	"context"
	"fmt"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// The implicit grant is deprecated (RFC 9700 §2.1.2) but still served by
// some providers. The token comes back in the redirect URL's fragment.
//
//nolint:staticcheck // the deprecated implicit grant is shown on purpose
func ExampleImplicitURL() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{
			ID: "legacy-spa", AuthMethod: oauth2flowstest.AuthNone,
			RedirectURIs: []string{"http://127.0.0.1/spa"},
			GrantTypes:   []string{oauth2flowstest.GrantImplicit},
		}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice"}),
	)
	defer srv.Close()
	cfg := &oauth2flows.Config{
		ClientID:    "legacy-spa",
		Endpoint:    srv.Endpoint(),
		RedirectURL: "http://127.0.0.1/spa",
		Scopes:      []string{"read"},
	}
	state := oauth2flows.NewState()
	redirect, err := srv.Authorize(context.Background(), oauth2flows.ImplicitURL(cfg, state))
	if err != nil {
		fmt.Println(err)
		return
	}

	tok, err := oauth2flows.ParseImplicitResponse(redirect.String(), state)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("token type:", tok.TokenType)
	fmt.Println("scope:", tok.Scope)
	fmt.Println("expires:", !tok.Expiry.IsZero())
	// Output:
	// token type: Bearer
	// scope: read
	// expires: true
}

//nolint:staticcheck // the deprecated implicit grant is shown on purpose
func ExampleParseImplicitResponse() {
	const state = "state-from-the-session-0001"
	tok, err := oauth2flows.ParseImplicitResponse(
		"https://app.example.com/spa#access_token=2YotnFZFEjr1zCsicMWpAA&token_type=bearer&expires_in=3600&scope=read&state="+state,
		state)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.TokenType, tok.ExpiresIn, tok.Scope)

	// A URL as a server sees it has no fragment: browsers never send it.
	_, err = oauth2flows.ParseImplicitResponse("https://app.example.com/spa", state)
	fmt.Println(err)
	// Output:
	// Bearer 3600 read
	// oauth2flows: authorization response: fragment: missing: the implicit grant's response is in the URL fragment (RFC 6749 §4.2.2), which browsers never send to a server; pass the URL as the user agent saw it
}
