package oauth2flows

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

const resourceURL = "https://api.example.test/v1/items"

func TestTransportSendsBearerWithoutChangingTheRequest(t *testing.T) {
	base := &recordingBase{}
	tr := NewTransport(newTestTokenEndpoint(t).source(validSeed()), WithBase(base))
	req, err := http.NewRequest(http.MethodGet, resourceURL, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json")

	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()

	assert.Equal(t, []string{"Bearer at-0"}, base.seen())
	assert.Equal(t, "application/json", resp.Request.Header.Get("Accept"), "other headers are kept")
	assert.Empty(t, req.Header.Get("Authorization"), "the caller's request must not be modified")
	assert.Len(t, req.Header, 1)
}

func TestTransportStormOnExpiredTokenMakesOneTokenRequest(t *testing.T) {
	endpoint := newTestTokenEndpoint(t)
	endpoint.set(func(e *testTokenEndpoint) { e.gate = make(chan struct{}) })
	base := &recordingBase{}
	client := &http.Client{Transport: NewTransport(endpoint.source(expiredSeed()), WithBase(base))}

	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := get(t.Context(), client, resourceURL)
			errs <- err
		})
	}
	require.Eventually(t, func() bool { return endpoint.requests.Load() == 1 }, 5*time.Second, time.Millisecond)
	close(endpoint.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	assert.Equal(t, int32(1), endpoint.requests.Load(), "one token request for the whole storm")
	assert.Equal(t, []string{"rt-0"}, endpoint.received())
	seen := base.seen()
	require.Len(t, seen, n)
	for _, auth := range seen {
		require.Equal(t, "Bearer at-1", auth, "the expired token is never sent")
	}
}

func TestTransportRenewsInBackgroundWhileTheTokenIsValid(t *testing.T) {
	endpoint := newTestTokenEndpoint(t)
	endpoint.set(func(e *testTokenEndpoint) { e.gate = make(chan struct{}) })
	base := &recordingBase{}
	tr := NewTransport(endpoint.source(validSeed()), WithBase(base))
	client := &http.Client{Transport: tr}
	// Move the valid token into its refresh window.
	st := *tr.r.state.Load()
	st.refreshAt = time.Now().Add(-time.Second)
	tr.r.state.Store(&st)

	for range 20 { // while the renewal hangs, requests go on with the old token
		_, err := get(t.Context(), client, resourceURL)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return endpoint.requests.Load() == 1 }, 5*time.Second, time.Millisecond)
	for range 20 {
		_, err := get(t.Context(), client, resourceURL)
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), endpoint.requests.Load(), "exactly one background renewal")
	close(endpoint.gate)
	require.Eventually(t, func() bool { return tr.r.state.Load().tok.AccessToken == "at-1" }, 5*time.Second, time.Millisecond)
	_, err := get(t.Context(), client, resourceURL)
	require.NoError(t, err)

	seen := base.seen()
	assert.Equal(t, "Bearer at-0", seen[0])
	assert.Equal(t, "Bearer at-1", seen[len(seen)-1])
	assert.Equal(t, int32(1), endpoint.requests.Load())
}

func TestTransportFailedBackgroundRenewalIsNotRetriedOnEveryRequest(t *testing.T) {
	for _, code := range []string{"temporarily_unavailable", "invalid_grant"} {
		t.Run(code, func(t *testing.T) {
			endpoint := newTestTokenEndpoint(t)
			endpoint.set(func(e *testTokenEndpoint) { e.failStatus, e.failCode, e.failTimes = 400, code, -1 })
			base := &recordingBase{}
			tr := NewTransport(endpoint.source(validSeed()), WithBase(base))
			client := &http.Client{Transport: tr}
			st := *tr.r.state.Load()
			st.refreshAt = time.Now().Add(-time.Second)
			tr.r.state.Store(&st)

			_, err := get(t.Context(), client, resourceURL)
			require.NoError(t, err)
			require.Eventually(t, func() bool { return !tr.r.background.Load() }, 5*time.Second, time.Millisecond)
			for range 20 {
				_, err := get(t.Context(), client, resourceURL)
				require.NoError(t, err, "the old token is still valid")
			}
			assert.Equal(t, int32(1), endpoint.requests.Load())
			assert.True(t, tr.r.state.Load().refreshAt.After(time.Now()), "next attempt postponed")
		})
	}
}

