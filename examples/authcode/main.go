// Command authcode signs a user in with the authorization code grant and
// PKCE (RFC 6749 §4.1, RFC 7636), as a command-line or desktop app does
// (RFC 8252): it listens for the redirect on a loopback port, prints the URL
// to open, checks the callback (state, RFC 9207 iss), and redeems the code.
//
// With no flags it runs against an embedded oauth2flowstest server and plays
// the browser itself, so it completes on its own. To use a real provider,
// give its issuer (or authorization and token URLs) and the client, by flag
// or environment, register http://127.0.0.1:PORT/callback as a redirect URI,
// and pass -listen 127.0.0.1:PORT:
//
//	go run ./examples/authcode -issuer https://login.example.com \
//	    -client-id my-cli -scopes "openid offline_access" -listen 127.0.0.1:8400
//
//	OAUTH2_ISSUER, OAUTH2_AUTH_URL, OAUTH2_TOKEN_URL, OAUTH2_CLIENT_ID,
//	OAUTH2_CLIENT_SECRET (empty for a public client), OAUTH2_SCOPES
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// result is what the callback handler hands back to main.
type result struct {
	tok *oauth2flows.Token
	err error
}

func main() {
	issuer := flag.String("issuer", os.Getenv("OAUTH2_ISSUER"), "issuer URL; endpoints are discovered")
	authURL := flag.String("auth-url", os.Getenv("OAUTH2_AUTH_URL"), "authorization endpoint URL")
	tokenURL := flag.String("token-url", os.Getenv("OAUTH2_TOKEN_URL"), "token endpoint URL")
	clientID := flag.String("client-id", os.Getenv("OAUTH2_CLIENT_ID"), "client ID")
	secret := flag.String("client-secret", os.Getenv("OAUTH2_CLIENT_SECRET"), "client secret; empty for a public client")
	scopes := flag.String("scopes", os.Getenv("OAUTH2_SCOPES"), "space-separated scopes")
	listen := flag.String("listen", "127.0.0.1:0", "loopback address of the callback server (RFC 8252 §7.3)")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// The redirect URI is known once the loopback port is.
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	redirect := "http://" + ln.Addr().String() + "/callback"

	cfg := &oauth2flows.Config{ClientID: *clientID, ClientSecret: *secret, RedirectURL: redirect, Scopes: strings.Fields(*scopes)}
	embedded := false
	switch {
	case *issuer != "":
		md, err := oauth2flows.Discover(ctx, *issuer)
		if err != nil {
			log.Fatal(err)
		}
		cfg.Endpoint = md.Endpoint()
	case *authURL != "" || *tokenURL != "":
		cfg.Endpoint.AuthURL, cfg.Endpoint.TokenURL = *authURL, *tokenURL
	default:
		srv := oauth2flowstest.NewServer(
			oauth2flowstest.WithClient(oauth2flowstest.Client{
				ID: "native-app", AuthMethod: oauth2flowstest.AuthNone, RedirectURIs: []string{redirect},
			}),
			oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice"}),
		)
		defer srv.Close()
		cfg = &oauth2flows.Config{ClientID: "native-app", Endpoint: srv.Endpoint(), RedirectURL: redirect, Scopes: []string{"openid", "read"}}
		embedded = true
		fmt.Println("no provider given: using an embedded test server at", srv.URL())
	}

	// PKCE and state for this one sign-in (RFC 9700 §2.1.1).
	state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
	u, err := oauth2flows.BuildAuthCodeURL(cfg, state, oauth2flows.WithPKCE(verifier))
	if err != nil {
		log.Fatal(err)
	}

	done := make(chan result, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/callback", func(w http.ResponseWriter, r *http.Request) {
		res := callback(r.Context(), cfg, r, state, verifier)
		if res.err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "<p>Sign-in failed: %s</p>\n", html.EscapeString(res.err.Error()))
		} else {
			fmt.Fprintln(w, "<p>Signed in. You can close this window.</p>")
		}
		select { // only the first callback counts
		case done <- res:
		default:
		}
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()

	fmt.Println("waiting for the redirect on", redirect)
	fmt.Println("open this URL in your browser:\n ", u)
	if embedded {
		go browse(ctx, u)
	}

	select {
	case res := <-done:
		if res.err != nil {
			log.Fatal(res.err)
		}
		tok := res.tok
		fmt.Printf("signed in: %s token (%d characters), scope %q, refresh token: %t, id token: %t\n",
			tok.TokenType, len(tok.AccessToken), tok.Scope, tok.RefreshToken != "", tok.IDToken != "")
	case <-ctx.Done():
		log.Fatal("authcode: no callback before the timeout")
	}
}

// callback checks the authorization response and redeems the code.
func callback(ctx context.Context, cfg *oauth2flows.Config, r *http.Request, state, verifier string) result {
	code, err := oauth2flows.ParseCallback(cfg, r, state)
	var oerr *oauth2flows.Error
	switch {
	case errors.As(err, &oerr):
		return result{err: fmt.Errorf("the server refused: %w", err)}
	case errors.Is(err, oauth2flows.ErrStateMismatch):
		return result{err: fmt.Errorf("this response is not for our sign-in: %w", err)}
	case err != nil:
		return result{err: err}
	}
	tok, err := oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
	return result{tok: tok, err: err}
}

// browse plays the user's browser against the embedded server: it opens
// the authorization URL, where the test user consents at once, and follows
// the redirect to the callback server.
func browse(ctx context.Context, u string) {
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(hc *http.Client, target string) *http.Response {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			log.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		return resp
	}
	resp := get(noFollow, u)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		log.Fatalf("authorization endpoint answered %s", resp.Status)
	}
	resp = get(http.DefaultClient, resp.Header.Get("Location"))
	resp.Body.Close()
}
