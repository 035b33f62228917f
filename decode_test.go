package oauth2flows_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

func TestDecodeTokenResponses(t *testing.T) {
	const js = "application/json"
	tests := []struct {
		name      string
		ctype     string
		body      string
		check     func(t *testing.T, tok *oauth2flows.Token)
		wantInSec int64
	}{
		{
			name:  "JSONNumbers",
			ctype: js,
			body:  `{"access_token":"at-1","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-1","scope":"a b","id_token":"idt","custom":"x"}`,
			check: func(t *testing.T, tok *oauth2flows.Token) {
				assert.Equal(t, "at-1", tok.AccessToken)
				assert.Equal(t, "rt-1", tok.RefreshToken)
				assert.Equal(t, "idt", tok.IDToken)
				assert.Equal(t, []string{"a", "b"}, tok.Scopes())
				assert.Equal(t, "x", tok.Extra("custom"))
				assert.EqualValues(t, 3600, tok.ExpiresIn)
			},
			wantInSec: 3600,
		},
		{
			name:  "EntraV1StringNumbers",
			ctype: js,
			body:  `{"access_token":"at-1","token_type":"Bearer","expires_in":"3599","ext_expires_in":"3599","expires_on":"1700000000","resource":"https://graph.microsoft.com"}`,
			check: func(t *testing.T, tok *oauth2flows.Token) {
				assert.Equal(t, "https://graph.microsoft.com", tok.Extra("resource"))
			},
			wantInSec: 3599,
		},
		{
			name:  "LowercaseBearerFromFosite",
			ctype: js,
			body:  `{"access_token":"at-1","token_type":"bearer"}`,
			check: func(t *testing.T, tok *oauth2flows.Token) {
				assert.Equal(t, "Bearer", tok.TokenType)
				assert.True(t, tok.Expiry.IsZero(), "no expires_in means no expiry")
				assert.True(t, tok.IsBearer())
			},
		},
		{
			name:  "FormEncodedFromGitHub",
			ctype: "application/x-www-form-urlencoded; charset=utf-8",
			body:  "access_token=gho_abc&scope=repo%2Cgist&token_type=bearer&expires_in=28800",
			check: func(t *testing.T, tok *oauth2flows.Token) {
				assert.Equal(t, "gho_abc", tok.AccessToken)
				assert.Equal(t, "repo,gist", tok.Scope)
				assert.Equal(t, "Bearer", tok.TokenType)
			},
			wantInSec: 28800,
		},
		{
			name:  "OnlyExpiresOnIsAnAbsoluteTime",
			ctype: js,
			body:  `{"access_token":"at-1","token_type":"Bearer","expires_on":"4102444800"}`,
			check: func(t *testing.T, tok *oauth2flows.Token) {
				assert.Equal(t, time.Unix(4102444800, 0), tok.Expiry)
			},
		},
		{
			name:  "ExpiresInZeroMeansNoExpiry",
			ctype: js,
			body:  `{"access_token":"at-1","token_type":"Bearer","expires_in":0}`,
			check: func(t *testing.T, tok *oauth2flows.Token) { assert.True(t, tok.Expiry.IsZero()) },
		},
		{
			name:  "IssuedTokenTypeNA",
			ctype: js,
			body:  `{"access_token":"x","token_type":"N_A","issued_token_type":"urn:ietf:params:oauth:token-type:id_token"}`,
			check: func(t *testing.T, tok *oauth2flows.Token) {
				assert.Equal(t, oauth2flows.TokenTypeIDToken, tok.IssuedTokenType)
				assert.False(t, tok.IsBearer())
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fakeConfig(t, &tokenFake{status: 200, ctype: tt.ctype, body: tt.body})
			before := time.Now()
			tok, err := oauth2flows.ClientCredentials(context.Background(), cfg)
			require.NoError(t, err)
			tt.check(t, tok)
			if tt.wantInSec > 0 {
				want := before.Add(time.Duration(tt.wantInSec) * time.Second)
				assert.WithinDuration(t, want, tok.Expiry, 2*time.Second)
			}
		})
	}
}