func TestTransportSaverRunsOnceInOrderBeforeTheTokenIsUsed(t *testing.T) {
	endpoint := newTestTokenEndpoint(t)
	endpoint.set(func(e *testTokenEndpoint) { e.lifetime = 300 * time.Millisecond })
	var mu sync.Mutex
	var saved []string
	isSaved := map[string]bool{}
	base := &recordingBase{answer: func(req *http.Request) *http.Response {
		mu.Lock()
		defer mu.Unlock()
		auth := req.Header.Get("Authorization")
		if auth != "Bearer at-0" && !isSaved[auth] {
			t.Errorf("resource server got %q before the saver returned for it", auth)
		}
		return nil
	}}
	save := func(ctx context.Context, tok *Token) error {
		time.Sleep(5 * time.Millisecond) // a slow disk widens any window
		mu.Lock()
		defer mu.Unlock()
		saved = append(saved, tok.AccessToken)
		isSaved["Bearer "+tok.AccessToken] = true
		return nil
	}
	seed := validSeed()
	seed.Expiry = time.Now().Add(300 * time.Millisecond)
	client := &http.Client{Transport: NewTransport(endpoint.source(seed), WithBase(base), WithTokenSaver(save))}

	deadline := time.Now().Add(time.Second)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				_, err := get(t.Context(), client, resourceURL)
				assert.NoError(t, err)
				time.Sleep(time.Millisecond)
			}
		})
	}
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	require.GreaterOrEqual(t, len(saved), 2, "tokens of 300ms over a second")
	for i, tok := range saved {
		assert.Equal(t, "at-"+strconv.Itoa(i+1), tok, "each new token saved once, in order; the seed never")
	}
	assert.Equal(t, int(endpoint.requests.Load()), len(saved))
}

func TestTransportSaverFailureKeepsTokenAndRetriesBeforeUse(t *testing.T) {
	endpoint := newTestTokenEndpoint(t)
	base := &recordingBase{}
	var calls []string
	saveErr := errors.New("disk full")
	save := func(ctx context.Context, tok *Token) error {
		calls = append(calls, tok.AccessToken+"/"+tok.RefreshToken) // calls never overlap
		if len(calls) == 1 {
			return saveErr
		}
		return nil
	}
	client := &http.Client{Transport: NewTransport(endpoint.source(expiredSeed()), WithBase(base), WithTokenSaver(save))}

	_, err := get(t.Context(), client, resourceURL)
	var urlErr *url.Error
	require.ErrorAs(t, err, &urlErr)
	var se *SaveError
	require.ErrorAs(t, err, &se)
	assert.ErrorIs(t, err, saveErr)
	assert.Empty(t, base.seen(), "an unsaved token is not used")

	_, err = get(t.Context(), client, resourceURL)
	require.NoError(t, err)
	assert.Equal(t, []string{"at-1/rt-1", "at-1/rt-1"}, calls, "the same token, kept in memory, saved again")
	assert.Equal(t, []string{"Bearer at-1"}, base.seen())
	assert.Equal(t, int32(1), endpoint.requests.Load(), "no second refresh: the rotated refresh token was kept")
}

func TestTransportRotatesRefreshTokens(t *testing.T) {
	endpoint := newTestTokenEndpoint(t)
	tr := NewTransport(endpoint.source(expiredSeed()), WithBase(&recordingBase{}))
	for range 3 {
		_, err := tr.r.flight.do(t.Context(), func(ctx context.Context) (*tokenState, error) { return tr.r.renew(ctx, tr.r.state.Load(), false) })
		require.NoError(t, err)
		st := *tr.r.state.Load()
		st.expireAt = time.Now().Add(-time.Second)
		tr.r.state.Store(&st)
	}
	assert.Equal(t, []string{"rt-0", "rt-1", "rt-2"}, endpoint.received(), "each refresh uses the newest refresh token")
}

func TestTransportRefreshErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		code       string
		wantReauth bool
	}{
		{name: "InvalidGrantAsksForReauthentication", status: http.StatusBadRequest, code: "invalid_grant", wantReauth: true},
		{name: "ServerErrorIsTransient", status: http.StatusServiceUnavailable, code: "temporarily_unavailable"},
		{name: "TooManyRequestsIsTransient", status: http.StatusTooManyRequests, code: "slow_down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			endpoint := newTestTokenEndpoint(t)
			endpoint.set(func(e *testTokenEndpoint) {
				e.failStatus, e.failCode, e.failTimes, e.gate = tt.status, tt.code, 1, make(chan struct{})
			})
			base := &recordingBase{}
			saves := 0
			client := &http.Client{Transport: NewTransport(endpoint.source(expiredSeed()), WithBase(base),
				WithTokenSaver(func(context.Context, *Token) error { saves++; return nil }))}

			const waiters = 20
			errs := make(chan error, waiters)
			var blocked atomic.Int32
			for range waiters {
				ctx := &blockedCtx{Context: t.Context(), blocked: &blocked}
				go func() { _, err := get(ctx, client, resourceURL); errs <- err }()
			}
			// Open the gate only once every caller waits on the one refresh;
			// a caller arriving after the failure would rightly start another.
			t.Cleanup(func() { closeOnce(endpoint.gate) }) // never leave the server blocked
			require.Eventually(t, func() bool {
				return blocked.Load() == waiters && endpoint.requests.Load() == 1
			}, 5*time.Second, time.Millisecond)
			closeOnce(endpoint.gate)
			for range waiters {
				err := <-errs
				var urlErr *url.Error
				require.ErrorAs(t, err, &urlErr, "http.Client wraps it")
				var oe *Error
				require.ErrorAs(t, err, &oe, "the server's error survives the wrapping")
				assert.Equal(t, tt.status, oe.StatusCode)
				assert.Equal(t, tt.code, oe.Code)
				assert.Equal(t, tt.wantReauth, errors.Is(err, ErrReauthRequired))
			}
			assert.Equal(t, int32(1), endpoint.requests.Load(), "the waiters share one failed refresh")
			assert.Zero(t, saves)
			assert.Empty(t, base.seen())

			_, err := get(t.Context(), client, resourceURL) // the next request tries again
			require.NoError(t, err)
			assert.Equal(t, int32(2), endpoint.requests.Load())
			assert.Equal(t, []string{"Bearer at-2"}, base.seen())
		})
	}
}

func TestTransportRefusesTokensThatAreNotBearer(t *testing.T) {
	tests := []struct {
		name            string
		tokenType       string
		issuedTokenType string
	}{
		{name: "NA", tokenType: "N_A"},
		{name: "SAML2Assertion", tokenType: "Bearer", issuedTokenType: TokenTypeSAML2},
		{name: "DPoP", tokenType: "DPoP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := validSeed()
			tok.TokenType, tok.IssuedTokenType = tt.tokenType, tt.issuedTokenType
			base := &recordingBase{}
			client := &http.Client{Transport: NewTransport(newTestTokenEndpoint(t).source(tok), WithBase(base))}
			for range 2 {
				_, err := get(t.Context(), client, resourceURL)
				var tte *TokenTypeError
				require.ErrorAs(t, err, &tte)
				assert.Equal(t, tt.tokenType, tte.TokenType)
				assert.Equal(t, tt.issuedTokenType, tte.IssuedTokenType)
				assert.NotContains(t, err.Error(), tok.AccessToken)
			}
			assert.Empty(t, base.seen(), "never sent")
		})
	}
}

