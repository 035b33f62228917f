// Command mtls authenticates a client with its TLS certificate
// (RFC 8705 §2, tls_client_auth), gets a certificate-bound access token
// (RFC 8705 §3) and calls an API with it over the same certificate.
//
// It runs against an embedded oauth2flowstest server, with a test CA and a
// client certificate generated in memory. Against a real provider, load
// the certificate with oauth2flows.LoadClientCertificate, trust a private
// CA through tls.Config.RootCAs (x509.NewCertPool and AppendCertsFromPEM),
// and read the mtls_endpoint_aliases from the discovery metadata
// (Metadata.Endpoint).
package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
	"github.com/oauth2flows/oauth2flows/resource"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	ca, err := oauth2flowstest.NewCertificateAuthority("example client CA")
	if err != nil {
		log.Fatal(err)
	}
	cert, err := ca.IssueClientCertificate("billing-job")
	if err != nil {
		log.Fatal(err)
	}
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithMTLS(ca.Certificate),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "billing-job", TLSSubjectDN: "CN=billing-job"}),
	)
	defer srv.Close()
	api := oauth2flowstest.NewMTLSResourceServer(srv.Protect("https://invoices.example", http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "invoices: []") })))
	defer api.Close()

	// One client presents the certificate for token requests and API calls
	// alike, so connections pool and the bound token meets its certificate.
	hc, err := oauth2flows.NewMTLSClient(&tls.Config{
		Certificates: []tls.Certificate{*cert},
		RootCAs:      srv.RootCAs(), // a private PKI; nil: the system roots
	})
	if err != nil {
		log.Fatal(err)
	}
	cfg := &oauth2flows.Config{
		ClientID:    "billing-job",
		Certificate: cert, // with no secret or key, AuthAuto means tls_client_auth
		Endpoint:    srv.Endpoint(),
		HTTPClient:  hc,
	}
	tok, err := oauth2flows.ClientCredentials(ctx, cfg, oauth2flows.WithResource("https://invoices.example"))
	if err != nil {
		log.Fatal(err)
	}
	if err := resource.VerifyCertificateBinding(tok.AccessToken, cert.Leaf); err != nil {
		log.Fatal(err)
	}
	fmt.Println("token bound to certificate", oauth2flows.CertificateThumbprint(cert.Leaf))

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api.URL+"/invoices", nil)
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := hc.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		log.Fatalf("API answered %s", resp.Status)
	}
	fmt.Printf("API answered %s: %s", resp.Status, body)
}
