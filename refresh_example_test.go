package oauth2flows_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// Refresh under rotation: store the new refresh token; the old one is spent.
//
//nolint:staticcheck // the password grant is the shortest way to a first token here
func ExampleRefresh() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "app", Secret: "app-secret"}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice", Password: "pw"}),
	)
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "app", ClientSecret: "app-secret", Endpoint: srv.Endpoint(), Scopes: []string{"read"}}
	ctx := context.Background()
	first, err := oauth2flows.PasswordCredentials(ctx, cfg, "alice", "pw")
	if err != nil {
		fmt.Println(err)
		return
	}

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