func TestTransportRetriesOnceAfterInvalidToken(t *testing.T) {
	const challenge = `Bearer realm="api", error="invalid_token", error_description="revoked"`
	tests := []struct {
		name        string
		challenge   string
		body        func() (io.Reader, bool) // the body and whether GetBody is set
		alwaysFail  bool
		wantAuths   []string
		wantStatus  int
		wantBodies  []string
		wantFetches int32
	}{
		{
			name: "ReplayableBody", challenge: challenge,
			body:      func() (io.Reader, bool) { return bytes.NewReader([]byte(`{"n":1}`)), true },
			wantAuths: []string{"Bearer at-0", "Bearer at-1"}, wantStatus: http.StatusOK,
			wantBodies: []string{`{"n":1}`, `{"n":1}`}, wantFetches: 1,
		},
		{
			name: "NoBody", challenge: challenge,
			wantAuths: []string{"Bearer at-0", "Bearer at-1"}, wantStatus: http.StatusOK,
			wantBodies: []string{"", ""}, wantFetches: 1,
		},
		{
			name: "NeverLoops", challenge: challenge, alwaysFail: true,
			wantAuths: []string{"Bearer at-0", "Bearer at-1"}, wantStatus: http.StatusUnauthorized,
			wantBodies: []string{"", ""}, wantFetches: 1,
		},
		{
			name: "BodyCannotBeReplayed", challenge: challenge,
			body:      func() (io.Reader, bool) { return io.MultiReader(bytes.NewReader([]byte("x"))), false },
			wantAuths: []string{"Bearer at-0"}, wantStatus: http.StatusUnauthorized, wantBodies: []string{"x"},
		},
		{
			name: "OtherChallenge", challenge: `Bearer realm="api", error="insufficient_scope"`,
			wantAuths: []string{"Bearer at-0"}, wantStatus: http.StatusUnauthorized, wantBodies: []string{""},
		},
		{
			name: "OtherScheme", challenge: `Basic realm="invalid_token"`,
			wantAuths: []string{"Bearer at-0"}, wantStatus: http.StatusUnauthorized, wantBodies: []string{""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			endpoint := newTestTokenEndpoint(t)
			base := &recordingBase{}
			base.answer = func(req *http.Request) *http.Response {
				if tt.alwaysFail || req.Header.Get("Authorization") == "Bearer at-0" {
					return testResponse(req, http.StatusUnauthorized, http.Header{"Www-Authenticate": {tt.challenge}})
				}
				return nil
			}
			client := &http.Client{Transport: NewTransport(endpoint.source(validSeed()), WithBase(base))}
			var body io.Reader
			replayable := false
			if tt.body != nil {
				body, replayable = tt.body()
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, resourceURL, body)
			require.NoError(t, err)
			assert.Equal(t, replayable, req.GetBody != nil)

			resp, err := client.Do(req)
			require.NoError(t, err)
			resp.Body.Close()

			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.Equal(t, tt.wantAuths, base.seen())
			assert.Equal(t, tt.wantBodies, base.bodies)
			assert.Equal(t, tt.wantFetches, endpoint.requests.Load())
		})
	}
}

func TestTransportCancelledCallerStopsWaitingOthersGetTheToken(t *testing.T) {
	endpoint := newTestTokenEndpoint(t)
	endpoint.set(func(e *testTokenEndpoint) { e.gate = make(chan struct{}) })
	base := &recordingBase{}
	client := &http.Client{Transport: NewTransport(endpoint.source(expiredSeed()), WithBase(base))}

	ctx, cancel := context.WithCancel(t.Context())
	cancelled := make(chan error, 1)
	go func() { _, err := get(ctx, client, resourceURL); cancelled <- err }()
	require.Eventually(t, func() bool { return endpoint.requests.Load() == 1 }, 5*time.Second, time.Millisecond)
	patient := make(chan error, 1)
	go func() { _, err := get(t.Context(), client, resourceURL); patient <- err }()

	cancel()
	err := <-cancelled // returns while the refresh still hangs
	assert.ErrorIs(t, err, context.Canceled)
	close(endpoint.gate)
	require.NoError(t, <-patient)

	assert.Equal(t, int32(1), endpoint.requests.Load(), "the refresh was not cancelled and not repeated")
	assert.Equal(t, []string{"Bearer at-1"}, base.seen())
}

