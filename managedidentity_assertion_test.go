package oauth2flows_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// The secretless middle tier: the app registration trusts the managed
// identity as a federated identity credential, and the identity's token
// for api://AzureADTokenExchange is the client assertion of every grant.
func TestManagedIdentityAssertionAuthenticatesEveryGrant(t *testing.T) {
	clearAzureEnv(t)
	const app = "7d0b7f1c-58b6-4f25-9d0a-3c5a3b1e2f10"
	mi := oauth2flowstest.ManagedIdentity{ClientID: "4f1d2c3b-0000-4000-8000-00000000a11e", UserAssigned: true, FederatedWith: []string{app}}
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithEntra(""),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: app}),
		oauth2flowstest.WithManagedIdentity(mi))
	defer srv.Close()
	cfg := &oauth2flows.Config{
		ClientID:        app,
		Endpoint:        srv.Endpoint(),
		HTTPClient:      srv.Client(),
		ClientAssertion: oauth2flows.ManagedIdentityAssertion(oauth2flows.ManagedIdentity{ClientID: mi.ClientID, HTTPClient: srv.Client()}),
	}
	ctx := context.Background()
	_, err := oauth2flows.ClientCredentials(ctx, cfg, oauth2flows.WithScopes("https://graph.microsoft.com/.default"))
	require.NoError(t, err)
	user := srv.IssueAccessToken("alice", "api://"+app, "access_as_user")
	for range 3 {
		_, err = oauth2flows.OnBehalfOf(ctx, cfg, user, oauth2flows.WithScopes("https://graph.microsoft.com/User.Read"))
		require.NoError(t, err)
	}

	imds := srv.RequestsTo(oauth2flowstest.EndpointIMDS)
	require.Len(t, imds, 1, "the identity's token is cached across token requests")
	assert.Equal(t, "api://AzureADTokenExchange", imds[0].Form.Get("resource"))
	assert.Equal(t, mi.ClientID, imds[0].Form.Get("client_id"))
	token := srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.Len(t, token, 4)
	for _, r := range token {
		assert.Equal(t, "private_key_jwt", r.AuthMethod)
		assert.Equal(t, app, r.ClientID)
		assert.Equal(t, 200, r.Status)
	}
	claims, err := srv.VerifyAccessToken(token[0].Form.Get("client_assertion"))
	require.NoError(t, err)
	assert.Equal(t, []string{"api://AzureADTokenExchange"}, []string(claims.Audience))
}

func TestManagedIdentityAssertionRefusedWithoutFederation(t *testing.T) {
	clearAzureEnv(t)
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithEntra(""),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "app"}),
		oauth2flowstest.WithManagedIdentity(oauth2flowstest.ManagedIdentity{}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "app", Endpoint: srv.Endpoint(), HTTPClient: srv.Client(),
		ClientAssertion: oauth2flows.ManagedIdentityAssertion(oauth2flows.ManagedIdentity{HTTPClient: srv.Client()})}
	_, err := oauth2flows.ClientCredentials(context.Background(), cfg, oauth2flows.WithScopes("https://graph.microsoft.com/.default"))
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, 400, oe.StatusCode, "%s: %s", oe.Code, oe.Description)
}
