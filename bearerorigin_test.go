package oauth2flows_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// authRecorder is a resource server that records the Authorization it got.
type authRecorder struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
}

func newAuthRecorder(t *testing.T, next http.HandlerFunc) *authRecorder {
	r := &authRecorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.auths = append(r.auths, req.Header.Get("Authorization"))
		r.mu.Unlock()
		if next != nil {
			next(w, req)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *authRecorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.auths...)
}

func TestTransportDropsBearerOnRedirectToAnotherOrigin(t *testing.T) {
	other := newAuthRecorder(t, nil)
	origin := newAuthRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
		case "/here":
			http.Redirect(w, r, "/landing", http.StatusFound)
		}
	})
	f := newRenewalFixture(t)
	client := &http.Client{Transport: oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, f.valid()),
		oauth2flows.WithBase(origin.Client().Transport))}
	bearer := "Bearer " + f.seed.AccessToken

	resp, err := get(t.Context(), client, origin.URL+"/away")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, []string{""}, other.seen(), "the other server must see no Authorization")

	_, err = get(t.Context(), client, origin.URL+"/here")
	require.NoError(t, err)
	assert.Equal(t, []string{bearer, bearer, bearer}, origin.seen(), "same-origin redirects keep it")
	count, _ := f.refreshes()
	assert.Zero(t, count)
}

func TestMayCarryBearer(t *testing.T) {
	tests := []struct {
		name  string
		chain []string // first the application's request, then each redirect
		hosts []string
		want  bool
	}{
		{name: "FirstRequest", chain: []string{"https://api.example.com/a"}, want: true},
		{name: "SameOrigin", chain: []string{"https://api.example.com/a", "https://api.example.com/b"}, want: true},
		{name: "DefaultPortIsTheSameOrigin", chain: []string{"https://api.example.com/a", "https://API.example.com:443/b"}, want: true},
		{name: "OtherHost", chain: []string{"https://api.example.com/a", "https://evil.example.net/b"}},
		{name: "Subdomain", chain: []string{"https://example.com/a", "https://api.example.com/b"}},
		{name: "OtherPort", chain: []string{"https://api.example.com/a", "https://api.example.com:8443/b"}},
		{name: "HTTPSToHTTP", chain: []string{"https://api.example.com/a", "http://api.example.com/b"}},
		{name: "HTTPToHTTPS", chain: []string{"http://api.example.com/a", "https://api.example.com/b"}},
		{name: "BackToOriginAfterLeaving", chain: []string{"https://api.example.com/a", "https://evil.example.net/b", "https://api.example.com/c"}},
		{name: "AllowedHost", chain: []string{"https://api.example.com/a"}, hosts: []string{"api.example.com"}, want: true},
		{name: "AllowedHostAndPort", chain: []string{"https://api.example.com:8443/a"}, hosts: []string{"api.example.com:8443"}, want: true},
		{name: "AllowedHostOtherPort", chain: []string{"https://api.example.com:9443/a"}, hosts: []string{"api.example.com:8443"}},
		{name: "NotAllowedHost", chain: []string{"https://other.example.com/a"}, hosts: []string{"api.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req *http.Request
			for _, u := range tt.chain {
				next := &http.Request{Method: http.MethodGet, URL: mustParse(t, u), Header: http.Header{}}
				if req != nil {
					next.Response = &http.Response{StatusCode: http.StatusFound, Request: req}
				}
				req = next
			}
			var opts []oauth2flows.TransportOption
			if tt.hosts != nil {
				opts = append(opts, oauth2flows.WithAllowedHosts(tt.hosts...))
			}
			assert.Equal(t, tt.want, oauth2flows.MayCarryBearer(oauth2flows.NewTransport(nil, opts...), req))
		})
	}
}

func TestTransportAllowedHostsSendsNoBearerElsewhere(t *testing.T) {
	f := newRenewalFixture(t)
	base := &recordingBase{}
	client := &http.Client{Transport: oauth2flows.NewTransport(oauth2flows.RefreshTokenSource(f.cfg, f.valid()),
		oauth2flows.WithBase(base), oauth2flows.WithAllowedHosts("api.example.test"))}
	for _, u := range []string{resourceURL, "https://metrics.example.test/"} {
		_, err := get(t.Context(), client, u)
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"Bearer " + f.seed.AccessToken, ""}, base.seen())
}

func mustParse(t *testing.T, raw string) *url.URL {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}
