package oauth2flows_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// clearAzureEnv leaves no managed identity host in the environment: the
// test's process is then on IMDS, as MSAL Go would see it.
func clearAzureEnv(t *testing.T) {
	for _, k := range []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT",
		"IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET"} {
		t.Setenv(k, "")
	}
}

var (
	systemMI = oauth2flowstest.ManagedIdentity{}
	userMI   = oauth2flowstest.ManagedIdentity{ClientID: "5e2ab0a8-0d2c-4a51-a1f2-38a3c64c1d5b",
		ObjectID: "0c8a9a3e-6d2b-4a71-9f5e-33f0f2a7a111", ResourceID: "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app",
		UserAssigned: true}
)

func TestManagedIdentityRequestShapes(t *testing.T) {
	const vault = "https://vault.azure.net"
	tests := []struct {
		name       string
		appService bool
		mi         oauth2flows.ManagedIdentity
		wantQuery  map[string]string
		wantSub    string
	}{
		{"IMDSSystemAssigned", false, oauth2flows.ManagedIdentity{},
			map[string]string{"api-version": "2018-02-01", "resource": vault}, ""},
		{"IMDSByClientID", false, oauth2flows.ManagedIdentity{ClientID: userMI.ClientID},
			map[string]string{"client_id": userMI.ClientID}, userMI.ObjectID},
		{"IMDSByObjectID", false, oauth2flows.ManagedIdentity{ObjectID: userMI.ObjectID},
			map[string]string{"object_id": userMI.ObjectID}, userMI.ObjectID},
		{"IMDSByResourceIDAsMsiResID", false, oauth2flows.ManagedIdentity{ResourceID: userMI.ResourceID},
			map[string]string{"msi_res_id": userMI.ResourceID}, userMI.ObjectID},
		{"AppServiceSystemAssigned", true, oauth2flows.ManagedIdentity{},
			map[string]string{"api-version": "2019-08-01", "resource": vault}, ""},
		{"AppServiceByResourceIDAsMiResID", true, oauth2flows.ManagedIdentity{ResourceID: userMI.ResourceID},
			map[string]string{"mi_res_id": userMI.ResourceID}, userMI.ObjectID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearAzureEnv(t)
			srv := oauth2flowstest.NewServer(oauth2flowstest.WithManagedIdentity(systemMI), oauth2flowstest.WithManagedIdentity(userMI))
			defer srv.Close()
			endpoint := oauth2flowstest.EndpointIMDS
			if tt.appService {
				endpoint = oauth2flowstest.EndpointAppService
				ep, secret := srv.AppServiceEnv()
				t.Setenv("IDENTITY_ENDPOINT", ep)
				t.Setenv("IDENTITY_HEADER", secret)
			}
			tt.mi.HTTPClient = srv.Client()
			tok, err := oauth2flows.ManagedIdentitySource(tt.mi, vault+"/.default").Token(context.Background())
			require.NoError(t, err)

			reqs := srv.RequestsTo(endpoint)
			require.Len(t, reqs, 1)
			assert.Equal(t, http.MethodGet, reqs[0].Method)
			for k, v := range tt.wantQuery {
				assert.Equal(t, v, reqs[0].Form.Get(k), k)
			}
			if tt.appService {
				assert.NotEmpty(t, reqs[0].Header.Get("X-IDENTITY-HEADER"))
				assert.Empty(t, reqs[0].Header.Get("Metadata"))
			} else {
				assert.Equal(t, "true", reqs[0].Header.Get("Metadata"))
			}
			claims, err := srv.VerifyAccessToken(tok.AccessToken)
			require.NoError(t, err)
			assert.Equal(t, []string{vault}, []string(claims.Audience))
			if tt.wantSub != "" {
				assert.Equal(t, tt.wantSub, claims.Subject)
			}
			assert.Equal(t, "Bearer", tok.TokenType)
			assert.False(t, tok.Expiry.IsZero())
		})
	}
}

func TestManagedIdentityOneRequestForConcurrentCallers(t *testing.T) {
	clearAzureEnv(t)
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithManagedIdentity(systemMI))
	defer srv.Close()
	src := oauth2flows.ManagedIdentitySource(oauth2flows.ManagedIdentity{HTTPClient: srv.Client()}, "https://storage.azure.com")
	var wg sync.WaitGroup
	toks := make([]string, 64)
	for i := range toks {
		wg.Go(func() {
			tok, err := src.Token(context.Background())
			if assert.NoError(t, err) {
				toks[i] = tok.AccessToken
			}
		})
	}
	wg.Wait()
	for _, tok := range toks {
		assert.Equal(t, toks[0], tok)
	}
	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointIMDS), 1)
}

func TestManagedIdentityRetriesIMDSUpdatesAndThrottling(t *testing.T) {
	clearAzureEnv(t)
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithManagedIdentity(systemMI))
	defer srv.Close()
	srv.InjectFault(oauth2flowstest.EndpointIMDS, 1, oauth2flowstest.Fault{Status: http.StatusGone})
	srv.InjectFault(oauth2flowstest.EndpointIMDS, 1, oauth2flowstest.Fault{Status: http.StatusTooManyRequests})
	mi := oauth2flows.WithFastRetries(oauth2flows.ManagedIdentity{HTTPClient: srv.Client()})
	_, err := oauth2flows.ManagedIdentitySource(mi, "https://vault.azure.net").Token(context.Background())
	require.NoError(t, err)
	statuses := []int{}
	for _, r := range srv.RequestsTo(oauth2flowstest.EndpointIMDS) {
		statuses = append(statuses, r.Status)
	}
	assert.Equal(t, []int{410, 429, 200}, statuses)
}

