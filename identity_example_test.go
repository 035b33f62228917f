package oauth2flows_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// A client assertion that could not be made (here, the vault that signs
// it is unreachable): nothing was sent, and the error says which callback.
func ExampleAssertionError() {
	cfg := &oauth2flows.Config{
		ClientID: "billing-job",
		Endpoint: oauth2flows.Endpoint{TokenURL: "https://login.example.com/token"},
		ClientAssertion: func(ctx context.Context) (string, error) {
			return "", errors.New("vault unreachable")
		},
	}
	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	var ae *oauth2flows.AssertionError
	if errors.As(err, &ae) {
		fmt.Println(ae.Op, ae.Field, ae.Err)
	}
	// Output: ClientCredentials Config.ClientAssertion vault unreachable
}

// A user-assigned managed identity, named by its client ID: the identity
// an AKS workload or a VM with several identities uses.
func ExampleManagedIdentity() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithManagedIdentity(oauth2flowstest.ManagedIdentity{
		ClientID: "11111111-2222-3333-4444-555555555555", UserAssigned: true}))
	defer srv.Close()

	mi := oauth2flows.ManagedIdentity{
		ClientID:   "11111111-2222-3333-4444-555555555555",
		HTTPClient: srv.Client(), // on Azure: nil
	}
	tok, err := oauth2flows.ManagedIdentitySource(mi, "https://storage.azure.com").Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Valid(), srv.RequestsTo(oauth2flowstest.EndpointIMDS)[0].Form.Get("client_id"))
	// Output: true 11111111-2222-3333-4444-555555555555
}

// A managed identity the host does not have: the error names the host's
// endpoint that answered, and wraps its answer.
func ExampleManagedIdentityError() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithManagedIdentity(oauth2flowstest.ManagedIdentity{}))
	defer srv.Close()

	mi := oauth2flows.ManagedIdentity{ClientID: "not-assigned-to-this-vm", HTTPClient: srv.Client()}
	_, err := oauth2flows.ManagedIdentitySource(mi, "https://vault.azure.net").Token(context.Background())
	var me *oauth2flows.ManagedIdentityError
	var oe *oauth2flows.Error
	if errors.As(err, &me) && errors.As(err, &oe) {
		fmt.Println(me.Host, oe.StatusCode)
	}
	// Output: IMDS 400
}

// A client that handles claims challenges declares "cp1", so that Entra's
// continuous access evaluation gives it long-lived tokens it can revoke at
// once; the capability goes in every token request's "claims".
func ExampleConfig_clientCapabilities() {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "billing-job", Secret: "job-secret"}))
	defer srv.Close()
	cfg := &oauth2flows.Config{
		ClientID: "billing-job", ClientSecret: "job-secret", Endpoint: srv.Endpoint(),
		ClientCapabilities: []string{"cp1"},
	}
	if _, err := oauth2flows.ClientCredentials(context.Background(), cfg); err != nil {
		log.Fatal(err)
	}
	fmt.Println(srv.RequestsTo(oauth2flowstest.EndpointToken)[0].Form.Get("claims"))
	// Output: {"access_token":{"xms_cc":{"values":["cp1"]}}}
}
