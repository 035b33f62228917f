package oauth2flows_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
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

func TestDiscoverAgainstTheTestServerFillsTheEndpoint(t *testing.T) {
	srv := grantServer(t)

	md, err := oauth2flows.Discover(context.Background(), srv.URL())
	require.NoError(t, err)

	reqs := srv.RequestsTo(oauth2flowstest.EndpointDiscovery)
	require.Len(t, reqs, 1, "the RFC 8414 document is found first")
	assert.Equal(t, http.MethodGet, reqs[0].Method)
	assert.Equal(t, srv.Endpoint(), md.Endpoint())
	assert.Equal(t, srv.URL()+"/jwks", md.JWKSURI)
	assert.Contains(t, md.GrantTypesSupported, oauth2flows.GrantTypeTokenExchange)
	assert.Contains(t, md.TokenEndpointAuthMethodsSupported, "private_key_jwt")
	assert.Contains(t, md.TokenEndpointAuthSigningAlgValuesSupported, "ES256")
	assert.Equal(t, []string{"S256"}, md.CodeChallengeMethodsSupported)
	assert.True(t, md.AuthorizationResponseIssParameterSupported)

	// The discovered endpoint is enough to get a token.
	cfg := confidential(srv)
	cfg.Endpoint = md.Endpoint()
	_, err = oauth2flows.ClientCredentials(context.Background(), cfg)
	require.NoError(t, err)
}

func TestDiscoverFallsBackToOpenIDConfigurationOnTheTestServer(t *testing.T) {
	srv := grantServer(t)
	srv.InjectFault(oauth2flowstest.EndpointDiscovery, 1, oauth2flowstest.Fault{Status: http.StatusNotFound})

	md, err := oauth2flows.Discover(context.Background(), srv.URL())
	require.NoError(t, err)
	assert.Equal(t, srv.Endpoint(), md.Endpoint())
	reqs := srv.RequestsTo(oauth2flowstest.EndpointDiscovery)
	require.Len(t, reqs, 2)
	assert.Equal(t, []int{http.StatusNotFound, http.StatusOK}, []int{reqs[0].Status, reqs[1].Status})
}

// metadataServer serves doc (with its issuer set by issuerFor) at the paths
// in serve, and records every path asked for.
type metadataServer struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
}

func newMetadataServer(t *testing.T, handler func(ms *metadataServer, w http.ResponseWriter, r *http.Request)) *metadataServer {
	t.Helper()
	ms := &metadataServer{}
	ms.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms.mu.Lock()
		ms.paths = append(ms.paths, r.URL.EscapedPath())
		ms.mu.Unlock()
		handler(ms, w, r)
	}))
	t.Cleanup(ms.Close)
	return ms
}

func (ms *metadataServer) requested() []string {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]string(nil), ms.paths...)
}

