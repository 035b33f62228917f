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
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

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
	srv, cfg, seed := signedIn(t) // rotates; a spent refresh token gets invalid_grant (RFC 9700 §4.14.2)
	rs := newResourceServer(t, true)
	var saved []*oauth2flows.Token
	client := oauth2flows.NewClient(cfg, token(seed.AccessToken, seed.RefreshToken, time.Now().Add(time.Hour)),
		oauth2flows.WithTokenSaver(func(_ context.Context, tok *oauth2flows.Token) error {
			saved = append(saved, tok)
			return nil
		}))

	for range 4 { // every request after the first finds its token revoked
		resp, err := do(t, client, rs.URL)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}

	require.Len(t, saved, 3, "the seed is not saved; each new token once")
	n, sent := refreshRequests(srv)
	assert.Equal(t, 3, n)
	assert.Equal(t, []string{seed.RefreshToken, saved[0].RefreshToken, saved[1].RefreshToken}, sent, "always the newest refresh token")
	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), 1+3, "the sign-in, then refresh_token grants only")
	ats, rts := map[string]bool{seed.AccessToken: true}, map[string]bool{seed.RefreshToken: true}
	for _, tok := range saved {
		ats[tok.AccessToken], rts[tok.RefreshToken] = true, true
	}
	assert.Len(t, ats, 4, "a new access token each time, saved in order")
	assert.Len(t, rts, 4, "a new refresh token each time, saved in order")
	assert.Equal(t, []string{
		"Bearer " + seed.AccessToken,
		"Bearer " + seed.AccessToken, "Bearer " + saved[0].AccessToken,
		"Bearer " + saved[0].AccessToken, "Bearer " + saved[1].AccessToken,
		"Bearer " + saved[1].AccessToken, "Bearer " + saved[2].AccessToken,
	}, rs.seen())
}

func TestRefreshTokenSourceKeepsOldRefreshTokenWhenNoneIssued(t *testing.T) {
	srv, cfg, seed := signedIn(t, oauth2flowstest.WithRefreshTokenPolicy(oauth2flowstest.NoRotation))
	src := oauth2flows.RefreshTokenSource(cfg, token(seed.AccessToken, seed.RefreshToken, time.Now().Add(-time.Minute)))

	tok, err := src.Token(t.Context())
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	assert.NotEqual(t, seed.AccessToken, tok.AccessToken)
	assert.Equal(t, seed.RefreshToken, tok.RefreshToken)
	again, err := src.Token(t.Context())
	require.NoError(t, err)
	assert.Same(t, tok, again, "cached while valid")
	_, sent := refreshRequests(srv)
	assert.Equal(t, []string{seed.RefreshToken}, sent)
}

func TestRefreshTokenSourceFromStoredRefreshTokenAlone(t *testing.T) {
	srv, cfg, seed := signedIn(t)
	rs := newResourceServer(t, false)
	var saved []*oauth2flows.Token
	client := oauth2flows.NewClient(cfg, token("", seed.RefreshToken, time.Time{}),
		oauth2flows.WithTokenSaver(func(_ context.Context, tok *oauth2flows.Token) error {
			saved = append(saved, tok)
			return nil
		}))
	_, err := do(t, client, rs.URL)
	require.NoError(t, err)
	require.Len(t, saved, 1)
	assert.NotEmpty(t, saved[0].AccessToken)
	assert.Equal(t, []string{"Bearer " + saved[0].AccessToken}, rs.seen())
	assert.NotEmpty(t, saved[0].RefreshToken)
	assert.NotEqual(t, seed.RefreshToken, saved[0].RefreshToken, "the rotated refresh token is saved")
	_, sent := refreshRequests(srv)
	assert.Equal(t, []string{seed.RefreshToken}, sent)
}

func TestNewClientStormOnExpiredTokenMakesOneRefresh(t *testing.T) {
	srv, cfg, seed := signedIn(t)
	var sent atomic.Int32
	var renewed atomic.Pointer[oauth2flows.Token]
	// The resource requests go through cfg.HTTPClient.Transport (NewClient's
	// base), answered in memory so that the storm needs no sockets.
	base := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.URL.Host == "api.example.test" {
			tok := renewed.Load()
			if tok == nil || req.Header.Get("Authorization") != "Bearer "+tok.AccessToken {
				return nil, errors.New("not the renewed token")
			}
			sent.Add(1)
			return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: req}, nil
		}
		return http.DefaultTransport.RoundTrip(req)
	})
	cfg.HTTPClient = &http.Client{Transport: base}
	client := oauth2flows.NewClient(cfg, token(seed.AccessToken, seed.RefreshToken, time.Now().Add(-time.Second)),
		oauth2flows.WithTokenSaver(func(_ context.Context, tok *oauth2flows.Token) error {
			renewed.Store(tok)
			return nil
		}))

	const n = 1000
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := do(t, client, "https://api.example.test/items")
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	count, refreshed := refreshRequests(srv)
	assert.Equal(t, 1, count, "one refresh for a thousand requests")
	assert.Equal(t, []string{seed.RefreshToken}, refreshed)
	assert.NotEqual(t, seed.AccessToken, renewed.Load().AccessToken)
	assert.Equal(t, int32(n), sent.Load())
}

