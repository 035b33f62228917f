package oauth2flows_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

func callbackConfig(issuer string) *oauth2flows.Config {
	return &oauth2flows.Config{
		ClientID: "web-app",
		Endpoint: oauth2flows.Endpoint{
			Issuer:   issuer,
			AuthURL:  "https://login.example/authorize",
			TokenURL: "https://login.example/token",
		},
	}
}

// callbackCase is one authorization response and what parsing it must give.
type callbackCase struct {
	name     string
	issuer   string // Endpoint.Issuer
	query    string
	wantCode string
	wantIs   error  // a sentinel errors.Is must match
	wantErr  string // "callback", "server" or "config"
	param    string // CallbackError.Param
	check    func(t *testing.T, err error)
}

var callbackCases = []callbackCase{
	{name: "Code", query: "code=c0de&state=" + goodState, wantCode: "c0de"},
	{name: "CodeWithIssuer", issuer: "https://login.example", query: "code=c0de&iss=https%3A%2F%2Flogin.example&state=" + goodState, wantCode: "c0de"},
	{name: "CodeWithoutIssAccepted", issuer: "https://login.example", query: "code=c0de&state=" + goodState, wantCode: "c0de"},
	{name: "IssOnAuthHostWithoutConfiguredIssuer", query: "code=c0de&iss=https%3A%2F%2Flogin.example%2Ftenant&state=" + goodState, wantCode: "c0de"},
	{name: "WrongState", query: "code=c0de&state=st-attacker-0000000", wantErr: "callback", param: "state", wantIs: oauth2flows.ErrStateMismatch},
	{name: "MissingState", query: "code=c0de", wantErr: "callback", param: "state", wantIs: oauth2flows.ErrStateMismatch},
	{name: "RepeatedState", query: "code=c0de&state=" + goodState + "&state=" + goodState, wantErr: "callback", param: "state"},
	{name: "RepeatedCode", query: "code=a&code=b&state=" + goodState, wantErr: "callback", param: "code"},
	{name: "MissingCode", query: "state=" + goodState, wantErr: "callback", param: "code"},
	{name: "WrongIssuer", issuer: "https://login.example", query: "code=c0de&iss=https%3A%2F%2Fevil.example&state=" + goodState, wantErr: "callback", param: "iss", wantIs: oauth2flows.ErrIssuerMismatch},
	{name: "IssuerComparedExactly", issuer: "https://login.example", query: "code=c0de&iss=https%3A%2F%2Flogin.example%2F&state=" + goodState, wantErr: "callback", param: "iss", wantIs: oauth2flows.ErrIssuerMismatch},
	{name: "IssOnOtherHostWithoutConfiguredIssuer", query: "code=c0de&iss=https%3A%2F%2Fevil.example&state=" + goodState, wantErr: "callback", param: "iss", wantIs: oauth2flows.ErrIssuerMismatch},
	{name: "IssNotHTTPSWithoutConfiguredIssuer", query: "code=c0de&iss=http%3A%2F%2Flogin.example&state=" + goodState, wantErr: "callback", param: "iss", wantIs: oauth2flows.ErrIssuerMismatch},
	{name: "MalformedQuery", query: "code=%zz&state=" + goodState, wantErr: "callback", param: "query"},
	{
		name: "ErrorRedirect", issuer: "https://login.example",
		query:   "error=access_denied&error_description=The+user+said+no&error_uri=https%3A%2F%2Flogin.example%2Fhelp&iss=https%3A%2F%2Flogin.example&state=" + goodState,
		wantErr: "server",
		check: func(t *testing.T, err error) {
			var e *oauth2flows.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, 0, e.StatusCode)
			assert.Equal(t, "access_denied", e.Code)
			assert.Equal(t, "The user said no", e.Description)
			assert.Equal(t, "https://login.example/help", e.URI)
			assert.False(t, errors.Is(err, oauth2flows.ErrReauthRequired))
		},
	},
	{
		name: "ErrorRedirectLoginRequiredMeansReauth", query: "error=login_required&state=" + goodState, wantErr: "server",
		check: func(t *testing.T, err error) { assert.ErrorIs(t, err, oauth2flows.ErrReauthRequired) },
	},
	{name: "ErrorRedirectWithWrongStateIsNotTrusted", query: "error=access_denied&state=st-forged-000000000", wantErr: "callback", param: "state", wantIs: oauth2flows.ErrStateMismatch},
	{name: "ErrorRedirectFromWrongIssuerIsNotTrusted", issuer: "https://login.example", query: "error=access_denied&iss=https%3A%2F%2Fevil.example&state=" + goodState, wantErr: "callback", param: "iss", wantIs: oauth2flows.ErrIssuerMismatch},
	{
		name: "ErrorDescriptionControlCharsDropped", query: "error=server_error&error_description=a%0Ab%1Bc&state=" + goodState, wantErr: "server",
		check: func(t *testing.T, err error) {
			var e *oauth2flows.Error
			require.ErrorAs(t, err, &e)
			assert.NotContains(t, e.Description, "\n")
			assert.NotContains(t, e.Description, "\x1b")
			assert.Contains(t, e.Description, "a")
			assert.Contains(t, e.Description, "bc")
		},
	},
}