// serveDoc answers with a metadata document for issuer.
func serveDoc(w http.ResponseWriter, issuer string, extra map[string]any) {
	doc := map[string]any{
		"issuer":         issuer,
		"token_endpoint": issuer + "/token",
		"mtls_endpoint_aliases": map[string]any{
			"token_endpoint":                        "https://mtls.example.com/token",
			"revocation_endpoint":                   "https://mtls.example.com/revoke",
			"introspection_endpoint":                "https://mtls.example.com/introspect",
			"device_authorization_endpoint":         "https://mtls.example.com/device",
			"pushed_authorization_request_endpoint": "https://mtls.example.com/par",
		},
		"tls_client_certificate_bound_access_tokens": true,
	}
	for k, v := range extra {
		doc[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(doc)
}

func TestDiscoverPathInsertion(t *testing.T) {
	tests := []struct {
		name       string
		issuerPath string // appended to the server URL
		servedAt   string // the one path that has the document
		wantPaths  []string
	}{
		{"RFC8414RootIssuer", "", "/.well-known/oauth-authorization-server",
			[]string{"/.well-known/oauth-authorization-server"}},
		{"RFC8414RootIssuerWithSlash", "/", "/.well-known/oauth-authorization-server",
			[]string{"/.well-known/oauth-authorization-server"}},
		{"RFC8414InsertsBetweenHostAndPath", "/tenant/v2.0", "/.well-known/oauth-authorization-server/tenant/v2.0",
			[]string{"/.well-known/oauth-authorization-server/tenant/v2.0"}},
		{"RFC8414DropsTerminatingSlash", "/tenant/", "/.well-known/oauth-authorization-server/tenant",
			[]string{"/.well-known/oauth-authorization-server/tenant"}},
		{"OpenIDAppendsAfterRFC8414NotFound", "/tenant/v2.0", "/tenant/v2.0/.well-known/openid-configuration",
			[]string{"/.well-known/oauth-authorization-server/tenant/v2.0", "/tenant/v2.0/.well-known/openid-configuration"}},
		{"OpenIDWithTrailingSlashIssuer", "/tenant/", "/tenant/.well-known/openid-configuration",
			[]string{"/.well-known/oauth-authorization-server/tenant", "/tenant/.well-known/openid-configuration"}},
		{"OpenIDRootIssuer", "", "/.well-known/openid-configuration",
			[]string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var issuer string
			ms := newMetadataServer(t, func(_ *metadataServer, w http.ResponseWriter, r *http.Request) {
				if r.URL.EscapedPath() != tt.servedAt {
					http.NotFound(w, r)
					return
				}
				serveDoc(w, issuer, nil)
			})
			issuer = ms.URL + tt.issuerPath

			md, err := oauth2flows.Discover(context.Background(), issuer)
			require.NoError(t, err)
			assert.Equal(t, tt.wantPaths, ms.requested())
			ep := md.Endpoint()
			assert.Equal(t, issuer, ep.Issuer)
			assert.Equal(t, issuer+"/token", ep.TokenURL)
			assert.Equal(t, "https://mtls.example.com/token", ep.MTLSTokenURL)
			assert.Equal(t, "https://mtls.example.com/revoke", ep.MTLSRevocationURL)
			assert.Equal(t, "https://mtls.example.com/introspect", ep.MTLSIntrospectionURL)
			assert.Equal(t, "https://mtls.example.com/device", ep.MTLSDeviceAuthURL, "RFC 8628 §4 name in RFC 8705 §5 aliases")
			assert.Equal(t, "https://mtls.example.com/par", ep.MTLSPushedAuthURL, "RFC 9126 §5 name in RFC 8705 §5 aliases")
			assert.True(t, md.TLSClientCertificateBoundAccessTokens)
		})
	}
}

func TestDiscoverFailures(t *testing.T) {
	tests := []struct {
		name      string
		handler   func(issuer string, w http.ResponseWriter, r *http.Request)
		wantPaths int
		check     func(t *testing.T, err error)
	}{
		{
			name: "IssuerMismatchIsAnErrorAndNotRetriedElsewhere",
			handler: func(issuer string, w http.ResponseWriter, _ *http.Request) {
				serveDoc(w, issuer+"/", nil) // one slash off is a different issuer
			},
			wantPaths: 1,
			check: func(t *testing.T, err error) {
				var de *oauth2flows.DiscoveryError
				require.ErrorAs(t, err, &de)
				assert.Contains(t, de.Error(), "RFC 8414 §3.3")
				assert.Equal(t, http.StatusOK, de.StatusCode)
			},
		},
		{
			name: "MissingIssuerIsAMismatch",
			handler: func(_ string, w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte(`{"token_endpoint":"https://x/token"}`))
			},
			wantPaths: 1,
			check: func(t *testing.T, err error) {
				var de *oauth2flows.DiscoveryError
				require.ErrorAs(t, err, &de)
				assert.Contains(t, de.Reason, "exact match")
			},
		},
		{
			name:      "NotFoundAtEitherURL",
			handler:   func(_ string, w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			wantPaths: 2,
			check: func(t *testing.T, err error) {
				var de *oauth2flows.DiscoveryError
				require.ErrorAs(t, err, &de)
				assert.Equal(t, http.StatusNotFound, de.StatusCode)
				assert.True(t, strings.HasSuffix(de.URL, "/.well-known/openid-configuration"))
			},
		},
		{
			name: "RedirectsAreNotFollowed",
			handler: func(issuer string, w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/elsewhere" {
					serveDoc(w, issuer, nil)
					return
				}
				http.Redirect(w, r, "/elsewhere", http.StatusFound)
			},
			wantPaths: 2,
			check: func(t *testing.T, err error) {
				var de *oauth2flows.DiscoveryError
				require.ErrorAs(t, err, &de)
				assert.Equal(t, http.StatusFound, de.StatusCode)
			},
		},
		{
			name: "MalformedDocument",
			handler: func(_ string, w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte(`{"issuer": 42}`))
			},
			wantPaths: 1,
			check: func(t *testing.T, err error) {
				var de *oauth2flows.DiscoveryError
				require.ErrorAs(t, err, &de)
				assert.Equal(t, "malformed document", de.Reason)
			},
		},
		{
			name: "OversizedDocument",
			handler: func(issuer string, w http.ResponseWriter, _ *http.Request) {
				serveDoc(w, issuer, map[string]any{"padding": strings.Repeat("x", 1<<20)})
			},
			wantPaths: 1,
			check: func(t *testing.T, err error) {
				var de *oauth2flows.DiscoveryError
				require.ErrorAs(t, err, &de)
				assert.Contains(t, de.Reason, "larger than")
			},
		},
		{
			name: "HTMLPageCountsAsNotFound",
			handler: func(_ string, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte("<html>single-page app</html>"))
			},
			wantPaths: 2,
			check: func(t *testing.T, err error) {
				var de *oauth2flows.DiscoveryError
				require.ErrorAs(t, err, &de)
				assert.Contains(t, de.Reason, "not a JSON object")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var issuer string
			ms := newMetadataServer(t, func(_ *metadataServer, w http.ResponseWriter, r *http.Request) {
				tt.handler(issuer, w, r)
			})
			issuer = ms.URL
			md, err := oauth2flows.Discover(context.Background(), issuer)
			assert.Nil(t, md)
			tt.check(t, err)
			assert.Len(t, ms.requested(), tt.wantPaths)
		})
	}
}

