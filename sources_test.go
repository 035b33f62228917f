package oauth2flows_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// tokenServer is a token endpoint that enforces refresh token rotation: each
// refresh token is accepted once, and a spent one gets invalid_grant, as
// RFC 9700 §4.14.2 asks. It records every form it received.
type tokenServer struct {
	*httptest.Server
	requests atomic.Int32

	mu        sync.Mutex
	forms     []url.Values
	live      map[string]bool // refresh tokens that may still be used
	expiresIn int             // seconds; 0: none sent
	noRotate  bool            // answer refreshes without a refresh_token
	tokenType string
	extra     map[string]any
}

func newTokenServer(t *testing.T, liveRefreshTokens ...string) *tokenServer {
	s := &tokenServer{live: map[string]bool{}, expiresIn: 3600, tokenType: "Bearer"}
	for _, rt := range liveRefreshTokens {
		s.live[rt] = true
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	n := s.requests.Add(1)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forms = append(s.forms, r.PostForm)
	w.Header().Set("Content-Type", "application/json")
	body := map[string]any{
		"access_token": fmt.Sprintf("at-%d", n),
		"token_type":   s.tokenType,
	}
	if s.expiresIn > 0 {
		body["expires_in"] = s.expiresIn
	}
	if r.PostForm.Get("grant_type") == oauth2flows.GrantTypeRefreshToken {
		rt := r.PostForm.Get("refresh_token")
		if !s.live[rt] {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant","error_description":"refresh token spent or unknown"}`)
			return
		}
		if !s.noRotate {
			delete(s.live, rt)
			next := fmt.Sprintf("rt-%d", n)
			s.live[next] = true
			body["refresh_token"] = next
		}
	}
	for k, v := range s.extra {
		body[k] = v
	}
	json.NewEncoder(w).Encode(body)
}

func (s *tokenServer) sent(key string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, f := range s.forms {
		out = append(out, f.Get(key))
	}
	return out
}

func (s *tokenServer) config() *oauth2flows.Config {
	return &oauth2flows.Config{
		ClientID: "client-1", ClientSecret: "secret-1",
		Endpoint: oauth2flows.Endpoint{TokenURL: s.URL + "/token"},
	}
}

// resourceServer accepts each access token once only when once is set, and
// answers a reused one with 401 invalid_token, as if it had been revoked.
type resourceServer struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
	used  map[string]bool
}

func newResourceServer(t *testing.T, once bool) *resourceServer {
	rs := &resourceServer{used: map[string]bool{}}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		rs.mu.Lock()
		rs.auths = append(rs.auths, auth)
		reused := rs.used[auth]
		rs.used[auth] = true
		rs.mu.Unlock()
		if once && reused {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *resourceServer) seen() []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]string(nil), rs.auths...)
}

func token(access, refresh string, expiry time.Time) *oauth2flows.Token {
	tok := &oauth2flows.Token{}
	tok.AccessToken, tok.RefreshToken, tok.TokenType, tok.Expiry = access, refresh, "Bearer", expiry
	return tok
}

func do(t *testing.T, c *http.Client, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	return resp, err
}

func TestNewClientRotatesRefreshTokensAndSavesEachInOrder(t *testing.T) {
	ts := newTokenServer(t, "rt-0")
	rs := newResourceServer(t, true)
	var saved []string
	client := oauth2flows.NewClient(ts.config(), token("at-0", "rt-0", time.Now().Add(time.Hour)),
		oauth2flows.WithTokenSaver(func(_ context.Context, tok *oauth2flows.Token) error {
			saved = append(saved, tok.AccessToken+"/"+tok.RefreshToken)
			return nil
		}))

	for range 4 { // every request after the first finds its token revoked
		resp, err := do(t, client, rs.URL)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}

	assert.Equal(t, []string{"rt-0", "rt-1", "rt-2"}, ts.sent("refresh_token"), "always the newest refresh token")
	assert.Equal(t, []string{"refresh_token", "refresh_token", "refresh_token"}, ts.sent("grant_type"))
	assert.Equal(t, []string{"at-1/rt-1", "at-2/rt-2", "at-3/rt-3"}, saved, "the seed is not saved; each new token once, in order")
	assert.Equal(t, []string{
		"Bearer at-0",
		"Bearer at-0", "Bearer at-1",
		"Bearer at-1", "Bearer at-2",
		"Bearer at-2", "Bearer at-3",
	}, rs.seen())
}

