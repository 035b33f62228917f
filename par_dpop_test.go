package oauth2flows_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func TestDPoPPushAuthCodeURLCarriesDPoPJKTAndAProof(t *testing.T) {
	srv := grantServer(t, oauth2flowstest.WithDPoPRequired(), oauth2flowstest.WithDPoPNonce())
	cfg := public(srv)
	key := ecKey(t)
	cfg.DPoPKey = key
	state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
	u, err := oauth2flows.PushAuthCodeURL(context.Background(), cfg, state, oauth2flows.WithPKCE(verifier))
	require.NoError(t, err)
	pars := srv.RequestsTo(oauth2flowstest.EndpointPAR)
	require.NotEmpty(t, pars)
	last := pars[len(pars)-1]
	assert.Equal(t, ecThumbprint(t, key), last.Form.Get("dpop_jkt"))
	assert.NotEmpty(t, last.Header.Get("DPoP"))
	code, err := oauth2flows.ParseCallbackURL(cfg, authorize(t, srv, u), state)
	require.NoError(t, err)
	tok, err := oauth2flows.ExchangeCode(context.Background(), cfg, code, oauth2flows.WithPKCE(verifier))
	require.NoError(t, err)
	assert.Equal(t, "DPoP", tok.TokenType)
}
