package oauth2flowstest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// awkwardSecret needs RFC 6749 §2.3.1 form-encoding inside Basic.
const awkwardSecret = "p@ss:w+rd/=%&?"

const redirect = "https://app.example/cb"

// keys are generated once per test binary; generating RSA keys is slow.
var keys = sync.OnceValue(func() struct {
	ec  *ecdsa.PrivateKey
	rsa *rsa.PrivateKey
} {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return struct {
		ec  *ecdsa.PrivateKey
		rsa *rsa.PrivateKey
	}{ec, rk}
})

// newServer starts a server with a standard set of clients and users.
func newServer(t *testing.T, opts ...oauth2flowstest.Option) *oauth2flowstest.Server {
	t.Helper()
	k := keys()
	base := []oauth2flowstest.Option{
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "conf", Secret: awkwardSecret, RedirectURIs: []string{redirect}}),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "basic-only", Secret: "s", AuthMethod: oauth2flowstest.AuthClientSecretBasic}),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "public", AuthMethod: oauth2flowstest.AuthNone, RedirectURIs: []string{redirect}}),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "ec", PublicKey: &k.ec.PublicKey}),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "rsa", PublicKey: &k.rsa.PublicKey, AuthMethod: oauth2flowstest.AuthPrivateKeyJWT}),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "mid", Secret: "mid-secret"}),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "cc-only", Secret: "s", GrantTypes: []string{"client_credentials"}}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Subject: "alice-sub", Username: "alice", Password: "alice-pw"}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Subject: "bob-sub", Username: "bob", Password: "bob-pw"}),
	}
	srv := oauth2flowstest.NewServer(append(base, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

// response is a decoded endpoint response.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

func (r response) str(key string) string { s, _ := r.Body[key].(string); return s }

// basic returns an RFC 6749 §2.3.1 Authorization header value.
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// post sends a form to path with plain net/http; auth, when set, is the
// Authorization header.
func post(t *testing.T, srv *oauth2flowstest.Server, path string, form url.Values, auth string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL()+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return do(t, srv, req)
}

func do(t *testing.T, srv *oauth2flowstest.Server, req *http.Request) response {
	t.Helper()
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := response{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.Unmarshal(raw, &out.Body), string(raw))
	}
	return out
}

// token posts to the token endpoint.
func token(t *testing.T, srv *oauth2flowstest.Server, form url.Values, auth string) response {
	t.Helper()
	return post(t, srv, "/token", form, auth)
}

// confAuth authenticates as the confidential client "conf" with Basic.
var confAuth = basic("conf", awkwardSecret)

// assertion signs a client assertion (RFC 7523 §3) for client.
func assertion(t *testing.T, method jwt.SigningMethod, key any, client, aud string, exp time.Duration, jti string) string {
	t.Helper()
	c := jwt.MapClaims{"iss": client, "sub": client, "aud": aud, "iat": time.Now().Unix()}
	if exp != 0 {
		c["exp"] = time.Now().Add(exp).Unix()
	}
	if jti != "" {
		c["jti"] = jti
	}
	s, err := jwt.NewWithClaims(method, c).SignedString(key)
	require.NoError(t, err)
	return s
}

func assertionForm(a string) url.Values {
	return url.Values{
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {a},
	}
}

func merge(vs ...url.Values) url.Values {
	out := url.Values{}
	for _, v := range vs {
		for k, x := range v {
			out[k] = append(out[k], x...)
		}
	}
	return out
}

// authorize follows nothing: it returns the redirect Location, parsed.
func authorize(t *testing.T, srv *oauth2flowstest.Server, q url.Values) (*http.Response, *url.URL) {
	t.Helper()
	c := *srv.Client() // a copy: the server's client keeps following redirects
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(srv.URL() + "/authorize?" + q.Encode())
	require.NoError(t, err)
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		return resp, nil
	}
	return resp, loc
}

// verifier is a valid RFC 7636 code verifier and its S256 challenge.
const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

// getCode runs /authorize for client with PKCE and returns the code.
func getCode(t *testing.T, srv *oauth2flowstest.Server, client string, extra url.Values) string {
	t.Helper()
	q := merge(url.Values{
		"response_type": {"code"}, "client_id": {client}, "redirect_uri": {redirect},
		"scope": {"openid offline_access api://res/read"}, "state": {"st"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}, extra)
	resp, loc := authorize(t, srv, q)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	require.NotNil(t, loc)
	code := loc.Query().Get("code")
	require.NotEmpty(t, code, loc.String())
	return code
}

// parseJWT decodes claims without verifying, to assert on them.
func parseJWT(t *testing.T, tok string) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	_, _, err := jwt.NewParser().ParseUnverified(tok, c)
	require.NoError(t, err)
	return c
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
