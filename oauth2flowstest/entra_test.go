package oauth2flowstest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

const (
	entraTenant = "contoso.onmicrosoft.com"
	entraTID    = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	v2          = "/" + entraTenant + "/oauth2/v2.0"
)

// newEntra starts the Entra profile with the standard clients and users,
// and a daemon "app" holding app roles.
func newEntra(t *testing.T, tenant string, opts ...oauth2flowstest.Option) *oauth2flowstest.Server {
	t.Helper()
	return newServer(t, append([]oauth2flowstest.Option{
		oauth2flowstest.WithEntra(tenant),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "daemon", Secret: "s", Roles: []string{"Orders.Read.All"}}),
	}, opts...)...)
}

func getJSON(t *testing.T, srv *oauth2flowstest.Server, path string) response {
	t.Helper()
	return do(t, srv, mustGet(t, srv.URL()+path))
}

func TestEntraServesItsLayoutOverTLS(t *testing.T) {
	srv := newEntra(t, entraTID)
	require.True(t, strings.HasPrefix(srv.URL(), "https://127.0.0.1:"), srv.URL())
	require.NotNil(t, srv.RootCAs())

	meta := getJSON(t, srv, "/"+entraTID+"/v2.0/.well-known/openid-configuration")
	require.Equal(t, http.StatusOK, meta.Status, meta.Raw)
	base := srv.URL() + "/" + entraTID
	assert.Equal(t, base+"/v2.0", meta.str("issuer"))
	assert.Equal(t, base+"/oauth2/v2.0/authorize", meta.str("authorization_endpoint"))
	assert.Equal(t, base+"/oauth2/v2.0/token", meta.str("token_endpoint"))
	assert.Equal(t, base+"/oauth2/v2.0/devicecode", meta.str("device_authorization_endpoint"))
	assert.Equal(t, base+"/oauth2/v2.0/logout", meta.str("end_session_endpoint"))
	assert.Equal(t, srv.URL()+"/oidc/userinfo", meta.str("userinfo_endpoint"))
	assert.Equal(t, "microsoftonline.com", meta.str("cloud_instance_name"))
	assert.Equal(t, base+"/discovery/v2.0/keys", meta.str("jwks_uri"))
	keys := getJSON(t, srv, "/"+entraTID+"/discovery/v2.0/keys")
	assert.Len(t, keys.Body["keys"], 1)

	tests := []struct {
		path, issuer, token string
	}{
		{"/common/v2.0/.well-known/openid-configuration", srv.URL() + "/{tenantid}/v2.0", srv.URL() + "/common/oauth2/v2.0/token"},
		{"/organizations/v2.0/.well-known/openid-configuration", srv.URL() + "/{tenantid}/v2.0", srv.URL() + "/organizations/oauth2/v2.0/token"},
		{"/" + entraTID + "/.well-known/openid-configuration", base + "/", base + "/oauth2/token"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			m := getJSON(t, srv, tt.path)
			require.Equal(t, http.StatusOK, m.Status, m.Raw)
			assert.Equal(t, tt.issuer, m.str("issuer"))
			assert.Equal(t, tt.token, m.str("token_endpoint"))
		})
	}

	// The generic layout stays.
	assert.Equal(t, http.StatusOK, getJSON(t, srv, "/.well-known/openid-configuration").Status)
	assert.Equal(t, oauth2flowstest.EndpointDiscovery, srv.RequestsTo(oauth2flowstest.EndpointDiscovery)[0].Endpoint)
}

