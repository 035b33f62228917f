package oauth2flows_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// Deciding whether to renew before a long call: a token that expires
// within the call's duration is renewed first.
func ExampleToken_ExpiresWithin() {
	tok := &oauth2flows.Token{Token: oauth2.Token{AccessToken: "at", Expiry: time.Now().Add(2 * time.Minute)}}
	fmt.Println(tok.ExpiresWithin(time.Minute), tok.ExpiresWithin(5*time.Minute))
	// Output: false true
}

// The scopes the server granted, which may be fewer than asked for (RFC
// 6749 §3.3).
func ExampleToken_Scopes() {
	tok := &oauth2flows.Token{Scope: "orders.read orders.write"}
	fmt.Println(tok.Scopes())
	// Output: [orders.read orders.write]
}

// A token is sent as a bearer only when it is one: not a DPoP-bound token,
// not a SAML assertion from On-Behalf-Of.
func ExampleToken_IsBearer() {
	bearer := &oauth2flows.Token{Token: oauth2.Token{AccessToken: "at", TokenType: "Bearer"}}
	dpop := &oauth2flows.Token{Token: oauth2.Token{AccessToken: "at", TokenType: "DPoP"}}
	fmt.Println(bearer.IsBearer(), dpop.IsBearer())
	// Output: true false
}

// Reading the token a Transport sends, e.g. to hand it to a client that is
// not an http.Client: the same token, renewed when it must be.
func ExampleTransport_Token() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "billing-job", Secret: "job-secret"}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "billing-job", ClientSecret: "job-secret", Endpoint: srv.Endpoint()}
	t := oauth2flows.NewTransport(oauth2flows.ClientCredentialsSource(cfg))

	first, err := t.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	second, err := t.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(first.AccessToken == second.AccessToken, len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output: true 1
}

// An API that calls a SAML service on the user's behalf: On-Behalf-Of with
// WithRequestedTokenType(TokenTypeSAML2) returns the assertion in the token,
// and SAMLAssertion decodes it. (The token here stands for Entra's answer.)
func ExampleSAMLAssertion() {
	tok := &oauth2flows.Token{
		Token:           oauth2.Token{AccessToken: base64.RawURLEncoding.EncodeToString([]byte(`<saml:Assertion ID="_a1"/>`))},
		IssuedTokenType: oauth2flows.TokenTypeSAML2,
	}
	xml, err := oauth2flows.SAMLAssertion(tok)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(xml))
	// Output: <saml:Assertion ID="_a1"/>
}

// A token that is not a SAML assertion, such as a bearer access token.
func ExampleSAMLError() {
	_, err := oauth2flows.SAMLAssertion(&oauth2flows.Token{Token: oauth2.Token{AccessToken: "eyJ...", TokenType: "Bearer"}})
	var se *oauth2flows.SAMLError
	fmt.Println(errors.As(err, &se))
	// Output: true
}
