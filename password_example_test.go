package oauth2flows_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// The password grant is deprecated (RFC 9700 §2.4); it still works for
// servers that offer nothing else.
//
//nolint:staticcheck // the deprecated password grant is shown on purpose
func ExamplePasswordCredentials() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "cli", Secret: "cli-secret"}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice", Password: "correct horse"}),
	)
	defer srv.Close()
	cfg := &oauth2flows.Config{
		ClientID: "cli", ClientSecret: "cli-secret",
		Endpoint: srv.Endpoint(),
		Scopes:   []string{"read"},
	}

	tok, err := oauth2flows.PasswordCredentials(context.Background(), cfg, "alice", "correct horse")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("scope:", tok.Scope, "refresh token:", tok.RefreshToken != "")

	_, err = oauth2flows.PasswordCredentials(context.Background(), cfg, "alice", "wrong")
	var oerr *oauth2flows.Error
	if errors.As(err, &oerr) {
		fmt.Println("refused:", oerr.Code)
	}
	// Output:
	// scope: read refresh token: true
	// refused: invalid_grant
}
