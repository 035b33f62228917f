// Command secretless runs a middle-tier API on Azure with no secret and
// no certificate, as Microsoft recommends:
//
//	client --(1) token for the API------------------------> API
//	API    --(2) managed identity token (IMDS, cached)----> the host
//	API    --(3) On-Behalf-Of, that token as its assertion-> Entra
//	API    --(4) call with the user's Graph token---------> Graph
//
// The app registration trusts the host's managed identity as a federated
// identity credential, so the identity's token for
// api://AzureADTokenExchange is the app's client assertion
// (oauth2flows.ManagedIdentityAssertion). The API declares the "cp1"
// capability (Config.ClientCapabilities): Entra's continuous access
// evaluation may revoke the user's Graph token mid-lifetime, and Graph
// then answers with a claims challenge. The API answers it with one
// fresh exchange for that user (oauth2flows.WithClaims), which replaces
// the user's cached token, and retries.
//
// Everything runs in this process against oauth2flowstest's Entra profile,
// which also plays the Azure host (IMDS) and Graph. It runs with no flags
// and exits non-zero when a step does not go as told.
package main

import (
	"context"
	"encoding/json"
	"errors"
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

const (
	tenantID   = "3c1b0a5e-8f7d-4a2b-9c6e-1d0f2e3a4b5c"
	apiID      = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d" // the middle tier's app registration
	identityID = "2f4e6d8c-0b1a-4c3e-9d5f-7a6b8c9d0e1f" // the host's user-assigned managed identity
	graph      = "https://graph.microsoft.com"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	// This process plays an Azure VM: no App Service, Arc or ML variables,
	// so the managed identity is found on IMDS.
	for _, k := range []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET"} {
		os.Unsetenv(k)
	}
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithEntra(tenantID),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: apiID}), // no secret, no key
		oauth2flowstest.WithUser(oauth2flowstest.User{Subject: "alice", Username: "alice@contoso.example"}),
		oauth2flowstest.WithManagedIdentity(oauth2flowstest.ManagedIdentity{ClientID: identityID, UserAssigned: true,
			FederatedWith: []string{apiID}}),
	)
	defer srv.Close()
	fmt.Println("Entra, IMDS and Graph (embedded oauth2flowstest):", srv.URL())

	// Graph: accepts the user's Graph tokens, and challenges a CAE token
	// once the user's session is revoked.
	graphAPI := httptest.NewServer(srv.Protect(graph, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		json.NewEncoder(w).Encode(map[string]string{"id": c.ObjectID, "userPrincipalName": "alice@contoso.example"})
	})))
	defer graphAPI.Close()

	// The middle tier: validate, exchange (cached), call Graph.
	cfg := &oauth2flows.Config{
		ClientID:           apiID,
		Endpoint:           srv.Endpoint(),
		HTTPClient:         srv.Client(),
		Scopes:             []string{graph + "/User.Read"},
		ClientCapabilities: []string{"cp1"},
		ClientAssertion: oauth2flows.ManagedIdentityAssertion(oauth2flows.ManagedIdentity{
			ClientID: identityID, HTTPClient: srv.Client()}),
	}
	cache := oauth2flows.NewOBOCache(cfg)
	validator, err := resource.NewValidator(ctx, resource.Config{
		Issuer: srv.Endpoint().Issuer, Audiences: []string{"api://" + apiID},
		RequiredScopes: []string{"access_as_user"}, HTTPClient: srv.Client()})
	if err != nil {
		return err
	}
	api := httptest.NewServer(validator.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assertion := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		me, err := callGraph(r.Context(), cache, assertion, graphAPI.URL+"/v1.0/me")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Write(me)
	})))
	defer api.Close()

	// The client calls the API as alice.
	user := srv.IssueAccessToken("alice", "api://"+apiID, "access_as_user")
	call := func(step string) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, api.URL, nil)
		req.Header.Set("Authorization", "Bearer "+user)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: the API answered %d: %s", step, resp.StatusCode, body)
		}
		fmt.Printf("%s: Graph says %s (IMDS requests %d, On-Behalf-Of exchanges %d)\n", step,
			strings.TrimSpace(string(body)), len(srv.RequestsTo(oauth2flowstest.EndpointIMDS)), exchanges(srv))
		return nil
	}
	for i := range 3 {
		if err := call(fmt.Sprintf("call %d", i+1)); err != nil {
			return err
		}
	}
	if err := expect(srv, 1, 1); err != nil {
		return err
	}

	fmt.Println("Entra revokes alice's session (a CAE critical event)")
	srv.RevokeUser("alice")
	if err := call("call 4, after the revocation"); err != nil {
		return err
	}
	if err := call("call 5"); err != nil {
		return err
	}
	if err := expect(srv, 1, 2); err != nil {
		return err
	}
	fmt.Println("the API recovered with one fresh exchange; no secret was used anywhere")
	return nil
}

// callGraph calls Graph with the user's token from the cache. A claims
// challenge (CAE revocation) makes one fresh exchange carrying it, and
// the call is made once more with the new token.
func callGraph(ctx context.Context, cache *oauth2flows.OBOCache, assertion, url string) ([]byte, error) {
	var opts []oauth2flows.Option
	for attempt := 0; attempt < 2; attempt++ {
		tok, err := cache.Token(ctx, assertion, opts...)
		if err != nil {
			return nil, err
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode == http.StatusOK {
			return body, err
		}
		claims, ok := oauth2flows.ParseClaimsChallenge(resp.Header.Get("WWW-Authenticate"))
		if resp.StatusCode != http.StatusUnauthorized || !ok {
			return nil, fmt.Errorf("graph answered %d", resp.StatusCode)
		}
		fmt.Println("  Graph challenged the token with claims", claims)
		opts = []oauth2flows.Option{oauth2flows.WithClaims(claims)}
	}
	return nil, errors.New("graph challenged the fresh token too")
}

func exchanges(srv *oauth2flowstest.Server) int {
	return len(srv.RequestsTo(oauth2flowstest.EndpointToken))
}

// expect checks the requests the middle tier made so far.
func expect(srv *oauth2flowstest.Server, imds, obo int) error {
	gotIMDS, gotOBO := len(srv.RequestsTo(oauth2flowstest.EndpointIMDS)), exchanges(srv)
	if gotIMDS != imds || gotOBO != obo {
		return fmt.Errorf("want %d IMDS requests and %d exchanges, got %d and %d", imds, obo, gotIMDS, gotOBO)
	}
	return nil
}