func TestBadResponsesGiveTypedErrorsAndNoToken(t *testing.T) {
	big := `{"access_token":"` + strings.Repeat("a", 2<<20) + `"}`
	tests := []struct {
		name     string
		status   int
		ctype    string
		body     string
		wantResp bool // *InvalidResponseError rather than *Error
		wantCode string
	}{
		{name: "InvalidJSON", status: 200, ctype: "application/json", body: `{"access_token":`, wantResp: true},
		{name: "EmptyBody", status: 200, ctype: "application/json", body: ``, wantResp: true},
		{name: "HTML502", status: 502, ctype: "text/html", body: "<html><body><h1>502 Bad Gateway</h1></body></html>"},
		{name: "TwoMiBBody", status: 200, ctype: "application/json", body: big, wantResp: true},
		{name: "TwoMiBErrorBody", status: 400, ctype: "application/json", body: big},
		{name: "200WithError", status: 200, ctype: "application/json", body: `{"error":"bad_verification_code","error_description":"The code passed is incorrect"}`, wantCode: "bad_verification_code"},
		{name: "200FormWithError", status: 200, ctype: "application/x-www-form-urlencoded", body: `error=bad_verification_code`, wantCode: "bad_verification_code"},
		{name: "MissingAccessToken", status: 200, ctype: "application/json", body: `{"token_type":"Bearer"}`, wantResp: true},
		{name: "ExpiresInNotANumber", status: 200, ctype: "application/json", body: `{"access_token":"a","expires_in":"abc"}`, wantResp: true},
		{name: "ExpiresInNegative", status: 200, ctype: "application/json", body: `{"access_token":"a","expires_in":-30}`, wantResp: true},
		{name: "ExpiresInHuge", status: 200, ctype: "application/json", body: `{"access_token":"a","expires_in":1e300}`, wantResp: true},
		{name: "ExpiresInFraction", status: 200, ctype: "application/json", body: `{"access_token":"a","expires_in":3.5}`, wantResp: true},
		{name: "ExtExpiresInNotANumber", status: 200, ctype: "application/json", body: `{"access_token":"a","ext_expires_in":"soon"}`, wantResp: true},
		{name: "ExpiresOnNotANumber", status: 200, ctype: "application/json", body: `{"access_token":"a","expires_on":true}`, wantResp: true},
		{name: "AccessTokenNotString", status: 200, ctype: "application/json", body: `{"access_token":42}`, wantResp: true},
		{name: "JSONArray", status: 200, ctype: "application/json", body: `[1,2]`, wantResp: true},
		{name: "JSONNull", status: 200, ctype: "application/json", body: `null`, wantResp: true},
		{name: "ErrorNotString", status: 400, ctype: "application/json", body: `{"error":{"x":1}}`, wantCode: "invalid_response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fakeConfig(t, &tokenFake{status: tt.status, ctype: tt.ctype, body: tt.body})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			tok, err := oauth2flows.ClientCredentials(ctx, cfg)
			require.Error(t, err)
			assert.Nil(t, tok)
			assert.True(t, strings.HasPrefix(err.Error(), "oauth2flows: "), err.Error())
			assert.Less(t, len(err.Error()), 1024, "error strings stay short")
			if tt.wantResp {
				var re *oauth2flows.InvalidResponseError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, tt.status, re.StatusCode)
				return
			}
			var oe *oauth2flows.Error
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, tt.status, oe.StatusCode)
			if tt.wantCode != "" {
				assert.Equal(t, tt.wantCode, oe.Code)
			}
		})
	}
}

func TestHTMLErrorPageKeepsStatusAndSnippet(t *testing.T) {
	cfg := fakeConfig(t, &tokenFake{status: 502, ctype: "text/html", body: "<html>\n<h1>502 Bad   Gateway</h1></html>"})
	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, 502, oe.StatusCode)
	assert.Equal(t, "<html> <h1>502 Bad Gateway</h1></html>", oe.Body)
	assert.Contains(t, err.Error(), "502")
}

