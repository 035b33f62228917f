package oauth2flows_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func TestIntrospectActiveThenRevoked(t *testing.T) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "rs", Secret: "rs-secret-value"}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "rs", ClientSecret: "rs-secret-value", Endpoint: srv.Endpoint(), Scopes: []string{"orders.read"}}
	ctx := context.Background()
	tok, err := oauth2flows.ClientCredentials(ctx, cfg)
	require.NoError(t, err)

	in, err := oauth2flows.Introspect(ctx, cfg, tok.AccessToken, oauth2flows.WithTokenTypeHint("access_token"))
	require.NoError(t, err)
	assert.True(t, in.Active)
	assert.Equal(t, "rs", in.ClientID)
	assert.Equal(t, "rs", in.Subject)
	assert.Equal(t, srv.Endpoint().Issuer, in.Issuer)
	assert.NotZero(t, in.ExpiresAt)

	r := srv.RequestsTo(oauth2flowstest.EndpointIntrospect)[0]
	assert.Equal(t, tok.AccessToken, r.Form.Get("token"))
	assert.Equal(t, "access_token", r.Form.Get("token_type_hint"))
	assert.Equal(t, "client_secret_basic", r.AuthMethod)

	require.NoError(t, oauth2flows.Revoke(ctx, cfg, tok.AccessToken))
	in, err = oauth2flows.Introspect(ctx, cfg, tok.AccessToken)
	require.NoError(t, err)
	assert.False(t, in.Active, "a revoked token is inactive, not an error")
}

func TestIntrospectRefusals(t *testing.T) {
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "rs", Secret: "rs-secret-value"}))
	defer srv.Close()
	ctx := context.Background()

	noURL := &oauth2flows.Config{ClientID: "rs", ClientSecret: "rs-secret-value", Endpoint: oauth2flows.Endpoint{TokenURL: srv.Endpoint().TokenURL}}
	_, err := oauth2flows.Introspect(ctx, noURL, "some-token")
	var ce *oauth2flows.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Empty(t, srv.RequestsTo(oauth2flowstest.EndpointIntrospect))

	wrong := &oauth2flows.Config{ClientID: "rs", ClientSecret: "wrong-secret-value", Endpoint: srv.Endpoint()}
	_, err = oauth2flows.Introspect(ctx, wrong, "some-token")
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_client", oe.Code)
	assert.NotContains(t, err.Error(), "wrong-secret-value")
	assert.NotContains(t, err.Error(), "some-token")
}
