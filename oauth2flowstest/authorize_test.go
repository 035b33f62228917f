package oauth2flowstest_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func TestAuthorizeCodeRedirectCarriesCodeStateAndIss(t *testing.T) {
	srv := newServer(t)
	resp, loc := authorize(t, srv, url.Values{
		"response_type": {"code"}, "client_id": {"conf"}, "redirect_uri": {redirect}, "state": {"xyz"},
	})
	require.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "app.example", loc.Host)
	assert.NotEmpty(t, loc.Query().Get("code"))
	assert.Equal(t, "xyz", loc.Query().Get("state"))
	assert.Equal(t, srv.URL(), loc.Query().Get("iss"))
}

func TestAuthorizeRefusesWithoutRedirectingWhenClientOrRedirectIsBad(t *testing.T) {
	srv := newServer(t, oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "unregistered-public", AuthMethod: oauth2flowstest.AuthNone}))
	tests := []struct {
		name string
		q    url.Values
	}{
		{"UnknownClient", url.Values{"response_type": {"code"}, "client_id": {"nobody"}, "redirect_uri": {redirect}}},
		{"UnregisteredRedirect", url.Values{"response_type": {"code"}, "client_id": {"conf"}, "redirect_uri": {"https://evil.example/cb"}}},
		{"RedirectPrefixIsNotExact", url.Values{"response_type": {"code"}, "client_id": {"conf"}, "redirect_uri": {redirect + "/more"}}},
		{"RelativeRedirect", url.Values{"response_type": {"code"}, "client_id": {"mid"}, "redirect_uri": {"/cb"}}},
		{"NoRedirectAnywhere", url.Values{"response_type": {"code"}, "client_id": {"mid"}}},
		// RFC 6749 §3.1.2.2: public clients and implicit-grant clients MUST
		// register their redirect URIs; without, any site could take the code
		// or token.
		{"PublicClientWithoutRegistration", url.Values{"response_type": {"code"}, "client_id": {"unregistered-public"},
			"redirect_uri": {"https://evil.example/cb"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}},
		{"ImplicitWithoutRegistration", url.Values{"response_type": {"token"}, "client_id": {"mid"}, "redirect_uri": {"https://evil.example/cb"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, loc := authorize(t, srv, tt.q)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Nil(t, loc)
		})
	}
}

func TestAuthorizeErrorsGoBackToTheClient(t *testing.T) {
	srv := newServer(t)
	base := url.Values{"client_id": {"public"}, "redirect_uri": {redirect}, "state": {"s1"}}
	tests := []struct {
		name     string
		q        url.Values
		wantErr  string
		fragment bool
	}{
		{"PlainPKCE", url.Values{"response_type": {"code"}, "code_challenge": {challenge}, "code_challenge_method": {"plain"}}, "invalid_request", false},
		// RFC 7636 §4.2: an S256 challenge is the base64url of a SHA-256,
		// 43 characters of [A-Za-z0-9_-]; anything else can never match.
		{"ChallengeNotBase64URL", url.Values{"response_type": {"code"}, "code_challenge": {strings.Repeat("!", 43)}, "code_challenge_method": {"S256"}}, "invalid_request", false},
		{"PKCEWithoutMethod", url.Values{"response_type": {"code"}, "code_challenge": {challenge}}, "invalid_request", false},
		{"PublicClientWithoutPKCE", url.Values{"response_type": {"code"}}, "invalid_request", false},
		{"UnsupportedResponseType", url.Values{"response_type": {"id_token"}}, "unsupported_response_type", false},
		{"MissingResponseType", url.Values{}, "invalid_request", false},
		{"UnknownLoginHint", url.Values{"response_type": {"token"}, "login_hint": {"mallory"}}, "login_required", true},
		{"ScopesOfTwoResources", url.Values{"response_type": {"code"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "scope": {"api://a/x api://b/y"}}, "invalid_scope", false},
		{"DuplicateParameter", url.Values{"response_type": {"code"}, "scope": {"a", "b"}}, "invalid_request", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, loc := authorize(t, srv, merge(base, tt.q))
			require.Equal(t, http.StatusFound, resp.StatusCode)
			p := loc.Query()
			if tt.fragment {
				var err error
				p, err = url.ParseQuery(loc.Fragment)
				require.NoError(t, err)
			}
			assert.Equal(t, tt.wantErr, p.Get("error"))
			assert.Equal(t, "s1", p.Get("state"))
			assert.Equal(t, srv.URL(), p.Get("iss"))
		})
	}
}

func TestAuthorizeImplicitReturnsTokenInFragment(t *testing.T) {
	srv := newServer(t)
	resp, loc := authorize(t, srv, url.Values{
		"response_type": {"token"}, "client_id": {"public"}, "redirect_uri": {redirect},
		"scope": {"api://res/read"}, "state": {"st"}, "login_hint": {"bob"},
	})
	require.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Empty(t, loc.RawQuery)
	f, err := url.ParseQuery(loc.Fragment)
	require.NoError(t, err)
	assert.Equal(t, "Bearer", f.Get("token_type"))
	assert.Equal(t, "3600", f.Get("expires_in"))
	assert.Equal(t, "api://res/read", f.Get("scope"))
	assert.Equal(t, "st", f.Get("state"))
	claims, err := srv.VerifyAccessToken(f.Get("access_token"))
	require.NoError(t, err)
	assert.Equal(t, "bob-sub", claims.Subject)
	assert.Equal(t, "public", claims.ClientID)
	assert.Equal(t, "read", claims.Scope)
	assert.Equal(t, []string{"api://res"}, []string(claims.Audience))
}

func TestAuthorizeRespectsRegisteredGrantTypes(t *testing.T) {
	srv := newServer(t)
	// cc-only has no registered redirect, so it sends one of its own.
	resp, loc := authorize(t, srv, url.Values{
		"response_type": {"code"}, "client_id": {"cc-only"}, "redirect_uri": {redirect},
	})
	require.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "unauthorized_client", loc.Query().Get("error"))
}