func TestEntraEndpointNamesTheTenantsURLs(t *testing.T) {
	srv := newEntra(t, entraTenant)
	e := srv.EntraEndpoint(entraTenant)
	assert.Equal(t, srv.URL()+v2+"/authorize", e.AuthURL)
	assert.Equal(t, srv.URL()+v2+"/token", e.TokenURL)
	claims, err := srv.VerifyAccessToken(srv.IssueAccessToken("alice", "api://x"))
	require.NoError(t, err)
	assert.Equal(t, claims.Issuer, e.Issuer, "the tenant's issuer, with its tid")
	assert.Empty(t, srv.EntraEndpoint("common").Issuer, "common has no single issuer")
	assert.Equal(t, e, srv.Endpoint(), "Endpoint is the tenant's")
	meta := getJSON(t, srv, "/.well-known/oauth-authorization-server")
	assert.Equal(t, srv.URL(), meta.str("issuer"), "the generic metadata keeps the generic layout")
	assert.Equal(t, srv.URL()+"/token", meta.str("token_endpoint"))
	anon := newEntra(t, "")
	got := post(t, anon, strings.TrimPrefix(anon.EntraEndpoint("").TokenURL, anon.URL()),
		url.Values{"grant_type": {"client_credentials"}, "scope": {"api://x/.default"}}, basic("daemon", "s"))
	require.Equal(t, http.StatusOK, got.Status, got.Raw)
	assert.Equal(t, strings.TrimSuffix(anon.EntraEndpoint("").Issuer, "/v2.0"),
		anon.URL()+"/"+parseJWT(t, got.str("access_token"))["tid"].(string), "an empty tenant is a made-up tid")

	generic := newServer(t)
	assert.Equal(t, generic.Endpoint(), generic.EntraEndpoint("x"), "without WithEntra, the generic endpoints")
}

func TestEntraRefusesAnUnknownTenant(t *testing.T) {
	srv := newEntra(t, entraTenant)
	got := post(t, srv, "/fabrikam.example/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"}}, confAuth)
	assert.Equal(t, http.StatusBadRequest, got.Status, got.Raw)
	assert.Equal(t, "invalid_request", got.str("error"))
	assert.Equal(t, []any{float64(90002)}, got.Body["error_codes"])
	assert.Equal(t, http.StatusNotFound, getJSON(t, srv, "/"+entraTenant+"/oauth2/v3.0/token").Status)
}

// Entra: client credentials ask for {resource}/.default; the token
// carries the app's roles, its service principal as sub and oid, and tid.
func TestEntraClientCredentials(t *testing.T) {
	srv := newEntra(t, entraTID)
	tests := []struct {
		name     string
		scope    string
		status   int
		wantErr  string
		wantCode float64
	}{
		{"Default", "api://orders/.default", http.StatusOK, "", 0},
		{"GraphDefault", "https://graph.microsoft.com/.default", http.StatusOK, "", 0},
		// MSAL adds OpenID scopes to every request; Entra ignores them.
		{"DefaultWithOpenIDScopes", "api://orders/.default openid offline_access profile", http.StatusOK, "", 0},
		{"OpenIDScopesOnly", "openid profile", http.StatusBadRequest, "invalid_request", 900144},
		{"NamedScope", "api://orders/read", http.StatusBadRequest, "invalid_scope", 1002012},
		{"BareScope", "User.Read", http.StatusBadRequest, "invalid_scope", 1002012},
		{"DefaultWithoutResource", "/.default", http.StatusBadRequest, "invalid_scope", 1002012},
		{"TwoResources", "api://a/.default api://b/.default", http.StatusBadRequest, "invalid_scope", 28000},
		{"NoScope", "", http.StatusBadRequest, "invalid_request", 900144},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"grant_type": {"client_credentials"}}
			if tt.scope != "" {
				form.Set("scope", tt.scope)
			}
			got := post(t, srv, "/"+entraTID+"/oauth2/v2.0/token", form, basic("daemon", "s"))
			require.Equal(t, tt.status, got.Status, got.Raw)
			if tt.wantErr != "" {
				assert.Equal(t, tt.wantErr, got.str("error"))
				assert.Equal(t, []any{tt.wantCode}, got.Body["error_codes"])
				return
			}
			assert.Equal(t, got.Body["expires_in"], got.Body["ext_expires_in"])
			assert.NotContains(t, got.Body, "scope", "Entra's client credentials responses carry none")
			assert.NotContains(t, got.Body, "refresh_token")
			c := parseJWT(t, got.str("access_token"))
			res, _, _ := strings.Cut(tt.scope, "/.default")
			assert.Equal(t, res, c["aud"])
			assert.Equal(t, entraTID, c["tid"])
			assert.Equal(t, c["oid"], c["sub"])
			assert.Equal(t, "app", c["idtyp"])
			assert.Equal(t, []any{"Orders.Read.All"}, c["roles"])
			assert.Equal(t, srv.URL()+"/"+entraTID+"/v2.0", c["iss"])
		})
	}
}

