package oauth2flows_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// With Config.DPoPKey set, tokens are DPoP-bound (RFC 9449): every request
// to the token endpoint and to the API carries a fresh proof signed with
// the key, and server nonces are handled for you.
func ExampleConfig_dPoPKey() {
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithDPoPRequired(),
		oauth2flowstest.WithDPoPNonce(),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "reports-job", Secret: "example-secret"}),
	)
	defer srv.Close()
	api := httptest.NewServer(srv.Protect("api://reports", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "scheme:", r.Header.Get("Authorization")[:4])
	})))
	defer api.Close()

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader) // or a KMS key: any crypto.Signer
	if err != nil {
		log.Fatal(err)
	}
	cfg := &oauth2flows.Config{
		ClientID:     "reports-job",
		ClientSecret: "example-secret",
		Endpoint:     srv.Endpoint(),
		DPoPKey:      key,
	}
	src := oauth2flows.ClientCredentialsSource(cfg, oauth2flows.WithResource("api://reports"))
	tok, err := src.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token_type:", tok.TokenType)

	client := &http.Client{Transport: oauth2flows.NewTransport(src)}
	resp, err := client.Get(api.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(string(body))
	// Output:
	// token_type: DPoP
	// scheme: DPoP
}
