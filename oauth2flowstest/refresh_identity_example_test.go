package oauth2flowstest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// A test of replicas that share a rotating refresh token asserts what the
// user would suffer: a refresh token presented twice revokes the family,
// and the user must sign in again.
func ExampleServer_RefreshStats() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(daemon),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice", Password: "pw"}),
		oauth2flowstest.WithRefreshTokenPolicy(oauth2flowstest.RotateRevokeFamily))
	defer srv.Close()
	cfg := daemonConfig(srv)
	//lint:ignore SA1019 the password grant is the shortest way to a user's token here
	tok, err := oauth2flows.PasswordCredentials(context.Background(), cfg, "alice", "pw")
	if err != nil {
		fmt.Println(err)
		return
	}

	// Two replicas that each redeem their own copy, without a shared store.
	_, _ = oauth2flows.Refresh(context.Background(), cfg, tok.RefreshToken)
	_, _ = oauth2flows.Refresh(context.Background(), cfg, tok.RefreshToken)

	st := srv.RefreshStats()
	fmt.Printf("redeemed %d, reused %d, families revoked %d of %d\n", st.Redeemed, st.Reused, st.RevokedFamilies, st.Families)
	// Output: redeemed 1, reused 1, families revoked 1 of 1
}

// The Azure Instance Metadata Service of a VM with a system-assigned
// identity, for tests of code that uses managed identities: Server.Client
// sends requests for 169.254.169.254 to the test server.
func ExampleWithManagedIdentity() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithManagedIdentity(oauth2flowstest.ManagedIdentity{}))
	defer srv.Close()

	req, _ := http.NewRequest("GET", "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net", nil)
	req.Header.Set("Metadata", "true")
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	fmt.Println(resp.Status, len(srv.RequestsTo(oauth2flowstest.EndpointIMDS)))

	// Without the Metadata header, as IMDS does: refused.
	req.Header.Del("Metadata")
	resp, err = srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output:
	// 200 OK 1
	// 400 Bad Request
}
