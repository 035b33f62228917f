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

// exampleOIDCServer is a test OpenID provider with the web app "my-app" and the
// user alice, and the app's Config, whose KeySet verifies its ID tokens.
func exampleOIDCServer() (*oauth2flowstest.Server, *oauth2flows.Config) {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "my-app", Secret: "my-secret",
			RedirectURIs: []string{"https://app.example.com/callback"}}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Subject: "alice-sub", Username: "alice"}),
	)
	cfg := &oauth2flows.Config{
		ClientID: "my-app", ClientSecret: "my-secret",
		Endpoint:    srv.Endpoint(),
		RedirectURL: "https://app.example.com/callback",
		Scopes:      []string{"openid", "profile"},
	}
	cfg.KeySet = oauth2flows.NewKeySet(cfg.Endpoint.JWKSURL, nil)
	return srv, cfg
}

// signInAlice runs the sign-in of alice with nonce, as her browser and the app's
// redirect handler do, and returns the code and the token response.
func signInAlice(srv *oauth2flowstest.Server, cfg *oauth2flows.Config, nonce string, opts ...oauth2flows.Option) (string, *oauth2flows.Token) {
	ctx := context.Background()
	state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
	opts = append(opts, oauth2flows.WithPKCE(verifier), oauth2flows.WithNonce(nonce))
	callback, err := srv.Authorize(ctx, oauth2flows.AuthCodeURL(cfg, state, opts...))
	if err != nil {
		log.Fatal(err)
	}
	code, err := oauth2flows.ParseCallbackURL(cfg, callback.String(), state)
	if err != nil {
		log.Fatal(err)
	}
	tok, err := oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
	if err != nil {
		log.Fatal(err)
	}
	return code, tok
}

// Signing a user in with OpenID Connect: a fresh nonce per sign-in, kept in
// the session with the state, sent with the request and required in the
// ID token, so that a replayed or injected ID token is refused.
func ExampleNewNonce() {
	srv, cfg := exampleOIDCServer()
	defer srv.Close()
	ctx := context.Background()

	// The sign-in handler: keep state, verifier and nonce in the session.
	state, verifier, nonce := oauth2flows.NewState(), oauth2flows.NewVerifier(), oauth2flows.NewNonce()
	authURL := oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(verifier), oauth2flows.WithNonce(nonce))

	callback, err := srv.Authorize(ctx, authURL) // the user's browser
	if err != nil {
		log.Fatal(err)
	}

	// The redirect handler.
	code, err := oauth2flows.ParseCallbackURL(cfg, callback.String(), state)
	if err != nil {
		log.Fatal(err)
	}
	tok, err := oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
	if err != nil {
		log.Fatal(err)
	}
	claims, err := tok.VerifyIDToken(ctx, cfg, nonce)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed in:", claims.Subject)
	// Output: signed in: alice-sub
}

// The nonce goes in the authorization request's query.
func ExampleWithNonce() {
	cfg := &oauth2flows.Config{
		ClientID:    "my-app",
		Endpoint:    oauth2flows.Endpoint{AuthURL: "https://issuer.example.com/authorize"},
		RedirectURL: "https://app.example.com/callback",
		Scopes:      []string{"openid"},
	}
	nonce := "n-0S6_WzA2Mj" // oauth2flows.NewNonce(), kept in the session
	fmt.Println(oauth2flows.AuthCodeURL(cfg, "af0ifjsldkj", oauth2flows.WithNonce(nonce)))
	// Output:
	// https://issuer.example.com/authorize?client_id=my-app&nonce=n-0S6_WzA2Mj&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&response_type=code&scope=openid&state=af0ifjsldkj
}

// What the app learns from a verified ID token: who signed in, with which
// client, in which session.
func ExampleIDTokenClaims() {
	srv, cfg := exampleOIDCServer()
	defer srv.Close()
	nonce := oauth2flows.NewNonce()
	_, tok := signInAlice(srv, cfg, nonce)

	claims, err := tok.VerifyIDToken(context.Background(), cfg, nonce)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("user:", claims.Subject)
	fmt.Println("for:", claims.Audience)
	fmt.Println("nonce matches:", claims.Nonce == nonce)
	fmt.Println("expires after it was issued:", claims.Expiry.After(claims.IssuedAt))
	// Output:
	// user: alice-sub
	// for: [my-app]
	// nonce matches: true
	// expires after it was issued: true
}

