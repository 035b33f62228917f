package oauth2flows_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// A resource server's 401 error="invalid_token" (RFC 6750 §3.1) forces one
// renewal and one retry, at most once per token.

func TestTransportRetriesOnceAfterInvalidToken(t *testing.T) {
	const challenge = `Bearer realm="api", error="invalid_token", error_description="revoked"`
	tests := []struct {
		name          string
		challenge     string
		body          func() (io.Reader, bool) // the body and whether GetBody is set
		alwaysFail    bool
		wantAuths     []string // "seed" or "renewed", for the token each request carried
		wantStatus    int
		wantBodies    []string
		wantRefreshes int
	}{
		{
			name: "ReplayableBody", challenge: challenge,
			body:      func() (io.Reader, bool) { return bytes.NewReader([]byte(`{"n":1}`)), true },
			wantAuths: []string{"seed", "renewed"}, wantStatus: http.StatusOK,
			wantBodies: []string{`{"n":1}`, `{"n":1}`}, wantRefreshes: 1,
		},
		{
			name: "NoBody", challenge: challenge,
			wantAuths: []string{"seed", "renewed"}, wantStatus: http.StatusOK,
			wantBodies: []string{"", ""}, wantRefreshes: 1,
		},
		{
			name: "NeverLoops", challenge: challenge, alwaysFail: true,
			wantAuths: []string{"seed", "renewed"}, wantStatus: http.StatusUnauthorized,
			wantBodies: []string{"", ""}, wantRefreshes: 1,
		},
		{
			name: "BodyCannotBeReplayed", challenge: challenge,
			body:      func() (io.Reader, bool) { return io.MultiReader(bytes.NewReader([]byte("x"))), false },
			wantAuths: []string{"seed"}, wantStatus: http.StatusUnauthorized, wantBodies: []string{"x"},
		},
		{
			name: "OtherChallenge", challenge: `Bearer realm="api", error="insufficient_scope"`,
			wantAuths: []string{"seed"}, wantStatus: http.StatusUnauthorized, wantBodies: []string{""},
		},
		{
			name: "OtherScheme", challenge: `Basic realm="invalid_token"`,
			wantAuths: []string{"seed"}, wantStatus: http.StatusUnauthorized, wantBodies: []string{""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRenewalFixture(t)
			base := &recordingBase{}
			base.answer = func(req *http.Request) *http.Response {
				if tt.alwaysFail || req.Header.Get("Authorization") == "Bearer "+f.seed.AccessToken {
					return testResponse(req, http.StatusUnauthorized, http.Header{"Www-Authenticate": {tt.challenge}})
				}
				return nil
			}
			tr := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, f.valid()), oauth2flows.WithBase(base))
			client := &http.Client{Transport: tr}
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

			current, err := tr.Token(t.Context())
			require.NoError(t, err)
			if tt.wantRefreshes > 0 {
				assert.NotEqual(t, f.seed.AccessToken, current.AccessToken)
			}
			names := map[string]string{"seed": "Bearer " + f.seed.AccessToken, "renewed": "Bearer " + current.AccessToken}
			var wantAuths []string
			for _, name := range tt.wantAuths {
				wantAuths = append(wantAuths, names[name])
			}
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.Equal(t, wantAuths, base.seen())
			base.mu.Lock()
			assert.Equal(t, tt.wantBodies, base.bodies)
			base.mu.Unlock()
			count, sent := f.refreshes()
			assert.Equal(t, tt.wantRefreshes, count)
			if count > 0 {
				assert.Equal(t, []string{f.seed.RefreshToken}, sent)
			}
		})
	}
}

func TestTransportAlwaysUnauthorizedResourceCausesOneForcedRenewal(t *testing.T) {
	f := newRenewalFixture(t)
	// A wrong audience, clock skew or a key rollover at the API: every
	// token is refused.
	base := &recordingBase{answer: invalidToken}
	var saves atomic.Int32
	client := &http.Client{Transport: oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, f.valid()), oauth2flows.WithBase(base),
		oauth2flows.WithTokenSaver(func(_ context.Context, _ *oauth2flows.Token) error { saves.Add(1); return nil }))}

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

	count, sent := f.refreshes()
	assert.Equal(t, 1, count, "20 API calls, one forced renewal")
	assert.Equal(t, []string{f.seed.RefreshToken}, sent)
	assert.Equal(t, int32(1), saves.Load())
}

func TestTransportAcceptedTokenMayForceARenewalAgain(t *testing.T) {
	f := newRenewalFixture(t)
	var mu sync.Mutex
	revoked := map[string]bool{"Bearer " + f.seed.AccessToken: true}
	base := &recordingBase{answer: func(req *http.Request) *http.Response {
		mu.Lock()
		defer mu.Unlock()
		if revoked[req.Header.Get("Authorization")] {
			return invalidToken(req)
		}
		return nil
	}}
	tr := oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, f.valid()), oauth2flows.WithBase(base))
	client := &http.Client{Transport: tr}

	resp, err := get(t.Context(), client, resourceURL) // the seed refused, its renewal accepted
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	first, err := tr.Token(t.Context())
	require.NoError(t, err)
	mu.Lock()
	revoked["Bearer "+first.AccessToken] = true // revoked later, after the API accepted it
	mu.Unlock()
	resp, err = get(t.Context(), client, resourceURL)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	second, err := tr.Token(t.Context())
	require.NoError(t, err)

	assert.Equal(t, []string{
		"Bearer " + f.seed.AccessToken, "Bearer " + first.AccessToken,
		"Bearer " + first.AccessToken, "Bearer " + second.AccessToken,
	}, base.seen())
	assert.Len(t, unique(base.seen()), 3)
	count, sent := f.refreshes()
	assert.Equal(t, 2, count)
	assert.Equal(t, []string{f.seed.RefreshToken, first.RefreshToken}, sent)
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
		assert.Equal(t, tt.want, oauth2flows.InvalidTokenChallenge([]string{tt.header}), tt.header)
	}
}
