package oauth2flows_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// A downstream API that needs more of the user (MFA, a compliant device)
// makes the exchange fail with a claims challenge; the middle tier hands it
// back to its caller, whose next token satisfies it.
func ExampleClaimsFromError() {
	srv, cfg := optionsServer()
	defer srv.Close()
	challenge := `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusBadRequest,
		Body: oauth2flowstest.EntraError("interaction_required", "AADSTS50076: MFA required", challenge)})

	_, err := oauth2flows.OnBehalfOf(context.Background(), cfg, srv.IssueAccessToken("alice", "api://api-a"))
	claims, ok := oauth2flows.ClaimsFromError(err)
	fmt.Println(ok, claims == challenge, errors.Is(err, oauth2flows.ErrReauthRequired))
	// Output:
	// true true true
}

// The middle tier answers its caller 401 with the challenge; the caller's
// library reads it back.
func ExampleWriteClaimsChallenge() {
	rec := httptest.NewRecorder()
	oauth2flows.WriteClaimsChallenge(rec, `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`)

	claims, ok := oauth2flows.ParseClaimsChallenge(rec.Header().Get("WWW-Authenticate"))
	fmt.Println(rec.Code, ok, claims)
	// Output:
	// 401 true {"access_token":{"acrs":{"essential":true,"value":"c1"}}}
}

// A client of a middle tier reads the claims it must ask for.
func ExampleParseClaimsChallenge() {
	header := `Bearer error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiYzEifX19"`
	claims, ok := oauth2flows.ParseClaimsChallenge(header)
	fmt.Println(ok, claims)
	// Output:
	// true {"access_token":{"acrs":{"essential":true,"value":"c1"}}}
}

// The caller signs in again with the claims, and the middle tier passes the
// same claims on with the exchange.
func ExampleWithClaims() {
	srv, cfg := optionsServer()
	defer srv.Close()
	claims := `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`

	_, err := oauth2flows.OnBehalfOf(context.Background(), cfg, srv.IssueAccessToken("alice", "api://api-a"), oauth2flows.WithClaims(claims))
	fmt.Println(err, lastForm(srv, oauth2flowstest.EndpointToken).Get("claims") == claims)
	// Output:
	// <nil> true
}

// One user's On-Behalf-Of token, renewed with the same assertion while it
// lasts; a Transport over it calls the downstream API.
func ExampleOnBehalfOfSource() {
	srv, cfg := optionsServer()
	defer srv.Close()
	api := echoAuth()
	defer api.Close()

	src := oauth2flows.OnBehalfOfSource(cfg, srv.IssueAccessToken("alice", "api://api-a"))
	client := &http.Client{Transport: oauth2flows.NewTransport(src)}
	resp, err := client.Get(api.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(readAll(resp), lastForm(srv, oauth2flowstest.EndpointToken).Get("requested_token_use"))
	// Output:
	// Bearer on_behalf_of
}

// The RFC 8693 form of the same: Auth0, Okta, Keycloak.
func ExampleTokenExchangeSource() {
	srv, cfg := optionsServer()
	defer srv.Close()

	src := oauth2flows.TokenExchangeSource(cfg, srv.IssueAccessToken("alice", "api://api-a"), oauth2flows.WithAudience("https://orders.example.com"))
	tok, err := src.Token(context.Background())
	fmt.Println(err, tok.IssuedTokenType)
	// Output:
	// <nil> urn:ietf:params:oauth:token-type:access_token
}

// A middle tier's cache of exchanged tokens, one per user and scope set.
func ExampleNewOBOCache() {
	srv, cfg := optionsServer()
	defer srv.Close()
	cache := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheSize(50_000))

	alice, bob := srv.IssueAccessToken("alice", "api://api-a"), srv.IssueAccessToken("bob", "api://api-a")
	for _, incoming := range []string{alice, bob, alice, bob} {
		if _, err := cache.Token(context.Background(), incoming); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println("token requests:", len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output:
	// token requests: 2
}

// WithCacheSize bounds the cache: about users × scope sets in use. The
// least recently used entries go first.
func ExampleWithCacheSize() {
	srv, cfg := optionsServer()
	defer srv.Close()
	cache := oauth2flows.NewOBOCache(cfg, oauth2flows.WithCacheSize(1))

	alice, bob := srv.IssueAccessToken("alice", "api://api-a"), srv.IssueAccessToken("bob", "api://api-a")
	for _, incoming := range []string{alice, bob, alice} {
		if _, err := cache.Token(context.Background(), incoming); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println("token requests:", len(srv.RequestsTo(oauth2flowstest.EndpointToken)))
	// Output:
	// token requests: 3
}

// The cache over RFC 8693 token exchange instead of Entra's On-Behalf-Of.
func ExampleWithTokenExchangeGrant() {
	srv, cfg := optionsServer()
	defer srv.Close()
	cache := oauth2flows.NewOBOCache(cfg, oauth2flows.WithTokenExchangeGrant())

	if _, err := cache.Token(context.Background(), srv.IssueAccessToken("alice", "api://api-a")); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(lastForm(srv, oauth2flowstest.EndpointToken).Get("grant_type"))
	// Output:
	// urn:ietf:params:oauth:grant-type:token-exchange
}

// Behind OBOCache.Middleware, a handler calls the downstream API with the
// client it finds in its request's context.
func ExampleDownstreamClient() {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, ok := oauth2flows.DownstreamClient(r.Context())
		if !ok {
			http.Error(w, "not behind OBOCache.Middleware", http.StatusInternalServerError)
			return
		}
		_ = client // client.Get("https://graph.example.com/me") sends the user's exchanged token
	})
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println(rec.Code)
	// Output:
	// 500
}

// Discovery metadata as a Config's Endpoint.
func ExampleMetadata_Endpoint() {
	srv := oauth2flowstest.NewServer()
	defer srv.Close()

	md, err := oauth2flows.Discover(context.Background(), srv.URL())
	if err != nil {
		fmt.Println(err)
		return
	}
	ep := md.Endpoint()
	fmt.Println(ep.TokenURL == srv.URL()+"/token", ep.Issuer == srv.URL())
	// Output:
	// true true
}

// A DiscoveryCache shares one fetch per issuer among its callers and keeps
// the metadata for its TTL.
func ExampleDiscoveryCache() {
	srv := oauth2flowstest.NewServer()
	defer srv.Close()
	var cache oauth2flows.DiscoveryCache // the zero value is ready

	for range 3 {
		if _, err := cache.Discover(context.Background(), srv.URL()); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println("fetches:", len(srv.RequestsTo(oauth2flowstest.EndpointDiscovery)))
	// Output:
	// fetches: 1
}

// The token's granted scopes, type and lifetime.
func ExampleToken() {
	srv, cfg := optionsServer()
	defer srv.Close()

	tok, err := oauth2flows.ClientCredentials(context.Background(), cfg, oauth2flows.WithScopes("a", "b"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.Scopes(), tok.IsBearer(), tok.ExpiresWithin(0))
	// Output:
	// [a b] true false
}

// The client authentication method, by its RFC 8414 name.
func ExampleAuthMethod() {
	fmt.Println(oauth2flows.PrivateKeyJWT, oauth2flows.ClientSecretBasic, oauth2flows.TLSClientAuth)
	// Output:
	// private_key_jwt client_secret_basic tls_client_auth
}
