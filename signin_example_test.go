package oauth2flows_test

import (
	"context"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// signIn is the user signing in with the authorization code flow and PKCE
// (RFC 6749 §4.1, RFC 7636), srv playing the user's browser: the examples
// that need a user's tokens start with it. ExampleRefresh and
// ExampleExchangeCode show each step.
func signIn(ctx context.Context, srv *oauth2flowstest.Server, cfg *oauth2flows.Config) (*oauth2flows.Token, error) {
	state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
	callback, err := srv.Authorize(ctx, oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(verifier)))
	if err != nil {
		return nil, err
	}
	code, err := oauth2flows.ParseCallbackURL(cfg, callback.String(), state)
	if err != nil {
		return nil, err
	}
	return oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
}
