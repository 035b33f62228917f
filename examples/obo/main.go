// Command obo plays the whole On-Behalf-Of story of a middle-tier API:
//
//	Client --(1) token for API A--> authorization server
//	Client --(2) call with it-----> API A
//	API A  --(3) exchange it on behalf of the user--> authorization server
//	API A  --(4) call with the new token-----------> API B
//
// With no flags everything runs in this process: an embedded
// oauth2flowstest authorization server, API A and API B as real HTTP
// servers on loopback. Both APIs validate the tokens they receive with a
// Validator (keys from the server's discovery); API A is
// validator.Middleware(cache.Middleware(handler)). It then shows a forged
// token refused before any exchange, the SAML variant, and the claims
// challenge that conditional access (MFA) causes.
//
// Against real Microsoft Entra ID, as a notebook a user runs against Entra
// would (it prints the access, refresh and id tokens' claims, never the
// tokens):
//
//	go run ./examples/obo -tenant TENANT -client-id API_A_ID -client-secret SECRET \
//	    -assertion "$INCOMING_ACCESS_TOKEN" \
//	    -scope "openid offline_access https://graph.microsoft.com/.default" [-saml2|-saml1]
//
// Secretless, on a pod with Entra workload identity: leave -client-secret
// out and give the federated token file (by default
// $AZURE_FEDERATED_TOKEN_FILE); it is re-read whenever the kubelet renews it:
//
//	go run ./examples/obo -tenant TENANT -client-id API_A_ID \
//	    -federated-token-file /var/run/secrets/azure/tokens/azure-identity-token \
//	    -assertion "$INCOMING_ACCESS_TOKEN" -scope "https://graph.microsoft.com/.default"
//
// Against Auth0 (RFC 8693 token exchange):
//
//	go run ./examples/obo -auth0-domain example.us.auth0.com -audience https://api-b.example.com \
//	    -client-id ID -client-secret SECRET -assertion "$INCOMING_ACCESS_TOKEN"
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/resource"
)

func main() {
	var f flags
	flag.StringVar(&f.tenant, "tenant", "", "Entra tenant ID or domain")
	flag.StringVar(&f.auth0Domain, "auth0-domain", "", "Auth0 tenant domain")
	flag.StringVar(&f.audience, "audience", "", "Auth0: audience of the downstream API")
	flag.StringVar(&f.clientID, "client-id", os.Getenv("OBO_CLIENT_ID"), "the middle tier's client ID")
	flag.StringVar(&f.clientSecret, "client-secret", os.Getenv("OBO_CLIENT_SECRET"), "the middle tier's client secret")
	flag.StringVar(&f.federatedTokenFile, "federated-token-file", os.Getenv("AZURE_FEDERATED_TOKEN_FILE"),
		"Entra: authenticate with this federated token (workload identity) instead of a client secret")
	flag.StringVar(&f.assertion, "assertion", os.Getenv("OBO_ASSERTION"), "the access token the middle tier received")
	flag.StringVar(&f.scope, "scope", "", "space-separated scopes of the downstream API")
	flag.BoolVar(&f.saml1, "saml1", false, "ask Entra for a SAML 1.1 assertion")
	flag.BoolVar(&f.saml2, "saml2", false, "ask Entra for a SAML 2.0 assertion")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var err error
	switch {
	case f.tenant != "":
		err = realEntra(ctx, f)
	case f.auth0Domain != "":
		err = realAuth0(ctx, f)
	default:
		err = embedded(ctx)
	}
	if err != nil {
		log.Fatal(err)
	}
}

type flags struct {
	tenant, auth0Domain, audience, clientID, clientSecret, assertion, scope string
	federatedTokenFile                                                      string
	saml1, saml2                                                            bool
}

