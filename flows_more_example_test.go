package oauth2flows_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// A command-line client that received the redirect on its loopback
// listener (RFC 8252 §7.3) gets the code out of the full URL, checking the
// state it sent.
func ExampleParseCallbackURL() {
	cfg := &oauth2flows.Config{ClientID: "my-cli", RedirectURL: "http://127.0.0.1:8400/callback"}
	state := "af0ifjsldkj" // oauth2flows.NewState(), sent with the request

	code, err := oauth2flows.ParseCallbackURL(cfg, "http://127.0.0.1:8400/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj", state)
	fmt.Println(code, err)

	_, err = oauth2flows.ParseCallbackURL(cfg, "http://127.0.0.1:8400/callback?code=injected&state=forged", state)
	var ce *oauth2flows.CallbackError
	fmt.Println(errors.As(err, &ce))
	// Output:
	// SplxlOBeZQQYbYS6WxSbIA <nil>
	// true
}

// A multi-tenant service that signs users in from several issuers keeps
// one DiscoveryCache: each issuer's metadata is fetched once an hour.
func ExampleDiscoveryCache_Discover() {
	srv := oauth2flowstest.NewServer()
	defer srv.Close()
	var cache oauth2flows.DiscoveryCache // the zero value is ready; share it

	for range 3 {
		md, err := cache.Discover(context.Background(), srv.URL())
		if err != nil {
			log.Fatal(err)
		}
		_ = md.Endpoint()
	}
	fmt.Println("metadata fetches:", len(srv.RequestsTo(oauth2flowstest.EndpointDiscovery)))
	// Output: metadata fetches: 1
}

// A FAPI 2.0 client accepts only the signature algorithms the profile
// allows in the ID tokens it verifies.
func ExampleFAPI2Algs() {
	cfg := &oauth2flows.Config{ClientID: "my-app", IDTokenAlgs: oauth2flows.FAPI2Algs()}
	fmt.Println(cfg.IDTokenAlgs)
	// Output: [PS256 ES256 EdDSA]
}

// A shared store that stays down while a user's token has expired: the
// Transport does not redeem the refresh token outside the store's lease,
// where another replica may redeem it too, and fails the request instead.
func ExampleStoreUnavailableError() {
	srv, cfg := exampleOIDCServer()
	defer srv.Close()
	_, tok := signInAlice(srv, cfg, oauth2flows.NewNonce())
	tok.Expiry = time.Now().Add(-time.Minute)
	t := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(cfg, tok), oauth2flows.WithTokenStore(downStore{}, "alice"))

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond) // the request's deadline
	defer cancel()
	_, err := t.Token(ctx)
	var su *oauth2flows.StoreUnavailableError
	fmt.Println(errors.As(err, &su), "refresh tokens redeemed:", srv.RefreshStats().Redeemed)
	// Output: true refresh tokens redeemed: 0
}

// Against a server that keeps an old refresh token valid (Microsoft Entra),
// a Transport may renew without the store while it is down.
func ExampleWithInsecureRenewalOutsideLease() {
	srv, cfg := exampleOIDCServer()
	defer srv.Close()
	_, tok := signInAlice(srv, cfg, oauth2flows.NewNonce())
	tok.Expiry = time.Now().Add(-time.Minute)
	t := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(cfg, tok),
		oauth2flows.WithTokenStore(downStore{}, "alice"),
		oauth2flows.WithInsecureRenewalOutsideLease(),
	)

	_, err := t.Token(context.Background())
	fmt.Println(err, "refresh tokens redeemed:", srv.RefreshStats().Redeemed)
	// Output: <nil> refresh tokens redeemed: 1
}
