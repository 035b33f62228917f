// Command revoke revokes a token (RFC 7009), as a sign-out would.
//
// With no flags it runs against an embedded oauth2flowstest server: it signs
// a user in, revokes the refresh token, and shows that the token no longer
// refreshes. To use a real provider, give its issuer (or revocation and
// token URLs), the client, and the token to revoke, by flag or environment:
//
//	go run ./examples/revoke -issuer https://login.example.com \
//	    -client-id my-app -client-secret ... -hint refresh_token
//
//	OAUTH2_ISSUER, OAUTH2_TOKEN_URL, OAUTH2_REVOCATION_URL, OAUTH2_CLIENT_ID,
//	OAUTH2_CLIENT_SECRET, OAUTH2_SCOPES, OAUTH2_TOKEN (the token to revoke;
//	read from the environment only, never a flag, to keep it out of shell
//	history). Without OAUTH2_TOKEN, a client credentials token is obtained
//	and revoked.
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
	tokenURL := flag.String("token-url", os.Getenv("OAUTH2_TOKEN_URL"), "token endpoint URL")
	revocationURL := flag.String("revocation-url", os.Getenv("OAUTH2_REVOCATION_URL"), "revocation endpoint URL")
	clientID := flag.String("client-id", os.Getenv("OAUTH2_CLIENT_ID"), "client ID")
	secret := flag.String("client-secret", os.Getenv("OAUTH2_CLIENT_SECRET"), "client secret")
	scopes := flag.String("scopes", os.Getenv("OAUTH2_SCOPES"), "space-separated scopes, when a token must be obtained first")
	hint := flag.String("hint", "", `token_type_hint: "access_token" or "refresh_token"`)
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	if *issuer == "" && *revocationURL == "" {
		demo(ctx)
		return
	}
	cfg := &oauth2flows.Config{ClientID: *clientID, ClientSecret: *secret, Scopes: strings.Fields(*scopes)}
	if *issuer != "" {
		md, err := oauth2flows.Discover(ctx, *issuer)
		if err != nil {
			log.Fatal(err)
		}
		cfg.Endpoint = md.Endpoint()
	}
	if *tokenURL != "" {
		cfg.Endpoint.TokenURL = *tokenURL
	}
	if *revocationURL != "" {
		cfg.Endpoint.RevocationURL = *revocationURL
	}
	token := os.Getenv("OAUTH2_TOKEN")
	if token == "" {
		tok, err := oauth2flows.ClientCredentials(ctx, cfg)
		if err != nil {
			log.Fatal(err)
		}
		token, *hint = tok.AccessToken, "access_token"
		fmt.Println("no OAUTH2_TOKEN given: revoking a fresh client credentials token")
	}
	var opts []oauth2flows.Option
	if *hint != "" {
		opts = append(opts, oauth2flows.WithTokenTypeHint(*hint))
	}
	if err := oauth2flows.Revoke(ctx, cfg, token, opts...); err != nil {
		var oerr *oauth2flows.Error
		if errors.As(err, &oerr) && oerr.RetryAfter > 0 {
			log.Fatalf("%v: try again in %s", err, oerr.RetryAfter)
		}
		log.Fatal(err)
	}
	fmt.Println("revoked")
}

// demo signs a user in on an embedded server, revokes the refresh token and
// shows that it is dead.
func demo(ctx context.Context) {
	const redirect = "http://127.0.0.1/callback"
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "web-app", Secret: "web-secret", RedirectURIs: []string{redirect}}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice"}),
	)
	defer srv.Close()
	fmt.Println("no provider given: using an embedded test server at", srv.URL())
	cfg := &oauth2flows.Config{
		ClientID: "web-app", ClientSecret: "web-secret", Endpoint: srv.Endpoint(),
		RedirectURL: redirect, Scopes: []string{"openid", "read"},
	}

	tok, err := signIn(ctx, srv, cfg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("alice signed in")
	if err := oauth2flows.Revoke(ctx, cfg, tok.RefreshToken, oauth2flows.WithTokenTypeHint("refresh_token")); err != nil {
		log.Fatal(err)
	}
	fmt.Println("revoked the refresh token")

	_, err = oauth2flows.Refresh(ctx, cfg, tok.RefreshToken)
	if !errors.Is(err, oauth2flows.ErrReauthRequired) {
		log.Fatalf("refresh after revocation: want invalid_grant, got %v", err)
	}
	fmt.Println("refreshing it now fails:", err)

	// RFC 7009 §2.2: a token the server does not know is revoked "successfully".
	if err := oauth2flows.Revoke(ctx, cfg, "no-such-token"); err != nil {
		log.Fatal(err)
	}
	fmt.Println("revoking an unknown token: success")
}

// signIn runs the authorization code grant with PKCE (RFC 6749 §4.1,
// RFC 7636), the embedded server playing the user's browser.
func signIn(ctx context.Context, srv *oauth2flowstest.Server, cfg *oauth2flows.Config) (*oauth2flows.Token, error) {
	state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
	callback, err := srv.Authorize(ctx, oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(verifier)))
	if err != nil {
		return nil, err
	}
	code, err := oauth2flows.ParseCallbackURL(cfg, callback.String(), state)
	if err != nil {
		return nil, err
	}
	return oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
}
