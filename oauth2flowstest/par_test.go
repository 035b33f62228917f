package oauth2flowstest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// pushedParams is a good code request with PKCE for the client "conf",
// with the parameters of override replacing (nil: removing) its own.
func pushedParams(override url.Values) url.Values {
	p := url.Values{
		"client_id":     {"conf"},
		"response_type": {"code"}, "redirect_uri": {redirect}, "scope": {"openid api://res/read"}, "state": {"st"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	for k, v := range override {
		if v == nil {
			delete(p, k)
		} else {
			p[k] = v
		}
	}
	return p
}

// authorizePushed sends the browser to the authorization endpoint with
// client_id and request_uri only.
func authorizePushed(t *testing.T, srv *oauth2flowstest.Server, client, requestURI string, extra url.Values) (*http.Response, *url.URL) {
	t.Helper()
	return authorize(t, srv, merge(url.Values{"client_id": {client}, "request_uri": {requestURI}}, extra))
}

func TestPARMetadata(t *testing.T) {
	for _, required := range []bool{false, true} {
		var opts []oauth2flowstest.Option
		if required {
			opts = append(opts, oauth2flowstest.WithPARRequired())
		}
		srv := newServer(t, opts...)
		got := do(t, srv, mustGet(t, srv.URL()+"/.well-known/oauth-authorization-server"))
		assert.Equal(t, srv.URL()+"/par", got.str("pushed_authorization_request_endpoint"))
		assert.Equal(t, required, got.Body["require_pushed_authorization_requests"])
	}
}

func TestPARPushThenAuthorizeThenRedeem(t *testing.T) {
	srv := newServer(t)
	pushed := post(t, srv, "/par", pushedParams(nil), confAuth)
	require.Equal(t, http.StatusCreated, pushed.Status, pushed.Raw)
	assert.Equal(t, "no-store", pushed.Header.Get("Cache-Control"))
	uri := pushed.str("request_uri")
	assert.True(t, strings.HasPrefix(uri, "urn:ietf:params:oauth:request_uri:"), uri)
	assert.EqualValues(t, 60, pushed.Body["expires_in"])
	reqs := srv.RequestsTo(oauth2flowstest.EndpointPAR)
	require.Len(t, reqs, 1)
	assert.Equal(t, "conf", reqs[0].ClientID)
	assert.Equal(t, oauth2flowstest.AuthClientSecretBasic, reqs[0].AuthMethod)

	// Parameters next to request_uri are ignored: the pushed ones count.
	resp, loc := authorizePushed(t, srv, "conf", uri, url.Values{"scope": {"api://other/write"}, "state": {"forged"}})
	require.Equal(t, http.StatusFound, resp.StatusCode)
	require.NotNil(t, loc)
	assert.Equal(t, "st", loc.Query().Get("state"))
	assert.Equal(t, srv.URL(), loc.Query().Get("iss"))
	got := token(t, srv, codeForm(loc.Query().Get("code"), nil), confAuth)
	require.Equal(t, http.StatusOK, got.Status, got.Raw)
	assert.Equal(t, "openid api://res/read", got.str("scope"))

	again, _ := authorizePushed(t, srv, "conf", uri, nil)
	assert.Equal(t, http.StatusBadRequest, again.StatusCode, "a request_uri is used once")
}

func TestPARRequestURIRefusals(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(clock *fakeClock) (client, uri string)
	}{
		{"Expired", func(c *fakeClock) (string, string) { c.advance(61 * time.Second); return "conf", "" }},
		{"AnotherClient", func(*fakeClock) (string, string) { return "public", "" }},
		{"NoClientID", func(*fakeClock) (string, string) { return "", "" }},
		{"Unknown", func(*fakeClock) (string, string) { return "conf", "urn:ietf:params:oauth:request_uri:made-up" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			srv := newServer(t, clock.option())
			uri := post(t, srv, "/par", pushedParams(nil), confAuth).str("request_uri")
			client, other := tt.mutate(clock)
			use := uri
			if other != "" {
				use = other
			}
			resp, loc := authorizePushed(t, srv, client, use, nil)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Nil(t, loc, "no redirect without a good pushed request")
		})
	}
	t.Run("RefusedForAnotherClientStaysUsable", func(t *testing.T) {
		srv := newServer(t)
		uri := post(t, srv, "/par", pushedParams(nil), confAuth).str("request_uri")
		bad, _ := authorizePushed(t, srv, "public", uri, nil)
		require.Equal(t, http.StatusBadRequest, bad.StatusCode)
		good, loc := authorizePushed(t, srv, "conf", uri, nil)
		assert.Equal(t, http.StatusFound, good.StatusCode)
		assert.NotEmpty(t, loc.Query().Get("code"))
	})
}

func TestPARPushRefusals(t *testing.T) {
	tests := []struct {
		name    string
		form    url.Values
		auth    string
		status  int
		wantErr string
	}{
		{"RedirectNotRegistered", pushedParams(url.Values{"redirect_uri": {"https://evil.example/cb"}}), confAuth, 400, "invalid_request"},
		{"PlainPKCE", pushedParams(url.Values{"code_challenge_method": {"plain"}}), confAuth, 400, "invalid_request"},
		{"RequestURIPushed", pushedParams(url.Values{"request_uri": {"urn:ietf:params:oauth:request_uri:x"}}), confAuth, 400, "invalid_request"},
		{"UnverifiableRequestObject", pushedParams(url.Values{"request": {"eyJ.e30."}}), confAuth, 400, "invalid_request_object"},
		{"NoResponseType", pushedParams(url.Values{"response_type": nil}), confAuth, 400, "invalid_request"},
		{"NoClientIDDespiteBasic", pushedParams(url.Values{"client_id": nil}), confAuth, 400, "invalid_request"},
		{"UnsupportedResponseType", pushedParams(url.Values{"response_type": {"id_token"}}), confAuth, 400, "unsupported_response_type"},
		{"ScopesOfTwoResources", pushedParams(url.Values{"scope": {"api://a/x api://b/y"}}), confAuth, 400, "invalid_scope"},
		{"ConfidentialWithoutCredentials", pushedParams(url.Values{"client_id": {"conf"}}), "", 400, "invalid_client"},
		{"WrongSecret", pushedParams(nil), basic("conf", "nope"), 401, "invalid_client"},
		{"ClientIDOfAnother", pushedParams(url.Values{"client_id": {"mid"}}), confAuth, 401, "invalid_client"},
		{"PublicWithoutPKCE", url.Values{"client_id": {"public"}, "response_type": {"code"}, "redirect_uri": {redirect}}, "", 400, "invalid_request"},
		{"NotRegisteredForCodeGrant", pushedParams(url.Values{"client_id": {"cc-only"}}), basic("cc-only", "s"), 400, "unauthorized_client"},
		{"RepeatedParameter", pushedParams(url.Values{"state": {"st", "again"}}), confAuth, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			got := post(t, srv, "/par", tt.form, tt.auth)
			assert.Equal(t, tt.status, got.Status, got.Raw)
			assert.Equal(t, tt.wantErr, got.str("error"))
			assert.Empty(t, got.str("request_uri"))
		})
	}
	t.Run("GET", func(t *testing.T) {
		srv := newServer(t)
		got := do(t, srv, mustGet(t, srv.URL()+"/par?"+pushedParams(url.Values{"client_id": {"public"}}).Encode()))
		assert.Equal(t, http.StatusMethodNotAllowed, got.Status)
	})
}

