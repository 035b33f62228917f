package oauth2flows_test

import (
	"context"
	"fmt"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// Sign-out: revoke the refresh token, which also ends its access tokens on
// most servers.
//
//nolint:staticcheck // the password grant is the shortest way to a token here
func ExampleRevoke() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "app", Secret: "app-secret"}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice", Password: "pw"}),
	)
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "app", ClientSecret: "app-secret", Endpoint: srv.Endpoint()}
	ctx := context.Background()
	tok, err := oauth2flows.PasswordCredentials(ctx, cfg, "alice", "pw")
	if err != nil {
		fmt.Println(err)
		return
	}

	err = oauth2flows.Revoke(ctx, cfg, tok.RefreshToken, oauth2flows.WithTokenTypeHint("refresh_token"))
	fmt.Println("revoked:", err == nil)
	_, err = srv.VerifyAccessToken(tok.AccessToken)
	fmt.Println("access token still valid:", err == nil)

	// RFC 7009 §2.2: revoking a token the server does not know is success.
	fmt.Println("unknown token:", oauth2flows.Revoke(ctx, cfg, "no-such-token"))
	// Output:
	// revoked: true
	// access token still valid: false
	// unknown token: <nil>
}