func TestRefreshTokenSourceKeepsOldRefreshTokenWhenNoneIssued(t *testing.T) {
	ts := newTokenServer(t, "rt-0")
	ts.noRotate = true
	src := oauth2flows.RefreshTokenSource(ts.config(), token("at-0", "rt-0", time.Now().Add(-time.Minute)))

	tok, err := src.Token(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "at-1", tok.AccessToken)
	assert.Equal(t, "rt-0", tok.RefreshToken)
	again, err := src.Token(t.Context())
	require.NoError(t, err)
	assert.Same(t, tok, again, "cached while valid")
	assert.Equal(t, []string{"rt-0"}, ts.sent("refresh_token"))
}

func TestRefreshTokenSourceFromStoredRefreshTokenAlone(t *testing.T) {
	ts := newTokenServer(t, "rt-0")
	rs := newResourceServer(t, false)
	var saved []string
	client := oauth2flows.NewClient(ts.config(), token("", "rt-0", time.Time{}),
		oauth2flows.WithTokenSaver(func(_ context.Context, tok *oauth2flows.Token) error {
			saved = append(saved, tok.RefreshToken)
			return nil
		}))
	_, err := do(t, client, rs.URL)
	require.NoError(t, err)
	assert.Equal(t, []string{"Bearer at-1"}, rs.seen())
	assert.Equal(t, []string{"rt-1"}, saved)
}

func TestNewClientStormOnExpiredTokenMakesOneRefresh(t *testing.T) {
	ts := newTokenServer(t, "rt-0")
	var sent atomic.Int32
	cfg := ts.config()
	// The resource requests go through cfg.HTTPClient.Transport (NewClient's
	// base), answered in memory so that the storm needs no sockets.
	base := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.URL.Host == "api.example.test" {
			if req.Header.Get("Authorization") != "Bearer at-1" {
				return nil, errors.New("wrong token " + req.Header.Get("Authorization"))
			}
			sent.Add(1)
			return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: req}, nil
		}
		return http.DefaultTransport.RoundTrip(req)
	})
	cfg.HTTPClient = &http.Client{Transport: base}
	client := oauth2flows.NewClient(cfg, token("at-0", "rt-0", time.Now().Add(-time.Second)))

	const n = 1000
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := do(t, client, "https://api.example.test/items")
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), ts.requests.Load(), "one refresh for a thousand requests")
	assert.Equal(t, int32(n), sent.Load())
}

func TestNewClientInvalidGrantNeedsReauthentication(t *testing.T) {
	ts := newTokenServer(t) // knows no refresh token
	rs := newResourceServer(t, false)
	saves := 0
	client := oauth2flows.NewClient(ts.config(), token("at-0", "rt-revoked", time.Now().Add(-time.Second)),
		oauth2flows.WithTokenSaver(func(context.Context, *oauth2flows.Token) error { saves++; return nil }))

	_, err := do(t, client, rs.URL)
	require.Error(t, err)
	var urlErr *url.Error
	require.ErrorAs(t, err, &urlErr)
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_grant", oe.Code)
	assert.Equal(t, http.StatusBadRequest, oe.StatusCode)
	assert.ErrorIs(t, err, oauth2flows.ErrReauthRequired)
	assert.NotContains(t, err.Error(), "rt-revoked")
	assert.Zero(t, saves)
	assert.Empty(t, rs.seen())
}

func TestClientCredentialsSourceFetchesAgainOnExpiry(t *testing.T) {
	ts := newTokenServer(t)
	ts.expiresIn = 1
	rs := newResourceServer(t, false)
	client := &http.Client{Transport: oauth2flows.NewTransport(
		oauth2flows.ClientCredentialsSource(ts.config(), oauth2flows.WithScopes("items.read")))}

	_, err := do(t, client, rs.URL)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := do(t, client, rs.URL)
		require.NoError(t, err)
		seen := rs.seen()
		return seen[len(seen)-1] == "Bearer at-2"
	}, 5*time.Second, 20*time.Millisecond)

	assert.Equal(t, int32(2), ts.requests.Load())
	assert.Equal(t, []string{"client_credentials", "client_credentials"}, ts.sent("grant_type"))
	assert.Equal(t, []string{"items.read", "items.read"}, ts.sent("scope"))
}

