package oauth2flowstest_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func codeForm(code string, extra url.Values) url.Values {
	return merge(url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier},
	}, extra)
}

func TestAuthorizationCodeGrantIssuesAccessRefreshAndIDToken(t *testing.T) {
	srv := newServer(t)
	code := getCode(t, srv, "conf", url.Values{"nonce": {"n-1"}})
	got := token(t, srv, codeForm(code, nil), confAuth)
	require.Equal(t, http.StatusOK, got.Status, got.Raw)
	assert.Equal(t, "Bearer", got.str("token_type"))
	assert.EqualValues(t, 3600, got.Body["expires_in"])
	assert.Equal(t, "openid offline_access api://res/read", got.str("scope"))
	assert.NotEmpty(t, got.str("refresh_token"))
	assert.Equal(t, "no-store", got.Header.Get("Cache-Control"))

	claims, err := srv.VerifyAccessToken(got.str("access_token"))
	require.NoError(t, err)
	assert.Equal(t, "alice-sub", claims.Subject)
	assert.Equal(t, "conf", claims.ClientID)
	assert.Equal(t, "read", claims.Scope)
	assert.Equal(t, []string{"api://res"}, []string(claims.Audience))

	id := parseJWT(t, got.str("id_token"))
	assert.Equal(t, "conf", id["aud"])
	assert.Equal(t, "n-1", id["nonce"])
	assert.Equal(t, srv.URL(), id["iss"])
}

func TestAuthorizationCodeRefusals(t *testing.T) {
	tests := []struct {
		name    string
		client  string // who got the code
		form    func(code string) url.Values
		auth    string
		wantErr string
	}{
		{"WrongVerifier", "conf", func(c string) url.Values {
			f := codeForm(c, nil)
			f.Set("code_verifier", strings.Repeat("a", 43))
			return f
		}, confAuth, "invalid_grant"},
		{"MissingVerifier", "conf", func(c string) url.Values {
			f := codeForm(c, nil)
			f.Del("code_verifier")
			return f
		}, confAuth, "invalid_grant"},
		{"WrongRedirect", "conf", func(c string) url.Values {
			f := codeForm(c, nil)
			f.Set("redirect_uri", "https://app.example/other")
			return f
		}, confAuth, "invalid_grant"},
		{"OtherClient", "conf", func(c string) url.Values { return codeForm(c, nil) }, basic("mid", "mid-secret"), "invalid_grant"},
		{"UnknownCode", "conf", func(string) url.Values { return codeForm("made-up", nil) }, confAuth, "invalid_grant"},
		{"MissingCode", "conf", func(string) url.Values { return codeForm("", nil) }, confAuth, "invalid_request"},
		{"RepeatedParameter", "conf", func(c string) url.Values {
			return codeForm(c, url.Values{"code": {c}})
		}, confAuth, "invalid_request"},
		{"PublicClientNeedsClientID", "public", func(c string) url.Values { return codeForm(c, nil) }, "", "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			code := getCode(t, srv, tt.client, nil)
			got := token(t, srv, tt.form(code), tt.auth)
			assert.GreaterOrEqual(t, got.Status, 400, got.Raw)
			assert.Equal(t, tt.wantErr, got.str("error"))
		})
	}
}

func TestAuthorizationCodeWithoutChallengeRefusesVerifier(t *testing.T) {
	srv := newServer(t)
	_, loc := authorize(t, srv, url.Values{"response_type": {"code"}, "client_id": {"conf"}, "redirect_uri": {redirect}})
	got := token(t, srv, codeForm(loc.Query().Get("code"), nil), confAuth)
	assert.Equal(t, http.StatusBadRequest, got.Status)
	assert.Equal(t, "invalid_grant", got.str("error"))
}

func TestAuthorizationCodePublicClientWithPKCE(t *testing.T) {
	srv := newServer(t)
	code := getCode(t, srv, "public", nil)
	got := token(t, srv, codeForm(code, url.Values{"client_id": {"public"}}), "")
	require.Equal(t, http.StatusOK, got.Status, got.Raw)
	assert.Equal(t, "none", srv.RequestsTo(oauth2flowstest.EndpointToken)[0].AuthMethod)
}

func TestAuthorizationCodeReuseRevokesTokensIssuedFromIt(t *testing.T) {
	srv := newServer(t)
	code := getCode(t, srv, "conf", nil)
	first := token(t, srv, codeForm(code, nil), confAuth)
	require.Equal(t, http.StatusOK, first.Status, first.Raw)
	_, err := srv.VerifyAccessToken(first.str("access_token"))
	require.NoError(t, err)

	second := token(t, srv, codeForm(code, nil), confAuth)
	assert.Equal(t, http.StatusBadRequest, second.Status)
	assert.Equal(t, "invalid_grant", second.str("error"))

	_, err = srv.VerifyAccessToken(first.str("access_token"))
	assert.ErrorIs(t, err, oauth2flowstest.ErrInvalidToken)
	refresh := token(t, srv, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.str("refresh_token")}}, confAuth)
	assert.Equal(t, "invalid_grant", refresh.str("error"))
}

