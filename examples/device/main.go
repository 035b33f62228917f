// Command device signs a user in on a device without a browser, with the
// device authorization grant (RFC 8628): it prints a code and a URL, the
// user opens the URL on another device and enters the code, and the
// command polls until the user approved.
//
// With no flags it runs against an embedded oauth2flowstest server and
// plays the user itself, approving the code from another goroutine. To use
// a real provider, give its issuer (endpoints found by OpenID discovery) or
// its device authorization and token URLs, and the client, by flag or
// environment:
//
//	go run ./examples/device -issuer https://login.microsoftonline.com/TENANT/v2.0 \
//	    -client-id 00000000-0000-0000-0000-000000000000 -scopes "openid offline_access"
//
//	OAUTH2_ISSUER, OAUTH2_DEVICE_AUTH_URL, OAUTH2_TOKEN_URL, OAUTH2_CLIENT_ID,
//	OAUTH2_CLIENT_SECRET (confidential clients only), OAUTH2_SCOPES
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func main() {
	issuer := flag.String("issuer", os.Getenv("OAUTH2_ISSUER"), "issuer URL; endpoints are discovered")
	deviceURL := flag.String("device-auth-url", os.Getenv("OAUTH2_DEVICE_AUTH_URL"), "device authorization endpoint URL")
	tokenURL := flag.String("token-url", os.Getenv("OAUTH2_TOKEN_URL"), "token endpoint URL")
	clientID := flag.String("client-id", os.Getenv("OAUTH2_CLIENT_ID"), "client ID")
	secret := flag.String("client-secret", os.Getenv("OAUTH2_CLIENT_SECRET"), "client secret (confidential clients only)")
	scopes := flag.String("scopes", os.Getenv("OAUTH2_SCOPES"), "space-separated scopes")
	flag.Parse()
	// A user may take minutes; the device code's own expiry ends the poll
	// before this does on most servers.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	cfg := &oauth2flows.Config{ClientID: *clientID, ClientSecret: *secret, Scopes: strings.Fields(*scopes)}
	var approve func(userCode string) // plays the user on the embedded server
	switch {
	case *issuer != "":
		md, err := oauth2flows.Discover(ctx, *issuer)
		if err != nil {
			log.Fatal(err)
		}
		cfg.Endpoint = md.Endpoint()
	case *deviceURL != "" && *tokenURL != "":
		cfg.Endpoint = oauth2flows.Endpoint{DeviceAuthURL: *deviceURL, TokenURL: *tokenURL}
	default:
		srv := oauth2flowstest.NewServer(
			oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "tv-app", AuthMethod: oauth2flowstest.AuthNone}),
			oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice"}),
			oauth2flowstest.WithDeviceInterval(time.Second), // 5 s on a real server
		)
		defer srv.Close()
		cfg = &oauth2flows.Config{ClientID: "tv-app", Endpoint: srv.Endpoint(), Scopes: []string{"openid", "profile"}}
		approve = func(userCode string) {
			go func() {
				if err := srv.ApproveDevice(userCode, "alice"); err != nil {
					log.Print(err)
				}
			}()
		}
		fmt.Println("no provider given: using an embedded test server at", srv.URL())
	}

	da, err := oauth2flows.DeviceAuth(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("To sign in, open %s and enter the code %s\n", da.VerificationURI, da.UserCode)
	if da.VerificationURIComplete != "" {
		fmt.Printf("(or open %s)\n", da.VerificationURIComplete)
	}
	if approve != nil {
		approve(da.UserCode)
	}

	tok, err := oauth2flows.DeviceAccessToken(ctx, cfg, da)
	switch {
	case errors.Is(err, oauth2flows.ErrDeviceAccessDenied):
		log.Fatal("the request was denied")
	case errors.Is(err, oauth2flows.ErrDeviceCodeExpired):
		log.Fatal("the code expired before it was entered; run the command again")
	case err != nil:
		log.Fatal(err)
	}
	fmt.Printf("signed in: a %s token (%d characters), scope %q, expires %s\n",
		tok.TokenType, len(tok.AccessToken), tok.Scope, tok.Expiry.Format(time.RFC3339))
}