func TestNewClientInvalidGrantNeedsReauthentication(t *testing.T) {
	srv, cfg, seed := signedIn(t) // knows no refresh token "rt-revoked"
	rs := newResourceServer(t, false)
	saves := 0
	client := oauth2flows.NewClient(cfg, token(seed.AccessToken, "rt-revoked", time.Now().Add(-time.Second)),
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
	_, sent := refreshRequests(srv)
	assert.Equal(t, []string{"rt-revoked"}, sent)
	reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
	assert.Equal(t, http.StatusBadRequest, reqs[len(reqs)-1].Status)
}

func TestClientCredentialsSourceFetchesAgainOnExpiry(t *testing.T) {
	srv, cfg := clientOnly(t, oauth2flowstest.WithAccessTokenLifetime(time.Second))
	rs := newResourceServer(t, false)
	client := &http.Client{Transport: oauth2flows.NewTransport(
		oauth2flows.ClientCredentialsSource(cfg, oauth2flows.WithScopes("items.read")))}

	_, err := do(t, client, rs.URL)
	require.NoError(t, err)
	first := rs.seen()[0]
	require.Eventually(t, func() bool {
		_, err := do(t, client, rs.URL)
		require.NoError(t, err)
		seen := rs.seen()
		return seen[len(seen)-1] != first
	}, 5*time.Second, 20*time.Millisecond)

	reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.Len(t, reqs, 2)
	for _, r := range reqs {
		assert.Equal(t, "client_credentials", r.Form.Get("grant_type"))
		assert.Equal(t, "items.read", r.Form.Get("scope"))
		assert.Equal(t, http.StatusOK, r.Status)
	}
}

func TestClientCredentialsSourceCachesTheToken(t *testing.T) {
	srv, cfg := clientOnly(t)
	src := oauth2flows.ClientCredentialsSource(cfg)
	first, err := src.Token(t.Context())
	require.NoError(t, err)
	second, err := src.Token(t.Context())
	require.NoError(t, err)
	assert.Same(t, first, second)
	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), 1)
}

func TestOnBehalfOfSourceSendsTheAssertion(t *testing.T) {
	srv, cfg := clientOnly(t)
	rs := newResourceServer(t, false)
	assertion := srv.IssueAccessToken("alice", "app") // the user's token for this API
	src := oauth2flows.OnBehalfOfSource(cfg, assertion, oauth2flows.WithScopes("https://graph.microsoft.com/.default"))
	client := &http.Client{Transport: oauth2flows.NewTransport(src)}

	_, err := do(t, client, rs.URL)
	require.NoError(t, err)
	reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.Len(t, reqs, 1)
	assert.Equal(t, oauth2flows.GrantTypeJWTBearer, reqs[0].Form.Get("grant_type"))
	assert.Equal(t, assertion, reqs[0].Form.Get("assertion"))
	assert.Equal(t, "on_behalf_of", reqs[0].Form.Get("requested_token_use"))
	tok, err := src.Token(t.Context())
	require.NoError(t, err)
	assert.NotEqual(t, assertion, tok.AccessToken)
	assert.Equal(t, []string{"Bearer " + tok.AccessToken}, rs.seen())
}

