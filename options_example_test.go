package oauth2flows_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// optionsServer is a test server with one confidential client, and the
// Config of that client.
func optionsServer(opts ...oauth2flowstest.Option) (*oauth2flowstest.Server, *oauth2flows.Config) {
	srv := oauth2flowstest.NewServer(append([]oauth2flowstest.Option{
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"})}, opts...)...)
	return srv, &oauth2flows.Config{ClientID: "api-a", ClientSecret: "api-a-secret", Endpoint: srv.Endpoint(),
		Scopes: []string{"default.read"}}
}

// lastForm is the form of the last token request srv received.
func lastForm(srv *oauth2flowstest.Server, endpoint string) url.Values {
	reqs := srv.RequestsTo(endpoint)
	return reqs[len(reqs)-1].Form
}

// WithScopes replaces Config.Scopes for one call.
func ExampleWithScopes() {
	srv, cfg := optionsServer()
	defer srv.Close()

	tok, err := oauth2flows.ClientCredentials(context.Background(), cfg, oauth2flows.WithScopes("reports.read", "reports.write"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("sent:", lastForm(srv, oauth2flowstest.EndpointToken).Get("scope"))
	fmt.Println("granted:", tok.Scopes())
	// Output:
	// sent: reports.read reports.write
	// granted: [reports.read reports.write]
}

// WithParam adds a parameter the SDK has no option for; it cannot replace
// one the grant sets itself.
func ExampleWithParam() {
	cfg := &oauth2flows.Config{ClientID: "web", Endpoint: oauth2flows.Endpoint{AuthURL: "https://login.example.com/authorize"},
		RedirectURL: "https://app.example.com/callback"}

	u, _ := url.Parse(oauth2flows.AuthCodeURL(cfg, "st", oauth2flows.WithParam("prompt", "select_account")))
	fmt.Println(u.Query().Get("prompt"))
	// Output:
	// select_account
}

// WithAudience names the API a token exchange is for (RFC 8693 §2.1), as
// Auth0 requires.
func ExampleWithAudience() {
	srv, cfg := optionsServer()
	defer srv.Close()
	incoming := srv.IssueAccessToken("alice", "api://api-a")

	if _, err := oauth2flows.TokenExchange(context.Background(), cfg, incoming, oauth2flows.WithAudience("https://orders.example.com")); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(lastForm(srv, oauth2flowstest.EndpointToken).Get("audience"))
	// Output:
	// https://orders.example.com
}

// WithResource names the target by URI (RFC 8707), as Entra's v1 endpoints
// expect.
func ExampleWithResource() {
	srv, cfg := optionsServer()
	defer srv.Close()

	if _, err := oauth2flows.ClientCredentials(context.Background(), cfg, oauth2flows.WithResource("https://graph.example.com")); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(lastForm(srv, oauth2flowstest.EndpointToken).Get("resource"))
	// Output:
	// https://graph.example.com
}

// WithActorToken makes a delegation exchange (RFC 8693 §4.1): the issued
// token says who acts for the user.
func ExampleWithActorToken() {
	srv, cfg := optionsServer()
	defer srv.Close()
	user := srv.IssueAccessToken("alice", "api://api-a")
	actor := srv.IssueAccessToken("api-a", "api://api-a")

	_, err := oauth2flows.TokenExchange(context.Background(), cfg, user,
		oauth2flows.WithActorToken(actor, oauth2flows.TokenTypeAccessToken))
	if err != nil {
		fmt.Println(err)
		return
	}
	form := lastForm(srv, oauth2flowstest.EndpointToken)
	fmt.Println(form.Get("actor_token_type"))
	// Output:
	// urn:ietf:params:oauth:token-type:access_token
}

// WithRequestedTokenType asks a token exchange for a given kind of token
// (RFC 8693 §2.1); the response says which kind it issued.
func ExampleWithRequestedTokenType() {
	srv, cfg := optionsServer()
	defer srv.Close()
	incoming := srv.IssueAccessToken("alice", "api://api-a")

	tok, err := oauth2flows.TokenExchange(context.Background(), cfg, incoming,
		oauth2flows.WithRequestedTokenType(oauth2flows.TokenTypeAccessToken))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.IssuedTokenType)
	// Output:
	// urn:ietf:params:oauth:token-type:access_token
}

// WithSubjectTokenType says what the subject token of an exchange is; the
// default is an access token.
func ExampleWithSubjectTokenType() {
	srv, cfg := optionsServer()
	defer srv.Close()
	incoming := srv.IssueAccessToken("alice", "api://api-a")

	if _, err := oauth2flows.TokenExchange(context.Background(), cfg, incoming,
		oauth2flows.WithSubjectTokenType(oauth2flows.TokenTypeJWT)); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(lastForm(srv, oauth2flowstest.EndpointToken).Get("subject_token_type"))
	// Output:
	// urn:ietf:params:oauth:token-type:jwt
}

// WithTokenTypeHint tells the revocation endpoint which kind of token it
// gets (RFC 7009 §2.1).
func ExampleWithTokenTypeHint() {
	srv, cfg := optionsServer()
	defer srv.Close()
	tok, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}

	err = oauth2flows.Revoke(context.Background(), cfg, tok.AccessToken, oauth2flows.WithTokenTypeHint("access_token"))
	fmt.Println(err, lastForm(srv, oauth2flowstest.EndpointRevoke).Get("token_type_hint"))
	// Output:
	// <nil> access_token
}

// WithPKCE puts the S256 challenge of a verifier in the authorization URL
// (RFC 7636 §4.3); ExchangeCode takes the same option to send the verifier.
func ExampleWithPKCE() {
	cfg := &oauth2flows.Config{ClientID: "web", Endpoint: oauth2flows.Endpoint{AuthURL: "https://login.example.com/authorize"},
		RedirectURL: "https://app.example.com/callback"}
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // NewVerifier in real code

	u, _ := url.Parse(oauth2flows.AuthCodeURL(cfg, "st", oauth2flows.WithPKCE(verifier)))
	fmt.Println(u.Query().Get("code_challenge_method"), u.Query().Get("code_challenge"))
	fmt.Println(oauth2flows.S256Challenge(verifier) == u.Query().Get("code_challenge"))
	// Output:
	// S256 E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM
	// true
}

// S256Challenge is the code_challenge of a verifier (RFC 7636 §4.2), for a
// server or a test that checks one.
func ExampleS256Challenge() {
	fmt.Println(oauth2flows.S256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
	// Output:
	// E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM
}

// NewState returns an unguessable state for one authorization request;
// keep it in the user's session and give it back to ParseCallback.
func ExampleNewState() {
	a, b := oauth2flows.NewState(), oauth2flows.NewState()
	fmt.Println(len(a) >= 22, a != b, !strings.ContainsAny(a, "+/="))
	// Output:
	// true true true
}

// BuildAuthCodeURL is AuthCodeURL that says why it refuses.
func ExampleBuildAuthCodeURL() {
	cfg := &oauth2flows.Config{ClientID: "web", Endpoint: oauth2flows.Endpoint{AuthURL: "http://login.example.com/authorize"},
		RedirectURL: "https://app.example.com/callback"}

	_, err := oauth2flows.BuildAuthCodeURL(cfg, oauth2flows.NewState())
	fmt.Println(err != nil)

	cfg.Endpoint.AuthURL = "https://login.example.com/authorize"
	u, err := oauth2flows.BuildAuthCodeURL(cfg, "st")
	fmt.Println(err, strings.HasPrefix(u, "https://login.example.com/authorize?"))
	// Output:
	// true
	// <nil> true
}
