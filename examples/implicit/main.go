// Command implicit runs the implicit grant (RFC 6749 §4.2): the token comes
// back in the redirect URL's fragment. The grant is deprecated by RFC 9700
// §2.1.2 (the token leaks through browser history and logs, and can be
// injected); prefer examples/authcode with PKCE. It is here for servers that
// still need it.
//
// With no flags it runs against an embedded oauth2flowstest server and plays
// the browser itself. To use a real provider, give its issuer (or
// authorization URL), the client and its registered redirect URL, by flag or
// environment; the program prints the URL to open and reads the URL the
// browser was sent back to, pasted from the address bar (a server never
// sees the fragment):
//
//	go run ./examples/implicit -issuer https://login.example.com \
//	    -client-id my-spa -redirect-url https://app.example.com/spa -scopes openid
//
//	OAUTH2_ISSUER, OAUTH2_AUTH_URL, OAUTH2_CLIENT_ID, OAUTH2_REDIRECT_URL,
//	OAUTH2_SCOPES
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func main() {
	issuer := flag.String("issuer", os.Getenv("OAUTH2_ISSUER"), "issuer URL; endpoints are discovered")
	authURL := flag.String("auth-url", os.Getenv("OAUTH2_AUTH_URL"), "authorization endpoint URL")
	clientID := flag.String("client-id", os.Getenv("OAUTH2_CLIENT_ID"), "client ID")
	redirectURL := flag.String("redirect-url", os.Getenv("OAUTH2_REDIRECT_URL"), "registered redirect URL")
	scopes := flag.String("scopes", os.Getenv("OAUTH2_SCOPES"), "space-separated scopes")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	cfg := &oauth2flows.Config{ClientID: *clientID, RedirectURL: *redirectURL, Scopes: strings.Fields(*scopes)}
	embedded := false
	switch {
	case *issuer != "":
		md, err := oauth2flows.Discover(ctx, *issuer)
		if err != nil {
			log.Fatal(err)
		}
		cfg.Endpoint = md.Endpoint()
	case *authURL != "":
		cfg.Endpoint.AuthURL = *authURL
	default:
		srv := oauth2flowstest.NewServer(
			oauth2flowstest.WithClient(oauth2flowstest.Client{
				ID: "legacy-spa", AuthMethod: oauth2flowstest.AuthNone,
				RedirectURIs: []string{"http://127.0.0.1/spa"},
				GrantTypes:   []string{oauth2flowstest.GrantImplicit},
			}),
			oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice"}),
		)
		defer srv.Close()
		cfg = &oauth2flows.Config{ClientID: "legacy-spa", Endpoint: srv.Endpoint(), RedirectURL: "http://127.0.0.1/spa", Scopes: []string{"read"}}
		embedded = true
		fmt.Println("no provider given: using an embedded test server at", srv.URL())
	}

	state := oauth2flows.NewState()
	//lint:ignore SA1019 the deprecated grant is what this example shows
	u := oauth2flows.ImplicitURL(cfg, state)
	if u == "" {
		log.Fatal("the implicit grant's URL cannot be built from this configuration")
	}
	fmt.Println("open this URL in a browser:\n ", u)

	var back string
	if embedded {
		back = browse(ctx, u)
	} else {
		fmt.Println("then paste the URL the browser was sent back to:")
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			log.Fatal(err)
		}
		back = strings.TrimSpace(line)
	}

	//lint:ignore SA1019 the deprecated grant is what this example shows
	tok, err := oauth2flows.ParseImplicitResponse(back, state)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("got a %s token (%d characters), scope %q, expires %s\n",
		tok.TokenType, len(tok.AccessToken), tok.Scope, tok.Expiry.Format(time.RFC3339))
}

// browse plays the browser against the embedded server: it requests the
// authorization URL and returns where it is redirected, fragment included.
func browse(ctx context.Context, u string) string {
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		log.Fatalf("authorization endpoint answered %s", resp.Status)
	}
	return resp.Header.Get("Location")
}
