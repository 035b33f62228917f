package oauth2flowstest_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

var midAuth = basic("mid", "mid-secret")

func oboForm(assertion string, extra url.Values) url.Values {
	return merge(url.Values{
		"grant_type":          {oauth2flows.GrantTypeJWTBearer},
		"requested_token_use": {"on_behalf_of"},
		"assertion":           {assertion},
	}, extra)
}

func TestOnBehalfOf(t *testing.T) {
	tests := []struct {
		name        string
		assertion   func(srv *oauth2flowstest.Server) string
		extra       url.Values
		wantAud     string
		wantScp     string
		wantRefresh bool
		wantID      bool
	}{
		{"DefaultScopeOfGraph", func(s *oauth2flowstest.Server) string { return s.IssueAccessToken("alice", "api://mid", "access") },
			url.Values{"scope": {"https://graph.microsoft.com/.default"}}, "https://graph.microsoft.com", "", false, false},
		{"NamedScopeAndOfflineAccess", func(s *oauth2flowstest.Server) string { return s.IssueAccessToken("alice", "mid", "access") },
			url.Values{"scope": {"api://b/read offline_access openid"}}, "api://b", "read", true, true},
		{"V1Resource", func(s *oauth2flowstest.Server) string { return s.IssueAccessToken("alice", "api://mid") },
			url.Values{"resource": {"https://graph.microsoft.com"}}, "https://graph.microsoft.com", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			got := token(t, srv, oboForm(tt.assertion(srv), tt.extra), midAuth)
			require.Equal(t, http.StatusOK, got.Status, got.Raw)
			claims, err := srv.VerifyAccessToken(got.str("access_token"))
			require.NoError(t, err)
			assert.Equal(t, "alice", claims.Subject)
			assert.Equal(t, "mid", claims.ClientID)
			assert.Equal(t, []string{tt.wantAud}, []string(claims.Audience))
			assert.Equal(t, tt.wantScp, claims.Scope)
			assert.Equal(t, tt.wantRefresh, got.str("refresh_token") != "")
			assert.Equal(t, tt.wantID, got.str("id_token") != "")

			req := srv.RequestsTo(oauth2flowstest.EndpointToken)[0]
			assert.Equal(t, "on_behalf_of", req.Form.Get("requested_token_use"))
			assert.Equal(t, "client_secret_basic", req.AuthMethod)
		})
	}
}

func TestOnBehalfOfRefusals(t *testing.T) {
	foreign := oauth2flowstest.NewServer()
	t.Cleanup(foreign.Close)
	tests := []struct {
		name      string
		assertion func(srv *oauth2flowstest.Server) string
		form      func(a string) url.Values
		auth      string
		wantErr   string
	}{
		{"AssertionForAnotherAPI", func(s *oauth2flowstest.Server) string { return s.IssueAccessToken("alice", "api://other") },
			func(a string) url.Values { return oboForm(a, url.Values{"scope": {"api://b/.default"}}) }, midAuth, "invalid_grant"},
		{"ForeignAssertion", func(*oauth2flowstest.Server) string {
			return foreign.IssueAccessToken("alice", "api://mid")
		}, func(a string) url.Values { return oboForm(a, url.Values{"scope": {"api://b/.default"}}) }, midAuth, "invalid_grant"},
		{"NoScopeNorResource", func(s *oauth2flowstest.Server) string { return s.IssueAccessToken("alice", "api://mid") },
			func(a string) url.Values { return oboForm(a, nil) }, midAuth, "invalid_request"},
		{"WithoutRequestedTokenUse", func(s *oauth2flowstest.Server) string { return s.IssueAccessToken("alice", "api://mid") },
			func(a string) url.Values {
				f := oboForm(a, url.Values{"scope": {"api://b/.default"}})
				f.Del("requested_token_use")
				return f
			}, midAuth, "invalid_request"},
		{"TwoResourcesInScope", func(s *oauth2flowstest.Server) string { return s.IssueAccessToken("alice", "api://mid") },
			func(a string) url.Values { return oboForm(a, url.Values{"scope": {"api://b/read api://c/read"}}) }, midAuth, "invalid_scope"},
		{"UnsupportedTokenType", func(s *oauth2flowstest.Server) string { return s.IssueAccessToken("alice", "api://mid") },
			func(a string) url.Values {
				return oboForm(a, url.Values{"scope": {"api://b/.default"}, "requested_token_type": {oauth2flows.TokenTypeJWT}})
			}, midAuth, "invalid_request"},
		// Entra: "The OBO flow only works for user principals": an app-only
		// token (client credentials) cannot be exchanged.
		{"AppOnlyAssertion", func(s *oauth2flowstest.Server) string {
			return oboAppOnlyToken(t, s)
		}, func(a string) url.Values { return oboForm(a, url.Values{"scope": {"api://b/.default"}}) }, midAuth, "invalid_grant"},
		{"IDTokenAsAssertion", func(s *oauth2flowstest.Server) string {
			got := token(t, s, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-pw"},
				"client_id": {"mid"}, "scope": {"openid"}}, midAuth)
			require.NotEmpty(t, got.str("id_token"), got.Raw)
			return got.str("id_token")
		}, func(a string) url.Values { return oboForm(a, url.Values{"scope": {"api://b/.default"}}) }, midAuth, "invalid_grant"},
		{"PublicClient", func(s *oauth2flowstest.Server) string { return s.IssueAccessToken("alice", "public") },
			func(a string) url.Values {
				return oboForm(a, url.Values{"scope": {"api://b/.default"}, "client_id": {"public"}})
			}, "", "unauthorized_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			got := token(t, srv, tt.form(tt.assertion(srv)), tt.auth)
			assert.Equal(t, http.StatusBadRequest, got.Status, got.Raw)
			assert.Equal(t, tt.wantErr, got.str("error"))
		})
	}
}