func TestClientCredentialsSourceCachesTheToken(t *testing.T) {
	ts := newTokenServer(t)
	src := oauth2flows.ClientCredentialsSource(ts.config())
	first, err := src.Token(t.Context())
	require.NoError(t, err)
	second, err := src.Token(t.Context())
	require.NoError(t, err)
	assert.Same(t, first, second)
	assert.Equal(t, int32(1), ts.requests.Load())
}

func TestOnBehalfOfSourceSendsTheAssertion(t *testing.T) {
	ts := newTokenServer(t)
	rs := newResourceServer(t, false)
	src := oauth2flows.OnBehalfOfSource(ts.config(), "user-assertion", oauth2flows.WithScopes("https://graph.microsoft.com/.default"))
	client := &http.Client{Transport: oauth2flows.NewTransport(src)}

	_, err := do(t, client, rs.URL)
	require.NoError(t, err)
	assert.Equal(t, []string{oauth2flows.GrantTypeJWTBearer}, ts.sent("grant_type"))
	assert.Equal(t, []string{"user-assertion"}, ts.sent("assertion"))
	assert.Equal(t, []string{"on_behalf_of"}, ts.sent("requested_token_use"))
	assert.Equal(t, []string{"Bearer at-1"}, rs.seen())
}

func TestTokenExchangeSourceResultThatIsNotBearerIsNeverSent(t *testing.T) {
	ts := newTokenServer(t)
	ts.tokenType = "N_A"
	ts.extra = map[string]any{"issued_token_type": oauth2flows.TokenTypeJWT}
	rs := newResourceServer(t, false)
	src := oauth2flows.TokenExchangeSource(ts.config(), "subject-token", oauth2flows.WithAudience("https://api.example.com"))
	client := &http.Client{Transport: oauth2flows.NewTransport(src)}

	_, err := do(t, client, rs.URL)
	var tte *oauth2flows.TokenTypeError
	require.ErrorAs(t, err, &tte)
	assert.Equal(t, "N_A", tte.TokenType)
	assert.Equal(t, []string{oauth2flows.GrantTypeTokenExchange}, ts.sent("grant_type"))
	assert.Equal(t, []string{"subject-token"}, ts.sent("subject_token"))
	assert.Equal(t, []string{"https://api.example.com"}, ts.sent("audience"))
	assert.Empty(t, rs.seen())
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func TestSourcesWithoutConfigFail(t *testing.T) {
	for name, src := range map[string]oauth2flows.TokenSource{
		"Refresh":           oauth2flows.RefreshTokenSource(nil, token("", "rt", time.Time{})),
		"ClientCredentials": oauth2flows.ClientCredentialsSource(nil),
		"OnBehalfOf":        oauth2flows.OnBehalfOfSource(nil, "assertion"),
		"TokenExchange":     oauth2flows.TokenExchangeSource(nil, "subject"),
	} {
		_, err := src.Token(t.Context())
		var ce *oauth2flows.ConfigError
		assert.ErrorAs(t, err, &ce, name)
	}
	_, err := oauth2flows.RefreshTokenSource(&oauth2flows.Config{}, nil).Token(t.Context())
	var ce *oauth2flows.ConfigError
	assert.ErrorAs(t, err, &ce, "no token to refresh")
}

// signedIn starts an oauth2flowstest server with one client and one user,
// and returns the client's Config and a token for the user, got with the
// password grant (the simplest way to a refresh token in a test).
func signedIn(t *testing.T, opts ...oauth2flowstest.Option) (*oauth2flowstest.Server, *oauth2flows.Config, *oauth2flows.Token) {
	srv := oauth2flowstest.NewServer(append([]oauth2flowstest.Option{
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "app", Secret: "app-secret"}),
		oauth2flowstest.WithUser(oauth2flowstest.User{Username: "alice", Password: "pw"}),
	}, opts...)...)
	t.Cleanup(srv.Close)
	cfg := &oauth2flows.Config{ClientID: "app", ClientSecret: "app-secret", Endpoint: srv.Endpoint()}
	resp, err := srv.Client().PostForm(cfg.Endpoint.TokenURL, url.Values{
		"grant_type": {"password"}, "username": {"alice"}, "password": {"pw"},
		"client_id": {"app"}, "client_secret": {"app-secret"},
	})
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	tok := &oauth2flows.Token{}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(tok))
	require.NotEmpty(t, tok.RefreshToken)
	tok.Expiry = time.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	return srv, cfg, tok
}