func TestDiscoverRefusesUnsafeIssuersBeforeSending(t *testing.T) {
	for _, issuer := range []string{
		"http://issuer.example.com",
		"ftp://issuer.example.com",
		"issuer.example.com",
		"",
		"https://issuer.example.com?tenant=x",
		"https://issuer.example.com#frag",
		"https://user:pass@issuer.example.com",
	} {
		t.Run(issuer, func(t *testing.T) {
			_, err := oauth2flows.Discover(context.Background(), issuer)
			var ce *oauth2flows.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "issuer", ce.Field)
			assert.True(t, strings.HasPrefix(err.Error(), "oauth2flows: "))
			assert.NotContains(t, err.Error(), "pass")
			assert.NotContains(t, err.Error(), "InsecureAllowHTTP", "discovery has no such switch")
		})
	}
	//lint:ignore SA1012 a nil context is what is being tested
	_, err := oauth2flows.Discover(nil, "https://issuer.example.com")
	var ce *oauth2flows.ConfigError
	assert.ErrorAs(t, err, &ce)
}

func TestDiscoverNetworkErrorIsTyped(t *testing.T) {
	ms := newMetadataServer(t, func(*metadataServer, http.ResponseWriter, *http.Request) {})
	ms.Close()
	_, err := oauth2flows.Discover(context.Background(), ms.URL)
	var de *oauth2flows.DiscoveryError
	require.ErrorAs(t, err, &de)
	var te *oauth2flows.NetworkError
	assert.ErrorAs(t, err, &te)
}

func TestDiscoveryCacheUsesItsHTTPClient(t *testing.T) {
	var issuer string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		serveDoc(w, issuer, nil)
	}))
	t.Cleanup(srv.Close)
	issuer = srv.URL

	_, err := oauth2flows.Discover(context.Background(), issuer)
	require.Error(t, err, "the default client does not trust the test certificate")

	c := &oauth2flows.DiscoveryCache{HTTPClient: srv.Client()}
	md, err := c.Discover(context.Background(), issuer)
	require.NoError(t, err)
	assert.Equal(t, issuer, md.Issuer)
}

// countingIssuer serves metadata, counting the fetches; each fetch waits
// for hold, when set.
func countingIssuer(t *testing.T, hold time.Duration) (issuer string, fetches *atomic.Int32) {
	t.Helper()
	fetches = &atomic.Int32{}
	ms := newMetadataServer(t, func(ms *metadataServer, w http.ResponseWriter, _ *http.Request) {
		fetches.Add(1)
		time.Sleep(hold)
		serveDoc(w, ms.URL, map[string]any{"grant_types_supported": []string{"client_credentials"}})
	})
	return ms.URL, fetches
}

