package oauth2flows_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// chainTier is a whole middle tier over real HTTP: API A is
// Validator.Middleware -> OBOCache.Middleware -> a handler calling API B
// with DownstreamClient; API B is protected by the test server.
type chainTier struct {
	srv   *oauth2flowstest.Server
	apiA  *httptest.Server
	apiB  *httptest.Server
	cache *oauth2flows.OBOCache
	logs  *syncBuffer
}

// syncBuffer is a log sink safe for the handlers' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newChainTier builds the tier; validate false leaves the Validator out
// (a misconfigured chain). The cache exchanges for api://api-b.
func newChainTier(t *testing.T, validate bool, opts ...oauth2flows.CacheOption) *chainTier {
	t.Helper()
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "api-a", Secret: "api-a-secret"}))
	t.Cleanup(srv.Close)
	ct := &chainTier{srv: srv, logs: &syncBuffer{}}
	ct.apiB = httptest.NewServer(srv.Protect("api://api-b", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		_, _ = io.WriteString(w, "orders of "+c.Subject)
	})))
	t.Cleanup(ct.apiB.Close)
	cfg := &oauth2flows.Config{ClientID: "api-a", ClientSecret: "api-a-secret", Endpoint: srv.Endpoint(),
		Scopes: []string{"api://api-b/orders.read"}, Logger: slog.New(slog.NewTextHandler(ct.logs, nil))}
	ct.cache = oauth2flows.NewOBOCache(cfg, opts...)
	var h http.Handler = ct.cache.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, ok := oauth2flows.DownstreamClient(r.Context())
		if !ok {
			http.Error(w, "no downstream client", http.StatusInternalServerError)
			return
		}
		resp, err := client.Get(ct.apiB.URL + "/orders")
		if err != nil {
			http.Error(w, "API B unreachable", http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	if validate {
		v, err := oauth2flows.NewValidator(context.Background(), oauth2flows.ValidatorConfig{
			Issuer:         srv.URL(),
			Audiences:      []string{"api://api-a"},
			RequiredScopes: []string{"access_as_user"},
		})
		require.NoError(t, err)
		h = v.Middleware(h)
	}
	ct.apiA = httptest.NewServer(h)
	t.Cleanup(ct.apiA.Close)
	return ct
}

// call sends token (none when empty) to API A.
func (ct *chainTier) call(t *testing.T, token string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ct.apiA.URL+"/orders", nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, strings.TrimSpace(string(body))
}

// tokenRequests counts the requests the token endpoint received.
func (ct *chainTier) tokenRequests() int {
	return len(ct.srv.RequestsTo(oauth2flowstest.EndpointToken))
}

func TestOBOMiddlewareWithoutValidatorExchangesNothing(t *testing.T) {
	ct := newChainTier(t, false)
	valid := ct.srv.IssueAccessToken("alice", "api://api-a", "access_as_user")
	for _, token := range []string{valid, "garbage", ""} {
		status, header, body := ct.call(t, token)
		assert.Equal(t, http.StatusInternalServerError, status)
		assert.Empty(t, header.Get("WWW-Authenticate"), "a server fault, not a reason for the client to sign in again")
		assert.Equal(t, "on-behalf-of is misconfigured", body)
	}
	assert.Zero(t, ct.tokenRequests())
	logs := ct.logs.String()
	assert.Contains(t, logs, "level=ERROR")
	assert.Contains(t, logs, "Validator.Middleware")
	assert.Contains(t, logs, "WithInsecureUnvalidatedTokens")
	assert.NotContains(t, logs, valid)
}

func TestOBOMiddlewareInsecureUnvalidatedTokensExchangesTheBearer(t *testing.T) {
	ct := newChainTier(t, false, oauth2flows.WithInsecureUnvalidatedTokens())
	status, _, body := ct.call(t, ct.srv.IssueAccessToken("alice", "api://api-a", "access_as_user"))
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "orders of alice", body)
	assert.Equal(t, 1, ct.tokenRequests())
	status, header, _ := ct.call(t, "")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "Bearer", header.Get("WWW-Authenticate"))
	assert.Equal(t, 1, ct.tokenRequests())
}

func TestOBOMiddlewareBehindValidatorExchangesThePrincipalsToken(t *testing.T) {
	ct := newChainTier(t, true)
	token := ct.srv.IssueAccessToken("alice", "api://api-a", "access_as_user")
	for range 3 {
		status, _, body := ct.call(t, token)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "orders of alice", body)
	}
	reqs := ct.srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.Len(t, reqs, 1, "one exchange, then cache hits")
	assert.Equal(t, token, reqs[0].Form.Get("assertion"), "the validated token is the assertion")
	assert.Equal(t, oauth2flows.GrantTypeJWTBearer, reqs[0].Form.Get("grant_type"))
}
