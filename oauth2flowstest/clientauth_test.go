package oauth2flowstest_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func TestClientAuthentication(t *testing.T) {
	srv := newServer(t)
	k := keys()
	tokenURL := srv.URL() + "/token"
	cc := url.Values{"grant_type": {"client_credentials"}}
	tests := []struct {
		name       string
		form       url.Values
		auth       string
		wantStatus int
		wantErr    string
		wantClient string
		wantMethod string
		wantBasic  bool // WWW-Authenticate: Basic expected
	}{
		{"BasicWithFormEncodedSecret", cc, confAuth, 200, "", "conf", "client_secret_basic", false},
		{"BasicWrongSecret", cc, basic("conf", "nope"), 401, "invalid_client", "", "client_secret_basic", true},
		{"BasicUnencodedSecretIsRefused", cc, "Basic " + b64("conf:"+awkwardSecret), 401, "invalid_client", "", "client_secret_basic", true},
		{"BasicUnknownClient", cc, basic("nobody", "x"), 401, "invalid_client", "", "client_secret_basic", true},
		{"PostSecret", merge(cc, url.Values{"client_id": {"conf"}, "client_secret": {awkwardSecret}}), "", 200, "", "conf", "client_secret_post", false},
		{"PostWrongSecret", merge(cc, url.Values{"client_id": {"conf"}, "client_secret": {"x"}}), "", 400, "invalid_client", "", "client_secret_post", false},
		{"PostForBasicOnlyClient", merge(cc, url.Values{"client_id": {"basic-only"}, "client_secret": {"s"}}), "", 400, "invalid_client", "", "client_secret_post", false},
		{"BasicAndPostTogether", merge(cc, url.Values{"client_id": {"conf"}, "client_secret": {awkwardSecret}}), confAuth, 400, "invalid_request", "", "", false},
		{"ClientIDMismatch", merge(cc, url.Values{"client_id": {"mid"}}), confAuth, 401, "invalid_client", "", "client_secret_basic", true},
		{"NoCredentials", merge(cc, url.Values{"client_id": {"conf"}}), "", 400, "invalid_client", "", "none", false},
		{"ClientSecretJWT", merge(cc, assertionForm(assertion(t, jwt.SigningMethodHS256, []byte(awkwardSecret), "conf", tokenURL, time.Minute, "j1"))), "", 200, "", "conf", "client_secret_jwt", false},
		{"ClientSecretJWTWrongKey", merge(cc, assertionForm(assertion(t, jwt.SigningMethodHS256, []byte("wrong"), "conf", tokenURL, time.Minute, "j2"))), "", 400, "invalid_client", "", "client_secret_jwt", false},
		{"PrivateKeyJWTES256", merge(cc, assertionForm(assertion(t, jwt.SigningMethodES256, k.ec, "ec", tokenURL, time.Minute, "j3"))), "", 200, "", "ec", "private_key_jwt", false},
		{"PrivateKeyJWTRS256", merge(cc, assertionForm(assertion(t, jwt.SigningMethodRS256, k.rsa, "rsa", tokenURL, time.Minute, "j4"))), "", 200, "", "rsa", "private_key_jwt", false},
		{"PrivateKeyJWTPS256IssuerAudience", merge(cc, assertionForm(assertion(t, jwt.SigningMethodPS256, k.rsa, "rsa", srv.URL(), time.Minute, "j5"))), "", 200, "", "rsa", "private_key_jwt", false},
		{"PrivateKeyJWTWrongAudience", merge(cc, assertionForm(assertion(t, jwt.SigningMethodES256, k.ec, "ec", "https://other.example/token", time.Minute, "j6"))), "", 400, "invalid_client", "", "private_key_jwt", false},
		{"PrivateKeyJWTExpired", merge(cc, assertionForm(assertion(t, jwt.SigningMethodES256, k.ec, "ec", tokenURL, -time.Minute, "j7"))), "", 400, "invalid_client", "", "private_key_jwt", false},
		{"PrivateKeyJWTNoExp", merge(cc, assertionForm(assertion(t, jwt.SigningMethodES256, k.ec, "ec", tokenURL, 0, "j8"))), "", 400, "invalid_client", "", "private_key_jwt", false},
		{"PrivateKeyJWTTooLongLived", merge(cc, assertionForm(assertion(t, jwt.SigningMethodES256, k.ec, "ec", tokenURL, time.Hour, "j9"))), "", 400, "invalid_client", "", "private_key_jwt", false},
		{"PrivateKeyJWTNoJTI", merge(cc, assertionForm(assertion(t, jwt.SigningMethodES256, k.ec, "ec", tokenURL, time.Minute, ""))), "", 400, "invalid_client", "", "private_key_jwt", false},
		{"PrivateKeyJWTSignedByOtherKey", merge(cc, assertionForm(assertion(t, jwt.SigningMethodRS256, k.rsa, "ec", tokenURL, time.Minute, "j10"))), "", 400, "invalid_client", "", "private_key_jwt", false},
		{"HS256ForKeyOnlyClient", merge(cc, assertionForm(assertion(t, jwt.SigningMethodHS256, []byte("guess"), "rsa", tokenURL, time.Minute, "j11"))), "", 400, "invalid_client", "", "client_secret_jwt", false},
		{"WrongAssertionType", merge(cc, url.Values{"client_assertion_type": {"urn:x"}, "client_assertion": {"x"}}), "", 400, "invalid_request", "", "", false},
		{"PublicClientEmptySecretIsOmitted", url.Values{"grant_type": {"password"}, "client_id": {"public"}, "client_secret": {""}, "username": {"alice"}, "password": {"alice-pw"}}, "", 200, "", "public", "none", false},
		{"PublicClientNone", url.Values{"grant_type": {"password"}, "client_id": {"public"}, "username": {"alice"}, "password": {"alice-pw"}}, "", 200, "", "public", "none", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetRequests()
			got := token(t, srv, tt.form, tt.auth)
			assert.Equal(t, tt.wantStatus, got.Status, got.Raw)
			assert.Equal(t, tt.wantErr, got.str("error"))
			assert.Equal(t, "no-store", got.Header.Get("Cache-Control"))
			if tt.wantBasic {
				assert.Contains(t, got.Header.Get("WWW-Authenticate"), "Basic")
			} else {
				assert.Empty(t, got.Header.Get("WWW-Authenticate"))
			}
			reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
			require.Len(t, reqs, 1)
			assert.Equal(t, tt.wantClient, reqs[0].ClientID)
			assert.Equal(t, tt.wantMethod, reqs[0].AuthMethod)
			assert.Equal(t, tt.wantStatus, reqs[0].Status)
		})
	}
}

func TestClientAssertionReplayIsRefused(t *testing.T) {
	srv := newServer(t)
	a := assertion(t, jwt.SigningMethodES256, keys().ec, "ec", srv.URL()+"/token", time.Minute, "once")
	form := merge(url.Values{"grant_type": {"client_credentials"}}, assertionForm(a))
	first := token(t, srv, form, "")
	require.Equal(t, http.StatusOK, first.Status, first.Raw)
	second := token(t, srv, form, "")
	assert.Equal(t, http.StatusBadRequest, second.Status)
	assert.Equal(t, "invalid_client", second.str("error"))
}

func TestClientAssertionAudienceMayBeTheEndpointCalled(t *testing.T) {
	srv := newServer(t)
	tok := srv.IssueAccessToken("alice", "api://x")
	a := assertion(t, jwt.SigningMethodES256, keys().ec, "ec", srv.URL()+"/introspect", time.Minute, "intro")
	got := post(t, srv, "/introspect", merge(url.Values{"token": {tok}}, assertionForm(a)), "")
	require.Equal(t, http.StatusOK, got.Status, got.Raw)
	assert.Equal(t, true, got.Body["active"])
}
