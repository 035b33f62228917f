package oauth2flows_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// Sign-out: revoke the refresh token, which also ends its access tokens on
// most servers.
func ExampleRevoke() {
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
	// The user signed in with the authorization code flow and PKCE.
	tok, err := signIn(ctx, srv, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}

	err = oauth2flows.Revoke(ctx, cfg, tok.RefreshToken, oauth2flows.WithTokenTypeHint("refresh_token"))
	fmt.Println("revoked:", err == nil)
	_, err = oauth2flows.Refresh(ctx, cfg, tok.RefreshToken)
	fmt.Println("refresh now needs re-authentication:", errors.Is(err, oauth2flows.ErrReauthRequired))

	// RFC 7009 §2.2: revoking a token the server does not know is success.
	fmt.Println("unknown token:", oauth2flows.Revoke(ctx, cfg, "no-such-token"))
	// Output:
	// revoked: true
	// refresh now needs re-authentication: true
	// unknown token: <nil>
}
