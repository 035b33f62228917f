// Command password gets a token with the resource owner password
// credentials grant (RFC 6749 §4.3). The grant is deprecated by RFC 9700
// §2.4 (the client sees the user's password, and no multi-factor sign-in is
// possible); prefer examples/authcode. It is here for servers that still
// need it.
//
// With no flags it runs against an embedded oauth2flowstest server. To use a
// real provider, give its issuer or token URL, the client, and the user, by
// flag or environment:
//
//	go run ./examples/password -issuer https://login.example.com \
//	    -client-id my-cli -username alice -scopes "openid offline_access"
//
//	OAUTH2_ISSUER, OAUTH2_TOKEN_URL, OAUTH2_CLIENT_ID, OAUTH2_CLIENT_SECRET,
//	OAUTH2_SCOPES, OAUTH2_USERNAME, OAUTH2_PASSWORD
package main

import (
	"context"
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
	tokenURL := flag.String("token-url", os.Getenv("OAUTH2_TOKEN_URL"), "token endpoint URL")
	clientID := flag.String("client-id", os.Getenv("OAUTH2_CLIENT_ID"), "client ID")
	secret := flag.String("client-secret", os.Getenv("OAUTH2_CLIENT_SECRET"), "client secret; empty for a public client")
	scopes := flag.String("scopes", os.Getenv("OAUTH2_SCOPES"), "space-separated scopes")
	username := flag.String("username", os.Getenv("OAUTH2_USERNAME"), "the user's name")
	flag.Parse()
	// The password comes from the environment only, never a flag: flags show
	// up in process listings and shell history.
	password := os.Getenv("OAUTH2_PASSWORD")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	cfg := &oauth2flows.Config{ClientID: *clientID, ClientSecret: *secret, Scopes: strings.Fields(*scopes)}
	switch {
	case *issuer != "":
		md, err := oauth2flows.Discover(ctx, *issuer)
		if err != nil {
			log.Fatal(err)
		}
		cfg.Endpoint = md.Endpoint()
	case *tokenURL != "":
		cfg.Endpoint.TokenURL = *tokenURL
	default:
		srv := oauth2flowstest.NewServer(
			oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "legacy-cli", Secret: "cli-secret"}),
			oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice", Password: "correct horse battery staple"}),
		)
		defer srv.Close()
		cfg = &oauth2flows.Config{ClientID: "legacy-cli", ClientSecret: "cli-secret", Endpoint: srv.Endpoint(), Scopes: []string{"read"}}
		*username, password = "alice", "correct horse battery staple"
		fmt.Println("no provider given: using an embedded test server at", srv.URL())
	}
	if *username == "" {
		log.Fatal("password: -username (or OAUTH2_USERNAME) and OAUTH2_PASSWORD are required")
	}

	//lint:ignore SA1019 the deprecated grant is what this example shows
	tok, err := oauth2flows.PasswordCredentials(ctx, cfg, *username, password)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("signed in as %s: %s token (%d characters), scope %q, refresh token: %t\n",
		*username, tok.TokenType, len(tok.AccessToken), tok.Scope, tok.RefreshToken != "")
}
