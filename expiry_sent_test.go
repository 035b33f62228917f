package oauth2flows_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// slowAnswer is how long the servers below hold an answer back: a busy
// server, a slow proxy or network.
const slowAnswer = 300 * time.Millisecond

// slowEndpoint answers body after slowAnswer, 503 to the first fail
// requests, and records when the answered request arrived.
type slowEndpoint struct {
	body string
	fail int

	mu      sync.Mutex
	arrived time.Time // when the request answered with body arrived
	failed  time.Time // when the last 503 was sent
}

func (e *slowEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fail > 0 {
		e.fail--
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
		e.failed = time.Now()
		return
	}
	e.arrived = time.Now()
	time.Sleep(slowAnswer)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(e.body))
}

// TestExpiryCountsFromWhenTheRequestWasSent: a token endpoint answers
// expires_in 2 after holding its answer back; the server counted those 2
// seconds from no earlier than when the request arrived, so the client's
// Expiry must not be later than that, whatever the delay. Counting from
// the answer's arrival ended the token slowAnswer after the server did.
func TestExpiryCountsFromWhenTheRequestWasSent(t *testing.T) {
	const lifetime = 2 * time.Second
	clientCredentials := func(ctx context.Context, cfg *oauth2flows.Config) (time.Time, error) {
		tok, err := oauth2flows.ClientCredentials(ctx, cfg)
		if err != nil {
			return time.Time{}, err
		}
		return tok.Expiry, nil
	}
	tests := []struct {
		name string
		fail int // 503s before the answer: Expiry counts from the answered attempt
		body string
		call func(ctx context.Context, cfg *oauth2flows.Config) (time.Time, error)
	}{
		{"ClientCredentials", 0, `{"access_token":"at","token_type":"Bearer","expires_in":2}`,
			clientCredentials},
		{"ClientCredentialsRetriedAfter503", 1, `{"access_token":"at","token_type":"Bearer","expires_in":2}`,
			clientCredentials},
		{"DeviceAuth", 0, `{"device_code":"dc","user_code":"UC","verification_uri":"https://as.example/device","expires_in":2}`,
			func(ctx context.Context, cfg *oauth2flows.Config) (time.Time, error) {
				da, err := oauth2flows.DeviceAuth(ctx, cfg)
				if err != nil {
					return time.Time{}, err
				}
				return da.Expiry, nil
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := &slowEndpoint{body: tt.body, fail: tt.fail}
			srv := httptest.NewServer(ep)
			defer srv.Close()
			cfg := &oauth2flows.Config{ClientID: "c", ClientSecret: "s", HTTPClient: srv.Client(),
				Endpoint: oauth2flows.Endpoint{TokenURL: srv.URL + "/token", DeviceAuthURL: srv.URL + "/device"}}
			start := time.Now()
			expiry, err := tt.call(context.Background(), cfg)
			require.NoError(t, err)

			ep.mu.Lock()
			defer ep.mu.Unlock()
			assert.False(t, expiry.After(ep.arrived.Add(lifetime)),
				"Expiry %v after the server's end %v", expiry.Sub(start), ep.arrived.Add(lifetime).Sub(start))
			sentAfter := start
			if tt.fail > 0 {
				sentAfter = ep.failed // the answered attempt went after the 503
			}
			assert.False(t, expiry.Before(sentAfter.Add(lifetime)), "Expiry %v counts from before the answered attempt", expiry.Sub(start))
		})
	}
}

// TestManagedIdentityExpiryCountsFromWhenTheRequestWasSent: IMDS answers
// expires_in without expires_on; Expiry counts from when the request went.
func TestManagedIdentityExpiryCountsFromWhenTheRequestWasSent(t *testing.T) {
	clearAzureEnv(t)
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithManagedIdentity(systemMI))
	defer srv.Close()
	srv.InjectFault(oauth2flowstest.EndpointIMDS, 1, oauth2flowstest.Fault{Status: http.StatusOK, Delay: slowAnswer,
		Body: `{"access_token":"at","token_type":"Bearer","expires_in":"2","resource":"https://vault.azure.net"}`})
	start := time.Now()
	tok, err := oauth2flows.ManagedIdentitySource(oauth2flows.ManagedIdentity{HTTPClient: srv.Client()},
		"https://vault.azure.net").Token(context.Background())
	require.NoError(t, err)
	reqs := srv.RequestsTo(oauth2flowstest.EndpointIMDS)
	require.Len(t, reqs, 1)
	assert.False(t, tok.Expiry.Before(start.Add(2*time.Second)))
	assert.Less(t, tok.Expiry.Sub(start), 2*time.Second+slowAnswer, "Expiry counts from the answer's arrival")
}
