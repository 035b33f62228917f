package oauth2flows_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// FAPI 2.0 Message Signing: the request is a signed request object (JAR)
// pushed with PAR, and the response comes back signed (JARM). The client
// authenticates with private_key_jwt, audience the issuer, and its tokens
// are DPoP-bound.
func ExampleConfig_requestObjectKey() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader) // the client's registered key
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "bank-app", PublicKey: &key.PublicKey,
			AuthMethod: oauth2flowstest.AuthPrivateKeyJWT, RequireSignedRequestObject: true,
			RedirectURIs: []string{"https://app.example/callback"}}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice"}),
		oauth2flowstest.WithPARRequired(), oauth2flowstest.WithDPoPNonce(),
	)
	defer srv.Close()
	dpopKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cfg := &oauth2flows.Config{ClientID: "bank-app", PrivateKey: key, AssertionAudience: oauth2flows.AudienceIssuer,
		RequestObjectKey: key, ResponseMode: "jwt", DPoPKey: dpopKey,
		Endpoint: srv.Endpoint(), RedirectURL: "https://app.example/callback", Scopes: []string{"openid"}}
	cfg.Endpoint.JWKSURL = srv.URL() + "/jwks" // Discover fills it

	ctx := context.Background()
	state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
	authURL, err := oauth2flows.PushAuthCodeURL(ctx, cfg, state, oauth2flows.WithPKCE(verifier))
	if err != nil {
		fmt.Println(err)
		return
	}
	pushed := srv.RequestsTo(oauth2flowstest.EndpointPAR)[0].Form
	fmt.Println("pushed: request object:", pushed.Has("request"), "state outside it:", pushed.Has("state"))

	redirect, _ := srv.Authorize(ctx, authURL) // the user's browser
	fmt.Println("the response is one JWT:", redirect.Query().Has("response") && !redirect.Query().Has("code"))
	code, err := oauth2flows.ParseCallbackURL(cfg, redirect.String(), state)
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("token type:", tok.TokenType)
	// Output:
	// pushed: request object: true state outside it: false
	// the response is one JWT: true
	// token type: DPoP
}