func TestManagedIdentityNeverRetries400(t *testing.T) {
	clearAzureEnv(t)
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithManagedIdentity(systemMI))
	defer srv.Close()
	mi := oauth2flows.WithFastRetries(oauth2flows.ManagedIdentity{HTTPClient: srv.Client(), ClientID: "00000000-0000-0000-0000-000000000bad"})
	_, err := oauth2flows.ManagedIdentitySource(mi, "https://vault.azure.net").Token(context.Background())
	var mie *oauth2flows.ManagedIdentityError
	require.ErrorAs(t, err, &mie)
	assert.Equal(t, "IMDS", mie.Host)
	var oe *oauth2flows.Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, 400, oe.StatusCode)
	assert.Equal(t, "Identity not found", oe.Description)
	assert.Equal(t, "oauth2flows: managed identity on IMDS: server responded 400: invalid_request: Identity not found", err.Error())
	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointIMDS), 1)
}

func TestManagedIdentityAppServiceErrorHidesTheSecret(t *testing.T) {
	clearAzureEnv(t)
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithManagedIdentity(systemMI))
	defer srv.Close()
	ep, _ := srv.AppServiceEnv()
	t.Setenv("IDENTITY_ENDPOINT", ep)
	t.Setenv("IDENTITY_HEADER", "wrong-secret-value")
	_, err := oauth2flows.ManagedIdentitySource(oauth2flows.ManagedIdentity{HTTPClient: srv.Client()}, "https://vault.azure.net").Token(context.Background())
	var mie *oauth2flows.ManagedIdentityError
	require.ErrorAs(t, err, &mie)
	assert.Equal(t, "AppService", mie.Host)
	assert.NotContains(t, err.Error(), "wrong-secret-value")
	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointAppService), 1, "401 is not retried")
}

func TestManagedIdentityRefusesPlainHTTPToOtherHosts(t *testing.T) {
	clearAzureEnv(t)
	t.Setenv("IDENTITY_ENDPOINT", "http://example.com/msi/token")
	t.Setenv("IDENTITY_HEADER", "secret")
	_, err := oauth2flows.ManagedIdentitySource(oauth2flows.ManagedIdentity{}, "https://vault.azure.net").Token(context.Background())
	var ce *oauth2flows.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.True(t, strings.Contains(err.Error(), "AppService"), err.Error())
	assert.False(t, errors.Is(err, context.DeadlineExceeded))
}

// Managed identity is never a fallback: nothing reaches the host's
// endpoint until a managed identity source is asked for a token.
func TestManagedIdentitySendsNothingUntilAsked(t *testing.T) {
	clearAzureEnv(t)
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithManagedIdentity(systemMI),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: "svc", Secret: "svc-secret-value"}))
	defer srv.Close()
	src := oauth2flows.ManagedIdentitySource(oauth2flows.ManagedIdentity{HTTPClient: srv.Client()}, "https://vault.azure.net")
	cfg := &oauth2flows.Config{ClientID: "svc", ClientSecret: "svc-secret-value", Endpoint: srv.Endpoint(), HTTPClient: srv.Client()}
	_, err := oauth2flows.ClientCredentials(context.Background(), cfg, oauth2flows.WithScopes("api://x/.default"))
	require.NoError(t, err)
	_ = oauth2flows.ManagedIdentityAssertion(oauth2flows.ManagedIdentity{HTTPClient: srv.Client()})
	assert.Empty(t, srv.RequestsTo(oauth2flowstest.EndpointIMDS))
	_, err = src.Token(context.Background())
	require.NoError(t, err)
	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointIMDS), 1)
}

// The source renews the identity's token before it expires, through the
// renewal path the other sources use: callers never see an expired token
// nor an error, and the host is asked a few times, not once per call.
func TestManagedIdentityRenewsBeforeExpiry(t *testing.T) {
	clearAzureEnv(t)
	// 8 s, not less: the emulator, like IMDS, hands out the same token
	// until a quarter of its lifetime is left, and expires_in is whole
	// seconds, so the server's clock may see up to a second more than the
	// client's. With 4 s that second reached past the client's last tenth,
	// and the renewal at expiry got the old token back (1 run in ~10 under
	// load).
	srv := oauth2flowstest.NewServer(oauth2flowstest.WithManagedIdentity(systemMI),
		oauth2flowstest.WithAccessTokenLifetime(8*time.Second))
	defer srv.Close()
	src := oauth2flows.ManagedIdentitySource(oauth2flows.ManagedIdentity{HTTPClient: srv.Client()}, "https://vault.azure.net")
	first, err := src.Token(context.Background())
	require.NoError(t, err)
	calls := 0
	for {
		tok, err := src.Token(context.Background())
		require.NoError(t, err)
		calls++
		require.True(t, time.Now().Before(tok.Expiry), "an expired token was served")
		if tok.AccessToken != first.AccessToken {
			assert.True(t, time.Now().Before(first.Expiry), "renewed before the first token expired")
			break
		}
		require.Less(t, calls, 200, "never renewed")
		time.Sleep(50 * time.Millisecond)
	}
	assert.LessOrEqual(t, len(srv.RequestsTo(oauth2flowstest.EndpointIMDS)), 3)
}