func TestEntraErrorFields(t *testing.T) {
	body := `{"error":"interaction_required","error_description":"AADSTS50079: Due to a configuration change made by your administrator, you must enroll in MFA.",
"error_codes":[50079],"timestamp":"2024-01-01 00:00:00Z","trace_id":"b4e8a3a0-1111","correlation_id":"c0ffee00-2222",
"error_uri":"https://login.microsoftonline.com/error?code=50079","claims":"{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"c1\"]}}}"}`
	cfg := fakeConfig(t, &tokenFake{status: 400, ctype: "application/json; charset=utf-8", body: body})
	_, err := oauth2flows.OnBehalfOf(context.Background(), cfg, "incoming.jwt.token", oauth2flows.WithScopes("api://b/.default"))
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, 400, oe.StatusCode)
	assert.Equal(t, "interaction_required", oe.Code)
	assert.Equal(t, []int{50079}, oe.ErrorCodes)
	assert.Equal(t, "b4e8a3a0-1111", oe.TraceID)
	assert.Equal(t, "c0ffee00-2222", oe.CorrelationID)
	assert.Equal(t, "https://login.microsoftonline.com/error?code=50079", oe.URI)
	assert.JSONEq(t, `{"access_token":{"capolids":{"essential":true,"values":["c1"]}}}`, oe.Claims)
	assert.True(t, errors.Is(err, oauth2flows.ErrReauthRequired))
}

func TestBasicAuthFormEncodesBeforeBase64(t *testing.T) {
	c := &tokenFake{status: 200, ctype: "application/json", body: `{"access_token":"a","token_type":"Bearer"}`}
	cfg := fakeConfig(t, c)
	cfg.ClientID = "id with space:colon"
	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	require.NoError(t, err)
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("id+with+space%3Acolon:s3cr3t-p%40ss%3Aw%2Brd%2F%3D%25%26%3F"))
	assert.Equal(t, want, c.auth)
	assert.Empty(t, c.form.Get("client_secret"), "basic never also posts the secret")
	assert.Equal(t, "client_credentials", c.form.Get("grant_type"))
}

func TestPlainHTTPRefusedExceptLoopback(t *testing.T) {
	tests := []struct {
		name, url string
		insecure  bool
		wantErr   bool
	}{
		{"RemoteHTTP", "http://login.example.com/token", false, true},
		{"RemoteHTTPInsecure", "http://login.example.invalid/token", true, false},
		{"FTP", "ftp://login.example.com/token", false, true},
		{"Relative", "/token", false, true},
		{"LoopbackV4", "http://127.0.0.9:1/token", false, false},
		{"LoopbackV6", "http://[::1]:1/token", false, false},
		{"Localhost", "http://localhost:1/token", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &oauth2flows.Config{ClientID: "c", ClientSecret: "s", InsecureAllowHTTP: tt.insecure,
				Endpoint: oauth2flows.Endpoint{TokenURL: tt.url}, Retry: oauth2flows.RetryPolicy{MaxAttempts: 1}}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, err := oauth2flows.ClientCredentials(ctx, cfg)
			require.Error(t, err) // nothing listens on these
			var ce *oauth2flows.ConfigError
			assert.Equal(t, tt.wantErr, errors.As(err, &ce), err.Error())
		})
	}
}

func TestContextCancelledMidRequestReturnsPromptly(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	cfg := &oauth2flows.Config{ClientID: "c", ClientSecret: "s", Endpoint: oauth2flows.Endpoint{TokenURL: srv.URL}}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() { _, err := oauth2flows.ClientCredentials(ctx, cfg); done <- err }()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
		var te *oauth2flows.NetworkError
		require.ErrorAs(t, err, &te)
	case <-time.After(5 * time.Second):
		t.Fatal("ClientCredentials did not return after its context was cancelled")
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	var elsewhere int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere++ }))
	defer other.Close()
	c := &tokenFake{status: http.StatusTemporaryRedirect, header: http.Header{"Location": {other.URL}}}
	cfg := fakeConfig(t, c)
	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, http.StatusTemporaryRedirect, oe.StatusCode)
	assert.Zero(t, elsewhere, "credentials must not be re-posted to the redirect target")
}

func TestNilConfigIsAConfigErrorNotAPanic(t *testing.T) {
	ctx := context.Background()
	calls := map[string]func() error{
		"ClientCredentials": func() error { _, err := oauth2flows.ClientCredentials(ctx, nil); return err },
		"Refresh":           func() error { _, err := oauth2flows.Refresh(ctx, nil, "rt"); return err },
		"Revoke":            func() error { return oauth2flows.Revoke(ctx, nil, "tok") },
		"TokenExchange":     func() error { _, err := oauth2flows.TokenExchange(ctx, nil, "st"); return err },
		"OnBehalfOf":        func() error { _, err := oauth2flows.OnBehalfOf(ctx, nil, "a", oauth2flows.WithScopes("s")); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			var ce *oauth2flows.ConfigError
			require.ErrorAs(t, call(), &ce)
		})
	}
}