func TestTokenExchangeSourceResultThatIsNotBearerIsNeverSent(t *testing.T) {
	srv, cfg := clientOnly(t)
	rs := newResourceServer(t, false)
	subject := srv.IssueAccessToken("alice", "app")
	// An ID token comes back with token_type N_A (RFC 8693 §2.2.1).
	src := oauth2flows.TokenExchangeSource(cfg, subject, oauth2flows.WithAudience("https://api.example.com"),
		oauth2flows.WithRequestedTokenType(oauth2flows.TokenTypeIDToken))
	client := &http.Client{Transport: oauth2flows.NewTransport(src)}

	_, err := do(t, client, rs.URL)
	var tte *oauth2flows.TokenTypeError
	require.ErrorAs(t, err, &tte)
	assert.Equal(t, "N_A", tte.TokenType)
	reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.Len(t, reqs, 1)
	assert.Equal(t, http.StatusOK, reqs[0].Status)
	assert.Equal(t, oauth2flows.GrantTypeTokenExchange, reqs[0].Form.Get("grant_type"))
	assert.Equal(t, subject, reqs[0].Form.Get("subject_token"))
	assert.Equal(t, "https://api.example.com", reqs[0].Form.Get("audience"))
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

// clientOnly starts an oauth2flowstest server with the client "app" alone
// and returns it with the client's Config.
func clientOnly(t *testing.T, opts ...oauth2flowstest.Option) (*oauth2flowstest.Server, *oauth2flows.Config) {
	srv := oauth2flowstest.NewServer(append([]oauth2flowstest.Option{
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "app", Secret: "app-secret"}),
	}, opts...)...)
	t.Cleanup(srv.Close)
	return srv, &oauth2flows.Config{ClientID: "app", ClientSecret: "app-secret", Endpoint: srv.Endpoint()}
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
	srv, cfg, seed := signedIn(t)
	rs := newResourceServer(t, false)
	src := oauth2flows.RefreshTokenSource(cfg, token(seed.AccessToken, seed.RefreshToken, time.Now().Add(-time.Second)))
	var saves atomic.Int32
	var saved atomic.Pointer[oauth2flows.Token]
	client := &http.Client{Transport: oauth2flows.NewTransport(src,
		oauth2flows.WithTokenSaver(func(_ context.Context, tok *oauth2flows.Token) error {
			saves.Add(1)
			saved.Store(tok)
			return nil
		}))}
	other := &http.Client{Transport: oauth2flows.NewTransport(src)} // shares without options of its own

	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			tok, err := src.Token(t.Context())
			if assert.NoError(t, err) {
				mu.Lock()
				got = append(got, tok.AccessToken)
				mu.Unlock()
			}
		})
		wg.Go(func() { _, err := do(t, client, rs.URL); assert.NoError(t, err) })
		wg.Go(func() { _, err := do(t, other, rs.URL); assert.NoError(t, err) })
	}
	wg.Wait()

	count, sent := refreshRequests(srv)
	assert.Equal(t, 1, count, "direct callers and both Transports share one refresh")
	assert.Equal(t, []string{seed.RefreshToken}, sent)
	assert.Equal(t, int32(1), saves.Load(), "the saver sees the new token once, whoever caused the renewal")
	renewed := saved.Load()
	require.NotNil(t, renewed)
	assert.NotEqual(t, seed.AccessToken, renewed.AccessToken)
	assert.Len(t, got, 20)
	for _, at := range got {
		assert.Equal(t, renewed.AccessToken, at)
	}
	assert.Len(t, rs.seen(), 40)
	for _, auth := range rs.seen() {
		assert.Equal(t, "Bearer "+renewed.AccessToken, auth)
	}
}

func TestSecondTransportCannotChangeTheRenewalOfASharedSource(t *testing.T) {
	srv, cfg, seed := signedIn(t)
	rs := newResourceServer(t, false)
	src := oauth2flows.RefreshTokenSource(cfg, token(seed.AccessToken, seed.RefreshToken, time.Now().Add(time.Hour)))
	save := func(context.Context, *oauth2flows.Token) error { return nil }
	first := &http.Client{Transport: oauth2flows.NewTransport(src, oauth2flows.WithTokenSaver(save))}
	second := &http.Client{Transport: oauth2flows.NewTransport(src, oauth2flows.WithRefreshSkew(time.Second))}

	_, err := do(t, first, rs.URL)
	require.NoError(t, err)
	_, err = do(t, second, rs.URL)
	var ce *oauth2flows.ConfigError
	require.ErrorAs(t, err, &ce, "not silently ignored")
	assert.Equal(t, []string{"Bearer " + seed.AccessToken}, rs.seen())
	count, _ := refreshRequests(srv)
	assert.Zero(t, count, "the valid token needs no renewal")
}

// unsignedJWT is a JWT with the given claims and a dummy signature, as the
// sources read it: unverified.
// jwtExpiry is the exp claim of a JWT, read without verifying it.
func jwtExpiry(t *testing.T, jwt string) time.Time {
	t.Helper()
	parts := strings.Split(jwt, ".")
	require.Len(t, parts, 3)
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims struct {
		Exp int64 `json:"exp"`
	}
	require.NoError(t, json.Unmarshal(payload, &claims))
	require.NotZero(t, claims.Exp)
	return time.Unix(claims.Exp, 0)
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
			// The server's clock stands still almost an hour back while it
			// issues the user's token, so that the token expires in about two
			// seconds; downstream tokens, issued by real time, live an hour.
			var offset atomic.Int64
			offset.Store(int64(-(time.Hour - 2*time.Second)))
			srv, cfg := clientOnly(t, oauth2flowstest.WithClock(func() time.Time {
				return time.Now().Add(time.Duration(offset.Load()))
			}))
			assertion := srv.IssueAccessToken("alice", "app")
			offset.Store(0)
			rs := newResourceServer(t, false)
			exp := jwtExpiry(t, assertion)
			require.True(t, time.Until(exp) > time.Second, "the assertion is still valid for the first request")
			src := tt.src(cfg, assertion)
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
			assert.Equal(t, []string{"Bearer " + tok.AccessToken}, rs.seen(), "never sent past the assertion's exp")
			reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
			require.Len(t, reqs, 1, "an expired assertion is not sent to the server")
			assert.Equal(t, assertion, reqs[0].Form.Get(map[string]string{
				"OnBehalfOf": "assertion", "TokenExchange": "subject_token"}[tt.name]))
		})
	}
}