// protectedAPI is an API that accepts the server's tokens for audience "app"
// and answers with the token's subject.
func protectedAPI(t *testing.T, srv *oauth2flowstest.Server) *httptest.Server {
	api := httptest.NewServer(srv.Protect("app", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := oauth2flowstest.ClaimsFromContext(r.Context())
		fmt.Fprint(w, claims.Subject)
	})))
	t.Cleanup(api.Close)
	return api
}

func refreshRequests(srv *oauth2flowstest.Server) (n int, tokens []string) {
	for _, r := range srv.RequestsTo(oauth2flowstest.EndpointToken) {
		if r.Form.Get("grant_type") == oauth2flows.GrantTypeRefreshToken {
			n++
			tokens = append(tokens, r.Form.Get("refresh_token"))
		}
	}
	return n, tokens
}

func TestNewClientAgainstTestServerRefreshesOnceAndRotates(t *testing.T) {
	srv, cfg, tok := signedIn(t)
	api := protectedAPI(t, srv)
	oldRefresh := tok.RefreshToken
	tok.Expiry = time.Now().Add(-time.Minute) // as loaded from storage, expired

	var mu sync.Mutex
	var saved []*oauth2flows.Token
	client := oauth2flows.NewClient(cfg, tok, oauth2flows.WithTokenSaver(func(_ context.Context, tok *oauth2flows.Token) error {
		mu.Lock()
		defer mu.Unlock()
		saved = append(saved, tok)
		return nil
	}))

	const n = 50
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, api.URL, nil)
			if !assert.NoError(t, err) {
				return
			}
			resp, err := client.Do(req)
			if !assert.NoError(t, err) {
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "alice", string(body))
		})
	}
	wg.Wait()

	count, sent := refreshRequests(srv)
	assert.Equal(t, 1, count, "one refresh for every concurrent request")
	assert.Equal(t, []string{oldRefresh}, sent)
	require.Len(t, saved, 1)
	assert.NotEqual(t, oldRefresh, saved[0].RefreshToken, "the rotated refresh token is what gets saved")

	_, err := oauth2flows.Refresh(t.Context(), cfg, oldRefresh)
	assert.ErrorIs(t, err, oauth2flows.ErrReauthRequired, "the server refuses the spent refresh token")
}

func TestNewClientAgainstTestServerTransientFailureThenRecovery(t *testing.T) {
	srv, cfg, tok := signedIn(t)
	api := protectedAPI(t, srv)
	tok.Expiry = time.Now().Add(-time.Minute)
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{
		Status: http.StatusInternalServerError, Body: `{"error":"server_error"}`,
	})
	client := oauth2flows.NewClient(cfg, tok)

	_, err := do(t, client, api.URL)
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, http.StatusInternalServerError, oe.StatusCode)
	assert.False(t, errors.Is(err, oauth2flows.ErrReauthRequired))

	resp, err := do(t, client, api.URL) // the next request tries again, with the same refresh token
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	count, sent := refreshRequests(srv)
	assert.Equal(t, 2, count)
	assert.Equal(t, []string{tok.RefreshToken, tok.RefreshToken}, sent)
}

func TestNewClientAgainstTestServerRevokedTokenIsRetriedOnce(t *testing.T) {
	srv, cfg, tok := signedIn(t)
	api := protectedAPI(t, srv)
	client := oauth2flows.NewClient(cfg, tok)
	resp, err := do(t, client, api.URL)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	require.NoError(t, oauth2flows.Revoke(t.Context(), cfg, tok.AccessToken, oauth2flows.WithTokenTypeHint("access_token")))
	resp, err = do(t, client, api.URL)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "401 invalid_token, one refresh, one retry")
	count, _ := refreshRequests(srv)
	assert.Equal(t, 1, count)
}