// Claims that IDTokenClaims does not name, such as a provider's own or the
// profile's, decoded into a struct of the app's.
func ExampleIDTokenClaims_Claims() {
	srv, cfg := exampleOIDCServer()
	defer srv.Close()
	nonce := oauth2flows.NewNonce()
	_, tok := signInAlice(srv, cfg, nonce)
	claims, err := tok.VerifyIDToken(context.Background(), cfg, nonce)
	if err != nil {
		log.Fatal(err)
	}

	var profile struct {
		PreferredUsername string `json:"preferred_username"`
	}
	if err := claims.Claims(&profile); err != nil {
		log.Fatal(err)
	}
	fmt.Println(profile.PreferredUsername)
	// Output: alice
}

// An ID token that carries "c_hash" is bound to the code it came with: check
// it against that code.
func ExampleIDTokenClaims_VerifyCodeHash() {
	srv, cfg := exampleOIDCServer()
	defer srv.Close()
	nonce := oauth2flows.NewNonce()
	code, tok := signInAlice(srv, cfg, nonce)
	claims, err := tok.VerifyIDToken(context.Background(), cfg, nonce)
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println(claims.VerifyCodeHash(code))
	fmt.Println(claims.VerifyCodeHash("another-code") != nil)
	// Output:
	// <nil>
	// true
}

// A sensitive action asks for a recent sign-in: max_age in the request, then
// auth_time checked in the ID token.
func ExampleIDTokenClaims_VerifyAuthTime() {
	srv, cfg := exampleOIDCServer()
	defer srv.Close()
	nonce := oauth2flows.NewNonce()
	_, tok := signInAlice(srv, cfg, nonce, oauth2flows.WithParam("max_age", "300"))
	claims, err := tok.VerifyIDToken(context.Background(), cfg, nonce)
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println(claims.VerifyAuthTime(5 * time.Minute))
	// Output: <nil>
}

// An ID token refused: here its nonce is not the one of this session, as
// when an attacker replays a token from another sign-in.
func ExampleIDTokenError() {
	srv, cfg := exampleOIDCServer()
	defer srv.Close()
	_, tok := signInAlice(srv, cfg, oauth2flows.NewNonce())

	_, err := tok.VerifyIDToken(context.Background(), cfg, "the-nonce-of-this-session")
	var ie *oauth2flows.IDTokenError
	if errors.As(err, &ie) {
		fmt.Println("refused:", ie.Reason)
	}
	// Output: refused: nonce
}

// The user's profile from the userinfo endpoint, checked to be about the
// user of the verified ID token.
func ExampleUserInfo() {
	srv, cfg := exampleOIDCServer()
	defer srv.Close()
	ctx := context.Background()
	nonce := oauth2flows.NewNonce()
	_, tok := signInAlice(srv, cfg, nonce)
	claims, err := tok.VerifyIDToken(ctx, cfg, nonce)
	if err != nil {
		log.Fatal(err)
	}

	info, err := oauth2flows.UserInfo(ctx, cfg, tok, claims.Subject)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Subject, info.PreferredUsername)
	// Output: alice-sub alice
}

// Every claim of a userinfo response, beyond those UserInfoClaims names.
func ExampleUserInfoClaims_Claims() {
	srv, cfg := exampleOIDCServer()
	defer srv.Close()
	ctx := context.Background()
	nonce := oauth2flows.NewNonce()
	_, tok := signInAlice(srv, cfg, nonce)
	claims, err := tok.VerifyIDToken(ctx, cfg, nonce)
	if err != nil {
		log.Fatal(err)
	}
	info, err := oauth2flows.UserInfo(ctx, cfg, tok, claims.Subject)
	if err != nil {
		log.Fatal(err)
	}

	var all map[string]any
	if err := info.Claims(&all); err != nil {
		log.Fatal(err)
	}
	fmt.Println(all["sub"])
	// Output: alice-sub
}

// One KeySet per issuer, shared by every verification: fetched once, kept
// for an hour, fetched again when a token names a new key.
func ExampleNewKeySet() {
	srv, cfg := exampleOIDCServer()
	defer srv.Close()
	cfg.KeySet = oauth2flows.NewKeySet(cfg.Endpoint.JWKSURL, nil) // at start-up

	for range 3 {
		nonce := oauth2flows.NewNonce()
		_, tok := signInAlice(srv, cfg, nonce)
		if _, err := tok.VerifyIDToken(context.Background(), cfg, nonce); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("key set fetches:", len(srv.RequestsTo(oauth2flowstest.EndpointJWKS)))
	// Output: key set fetches: 1
}

// The key set's URL, e.g. to log which issuer's keys a service trusts.
func ExampleKeySet_URL() {
	ks := oauth2flows.NewKeySet("https://login.microsoftonline.com/common/discovery/v2.0/keys", nil)
	fmt.Println(ks.URL())
	// Output: https://login.microsoftonline.com/common/discovery/v2.0/keys
}
