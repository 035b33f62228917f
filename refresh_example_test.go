package oauth2flows_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// Refresh under rotation: store the new refresh token; the old one is spent.
func ExampleRefresh() {
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

	// The user signs in with the authorization code flow and PKCE;
	// srv.Authorize plays the browser (see ExampleExchangeCode).
	state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
	callback, err := srv.Authorize(ctx, oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(verifier)))
	if err != nil {
		fmt.Println(err)
		return
	}
	code, err := oauth2flows.ParseCallbackURL(cfg, callback.String(), state)
	if err != nil {
		fmt.Println(err)
		return
	}
	first, err := oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
	if err != nil {
		fmt.Println(err)
		return
	}

	// Later, the access token has expired: refresh, and store the result.
	tok, err := oauth2flows.Refresh(ctx, cfg, first.RefreshToken)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("rotated:", tok.RefreshToken != first.RefreshToken)

	// Reusing the spent one is refused; the user must sign in again.
	_, err = oauth2flows.Refresh(ctx, cfg, first.RefreshToken)
	fmt.Println("re-authenticate:", errors.Is(err, oauth2flows.ErrReauthRequired))
	// Output:
	// rotated: true
	// re-authenticate: true
}