func TestPARAuthenticatesLikeTheTokenEndpoint(t *testing.T) {
	srv := newServer(t)
	k := keys()
	tests := []struct {
		name   string
		client string
		form   url.Values
		auth   string
		method string
	}{
		{"PublicClientID", "public", nil, "", oauth2flowstest.AuthNone},
		{"SecretPost", "conf", url.Values{"client_secret": {awkwardSecret}}, "", oauth2flowstest.AuthClientSecretPost},
		{"PrivateKeyJWTForPAREndpoint", "ec", assertionForm(assertion(t, jwt.SigningMethodES256, k.ec, "ec", srv.URL()+"/par", time.Minute, "par-1")), "", oauth2flowstest.AuthPrivateKeyJWT},
		{"PrivateKeyJWTForIssuer", "ec", assertionForm(assertion(t, jwt.SigningMethodES256, k.ec, "ec", srv.URL(), time.Minute, "par-2")), "", oauth2flowstest.AuthPrivateKeyJWT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetRequests()
			got := post(t, srv, "/par", merge(pushedParams(url.Values{"client_id": {tt.client}}), tt.form), tt.auth)
			require.Equal(t, http.StatusCreated, got.Status, got.Raw)
			rec := srv.RequestsTo(oauth2flowstest.EndpointPAR)[0]
			assert.Equal(t, tt.client, rec.ClientID)
			assert.Equal(t, tt.method, rec.AuthMethod)
			resp, loc := authorizePushed(t, srv, tt.client, got.str("request_uri"), nil)
			require.Equal(t, http.StatusFound, resp.StatusCode)
			assert.NotEmpty(t, loc.Query().Get("code"))
		})
	}
}