func TestDiscoveryCacheKeepsMetadataForTTL(t *testing.T) {
	issuer, fetches := countingIssuer(t, 0)
	c := &oauth2flows.DiscoveryCache{TTL: 100 * time.Millisecond}
	ctx := context.Background()

	first, err := c.Discover(ctx, issuer)
	require.NoError(t, err)
	first.GrantTypesSupported[0] = "changed by the caller"
	second, err := c.Discover(ctx, issuer)
	require.NoError(t, err)
	assert.Equal(t, int32(1), fetches.Load(), "served from the cache")
	assert.Equal(t, []string{"client_credentials"}, second.GrantTypesSupported, "callers get copies")

	time.Sleep(150 * time.Millisecond)
	_, err = c.Discover(ctx, issuer)
	require.NoError(t, err)
	assert.Equal(t, int32(2), fetches.Load(), "fetched again after the TTL")
}

func TestDiscoveryCacheDoesNotCacheFailures(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	ms := newMetadataServer(t, func(ms *metadataServer, w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		serveDoc(w, ms.URL, nil)
	})
	c := &oauth2flows.DiscoveryCache{}
	_, err := c.Discover(context.Background(), ms.URL)
	require.Error(t, err)
	fail.Store(false)
	_, err = c.Discover(context.Background(), ms.URL)
	require.NoError(t, err)
}

func TestDiscoveryCacheCollapsesConcurrentCalls(t *testing.T) {
	issuer, fetches := countingIssuer(t, 50*time.Millisecond)
	c := &oauth2flows.DiscoveryCache{}

	const callers = 50
	var wg sync.WaitGroup
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() {
			md, err := c.Discover(context.Background(), issuer)
			if err == nil && md.Issuer != issuer {
				err = assert.AnError
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), fetches.Load())
}

func TestDiscoveryCacheFetchOutlivesTheCallerThatStartedIt(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	var fetches atomic.Int32
	ms := newMetadataServer(t, func(ms *metadataServer, w http.ResponseWriter, _ *http.Request) {
		fetches.Add(1)
		arrived <- struct{}{}
		<-release
		serveDoc(w, ms.URL, nil)
	})
	c := &oauth2flows.DiscoveryCache{}

	firstCtx, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := c.Discover(firstCtx, ms.URL)
		firstErr <- err
	}()
	<-arrived
	second := make(chan error, 1)
	go func() {
		_, err := c.Discover(context.Background(), ms.URL)
		second <- err
	}()
	cancel()
	err := <-firstErr
	var de *oauth2flows.DiscoveryError
	require.ErrorAs(t, err, &de)
	assert.ErrorIs(t, err, context.Canceled, "the first caller stops waiting at once")

	close(release)
	require.NoError(t, <-second, "the fetch went on for the second caller")
	assert.Equal(t, int32(1), fetches.Load())
}

func TestDiscoveryCacheWaitEndsOnCancel(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	ms := newMetadataServer(t, func(ms *metadataServer, w http.ResponseWriter, _ *http.Request) {
		arrived <- struct{}{}
		<-release
		serveDoc(w, ms.URL, nil)
	})
	defer close(release)
	c := &oauth2flows.DiscoveryCache{}
	go func() { _, _ = c.Discover(context.Background(), ms.URL) }()
	<-arrived

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.Discover(ctx, ms.URL)
	var de *oauth2flows.DiscoveryError
	require.ErrorAs(t, err, &de)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// A panic in the caller's HTTPClient must not kill the process from the
// cache's own fetch goroutine: it becomes a *DiscoveryError for every
// caller, and the cache works again once the client does.
func TestDiscoveryCacheHTTPClientPanicIsAnError(t *testing.T) {
	issuer, _ := countingIssuer(t, 0)
	var panicking atomic.Bool
	panicking.Store(true)
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if panicking.Load() {
			panic("user transport bug")
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := &oauth2flows.DiscoveryCache{HTTPClient: hc}

	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.Discover(context.Background(), issuer)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		var de *oauth2flows.DiscoveryError
		require.ErrorAs(t, err, &de)
		assert.Contains(t, err.Error(), "panic")
	}

	panicking.Store(false)
	md, err := c.Discover(context.Background(), issuer)
	require.NoError(t, err)
	assert.Equal(t, issuer, md.Issuer)
}