// embedded runs the story against the in-process server.
func embedded(ctx context.Context) error {
	const (
		apiAID     = "api-a" // the middle tier, a confidential client
		apiASecret = "api-a-secret"
	)
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "spa", AuthMethod: oauth2flowstest.AuthNone,
			RedirectURIs: []string{"http://127.0.0.1/callback"}}),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: apiAID, Secret: apiASecret}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Subject: "alice", Username: "alice@example.com", Password: "unused"}),
	)
	defer srv.Close()
	fmt.Println("authorization server (embedded oauth2flowstest):", srv.URL())

	// Both APIs validate the token they receive (signature, issuer,
	// audience, lifetime, scope) with keys from the authorization server's
	// discovery document, instead of trusting it.
	validatorB, err := resource.NewValidator(ctx, resource.Config{
		Issuer: srv.URL(), Audiences: []string{"api://api-b"}, RequiredScopes: []string{"orders.read"}})
	if err != nil {
		return err
	}
	validatorA, err := resource.NewValidator(ctx, resource.Config{
		Issuer: srv.URL(), Audiences: []string{"api://" + apiAID}, RequiredScopes: []string{"access_as_user"}})
	if err != nil {
		return err
	}

	// API B: the downstream API. It accepts only tokens for itself.
	apiB := httptest.NewServer(validatorB.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := resource.PrincipalFromContext(r.Context())
		fmt.Printf("(4) API B accepted a token: %s\n", describe(p))
		json.NewEncoder(w).Encode(map[string]string{"orders_of": p.Subject})
	})))
	defer apiB.Close()

	// API A: the middle tier, in one line: validate, exchange (cached),
	// call. The OBO middleware exchanges only the token the Validator
	// accepted, and hands over a client for API B.
	stats := &metrics{} // what an operator's dashboard shows; see metrics.go
	apiACfg := &oauth2flows.Config{ClientID: apiAID, ClientSecret: apiASecret, Endpoint: srv.Endpoint(),
		Scopes: []string{"api://api-b/orders.read"}, Observer: stats}
	cache := oauth2flows.NewOBOCache(apiACfg)
	apiA := httptest.NewServer(validatorA.Middleware(cache.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := resource.PrincipalFromContext(r.Context())
		fmt.Printf("(2) API A received a token: %s\n", describe(p))
		fmt.Printf("(3) API A got a token for API B on behalf of %s from its OBOCache (token requests so far: %d)\n",
			p.Subject, countGrant(srv, oauth2flows.GrantTypeJWTBearer))
		client, _ := oauth2flows.DownstreamClient(r.Context())
		resp, err := client.Get(apiB.URL + "/orders")
		if err != nil {
			http.Error(w, "API B unreachable", http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))))
	defer apiA.Close()

	// (1) The client signs the user in: authorization code with PKCE.
	client := &oauth2flows.Config{ClientID: "spa", Endpoint: srv.Endpoint(), RedirectURL: "http://127.0.0.1/callback",
		Scopes: []string{"api://" + apiAID + "/access_as_user"}}
	userTok, err := signIn(ctx, srv, client)
	if err != nil {
		return fmt.Errorf("sign-in: %w", err)
	}
	p, err := validatorA.Validate(ctx, userTok.AccessToken)
	if err != nil {
		return err
	}
	fmt.Printf("(1) the client got a token for API A: %s\n", describe(p))

	for i := 1; i <= 2; i++ {
		body, status, _, err := call(ctx, apiA.URL+"/orders", userTok.AccessToken)
		if err != nil || status != http.StatusOK {
			return fmt.Errorf("call %d to API A: status %d: %v", i, status, err)
		}
		fmt.Printf("    API A answered %d: %s", status, body)
	}
	fmt.Printf("    token requests for the two calls: %d (the second was a cache hit)\n",
		countGrant(srv, oauth2flows.GrantTypeJWTBearer))

	// A forged token (the user's with its signature replaced) stops at
	// API A's Validator: it never reaches the token endpoint.
	forged := userTok.AccessToken[:strings.LastIndexByte(userTok.AccessToken, '.')+1] + "Zm9yZ2Vk"
	_, status, header, err := call(ctx, apiA.URL+"/orders", forged)
	if err != nil || status != http.StatusUnauthorized {
		return fmt.Errorf("forged token: status %d: %v", status, err)
	}
	fmt.Printf("a forged token: API A answered %d with WWW-Authenticate: %s (token requests still %d)\n",
		status, header.Get("WWW-Authenticate"), countGrant(srv, oauth2flows.GrantTypeJWTBearer))

	if err := samlVariant(ctx, apiACfg, userTok.AccessToken); err != nil {
		return err
	}
	if err := claimsChallenge(ctx, srv, apiA.URL); err != nil {
		return err
	}
	stats.print()
	return nil
}

// signIn plays the browser for the authorization code grant with PKCE.
func signIn(ctx context.Context, srv *oauth2flowstest.Server, cfg *oauth2flows.Config) (*oauth2flows.Token, error) {
	verifier := oauth2flows.NewVerifier()
	state := oauth2flows.NewState()
	redirect, err := srv.Authorize(ctx, oauth2flows.AuthCodeURL(cfg, state, oauth2flows.WithPKCE(verifier)))
	if err != nil {
		return nil, err
	}
	code, err := oauth2flows.ParseCallbackURL(cfg, redirect.String(), state)
	if err != nil {
		return nil, err
	}
	return oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
}

func samlVariant(ctx context.Context, cfg *oauth2flows.Config, assertion string) error {
	tok, err := oauth2flows.OnBehalfOf(ctx, cfg, assertion,
		oauth2flows.WithScopes("https://saml-api.example.com/.default"),
		oauth2flows.WithRequestedTokenType(oauth2flows.TokenTypeSAML2))
	if err != nil {
		return fmt.Errorf("SAML OBO: %w", err)
	}
	xml, err := oauth2flows.SAMLAssertion(tok)
	if err != nil {
		return err
	}
	fmt.Printf("SAML variant: issued_token_type %s, a %d-byte assertion starting %q\n",
		tok.IssuedTokenType, len(xml), firstN(string(xml), 60))
	return nil
}