func TestTransportWithForeignSource(t *testing.T) {
	tok := &oauth2.Token{AccessToken: "static", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	base := &recordingBase{answer: func(req *http.Request) *http.Response {
		return testResponse(req, http.StatusUnauthorized, http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}})
	}}
	var saves atomic.Int32
	client := &http.Client{Transport: NewTransport(FromOAuth2(oauth2.StaticTokenSource(tok)), WithBase(base),
		WithTokenSaver(func(context.Context, *Token) error { saves.Add(1); return nil }))}

	resp, err := get(t.Context(), client, resourceURL)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no newer token: the 401 is returned, not retried")
	assert.Equal(t, []string{"Bearer static"}, base.seen())
	assert.Equal(t, int32(1), saves.Load(), "the first token of a foreign source is new")
}

func TestTransportWithoutSourceFails(t *testing.T) {
	_, err := get(t.Context(), &http.Client{Transport: NewTransport(nil, WithBase(&recordingBase{}))}, resourceURL)
	var ce *ConfigError
	assert.ErrorAs(t, err, &ce)
}

func TestInvalidTokenChallenge(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{`Bearer error="invalid_token"`, true},
		{`bearer realm="x", error=invalid_token`, true},
		{`Bearer realm="x", error="invalid_token", error_description="The access token expired"`, true},
		{`Basic realm="x", Bearer error="invalid_token"`, true},
		{`Bearer realm="x"`, false},
		{`Bearer error="insufficient_scope"`, false},
		{`DPoP error="invalid_token"`, false},
		{`Bearer error="invalid_token_x"`, false},
		{`Bearer error_description="a, b", error="invalid_token"`, true},
		{``, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, invalidTokenChallenge([]string{tt.header}), tt.header)
	}
}

// testTokenEndpoint is a token endpoint for the transport tests, which must
// not depend on the poster: it answers refresh_token grants with "at-N" and
// a rotated "rt-N", counts requests and records the refresh tokens it got.
type testTokenEndpoint struct {
	srv      *httptest.Server
	requests atomic.Int32

	mu            sync.Mutex
	lifetime      time.Duration // of issued tokens; 0: no expiry
	tokenType     string        // "Bearer" unless set
	failStatus    int           // non-zero: answer errors with this status...
	failCode      string        // ...and this code
	failTimes     int           // ...this many times; -1: always
	refreshTokens []string      // as received, in order
	gate          chan struct{} // non-nil: each request waits for it to close
}

func newTestTokenEndpoint(t *testing.T) *testTokenEndpoint {
	e := &testTokenEndpoint{lifetime: time.Hour, tokenType: "Bearer"}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *testTokenEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	n := e.requests.Add(1)
	e.mu.Lock()
	gate := e.gate
	e.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.refreshTokens = append(e.refreshTokens, r.PostForm.Get("refresh_token"))
	w.Header().Set("Content-Type", "application/json")
	if e.failStatus != 0 && e.failTimes != 0 {
		e.failTimes--
		w.WriteHeader(e.failStatus)
		fmt.Fprintf(w, `{"error":%q}`, e.failCode)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{
		"access_token":  fmt.Sprintf("at-%d", n),
		"refresh_token": fmt.Sprintf("rt-%d", n),
		"token_type":    e.tokenType,
		"expires_in_ms": e.lifetime.Milliseconds(),
	})
}

func (e *testTokenEndpoint) set(f func(e *testTokenEndpoint)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f(e)
}

func (e *testTokenEndpoint) received() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.refreshTokens...)
}

