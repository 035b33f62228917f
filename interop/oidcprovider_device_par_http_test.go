package interop

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// asTarget is one authorization server under comparison, with the paths
// it gives its endpoints in its metadata.
type asTarget struct {
	name                    string
	issuer, secret, scope   string
	device, par, token, aut string
}

func compareTargets(t *testing.T) []asTarget {
	p := startOIDCProvider(t)
	srv := oauth2flowstest.NewServer(
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "conf", Secret: p.Secret, RedirectURIs: []string{"http://127.0.0.1/cb"}}),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "public", AuthMethod: oauth2flowstest.AuthNone, RedirectURIs: []string{"http://127.0.0.1/cb"}}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice"}),
	)
	t.Cleanup(srv.Close)
	var out []asTarget
	for name, iss := range map[string]string{"oidc-provider": p.Issuer, "oauth2flowstest": srv.URL()} {
		meta := getJSON(t, iss+"/.well-known/openid-configuration")
		str := func(k string) string { s, _ := meta[k].(string); return s }
		require.NotEmpty(t, str("device_authorization_endpoint"), name)
		require.NotEmpty(t, str("pushed_authorization_request_endpoint"), name)
		out = append(out, asTarget{name: name, issuer: iss, secret: p.Secret, scope: "openid",
			device: str("device_authorization_endpoint"), par: str("pushed_authorization_request_endpoint"),
			token: str("token_endpoint"), aut: str("authorization_endpoint")})
	}
	return out
}

func getJSON(t *testing.T, u string) map[string]any {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, u)
	var out map[string]any
	require.NoError(t, decodeJSON(resp, &out))
	return out
}

// TestDeviceFlowAgainstOIDCProvider runs the first steps of the device
// flow (RFC 8628) on both servers with plain HTTP: the device
// authorization response, then polls before the user acts.
func TestDeviceFlowAgainstOIDCProvider(t *testing.T) {
	for _, tg := range compareTargets(t) {
		t.Run(tg.name, func(t *testing.T) {
			status, da := postForm(t, tg.device, url.Values{"client_id": {"public"}, "scope": {"openid"}}, "", "")
			require.Equal(t, http.StatusOK, status, "%v", da)
			for _, k := range []string{"device_code", "user_code", "verification_uri", "verification_uri_complete"} {
				assert.NotEmpty(t, da[k], k)
			}
			assert.Greater(t, da["expires_in"], float64(0))
			poll := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {da["device_code"].(string)}, "client_id": {"public"}}
			status, first := postForm(t, tg.token, poll, "", "")
			assert.Equal(t, http.StatusBadRequest, status)
			status, second := postForm(t, tg.token, poll, "", "")
			assert.Equal(t, http.StatusBadRequest, status)
			// oidc-provider sends no interval (so 5 s, RFC 8628 §3.2) and
			// lets a device poll at once; the test server answers slow_down
			// to a poll sooner than the interval after the device
			// authorization or the previous poll.
			want := map[string][]any{
				"oidc-provider":   {nil, "authorization_pending", "authorization_pending"},
				"oauth2flowstest": {float64(5), "slow_down", "slow_down"},
			}[tg.name]
			assert.Equal(t, want, []any{da["interval"], first["error"], second["error"]})
			wrong := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {"made-up"}, "client_id": {"public"}}
			_, bad := postForm(t, tg.token, wrong, "", "")
			assert.Equal(t, "invalid_grant", bad["error"])
		})
	}
}

// TestPARAgainstOIDCProvider pushes the same requests to both servers.
func TestPARAgainstOIDCProvider(t *testing.T) {
	const verifierChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	good := func() url.Values {
		// RFC 9126 §2.1: client_id even with Basic (oidc-provider insists).
		return url.Values{"client_id": {"conf"}, "response_type": {"code"}, "redirect_uri": {"http://127.0.0.1/cb"}, "scope": {"openid"},
			"state": {"st"}, "code_challenge": {verifierChallenge}, "code_challenge_method": {"S256"}}
	}
	with := func(k, v string) url.Values {
		f := good()
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	tests := []struct {
		name       string
		form       url.Values
		basic      bool
		oidc, ours string // "" for 201
	}{
		{"Good", good(), true, "", ""},
		{"PublicClient", with("client_id", "public"), false, "", ""},
		{"UnregisteredRedirect", with("redirect_uri", "http://127.0.0.1/other"), true, "invalid_request", "invalid_request"},
		{"PlainPKCE", with("code_challenge_method", "plain"), true, "invalid_request", "invalid_request"},
		{"PublicWithoutPKCE", func() url.Values {
			f := with("client_id", "public")
			f.Del("code_challenge")
			f.Del("code_challenge_method")
			return f
		}(), false, "invalid_request", "invalid_request"},
		{"RequestURIPushed", with("request_uri", "urn:ietf:params:oauth:request_uri:x"), true, "request_uri_not_supported", "invalid_request"},
		{"NoClientIDDespiteBasic", with("client_id", ""), true, "invalid_request", "invalid_request"},
		{"ConfidentialWithoutSecret", good(), false, "invalid_client", "invalid_client"},
	}
	targets := compareTargets(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, tg := range targets {
				user, pass := "", ""
				if tt.basic {
					user, pass = "conf", tg.secret
				}
				status, body := postForm(t, tg.par, tt.form, user, pass)
				want := tt.ours
				if tg.name == "oidc-provider" {
					want = tt.oidc
				}
				if want == "" {
					assert.Equal(t, http.StatusCreated, status, "%s: %v", tg.name, body)
					assert.Regexp(t, `^urn:ietf:params:oauth:request_uri:`, body["request_uri"], tg.name)
					assert.Greater(t, body["expires_in"], float64(0), tg.name)
				} else {
					assert.Equal(t, want, body["error"], "%s: %v", tg.name, body)
				}
			}
		})
	}
}

func decodeJSON(resp *http.Response, v any) error {
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}