// claimsChallenge makes the next exchange fail as Entra does when
// conditional access wants MFA, and shows the 401 API A sends back.
func claimsChallenge(ctx context.Context, srv *oauth2flowstest.Server, apiA string) error {
	fresh := srv.IssueAccessToken("bob", "api://api-a", "access_as_user") // not cached yet
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusBadRequest,
		Body: oauth2flowstest.EntraError("interaction_required",
			"AADSTS50079: Due to a configuration change made by your administrator, you must enroll in multi-factor authentication.",
			`{"access_token":{"capolids":{"essential":true,"values":["mfa-policy"]}}}`)})
	_, status, header, err := call(ctx, apiA+"/orders", fresh)
	if err != nil {
		return err
	}
	claims, ok := oauth2flows.ParseClaimsChallenge(header.Get("WWW-Authenticate"))
	if status != http.StatusUnauthorized || !ok {
		return fmt.Errorf("expected a claims challenge, got %d", status)
	}
	fmt.Printf("claims challenge: API A answered %d with WWW-Authenticate: %s\n", status, header.Get("WWW-Authenticate"))
	fmt.Printf("    the client must sign in again satisfying %s, then retry\n", claims)
	return nil
}

func call(ctx context.Context, url, token string) (string, int, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return string(b), resp.StatusCode, resp.Header, err
}

func countGrant(srv *oauth2flowstest.Server, grant string) int {
	n := 0
	for _, r := range srv.RequestsTo(oauth2flowstest.EndpointToken) {
		if r.Form.Get("grant_type") == grant {
			n++
		}
	}
	return n
}

func describe(p *resource.Principal) string {
	if p == nil {
		return "(no principal)"
	}
	return fmt.Sprintf("sub=%s aud=%s scp=%q azp=%s", p.Subject, strings.Join(p.Audience, ","), strings.Join(p.Scopes, " "), p.ClientID)
}

// realEntra runs the On-Behalf-Of exchange against Microsoft Entra ID, with
// the middle tier's client and the access token its user's app sent.
func realEntra(ctx context.Context, f flags) error {
	cfg := &oauth2flows.Config{ClientID: f.clientID, ClientSecret: f.clientSecret,
		Endpoint: oauth2flows.EntraEndpoint(f.tenant), Scopes: strings.Fields(f.scope)}
	if f.clientSecret == "" && f.federatedTokenFile != "" {
		cfg.ClientAssertion = oauth2flows.AssertionFromFile(f.federatedTokenFile) // secretless OBO
	}
	var opts []oauth2flows.Option
	switch {
	case f.saml2:
		opts = append(opts, oauth2flows.WithRequestedTokenType(oauth2flows.TokenTypeSAML2))
	case f.saml1:
		opts = append(opts, oauth2flows.WithRequestedTokenType(oauth2flows.TokenTypeSAML1))
	}
	tok, err := oauth2flows.OnBehalfOf(ctx, cfg, f.assertion, opts...)
	if claims, ok := oauth2flows.ClaimsFromError(err); ok {
		return fmt.Errorf("%w\nthe user must satisfy this claims challenge first: %s", err, claims)
	}
	if err != nil {
		return err
	}
	printTriple(tok)
	return nil
}

// realAuth0 runs Auth0's On-Behalf-Of, an RFC 8693 token exchange.
func realAuth0(ctx context.Context, f flags) error {
	cfg := &oauth2flows.Config{ClientID: f.clientID, ClientSecret: f.clientSecret, AuthMethod: oauth2flows.ClientSecretPost,
		Endpoint: oauth2flows.Auth0Endpoint(f.auth0Domain), Scopes: strings.Fields(f.scope)}
	tok, err := oauth2flows.TokenExchange(ctx, cfg, f.assertion, oauth2flows.WithAudience(f.audience))
	if err != nil {
		return err
	}
	printTriple(tok)
	return nil
}

// printTriple shows what the provider returned, as claims rather than the
// tokens themselves: a terminal is a log too.
func printTriple(tok *oauth2flows.Token) {
	fmt.Printf("token_type %s, expires %s, issued_token_type %q\n", tok.TokenType, tok.Expiry.Format(time.RFC3339), tok.IssuedTokenType)
	if xml, err := oauth2flows.SAMLAssertion(tok); err == nil {
		fmt.Printf("SAML assertion: %d bytes of XML\n", len(xml))
	} else {
		fmt.Println("access token claims:", jwtClaims(tok.AccessToken))
	}
	fmt.Println("refresh token:", presence(tok.RefreshToken))
	fmt.Println("id token claims:", jwtClaims(tok.IDToken))
}

func presence(s string) string {
	if s == "" {
		return "none (ask for offline_access)"
	}
	return fmt.Sprintf("present (%d characters)", len(s))
}

// jwtClaims decodes a JWT's payload for display, without verifying it.
func jwtClaims(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "none"
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "(not a JWT)"
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return "(not a JWT)"
	}
	keep := map[string]any{}
	for _, k := range []string{"sub", "oid", "aud", "scp", "roles", "iss", "exp", "name", "preferred_username"} {
		if v, ok := m[k]; ok {
			keep[k] = v
		}
	}
	out, _ := json.Marshal(keep)
	return string(out)
}

func firstN(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