func TestPasswordGrant(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name     string
		form     url.Values
		wantErr  string
		wantSub  string
		wantIDTk bool
	}{
		{"Alice", url.Values{"username": {"alice"}, "password": {"alice-pw"}, "scope": {"openid read"}}, "", "alice-sub", true},
		{"WrongPassword", url.Values{"username": {"alice"}, "password": {"bob-pw"}}, "invalid_grant", "", false},
		{"UnknownUser", url.Values{"username": {"eve"}, "password": {"x"}}, "invalid_grant", "", false},
		{"MissingPassword", url.Values{"username": {"alice"}}, "invalid_request", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := token(t, srv, merge(url.Values{"grant_type": {"password"}}, tt.form), confAuth)
			assert.Equal(t, tt.wantErr, got.str("error"), got.Raw)
			if tt.wantErr != "" {
				assert.Equal(t, http.StatusBadRequest, got.Status)
				return
			}
			claims, err := srv.VerifyAccessToken(got.str("access_token"))
			require.NoError(t, err)
			assert.Equal(t, tt.wantSub, claims.Subject)
			assert.NotEmpty(t, got.str("refresh_token"))
			assert.Equal(t, tt.wantIDTk, got.str("id_token") != "")
		})
	}
}

func TestClientCredentialsGrant(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name    string
		form    url.Values
		auth    string
		wantErr string
	}{
		{"Confidential", url.Values{"scope": {"https://graph.microsoft.com/.default"}}, basic("cc-only", "s"), ""},
		{"PublicClient", url.Values{"client_id": {"public"}}, "", "unauthorized_client"},
		{"GrantNotRegistered", url.Values{"username": {"alice"}, "password": {"alice-pw"}, "grant_type": {"password"}}, basic("cc-only", "s"), "unauthorized_client"},
		{"UnknownGrant", url.Values{"grant_type": {"urn:example:magic"}}, confAuth, "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := tt.form
			if !form.Has("grant_type") {
				form = merge(url.Values{"grant_type": {"client_credentials"}}, form)
			}
			got := token(t, srv, form, tt.auth)
			assert.Equal(t, tt.wantErr, got.str("error"), got.Raw)
			if tt.wantErr != "" {
				return
			}
			assert.Empty(t, got.str("refresh_token"), "RFC 6749 §4.4.3: no refresh token")
			claims, err := srv.VerifyAccessToken(got.str("access_token"))
			require.NoError(t, err)
			assert.Equal(t, "cc-only", claims.Subject)
			assert.Equal(t, []string{"https://graph.microsoft.com"}, []string(claims.Audience))
		})
	}
}

func TestTokenEndpointRequestShape(t *testing.T) {
	srv := newServer(t)
	t.Run("GETIsRefused", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/token?grant_type=client_credentials", nil)
		req.Header.Set("Authorization", confAuth)
		got := do(t, srv, req)
		assert.Equal(t, http.StatusMethodNotAllowed, got.Status)
		assert.Equal(t, "invalid_request", got.str("error"))
	})
	t.Run("JSONBodyIsRefused", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", confAuth)
		got := do(t, srv, req)
		assert.Equal(t, "invalid_request", got.str("error"))
	})
	t.Run("MissingGrantType", func(t *testing.T) {
		got := token(t, srv, url.Values{}, confAuth)
		assert.Equal(t, "invalid_request", got.str("error"))
	})
}

func refreshForm(rt string, extra url.Values) url.Values {
	return merge(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, extra)
}

func passwordTokens(t *testing.T, srv *oauth2flowstest.Server, scope string) response {
	t.Helper()
	got := token(t, srv, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-pw"}, "scope": {scope}}, confAuth)
	require.Equal(t, http.StatusOK, got.Status, got.Raw)
	return got
}

func TestRefreshRotatesAndReuseRevokesTheFamily(t *testing.T) {
	srv := newServer(t)
	first := passwordTokens(t, srv, "read write")
	second := token(t, srv, refreshForm(first.str("refresh_token"), nil), confAuth)
	require.Equal(t, http.StatusOK, second.Status, second.Raw)
	require.NotEmpty(t, second.str("refresh_token"))
	assert.NotEqual(t, first.str("refresh_token"), second.str("refresh_token"))

	reuse := token(t, srv, refreshForm(first.str("refresh_token"), nil), confAuth)
	assert.Equal(t, "invalid_grant", reuse.str("error"))

	// The whole family is gone: the newest refresh token and its access token.
	latest := token(t, srv, refreshForm(second.str("refresh_token"), nil), confAuth)
	assert.Equal(t, "invalid_grant", latest.str("error"))
	_, err := srv.VerifyAccessToken(second.str("access_token"))
	assert.Error(t, err)
}

func TestRefreshKeepsOldRefreshTokenWhenRotationIsOff(t *testing.T) {
	srv := newServer(t, oauth2flowstest.WithRefreshTokenPolicy(oauth2flowstest.NoRotation))
	first := passwordTokens(t, srv, "read")
	for range 2 {
		got := token(t, srv, refreshForm(first.str("refresh_token"), nil), confAuth)
		require.Equal(t, http.StatusOK, got.Status, got.Raw)
		assert.Empty(t, got.str("refresh_token"))
	}
}

func TestRefreshRefusals(t *testing.T) {
	tests := []struct {
		name    string
		opts    []oauth2flowstest.Option
		form    func(rt string) url.Values
		auth    string
		wantErr string
	}{
		{"NarrowingIsAllowed", nil, func(rt string) url.Values { return refreshForm(rt, url.Values{"scope": {"read"}}) }, confAuth, ""},
		{"WideningIsRefused", nil, func(rt string) url.Values { return refreshForm(rt, url.Values{"scope": {"read admin"}}) }, confAuth, "invalid_scope"},
		{"OtherClient", nil, func(rt string) url.Values { return refreshForm(rt, nil) }, basic("mid", "mid-secret"), "invalid_grant"},
		{"Unknown", nil, func(string) url.Values { return refreshForm("nope", nil) }, confAuth, "invalid_grant"},
		{"Expired", []oauth2flowstest.Option{oauth2flowstest.WithRefreshTokenLifetime(-time.Second)}, func(rt string) url.Values { return refreshForm(rt, nil) }, confAuth, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.opts...)
			first := passwordTokens(t, srv, "read write")
			got := token(t, srv, tt.form(first.str("refresh_token")), tt.auth)
			assert.Equal(t, tt.wantErr, got.str("error"), got.Raw)
			if tt.wantErr == "" {
				claims, err := srv.VerifyAccessToken(got.str("access_token"))
				require.NoError(t, err)
				assert.Equal(t, "read", claims.Scope)
			}
		})
	}
}