func TestPARRequired(t *testing.T) {
	srv := newServer(t, oauth2flowstest.WithPARRequired())
	resp, loc := authorize(t, srv, pushedParams(nil))
	require.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "invalid_request", loc.Query().Get("error"))
	assert.Contains(t, loc.Query().Get("error_description"), "pushed authorization requests")
	assert.Empty(t, loc.Query().Get("code"))

	uri := post(t, srv, "/par", pushedParams(nil), confAuth).str("request_uri")
	resp, loc = authorizePushed(t, srv, "conf", uri, nil)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	assert.NotEmpty(t, loc.Query().Get("code"))
}

func TestPARWithDPoPBindsTheCode(t *testing.T) {
	k, other := newECDPoPKey(t), newECDPoPKey(t)
	tests := []struct {
		name     string
		pushWith []string
		pushForm url.Values
		redeem   dpopKey
		wantErr  string
	}{
		{"ProofAtPARSameKey", []string{"proof"}, nil, k, ""},
		{"ProofAtPAROtherKey", []string{"proof"}, nil, other, "invalid_grant"},
		{"DPoPJKTOnly", nil, url.Values{"dpop_jkt": {k.jkt}}, k, ""},
		{"DPoPJKTOnlyOtherKey", nil, url.Values{"dpop_jkt": {k.jkt}}, other, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			var proofs []string
			if tt.pushWith != nil {
				proofs = []string{k.proof(t, "POST", srv.URL()+"/par")}
			}
			pushed := postWithProofs(t, srv, "/par", pushedParams(tt.pushForm), confAuth, proofs...)
			require.Equal(t, http.StatusCreated, pushed.Status, pushed.Raw)
			_, loc := authorizePushed(t, srv, "conf", pushed.str("request_uri"), nil)
			require.NotNil(t, loc)
			got := postWithProofs(t, srv, "/token", codeForm(loc.Query().Get("code"), nil), confAuth, tt.redeem.proof(t, "POST", srv.URL()+"/token"))
			assert.Equal(t, tt.wantErr, got.str("error"), got.Raw)
		})
	}
	t.Run("DPoPJKTNotTheProofKey", func(t *testing.T) {
		srv := newServer(t)
		got := postWithProofs(t, srv, "/par", pushedParams(url.Values{"dpop_jkt": {other.jkt}}), confAuth, k.proof(t, "POST", srv.URL()+"/par"))
		assert.Equal(t, "invalid_request", got.str("error"), got.Raw)
	})
	t.Run("NonceAtPAR", func(t *testing.T) {
		srv := newServer(t, oauth2flowstest.WithDPoPNonce())
		got := postWithProofs(t, srv, "/par", pushedParams(nil), confAuth, k.proof(t, "POST", srv.URL()+"/par"))
		assert.Equal(t, "use_dpop_nonce", got.str("error"))
		nonce := got.Header.Get("DPoP-Nonce")
		require.NotEmpty(t, nonce)
		ok := postWithProofs(t, srv, "/par", pushedParams(nil), confAuth, k.proof(t, "POST", srv.URL()+"/par", withNonce(nonce)))
		assert.Equal(t, http.StatusCreated, ok.Status, ok.Raw)
	})
}
