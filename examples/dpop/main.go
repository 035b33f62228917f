// Command dpop gets a DPoP-bound access token (RFC 9449) with the client
// credentials grant and calls an API with it: every request, to the token
// endpoint and to the API, carries a fresh proof signed with the client's
// key, and a token stolen from a log is useless without that key.
//
// With no flags it runs against an embedded oauth2flowstest server that
// requires DPoP and server nonces (RFC 9449 §8, §9), so the first request
// to each server is refused with use_dpop_nonce and retried once with the
// nonce; it exits 0. Against a real provider:
//
//	go run ./examples/dpop -token-url https://login.example.com/oauth2/token \
//	    -client-id app -client-secret ... -url https://api.example.com/me
//
// Each flag can also come from the environment: OAUTH2_TOKEN_URL,
// OAUTH2_CLIENT_ID, OAUTH2_CLIENT_SECRET, OAUTH2_RESOURCE, OAUTH2_RESOURCE_URL.
// The key here lives in memory for the run; in production it is usually a
// KMS or HSM key behind crypto.Signer.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func main() {
	tokenURL := flag.String("token-url", os.Getenv("OAUTH2_TOKEN_URL"), "token endpoint of a real provider; empty: the embedded server")
	clientID := flag.String("client-id", os.Getenv("OAUTH2_CLIENT_ID"), "client ID")
	secret := flag.String("client-secret", os.Getenv("OAUTH2_CLIENT_SECRET"), "client secret")
	resource := flag.String("resource", os.Getenv("OAUTH2_RESOURCE"), "RFC 8707 resource indicator of the API; optional")
	apiURL := flag.String("url", os.Getenv("OAUTH2_RESOURCE_URL"), "API URL to GET with the token")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// The DPoP key: ES256. An RSA key works too (RS256, or PS256 with
	// Config.DPoPAlg), as does any crypto.Signer.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	cfg := &oauth2flows.Config{
		ClientID:     *clientID,
		ClientSecret: *secret,
		Endpoint:     oauth2flows.Endpoint{TokenURL: *tokenURL},
		DPoPKey:      key,
	}
	if *tokenURL == "" {
		srv := oauth2flowstest.NewServer(
			oauth2flowstest.WithDPoPRequired(), // no proof, no token; no Bearer at the API
			oauth2flowstest.WithDPoPNonce(),    // nonces at the token endpoint and at the API
			oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "reports-job", Secret: "example-secret"}),
		)
		defer srv.Close()
		api := httptest.NewServer(srv.Protect("api://reports", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := oauth2flowstest.ClaimsFromContext(r.Context())
			fmt.Fprintf(w, "reports for %s, token bound to key %s\n", c.Subject, c.Cnf["jkt"])
		})))
		defer api.Close()
		cfg.ClientID, cfg.ClientSecret, cfg.Endpoint = "reports-job", "example-secret", srv.Endpoint()
		*resource, *apiURL = "api://reports", api.URL+"/reports"
	}
	var opts []oauth2flows.Option
	if *resource != "" {
		opts = append(opts, oauth2flows.WithResource(*resource))
	}

	// The source and its Transport share one DPoP key, the servers' nonces
	// and the token; the token goes as "Authorization: DPoP", never Bearer.
	src := oauth2flows.ClientCredentialsSource(cfg, opts...)
	tok, err := src.Token(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("token_type %s, expires %s\n", tok.TokenType, tok.Expiry.Format(time.RFC3339))
	if *apiURL == "" {
		return
	}
	client := &http.Client{Transport: oauth2flows.NewTransport(src), Timeout: 30 * time.Second}
	for range 2 { // the second call reuses the API's nonce: no retry
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, *apiURL, nil)
		if err != nil {
			log.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			log.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			log.Fatalf("API answered %s: %s", resp.Status, resp.Header.Values("WWW-Authenticate"))
		}
		fmt.Print(string(body))
	}
}
