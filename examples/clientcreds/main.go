// Command clientcreds gets a token for a service with the client
// credentials grant (RFC 6749 §4.4).
//
// With no flags it runs against an embedded oauth2flowstest server. To use a
// real provider, give its issuer (endpoints found by OpenID discovery) or
// its token URL, and the client's credentials, by flag or environment:
//
//	go run ./examples/clientcreds -issuer https://login.example.com \
//	    -client-id my-service -client-secret ... -scopes "api.read"
//
//	OAUTH2_ISSUER, OAUTH2_TOKEN_URL, OAUTH2_CLIENT_ID, OAUTH2_CLIENT_SECRET,
//	OAUTH2_SCOPES
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
	secret := flag.String("client-secret", os.Getenv("OAUTH2_CLIENT_SECRET"), "client secret")
	scopes := flag.String("scopes", os.Getenv("OAUTH2_SCOPES"), "space-separated scopes")
	flag.Parse()
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
		srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "billing-job", Secret: "job-secret"}))
		defer srv.Close()
		cfg = &oauth2flows.Config{ClientID: "billing-job", ClientSecret: "job-secret", Endpoint: srv.Endpoint(), Scopes: []string{"invoices.read"}}
		fmt.Println("no provider given: using an embedded test server at", srv.URL())
	}

	tok, err := oauth2flows.ClientCredentials(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("got a %s token (%d characters), scope %q, expires %s\n",
		tok.TokenType, len(tok.AccessToken), tok.Scope, tok.Expiry.Format(time.RFC3339))
}