func TestTransportAndItsSourceShareOneRenewal(t *testing.T) {
	ts := newTokenServer(t, "rt-0")
	rs := newResourceServer(t, false)
	src := oauth2flows.RefreshTokenSource(ts.config(), token("at-0", "rt-0", time.Now().Add(-time.Second)))
	var saves atomic.Int32
	client := &http.Client{Transport: oauth2flows.NewTransport(src,
		oauth2flows.WithTokenSaver(func(context.Context, *oauth2flows.Token) error { saves.Add(1); return nil }))}
	other := &http.Client{Transport: oauth2flows.NewTransport(src)} // shares without options of its own

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			tok, err := src.Token(t.Context())
			if assert.NoError(t, err) {
				assert.Equal(t, "at-1", tok.AccessToken)
			}
		})
		wg.Go(func() { _, err := do(t, client, rs.URL); assert.NoError(t, err) })
		wg.Go(func() { _, err := do(t, other, rs.URL); assert.NoError(t, err) })
	}
	wg.Wait()

	assert.Equal(t, int32(1), ts.requests.Load(), "direct callers and both Transports share one refresh")
	assert.Equal(t, int32(1), saves.Load(), "the saver sees the new token once, whoever caused the renewal")
	for _, auth := range rs.seen() {
		assert.Equal(t, "Bearer at-1", auth)
	}
}

func TestSecondTransportCannotChangeTheRenewalOfASharedSource(t *testing.T) {
	ts := newTokenServer(t, "rt-0")
	rs := newResourceServer(t, false)
	src := oauth2flows.RefreshTokenSource(ts.config(), token("at-0", "rt-0", time.Now().Add(time.Hour)))
	save := func(context.Context, *oauth2flows.Token) error { return nil }
	first := &http.Client{Transport: oauth2flows.NewTransport(src, oauth2flows.WithTokenSaver(save))}
	second := &http.Client{Transport: oauth2flows.NewTransport(src, oauth2flows.WithRefreshSkew(time.Second))}

	_, err := do(t, first, rs.URL)
	require.NoError(t, err)
	_, err = do(t, second, rs.URL)
	var ce *oauth2flows.ConfigError
	require.ErrorAs(t, err, &ce, "not silently ignored")
	assert.Equal(t, []string{"Bearer at-0"}, rs.seen())
}

// unsignedJWT is a JWT with the given claims and a dummy signature, as the
// sources read it: unverified.
func unsignedJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload) + ".c2ln"
}

func TestUserBoundSourcesNeverServeATokenPastTheAssertionsExpiry(t *testing.T) {
	tests := []struct {
		name string
		src  func(cfg *oauth2flows.Config, assertion string) oauth2flows.TokenSource
	}{
		{"OnBehalfOf", func(cfg *oauth2flows.Config, a string) oauth2flows.TokenSource {
			return oauth2flows.OnBehalfOfSource(cfg, a, oauth2flows.WithScopes("https://graph.microsoft.com/.default"))
		}},
		{"TokenExchange", func(cfg *oauth2flows.Config, a string) oauth2flows.TokenSource {
			return oauth2flows.TokenExchangeSource(cfg, a)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t) // issues downstream tokens valid for an hour
			rs := newResourceServer(t, false)
			exp := time.Now().Add(1500 * time.Millisecond).Truncate(time.Second).Add(time.Second)
			assertion := unsignedJWT(t, map[string]any{"sub": "alice", "exp": exp.Unix()})
			src := tt.src(ts.config(), assertion)
			client := &http.Client{Transport: oauth2flows.NewTransport(src)}

			_, err := do(t, client, rs.URL)
			require.NoError(t, err)
			tok, err := src.Token(t.Context())
			require.NoError(t, err)
			assert.False(t, tok.Expiry.After(exp), "the downstream token expires with the assertion")

			time.Sleep(time.Until(exp) + 50*time.Millisecond)
			_, err = do(t, client, rs.URL)
			require.ErrorIs(t, err, oauth2flows.ErrReauthRequired, "the user's token has expired")
			assert.NotContains(t, err.Error(), assertion)
			assert.Equal(t, []string{"Bearer at-1"}, rs.seen(), "never sent past the assertion's exp")
			assert.Equal(t, int32(1), ts.requests.Load(), "an expired assertion is not sent to the server")
		})
	}
}