func TestAuthorizeHelperReturnsRedirect(t *testing.T) {
	srv := newServer(t)
	q := url.Values{"response_type": {"code"}, "client_id": {"conf"}, "redirect_uri": {redirect}, "state": {"s"}}
	loc, err := srv.Authorize(t.Context(), srv.Endpoint().AuthURL+"?"+q.Encode())
	require.NoError(t, err)
	assert.Equal(t, "s", loc.Query().Get("state"))
	assert.NotEmpty(t, loc.Query().Get("code"))

	q.Set("redirect_uri", "https://evil.example/")
	_, err = srv.Authorize(t.Context(), srv.Endpoint().AuthURL+"?"+q.Encode())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "redirect_uri")
}

// Authorize must not touch the client Client returns: tests share it, in
// parallel, and expect it to keep following redirects.
func TestAuthorizeLeavesTheSharedClientFollowingRedirects(t *testing.T) {
	srv := newServer(t)
	hop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/from" {
			http.Redirect(w, r, "/to", http.StatusFound)
			return
		}
		_, _ = w.Write([]byte("arrived"))
	}))
	t.Cleanup(hop.Close)
	q := url.Values{"response_type": {"code"}, "client_id": {"conf"}, "redirect_uri": {redirect}}

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			loc, err := srv.Authorize(t.Context(), srv.Endpoint().AuthURL+"?"+q.Encode())
			if assert.NoError(t, err) {
				assert.NotEmpty(t, loc.Query().Get("code"))
			}
		})
		wg.Go(func() {
			resp, err := srv.Client().Get(hop.URL + "/from")
			if assert.NoError(t, err) {
				resp.Body.Close()
				assert.Equal(t, http.StatusOK, resp.StatusCode)
			}
		})
	}
	wg.Wait()

	assert.Nil(t, srv.Client().CheckRedirect)
	resp, err := srv.Client().Get(hop.URL + "/from")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "/to", resp.Request.URL.Path)
}
