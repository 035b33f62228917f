package oauth2flows_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// FAPI 2.0's default set-up: private_key_jwt and DPoP, against a server that
// requires nonces and refuses a client assertion whose jti it has seen
// (RFC 7523 §3), as oidc-provider does. The use_dpop_nonce retry of every
// request must carry a new assertion. Failed before: the retry re-sent the
// first body and the server answered "client assertion replayed".
func TestPrivateKeyJWTWithDPoPNoncesRebuildsTheAssertion(t *testing.T) {
	clientKey := ecKey(t)
	srv := grantServer(t, oauth2flowstest.WithDPoPRequired(), oauth2flowstest.WithDPoPNonce(),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "fapi", PublicKey: &clientKey.PublicKey,
			AuthMethod: oauth2flowstest.AuthPrivateKeyJWT, RedirectURIs: []string{gRedirect}}))
	cfg := &oauth2flows.Config{ClientID: "fapi", PrivateKey: clientKey, DPoPKey: ecKey(t),
		RedirectURL: gRedirect, Endpoint: srv.Endpoint(), Scopes: []string{"openid"}}
	ctx := context.Background()
	state, verifier := oauth2flows.NewState(), oauth2flows.NewVerifier()
	u, err := oauth2flows.PushAuthCodeURL(ctx, cfg, state, oauth2flows.WithPKCE(verifier))
	require.NoError(t, err)
	code, err := oauth2flows.ParseCallbackURL(cfg, authorize(t, srv, u), state)
	require.NoError(t, err)
	tok, err := oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
	require.NoError(t, err)
	assert.Equal(t, "DPoP", tok.TokenType)
	_, err = oauth2flows.Refresh(ctx, cfg, tok.RefreshToken)
	require.NoError(t, err)

	seen := map[string]bool{}
	var n int
	for _, ep := range []string{oauth2flowstest.EndpointPAR, oauth2flowstest.EndpointToken} {
		for _, r := range srv.RequestsTo(ep) {
			a := r.Form.Get("client_assertion")
			require.NotEmpty(t, a)
			assert.False(t, seen[a], "an assertion was sent twice")
			seen[a] = true
			n++
		}
	}
	assert.Equal(t, 6, n, "each of the three requests was refused once for a nonce and sent again")
}

// Every retry, not only the nonce one, rebuilds: a 503 retried carries a
// new assertion and a new proof.
func TestRetryAfter503RebuildsAssertionAndProof(t *testing.T) {
	var mu sync.Mutex
	var assertions, proofs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		mu.Lock()
		assertions = append(assertions, r.PostForm.Get("client_assertion"))
		proofs = append(proofs, r.Header.Get("DPoP"))
		first := len(assertions) == 1
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if first {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"access_token":"at","token_type":"DPoP","expires_in":60}`))
	}))
	defer srv.Close()
	cfg := &oauth2flows.Config{ClientID: "c", PrivateKey: ecKey(t), DPoPKey: ecKey(t), Retry: fastRetry(3),
		Endpoint: oauth2flows.Endpoint{TokenURL: srv.URL + "/token"}}
	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	require.NoError(t, err)
	require.Len(t, assertions, 2)
	assert.NotEqual(t, assertions[0], assertions[1])
	assert.NotEqual(t, proofs[0], proofs[1])
}
