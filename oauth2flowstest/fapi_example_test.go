package oauth2flowstest_test

import (
	"context"
	"fmt"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// A FAPI 2.0 server for tests: pushed requests only, and its metadata says
// which client authentication FAPI 2.0 allows. oauth2flows'
// ExampleToken_VerifyIDToken signs a user in against it.
func ExampleWithFAPI2() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithFAPI2())
	defer srv.Close()

	md, err := oauth2flows.Discover(context.Background(), srv.URL())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(md.RequirePushedAuthorizationRequests, md.TokenEndpointAuthMethodsSupported)
	fmt.Println(md.Endpoint().UserInfoURL == srv.URL()+"/userinfo")
	// Output:
	// true [private_key_jwt]
	// true
}