func checkCallback(t *testing.T, tt callbackCase, code string, err error) {
	t.Helper()
	if tt.wantErr == "" {
		require.NoError(t, err)
		assert.Equal(t, tt.wantCode, code)
		return
	}
	require.Error(t, err)
	assert.Empty(t, code)
	assert.True(t, strings.HasPrefix(err.Error(), "oauth2flows: "), err.Error())
	switch tt.wantErr {
	case "callback":
		var ce *oauth2flows.CallbackError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, tt.param, ce.Param)
		assert.NotContains(t, err.Error(), "c0de")
		assert.NotContains(t, err.Error(), "attacker")
	case "server":
		var e *oauth2flows.Error
		require.ErrorAs(t, err, &e)
	}
	if tt.wantIs != nil {
		assert.ErrorIs(t, err, tt.wantIs)
	}
	if tt.check != nil {
		tt.check(t, err)
	}
}

func TestParseCallbackFromRequest(t *testing.T) {
	for _, tt := range callbackCases {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "https://app.example/callback?"+tt.query, nil)
			code, err := oauth2flows.ParseCallback(callbackConfig(tt.issuer), r, goodState)
			checkCallback(t, tt, code, err)
		})
	}
}

func TestParseCallbackFromURL(t *testing.T) {
	for _, tt := range callbackCases {
		t.Run(tt.name, func(t *testing.T) {
			code, err := oauth2flows.ParseCallbackURL(callbackConfig(tt.issuer), "http://127.0.0.1:5555/cb?"+tt.query, goodState)
			checkCallback(t, tt, code, err)
		})
	}
}

func TestParseCallbackFormPost(t *testing.T) {
	body := url.Values{"code": {"c0de"}, "state": {goodState}}.Encode()
	r := httptest.NewRequest(http.MethodPost, "https://app.example/callback", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	code, err := oauth2flows.ParseCallback(callbackConfig(""), r, goodState)
	require.NoError(t, err)
	assert.Equal(t, "c0de", code)

	r = httptest.NewRequest(http.MethodPost, "https://app.example/callback", strings.NewReader(`{"code":"c0de"}`))
	r.Header.Set("Content-Type", "application/json")
	_, err = oauth2flows.ParseCallback(callbackConfig(""), r, goodState)
	var ce *oauth2flows.CallbackError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "body", ce.Param)
}

