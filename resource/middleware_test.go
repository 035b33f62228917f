package resource_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/resource"
)

func TestValidatorMiddleware(t *testing.T) {
	iss := newVIssuer(t)
	v := newTestValidator(t, iss, resource.Config{RequiredScopes: []string{"orders.read"}})
	var reached []*resource.Principal
	api := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := resource.PrincipalFromContext(r.Context())
		if !assert.True(t, ok) {
			return
		}
		reached = append(reached, p)
		_, _ = io.WriteString(w, "hello "+p.Subject)
	})))
	t.Cleanup(api.Close)

	valid := mintRS256(t, vClaims(iss.URL()))
	expiredClaims := vClaims(iss.URL())
	expiredClaims["exp"] = time.Now().Add(-time.Hour).Unix()
	expired := mintRS256(t, expiredClaims)
	noScope := vClaims(iss.URL())
	noScope["scp"] = "orders.write"
	forbidden := mintRS256(t, noScope)

	tests := []struct {
		name      string
		auth      []string
		status    int
		challenge string // the WWW-Authenticate header
		body      string
	}{
		{"valid token", []string{"Bearer " + valid}, 200, "", "hello user-1"},
		{"scheme in lower case", []string{"bearer " + valid}, 200, "", "hello user-1"},
		{"no Authorization", nil, 401, `Bearer realm="api://orders"`, ""},
		{"Basic credentials", []string{"Basic dXNlcjpwYXNz"}, 401, `Bearer realm="api://orders"`, ""},
		{"garbage token", []string{"Bearer not-a-jwt"}, 401,
			`Bearer realm="api://orders", error="invalid_token", error_description="the access token is invalid"`, ""},
		{"expired token", []string{"Bearer " + expired}, 401,
			`Bearer realm="api://orders", error="invalid_token", error_description="the access token expired"`, ""},
		{"token without the required scope", []string{"Bearer " + forbidden}, 403,
			`Bearer realm="api://orders", error="insufficient_scope", error_description="the access token lacks the required scope or role", scope="orders.read"`, ""},
		{"empty bearer", []string{"Bearer "}, 400, `Bearer realm="api://orders", error="invalid_request"`, ""},
		{"not a b64token", []string{"Bearer a b"}, 400, `Bearer realm="api://orders", error="invalid_request"`, ""},
		{"two Authorization headers", []string{"Bearer " + valid, "Bearer " + valid}, 400, `Bearer realm="api://orders", error="invalid_request"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reached = nil
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, api.URL+"/orders", nil)
			require.NoError(t, err)
			for _, a := range tt.auth {
				req.Header.Add("Authorization", a)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, tt.challenge, resp.Header.Get("WWW-Authenticate"))
			if tt.status == 200 {
				assert.Equal(t, tt.body, string(body))
				require.Len(t, reached, 1)
				assert.Equal(t, valid, reached[0].Raw)
				return
			}
			assert.Empty(t, reached, "the handler must not run")
			for _, a := range tt.auth {
				if tok := strings.TrimPrefix(a, "Bearer "); len(tok) > 10 {
					assert.NotContains(t, string(body), tok)
					assert.NotContains(t, resp.Header.Get("WWW-Authenticate"), tok)
				}
			}
		})
	}
}

func TestPrincipalFromContextWithout(t *testing.T) {
	p, ok := resource.PrincipalFromContext(context.Background())
	assert.False(t, ok)
	assert.Nil(t, p)
}

// A realm holding a quote is escaped in the challenge.
func TestValidatorMiddlewareQuotesRealm(t *testing.T) {
	iss := newVIssuer(t)
	v := newTestValidator(t, iss, resource.Config{Realm: `orders "prod"`})
	rec := httptest.NewRecorder()
	v.Middleware(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, 401, rec.Code)
	assert.Equal(t, `Bearer realm="orders \"prod\""`, rec.Header().Get("WWW-Authenticate"))
}

// When the key set cannot be fetched, the middleware answers 503 without a
// challenge: the token may be fine, the client should not drop it.
func TestValidatorMiddlewareKeysUnavailable(t *testing.T) {
	iss := newVIssuer(t)
	v := newTestValidator(t, iss, resource.Config{})
	clock := newFakeClock()
	resource.SetValidatorClock(v, clock.Now)
	clock.Advance(2 * time.Minute)
	tok := mint(t, jwt.SigningMethodRS256, vRSAKey2(), map[string]any{"kid": "rotated-in"}, vClaims(iss.URL()))
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the fetch the unknown kid starts cannot be waited for
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	v.Middleware(http.NotFoundHandler()).ServeHTTP(rec, req)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Empty(t, rec.Header().Get("WWW-Authenticate"))
	assert.NotContains(t, rec.Body.String(), tok)
}

// FuzzBearerToken: the Authorization header is untrusted input. BearerToken
// never panics, finds no token without the Bearer scheme, and accepts
// exactly an RFC 6750 §2.1 b64token after it.
func FuzzBearerToken(f *testing.F) {
	for _, seed := range []string{"Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", "bearer abc==", "Bearer a b",
		"Bearer ", "Bearer", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Bearer \x80\xff", "Bearer  abc", "Bearer =", "Bearer a=b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := &http.Request{Header: http.Header{"Authorization": {header}}}
		got, err := resource.BearerToken(r)
		scheme, rest, _ := strings.Cut(header, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			require.ErrorIs(t, err, resource.ErrNoToken)
			return
		}
		want := strings.Trim(rest, " ")
		body := strings.TrimRight(want, "=")
		ok := body != "" && strings.Trim(body, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/") == ""
		if !ok {
			var ve *resource.ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, resource.ReasonMalformed, ve.Reason)
			return
		}
		require.NoError(t, err)
		require.Equal(t, want, got)
	})
}