func TestEntraV1ResponsesUseStrings(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	srv := newServer(t, oauth2flowstest.WithEntraV1Responses(), oauth2flowstest.WithClock(func() time.Time { return now }))
	got := token(t, srv, url.Values{"grant_type": {"client_credentials"}, "resource": {"https://graph.microsoft.com"}}, confAuth)
	require.Equal(t, http.StatusOK, got.Status, got.Raw)
	assert.Equal(t, "3600", got.Body["expires_in"])
	assert.Equal(t, "3600", got.Body["ext_expires_in"])
	assert.Equal(t, "1700003600", got.Body["expires_on"])
	assert.Equal(t, "1700000000", got.Body["not_before"])
	assert.Equal(t, "https://graph.microsoft.com", got.Body["resource"])

	// expires_on is the token's exp, as Entra sends it, at a clock between
	// seconds too (it was the answer's second plus expires_in, a second
	// before exp).
	now = time.Unix(1_700_000_000, 400_000_000)
	got = token(t, srv, url.Values{"grant_type": {"client_credentials"}, "resource": {"https://graph.microsoft.com"}}, confAuth)
	require.Equal(t, http.StatusOK, got.Status, got.Raw)
	claims, err := srv.VerifyAccessToken(got.str("access_token"))
	require.NoError(t, err)
	assert.Equal(t, strconv.FormatInt(claims.ExpiresAt.Unix(), 10), got.Body["expires_on"])
}

func TestFormResponses(t *testing.T) {
	srv := newServer(t, oauth2flowstest.WithFormResponses())
	got := token(t, srv, url.Values{"grant_type": {"client_credentials"}}, confAuth)
	require.Equal(t, http.StatusOK, got.Status)
	assert.Equal(t, "application/x-www-form-urlencoded", got.Header.Get("Content-Type"))
	v, err := url.ParseQuery(got.Raw)
	require.NoError(t, err)
	assert.NotEmpty(t, v.Get("access_token"))
	assert.Equal(t, "Bearer", v.Get("token_type"))
	assert.Equal(t, "3600", v.Get("expires_in"))
}

func TestWithClockDrivesExpiry(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	srv := newServer(t, oauth2flowstest.WithClock(func() time.Time { return clock() }), oauth2flowstest.WithAccessTokenLifetime(time.Minute))
	tok := srv.IssueAccessToken("alice", "api://x")
	_, err := srv.VerifyAccessToken(tok)
	require.NoError(t, err)
	now = now.Add(2 * time.Minute)
	_, err = srv.VerifyAccessToken(tok)
	assert.ErrorIs(t, err, oauth2flowstest.ErrInvalidToken)
}

func TestResourceIndicators(t *testing.T) {
	srv := newServer(t)
	t.Run("ClientCredentialsRelativeResource", func(t *testing.T) {
		got := token(t, srv, url.Values{"grant_type": {"client_credentials"}, "resource": {"graph"}}, confAuth)
		assert.Equal(t, "invalid_target", got.str("error"))
	})
	t.Run("AuthorizeRepeatedResourceReachesTheToken", func(t *testing.T) {
		code := getCode(t, srv, "conf", url.Values{"resource": {"https://a.example", "https://b.example"}})
		got := token(t, srv, codeForm(code, nil), confAuth)
		require.Equal(t, http.StatusOK, got.Status, got.Raw)
		assert.Equal(t, []any{"https://a.example", "https://b.example"}, parseJWT(t, got.str("access_token"))["aud"])
	})
}