func TestParseCallbackRefusesMisuse(t *testing.T) {
	var ce *oauth2flows.ConfigError
	_, err := oauth2flows.ParseCallback(callbackConfig(""), nil, goodState)
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "r", ce.Field)

	// An empty expected state would match a response without one.
	_, err = oauth2flows.ParseCallbackURL(callbackConfig(""), "https://app.example/cb?code=c0de", "")
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "state", ce.Field)
	assert.Equal(t, "ParseCallbackURL", ce.Op)

	_, err = oauth2flows.ParseCallbackURL(nil, "https://app.example/cb?code=c0de&state="+goodState, goodState)
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "cfg", ce.Field)
	assert.Equal(t, "ParseCallbackURL", ce.Op)

	_, err = oauth2flows.ParseCallbackURL(callbackConfig(""), "https://app.example/cb\x7f?code=1", goodState)
	var cbe *oauth2flows.CallbackError
	require.ErrorAs(t, err, &cbe)
	assert.Equal(t, "redirectURL", cbe.Param)
}

func FuzzParseCallbackURL(f *testing.F) {
	f.Add("https://app.example/cb?code=c0de&state="+goodState, goodState, "")
	f.Add("https://app.example/cb?error=access_denied&error_description=%00%ff&state="+goodState, goodState, "https://login.example")
	f.Add("https://app.example/cb?code=c&iss=https%3A%2F%2Flogin.example&state=x&state=y", "x", "")
	f.Add("%zz?#&&==;;", "", "")
	f.Fuzz(func(t *testing.T, raw, state, issuer string) {
		cfg := callbackConfig(issuer)
		code, err := oauth2flows.ParseCallbackURL(cfg, raw, state)
		if err == nil {
			if code == "" {
				t.Fatal("no error and no code")
			}
			if state == "" {
				t.Fatal("accepted with an empty expected state")
			}
			return
		}
		if !strings.HasPrefix(err.Error(), "oauth2flows: ") {
			t.Fatalf("unprefixed error %q", err)
		}
		var ce *oauth2flows.CallbackError
		var se *oauth2flows.Error
		var cfe *oauth2flows.ConfigError
		if !errors.As(err, &ce) && !errors.As(err, &se) && !errors.As(err, &cfe) {
			t.Fatalf("untyped error %T", err)
		}
		// The request form of the same response must agree.
		u, perr := url.Parse(raw)
		if perr != nil {
			return
		}
		r := &http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}}
		code2, err2 := oauth2flows.ParseCallback(cfg, r, state)
		if code2 != code || (err2 == nil) != (err == nil) {
			t.Fatalf("ParseCallback and ParseCallbackURL disagree: %v vs %v", err2, err)
		}
	})
}

// RFC 9207 §2.4: a client must reject a response without iss from a server
// that advertises authorization_response_iss_parameter_supported.
func TestParseCallbackRequiresIssWhenTheServerAdvertisesIt(t *testing.T) {
	const iss = "https://login.example"
	cfg := callbackConfig(iss)
	cfg.Endpoint.AuthResponseIssParameterSupported = true

	_, err := oauth2flows.ParseCallbackURL(cfg, "https://app.example/cb?code=c0de&state=st", "st")
	var ce *oauth2flows.CallbackError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "iss", ce.Param)
	assert.ErrorIs(t, err, oauth2flows.ErrIssuerMismatch)

	// An error response without iss is refused the same way: it could come
	// from another server (a mix-up).
	_, err = oauth2flows.ParseCallbackURL(cfg, "https://app.example/cb?error=access_denied&state=st", "st")
	assert.ErrorIs(t, err, oauth2flows.ErrIssuerMismatch)

	code, err := oauth2flows.ParseCallbackURL(cfg, "https://app.example/cb?code=c0de&state=st&iss="+url.QueryEscape(iss), "st")
	require.NoError(t, err)
	assert.Equal(t, "c0de", code)

	cfg.Endpoint.AuthResponseIssParameterSupported = false
	code, err = oauth2flows.ParseCallbackURL(cfg, "https://app.example/cb?code=c0de&state=st", "st")
	require.NoError(t, err, "servers that do not advertise it may omit iss")
	assert.Equal(t, "c0de", code)
}