// grant is a minimal refresh_token grant against e, standing in for Refresh.
func (e *testTokenEndpoint) grant(ctx context.Context, last *Token) (*Token, error) {
	form := url.Values{"grant_type": {"refresh_token"}}
	if last != nil {
		form.Set("refresh_token", last.RefreshToken)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		TokenType    string `json:"token_type"`
		ExpiresInMS  int64  `json:"expires_in_ms"`
		Error        string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &Error{StatusCode: resp.StatusCode, Code: body.Error}
	}
	tok := &Token{}
	tok.AccessToken, tok.RefreshToken, tok.TokenType = body.AccessToken, body.RefreshToken, body.TokenType
	if body.ExpiresInMS > 0 {
		tok.Expiry = time.Now().Add(time.Duration(body.ExpiresInMS) * time.Millisecond)
	}
	return tok, nil
}

// source returns a source of this package's kind over e, starting from seed.
func (e *testTokenEndpoint) source(seed *Token) *grantSource {
	return newGrantSource(&Config{}, seed, e.grant)
}

// expiredSeed is a token as loaded from storage after it expired.
func expiredSeed() *Token {
	tok := &Token{}
	tok.AccessToken, tok.RefreshToken, tok.TokenType = "at-0", "rt-0", "Bearer"
	tok.Expiry = time.Now().Add(-time.Minute)
	return tok
}

// validSeed is a token valid for an hour.
func validSeed() *Token {
	tok := expiredSeed()
	tok.Expiry = time.Now().Add(time.Hour)
	return tok
}

// recordingBase is a resource server without a network: it records the
// Authorization of each request and answers 200, or what answer says.
type recordingBase struct {
	mu     sync.Mutex
	auths  []string
	bodies []string
	answer func(req *http.Request) *http.Response
}

func (b *recordingBase) RoundTrip(req *http.Request) (*http.Response, error) {
	var body string
	if req.Body != nil {
		body = readAll(req)
	}
	b.mu.Lock()
	b.auths = append(b.auths, req.Header.Get("Authorization"))
	b.bodies = append(b.bodies, body)
	answer := b.answer
	b.mu.Unlock()
	if answer != nil {
		if resp := answer(req); resp != nil {
			return resp, nil
		}
	}
	return testResponse(req, http.StatusOK, nil), nil
}

func (b *recordingBase) seen() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.auths...)
}

func readAll(req *http.Request) string {
	defer req.Body.Close()
	b, _ := io.ReadAll(req.Body)
	return string(b)
}

func testResponse(req *http.Request, status int, header http.Header) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{
		StatusCode: status, Status: http.StatusText(status), Header: header,
		Body: http.NoBody, Request: req, ProtoMajor: 1, ProtoMinor: 1,
	}
}

// get sends one GET through c and returns the error, closing any body.
func closeOnce(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// blockedCtx counts the callers that have started to wait on it: a caller
// of the Transport asks for Done only when it blocks on a renewal.
type blockedCtx struct {
	context.Context
	blocked *atomic.Int32
	once    sync.Once
}

func (c *blockedCtx) Done() <-chan struct{} {
	c.once.Do(func() { c.blocked.Add(1) })
	return c.Context.Done()
}

func get(ctx context.Context, c *http.Client, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	return resp, err
}

func TestTransportSurvivesAPanicInUserCode(t *testing.T) {
	tests := []struct {
		name string
		src  func(e *testTokenEndpoint) TokenSource
		opts []TransportOption
	}{
		{
			name: "TokenSource",
			src: func(*testTokenEndpoint) TokenSource {
				return tokenSourceFunc(func(context.Context) (*Token, error) { panic("source broke") })
			},
		},
		{
			name: "Saver",
			src:  func(e *testTokenEndpoint) TokenSource { return e.source(expiredSeed()) },
			opts: []TransportOption{WithTokenSaver(func(context.Context, *Token) error { panic("saver broke") })},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := &recordingBase{}
			tr := NewTransport(tt.src(newTestTokenEndpoint(t)), append(tt.opts, WithBase(base))...)
			client := &http.Client{Transport: tr}
			var wg sync.WaitGroup
			for range 10 {
				wg.Go(func() {
					_, err := get(t.Context(), client, resourceURL)
					var pe *PanicError
					assert.ErrorAs(t, err, &pe, "the panic reaches every caller as an error")
				})
			}
			wg.Wait()
			assert.Empty(t, base.seen())
		})
	}
}