func TestOnBehalfOfSAML(t *testing.T) {
	tests := []struct {
		tokenType string
		wantXML   string
	}{
		{oauth2flows.TokenTypeSAML2, `urn:oasis:names:tc:SAML:2.0:assertion`},
		{oauth2flows.TokenTypeSAML1, `MajorVersion="1" MinorVersion="1"`},
	}
	for _, tt := range tests {
		t.Run(tt.tokenType, func(t *testing.T) {
			srv := newServer(t)
			a := srv.IssueAccessToken("alice<&>", "api://mid")
			got := token(t, srv, oboForm(a, url.Values{
				"scope": {"https://sap.example/.default"}, "requested_token_type": {tt.tokenType},
			}), midAuth)
			require.Equal(t, http.StatusOK, got.Status, got.Raw)
			assert.Equal(t, "Bearer", got.str("token_type"))
			assert.Equal(t, tt.tokenType, got.str("issued_token_type"))
			raw := got.str("access_token")
			assert.False(t, strings.ContainsAny(raw, "=+/"), "base64url without padding")
			xml, err := base64.RawURLEncoding.DecodeString(raw)
			require.NoError(t, err)
			assert.Contains(t, string(xml), tt.wantXML)
			assert.Contains(t, string(xml), "alice&lt;&amp;&gt;")
			assert.Contains(t, string(xml), "<saml:Audience>https://sap.example</saml:Audience>")
		})
	}
}

func TestOnBehalfOfRefusesExpiredAssertion(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Now().Unix())
	srv := newServer(t, oauth2flowstest.WithClock(func() time.Time { return time.Unix(now.Load(), 0) }))
	a := srv.IssueAccessToken("alice", "api://mid")
	now.Add(int64(2 * time.Hour / time.Second))
	got := token(t, srv, oboForm(a, url.Values{"scope": {"api://b/.default"}}), midAuth)
	assert.Equal(t, http.StatusBadRequest, got.Status)
	assert.Equal(t, "invalid_grant", got.str("error"))
}

// oboAppOnlyToken is a client credentials token of client "conf" for the
// middle tier "mid".
func oboAppOnlyToken(t *testing.T, s *oauth2flowstest.Server) string {
	t.Helper()
	got := token(t, s, url.Values{"grant_type": {"client_credentials"}, "scope": {"api://mid/.default"}}, confAuth)
	require.Equal(t, http.StatusOK, got.Status, got.Raw)
	return got.str("access_token")
}