// A user's tokens: a scope without a resource is Graph's, the response
// names the scopes granted, client_info names the user and tenant, and
// the tokens carry oid, tid and preferred_username.
func TestEntraUserTokens(t *testing.T) {
	srv := newEntra(t, entraTenant)
	q := url.Values{
		"response_type": {"code"}, "client_id": {"conf"}, "redirect_uri": {redirect},
		"scope": {"User.Read Mail.Read openid User.Read offline_access"}, "client_info": {"1"},
	}
	loc, err := srv.Authorize(t.Context(), srv.URL()+v2+"/authorize?"+q.Encode())
	require.NoError(t, err)
	got := post(t, srv, v2+"/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {redirect}, "client_info": {"1"},
	}, confAuth)
	require.Equal(t, http.StatusOK, got.Status, got.Raw)
	assert.Equal(t, "User.Read Mail.Read openid offline_access", got.str("scope"))
	assert.Equal(t, got.Body["expires_in"], got.Body["ext_expires_in"])

	at := parseJWT(t, got.str("access_token"))
	assert.Equal(t, "https://graph.microsoft.com", at["aud"])
	assert.Equal(t, "User.Read Mail.Read", at["scp"])
	assert.Equal(t, "alice-sub", at["sub"])
	assert.Equal(t, "alice", at["preferred_username"])
	require.NotEmpty(t, at["oid"])
	tid := at["tid"].(string)
	require.Len(t, tid, 36)

	id := parseJWT(t, got.str("id_token"))
	assert.Equal(t, at["oid"], id["oid"])
	assert.Equal(t, tid, id["tid"])
	assert.Equal(t, "alice", id["preferred_username"])

	raw, err := base64.RawURLEncoding.DecodeString(got.str("client_info"))
	require.NoError(t, err)
	var ci map[string]string
	require.NoError(t, json.Unmarshal(raw, &ci))
	assert.Equal(t, map[string]string{"uid": at["oid"].(string), "utid": tid}, ci)

	// The token request may add OpenID scopes (MSAL does), not others.
	loc, err = srv.Authorize(t.Context(), srv.URL()+v2+"/authorize?"+url.Values{
		"response_type": {"code"}, "client_id": {"conf"}, "redirect_uri": {redirect}, "scope": {"api://orders/read"},
	}.Encode())
	require.NoError(t, err)
	msal := post(t, srv, v2+"/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {redirect},
		"scope": {"api://orders/read api://orders/write openid offline_access profile"},
	}, confAuth)
	require.Equal(t, http.StatusOK, msal.Status, msal.Raw)
	assert.Equal(t, "api://orders/read openid offline_access profile", msal.str("scope"))
	assert.NotEmpty(t, msal.str("id_token"))
	assert.Equal(t, "read", parseJWT(t, msal.str("access_token"))["scp"])

	// Without client_info=1, none.
	pw := post(t, srv, v2+"/token", url.Values{"grant_type": {"password"}, "username": {"alice"},
		"password": {"alice-pw"}, "scope": {"api://orders/read"}}, confAuth)
	require.Equal(t, http.StatusOK, pw.Status, pw.Raw)
	assert.NotContains(t, pw.Body, "client_info")
	assert.Equal(t, "api://orders", parseJWT(t, pw.str("access_token"))["aud"])

	// userinfo answers for the user's token, not an app's.
	req := mustGet(t, srv.URL()+"/oidc/userinfo")
	req.Header.Set("Authorization", "Bearer "+got.str("access_token"))
	ui := do(t, srv, req)
	require.Equal(t, http.StatusOK, ui.Status, ui.Raw)
	assert.Equal(t, "alice-sub", ui.str("sub"))
}