func TestTransportAlwaysUnauthorizedResourceCausesOneForcedRenewal(t *testing.T) {
	endpoint := newTestTokenEndpoint(t)
	base := &recordingBase{answer: func(req *http.Request) *http.Response {
		// A wrong audience, clock skew or a key rollover at the API: every
		// token is refused.
		return testResponse(req, http.StatusUnauthorized, http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}})
	}}
	var saves atomic.Int32
	client := &http.Client{Transport: NewTransport(endpoint.source(validSeed()), WithBase(base),
		WithTokenSaver(func(context.Context, *Token) error { saves.Add(1); return nil }))}

	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				resp, err := get(t.Context(), client, resourceURL)
				if assert.NoError(t, err) {
					assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
				}
			}
		})
	}
	wg.Wait()

	assert.Equal(t, int32(1), endpoint.requests.Load(), "20 API calls, one forced renewal")
	assert.Equal(t, int32(1), saves.Load())
	assert.Equal(t, []string{"rt-0"}, endpoint.received())
}

func TestTransportAcceptedTokenMayForceARenewalAgain(t *testing.T) {
	endpoint := newTestTokenEndpoint(t)
	var mu sync.Mutex
	revoked := map[string]bool{"Bearer at-0": true}
	base := &recordingBase{answer: func(req *http.Request) *http.Response {
		mu.Lock()
		defer mu.Unlock()
		if revoked[req.Header.Get("Authorization")] {
			return testResponse(req, http.StatusUnauthorized, http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}})
		}
		return nil
	}}
	client := &http.Client{Transport: NewTransport(endpoint.source(validSeed()), WithBase(base))}

	resp, err := get(t.Context(), client, resourceURL) // at-0 refused, at-1 accepted
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	mu.Lock()
	revoked["Bearer at-1"] = true // revoked later, after the API accepted it
	mu.Unlock()
	resp, err = get(t.Context(), client, resourceURL)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, []string{"Bearer at-0", "Bearer at-1", "Bearer at-1", "Bearer at-2"}, base.seen())
	assert.Equal(t, int32(2), endpoint.requests.Load())
}

func TestTransportSaverIgnoringItsContextDoesNotWedgeIt(t *testing.T) {
	endpoint := newTestTokenEndpoint(t)
	release := make(chan struct{})
	t.Cleanup(func() { closeOnce(release) })
	var calls atomic.Int32
	save := func(context.Context, *Token) error {
		if calls.Add(1) == 1 {
			<-release // a saver stuck on a dead disk, ignoring its ctx
		}
		return nil
	}
	base := &recordingBase{}
	tr := NewTransport(endpoint.source(expiredSeed()), WithBase(base), WithTokenSaver(save))
	setRenewTimeout(tr, 100*time.Millisecond)
	client := &http.Client{Transport: tr}

	for range 2 { // the first request, then a later one, with no deadline of their own
		done := make(chan error, 1)
		go func() { _, err := get(context.Background(), client, resourceURL); done <- err }()
		select {
		case err := <-done:
			assert.ErrorIs(t, err, context.DeadlineExceeded)
		case <-time.After(5 * time.Second):
			t.Fatal("a request waits on the stuck renewal past its deadline")
		}
	}
	assert.Empty(t, base.seen(), "an unsaved token is not used")

	closeOnce(release)
	require.Eventually(t, func() bool {
		_, err := get(t.Context(), client, resourceURL)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, int32(1), endpoint.requests.Load(), "the token got before the stuck save was kept, not fetched again")
	assert.Equal(t, "Bearer at-1", base.seen()[0])
}

// setRenewTimeout shortens how long a renewal of tr may run.
func setRenewTimeout(tr *Transport, d time.Duration) {
	tr.r.flight.mu.Lock()
	defer tr.r.flight.mu.Unlock()
	tr.r.flight.timeout = d
}