// echoServer answers every token request with status 400 and a body that
// repeats what the request carried, as some servers and proxies do: the raw
// password as decoded, the raw form (form-encoded) and the Authorization
// header, after pad spaces.
func echoServer(t *testing.T, ctype string, pad int) string {
	t.Helper()
	f := newTokenFake(t, &tokenFake{respond: func(r *http.Request, raw string) (int, string) {
		form, _ := url.ParseQuery(raw)
		echo := strings.Repeat(" ", pad) + "password: " + form.Get("password") + " request: " + raw +
			" auth: " + r.Header.Get("Authorization")
		if ctype == "application/json" {
			b, _ := json.Marshal(map[string]string{"error": "invalid_request", "error_description": echo})
			return http.StatusBadRequest, string(b)
		}
		return http.StatusBadRequest, "<html>" + echo + "</html>"
	}, ctype: ctype})
	return f.url
}

func TestEchoedCredentialsAreRedactedInEveryEncoding(t *testing.T) {
	const (
		secret   = "s3cr3t-p@ss:w+rd/=%&?"
		password = "hunter2 &/+=? correct horse"
		refresh  = "1//0gRefresh+Token/With=Slashes"
	)
	tests := []struct {
		name   string
		ctype  string
		pad    int
		method oauth2flows.AuthMethod
		call   func(ctx context.Context, cfg *oauth2flows.Config) error
		leaks  []string // values, or parts of them, that must not appear
	}{
		{name: "PasswordFormEncodedInJSON", ctype: "application/json", method: oauth2flows.ClientSecretPost,
			call: func(ctx context.Context, cfg *oauth2flows.Config) error {
				_, err := oauth2flows.PasswordCredentials(ctx, cfg, "alice", password)
				return err
			}},
		{name: "RefreshFormEncodedInHTML", ctype: "text/html", method: oauth2flows.ClientSecretPost,
			call: func(ctx context.Context, cfg *oauth2flows.Config) error {
				_, err := oauth2flows.Refresh(ctx, cfg, refresh)
				return err
			}},
		{name: "BasicHeaderEchoed", ctype: "application/json", method: oauth2flows.ClientSecretBasic,
			call: func(ctx context.Context, cfg *oauth2flows.Config) error {
				_, err := oauth2flows.ClientCredentials(ctx, cfg)
				return err
			}},
		// An indented HTML page: the refresh token straddles the snippet's
		// cut, and whitespace folding brings its first characters into the
		// message.
		{name: "PrefixAtTheSnippetCut", ctype: "text/html", pad: 814, method: oauth2flows.ClientSecretPost,
			call: func(ctx context.Context, cfg *oauth2flows.Config) error {
				_, err := oauth2flows.Refresh(ctx, cfg, refresh)
				return err
			}, leaks: []string{url.QueryEscape(refresh)[:10]}},
		// A password with a run of spaces, folded to one before scrubbing.
		{name: "PasswordWithSpacesInHTML", ctype: "text/html", method: oauth2flows.ClientSecretPost,
			call: func(ctx context.Context, cfg *oauth2flows.Config) error {
				_, err := oauth2flows.PasswordCredentials(ctx, cfg, "alice", "open  sesame\tplease")
				return err
			}, leaks: []string{"open sesame please"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &oauth2flows.Config{ClientID: "client-1", ClientSecret: secret, AuthMethod: tt.method,
				Endpoint: oauth2flows.Endpoint{TokenURL: echoServer(t, tt.ctype, tt.pad)},
				Retry:    oauth2flows.RetryPolicy{MaxAttempts: 1}}
			err := tt.call(context.Background(), cfg)
			var oe *oauth2flows.Error
			require.ErrorAs(t, err, &oe)
			msg := err.Error() + " " + oe.Description + " " + oe.Body
			basic := base64.StdEncoding.EncodeToString([]byte("client-1:" + url.QueryEscape(secret)))
			for _, v := range append([]string{secret, password, refresh, basic}, tt.leaks...) {
				assert.NotContains(t, msg, v)
				assert.NotContains(t, msg, url.QueryEscape(v), "form-encoded %q", v)
			}
		})
	}
}