// Every refusal carries Entra's AADSTS code, trace and correlation IDs
// and timestamp; the correlation ID is the caller's client-request-id.
func TestEntraRefusalsCarryAADSTSCodes(t *testing.T) {
	srv := newEntra(t, entraTenant)
	pw := post(t, srv, v2+"/token", url.Values{"grant_type": {"password"}, "username": {"alice"},
		"password": {"alice-pw"}, "scope": {"api://orders/read offline_access"}}, confAuth)
	require.Equal(t, http.StatusOK, pw.Status, pw.Raw)
	tests := []struct {
		name     string
		form     url.Values
		auth     string
		status   int
		wantErr  string
		code     float64
		suberror string
	}{
		{"BadSecret", url.Values{"grant_type": {"client_credentials"}, "scope": {"api://x/.default"}}, basic("conf", "wrong"), 401, "invalid_client", 7000215, ""},
		{"UnknownClient", url.Values{"grant_type": {"client_credentials"}, "scope": {"api://x/.default"}}, basic("nobody", "s"), 401, "unauthorized_client", 700016, ""},
		{"NoGrantType", url.Values{}, confAuth, 400, "invalid_request", 900144, ""},
		{"UnknownGrantType", url.Values{"grant_type": {"urn:x"}}, confAuth, 400, "unsupported_grant_type", 70003, ""},
		{"WrongPassword", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"x"}}, confAuth, 400, "invalid_grant", 50126, ""},
		{"UnknownCode", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {redirect}}, confAuth, 400, "invalid_grant", 9002313, ""},
		{"UnknownRefreshToken", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, confAuth, 400, "invalid_grant", 9002313, "bad_token"},
		{"RefreshOfAnotherClient", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {pw.str("refresh_token")}}, basic("mid", "mid-secret"), 400, "invalid_grant", 70000, "client_mismatch"},
		{"WiderScope", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {pw.str("refresh_token")}, "scope": {"api://orders/write"}}, confAuth, 400, "invalid_scope", 70011, ""},
		{"TwoResources", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-pw"}, "scope": {"api://a/r api://b/r"}}, confAuth, 400, "invalid_scope", 28000, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, srv.URL()+v2+"/token", strings.NewReader(tt.form.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", tt.auth)
			req.Header.Set("client-request-id", "5e1d1e3a-0000-4000-8000-000000000001")
			got := do(t, srv, req)
			require.Equal(t, tt.status, got.Status, got.Raw)
			assert.Equal(t, tt.wantErr, got.str("error"))
			assert.Equal(t, []any{tt.code}, got.Body["error_codes"])
			assert.Equal(t, "5e1d1e3a-0000-4000-8000-000000000001", got.str("correlation_id"))
			assert.Equal(t, got.Header.Get("x-ms-request-id"), got.str("trace_id"))
			assert.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$`, got.str("timestamp"))
			assert.Regexp(t, `^AADSTS\d+: .+\r\nTrace ID: `+got.str("trace_id")+`\r\nCorrelation ID: `, got.str("error_description"))
			if tt.suberror != "" {
				assert.Equal(t, tt.suberror, got.str("suberror"))
			} else {
				assert.NotContains(t, got.Body, "suberror")
			}
		})
	}
}

// The refresh-token policy: the generic default revokes the family on
// reuse, Entra's keeps the old token valid, and NoRotation issues none.
func TestRefreshTokenPolicies(t *testing.T) {
	tests := []struct {
		name        string
		opts        []oauth2flowstest.Option
		rotates     bool
		reuseStatus int
	}{
		{"GenericDefault", nil, true, http.StatusBadRequest},
		{"EntraDefault", []oauth2flowstest.Option{oauth2flowstest.WithEntra(entraTenant)}, true, http.StatusOK},
		{"RotateRevokeFamily", []oauth2flowstest.Option{oauth2flowstest.WithRefreshTokenPolicy(oauth2flowstest.RotateRevokeFamily)}, true, http.StatusBadRequest},
		{"EntraRevokingFamily", []oauth2flowstest.Option{oauth2flowstest.WithRefreshTokenPolicy(oauth2flowstest.RotateRevokeFamily), oauth2flowstest.WithEntra(entraTenant)}, true, http.StatusBadRequest},
		{"RotateKeepOld", []oauth2flowstest.Option{oauth2flowstest.WithRefreshTokenPolicy(oauth2flowstest.RotateKeepOld)}, true, http.StatusOK},
		{"NoRotation", []oauth2flowstest.Option{oauth2flowstest.WithRefreshTokenPolicy(oauth2flowstest.NoRotation)}, false, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.opts...)
			first := passwordTokens(t, srv, "api://orders/read")
			rt := first.str("refresh_token")
			second := token(t, srv, refreshForm(rt, nil), confAuth)
			require.Equal(t, http.StatusOK, second.Status, second.Raw)
			if tt.rotates {
				assert.NotEmpty(t, second.str("refresh_token"))
				assert.NotEqual(t, rt, second.str("refresh_token"))
			} else {
				assert.NotContains(t, second.Body, "refresh_token")
			}
			again := token(t, srv, refreshForm(rt, nil), confAuth)
			assert.Equal(t, tt.reuseStatus, again.Status, again.Raw)
			_, err := srv.VerifyAccessToken(second.str("access_token"))
			if tt.reuseStatus == http.StatusOK {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, oauth2flowstest.ErrInvalidToken, "reuse revoked the family")
			}
		})
	}
}

// On-Behalf-Of refuses an incoming token meant for another API as Entra
// does: invalid_grant, AADSTS500131.
func TestEntraOnBehalfOfRefusesAnotherAudience(t *testing.T) {
	srv := newEntra(t, entraTenant)
	form := url.Values{
		"grant_type": {oauth2flows.GrantTypeJWTBearer}, "requested_token_use": {"on_behalf_of"},
		"assertion": {srv.IssueAccessToken("alice", "api://billing", "read")}, "scope": {"api://down/.default"},
	}
	got := post(t, srv, v2+"/token", form, basic("mid", "mid-secret"))
	require.Equal(t, http.StatusBadRequest, got.Status, got.Raw)
	assert.Equal(t, "invalid_grant", got.str("error"))
	assert.Equal(t, []any{float64(500131)}, got.Body["error_codes"])

	form.Set("assertion", srv.IssueAccessToken("alice", "api://mid", "read"))
	ok := post(t, srv, v2+"/token", form, basic("mid", "mid-secret"))
	require.Equal(t, http.StatusOK, ok.Status, ok.Raw)
	assert.Equal(t, "api://down", parseJWT(t, ok.str("access_token"))["aud"])
}

// MSAL asks login.microsoftonline.com about an authority host it does not
// know; Client() sends that question, and only that one, here.
func TestEntraInstanceDiscovery(t *testing.T) {
	srv := newEntra(t, entraTenant)
	ask := func(authz string) response {
		q := url.Values{"api-version": {"1.1"}, "authorization_endpoint": {authz}}
		return do(t, srv, mustGet(t, "https://login.microsoftonline.com/common/discovery/instance?"+q.Encode()))
	}
	got := ask(srv.URL() + v2 + "/authorize")
	require.Equal(t, http.StatusOK, got.Status, got.Raw)
	assert.Equal(t, srv.URL()+"/"+entraTenant+"/v2.0/.well-known/openid-configuration", got.str("tenant_discovery_endpoint"))
	host := strings.TrimPrefix(srv.URL(), "https://")
	assert.Equal(t, []any{map[string]any{"preferred_network": host, "preferred_cache": host, "aliases": []any{host}}}, got.Body["metadata"])
	require.Len(t, srv.RequestsTo(oauth2flowstest.EndpointDiscovery), 1)

	bad := ask("https://login.microsoftonline.com/" + entraTenant + "/oauth2/v2.0/authorize")
	assert.Equal(t, http.StatusBadRequest, bad.Status, bad.Raw)
	assert.Equal(t, "invalid_instance", bad.str("error"))
	assert.Equal(t, []any{float64(50049)}, bad.Body["error_codes"])
}

// Entra's v1 token endpoint answers in v1's shape: numbers as strings and
// the token's resource.
func TestEntraV1TokenEndpoint(t *testing.T) {
	srv := newEntra(t, entraTenant)
	got := post(t, srv, "/"+entraTenant+"/oauth2/token", url.Values{"grant_type": {"client_credentials"},
		"resource": {"https://orders.example.com"}}, basic("daemon", "s"))
	require.Equal(t, http.StatusOK, got.Status, got.Raw)
	assert.Equal(t, "3600", got.str("expires_in"))
	assert.Equal(t, "3600", got.str("ext_expires_in"))
	assert.Equal(t, "https://orders.example.com", got.str("resource"))
}

func TestEntraLogoutRedirectsOnlyToRegisteredURIs(t *testing.T) {
	srv := newEntra(t, entraTenant)
	c := *srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, tt := range []struct {
		client, to string
		status     int
	}{
		{"conf", redirect, http.StatusFound},
		{"conf", "https://evil.example/", http.StatusBadRequest},
		{"", redirect, http.StatusBadRequest},
	} {
		q := url.Values{"post_logout_redirect_uri": {tt.to}, "client_id": {tt.client}, "state": {"s"}}
		resp, err := c.Get(srv.URL() + v2 + "/logout?" + q.Encode())
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, tt.status, resp.StatusCode, tt)
		if tt.status == http.StatusFound {
			assert.Equal(t, redirect+"?state=s", resp.Header.Get("Location"))
		}
	}
}
