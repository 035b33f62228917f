package oauth2flows_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"log"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// A FAPI 2.0 sign-in with a verified ID token (OpenID Connect Core
// §3.1.3.7), against oauth2flowstest playing a FAPI 2.0 server: pushed
// authorization request with PKCE and a nonce, private_key_jwt with the
// issuer as audience, DPoP-bound tokens with server nonces, then the ID
// token verified and the userinfo checked against it.
func ExampleToken_VerifyIDToken() {
	ctx := context.Background()
	clientKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader) // registered with the server
	dpopKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithFAPI2(),
		oauth2flowstest.WithDPoPNonce(),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "my-app", PublicKey: clientKey.Public(),
			RedirectURIs: []string{"http://127.0.0.1/callback"}}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice"}),
	)
	defer srv.Close()

	md, err := oauth2flows.Discover(ctx, srv.URL())
	if err != nil {
		log.Fatal(err)
	}
	cfg := &oauth2flows.Config{
		ClientID:          "my-app",
		Endpoint:          md.Endpoint(),
		RedirectURL:       "http://127.0.0.1/callback",
		Scopes:            []string{"openid"},
		KeySet:            oauth2flows.NewKeySet(md.JWKSURI, nil),
		PrivateKey:        clientKey,
		AssertionAudience: oauth2flows.AudienceIssuer,
		DPoPKey:           dpopKey,
		IDTokenAlgs:       oauth2flows.FAPI2Algs(),
	}

	// The sign-in request; state, verifier and nonce stay in the session.
	state, verifier, nonce := oauth2flows.NewState(), oauth2flows.NewVerifier(), oauth2flows.NewNonce()
	authURL, err := oauth2flows.PushAuthCodeURL(ctx, cfg, state, oauth2flows.WithPKCE(verifier), oauth2flows.WithNonce(nonce))
	if err != nil {
		log.Fatal(err)
	}
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
	info, err := oauth2flows.UserInfo(ctx, cfg, tok, claims.Subject)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed in:", claims.Subject, "as", info.PreferredUsername)
	fmt.Println("token type:", tok.TokenType)
	// Output:
	// signed in: alice as alice
	// token type: DPoP
}

// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): send the
// browser to the URL; the server ends the session and sends the user back
// to a registered post-logout URI with the state.
func ExampleLogoutURL() {
	cfg := &oauth2flows.Config{
		ClientID: "my-app",
		Endpoint: oauth2flows.Endpoint{EndSessionURL: "https://issuer.example.com/session/end"},
	}
	u, err := oauth2flows.LogoutURL(cfg, "eyJ...the-id-token", "https://app.example.com/signed-out", "af0ifjsldkj")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u)
	// Output:
	// https://issuer.example.com/session/end?client_id=my-app&id_token_hint=eyJ...the-id-token&post_logout_redirect_uri=https%3A%2F%2Fapp.example.com%2Fsigned-out&state=af0ifjsldkj
}
