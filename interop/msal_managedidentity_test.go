package interop

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/managedidentity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// clearManagedIdentityEnv leaves no managed identity host in the
// environment but the one a test sets: MSAL Go then detects IMDS.
func clearManagedIdentityEnv(t *testing.T) {
	for _, k := range []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT",
		"IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET"} {
		t.Setenv(k, "")
	}
}

// msalMIRuns numbers the runs of the MSAL managed identity test in this
// process: MSAL Go's token cache is process-wide, so each run asks for
// resources no earlier run (go test -count=N) has cached.
var msalMIRuns atomic.Int32

// MSAL Go's managed identity client, unchanged, against oauth2flowstest's
// emulated IMDS and App Service endpoints, beside ManagedIdentitySource:
// both send the same request, both get the same token (the host hands it
// out again, as IMDS does), both serve it from their cache afterwards, and
// both retry IMDS's 410.
func TestMSALGoManagedIdentityMatchesManagedIdentitySource(t *testing.T) {
	uami := oauth2flowstest.ManagedIdentity{ClientID: "6a1f0b7e-2c4d-4e5f-8a9b-0c1d2e3f4a5b", UserAssigned: true,
		ResourceID: "/subscriptions/0000/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/orders"}
	tests := []struct {
		name       string
		appService bool
		msalID     managedidentity.ID
		ours       oauth2flows.ManagedIdentity
		resource   string // one per case: MSAL Go's cache is process-wide
		endpoint   string
		fault      int
	}{
		{"IMDSSystemAssigned", false, managedidentity.SystemAssigned(), oauth2flows.ManagedIdentity{},
			"https://vault.azure.net", oauth2flowstest.EndpointIMDS, 0},
		{"IMDSByClientIDAfter410", false, managedidentity.UserAssignedClientID(uami.ClientID), oauth2flows.ManagedIdentity{ClientID: uami.ClientID},
			"https://storage.azure.com", oauth2flowstest.EndpointIMDS, http.StatusGone},
		{"IMDSByResourceID", false, managedidentity.UserAssignedResourceID(uami.ResourceID), oauth2flows.ManagedIdentity{ResourceID: uami.ResourceID},
			"https://management.azure.com", oauth2flowstest.EndpointIMDS, 0},
		{"AppServiceByResourceID", true, managedidentity.UserAssignedResourceID(uami.ResourceID), oauth2flows.ManagedIdentity{ResourceID: uami.ResourceID},
			"https://database.windows.net", oauth2flowstest.EndpointAppService, 0},
		{"AppServiceByClientIDAfter429", true, managedidentity.UserAssignedClientID(uami.ClientID), oauth2flows.ManagedIdentity{ClientID: uami.ClientID},
			"https://servicebus.azure.net", oauth2flowstest.EndpointAppService, http.StatusTooManyRequests},
	}
	run := msalMIRuns.Add(1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resource := fmt.Sprintf("%s/run%d", tt.resource, run)
			clearManagedIdentityEnv(t)
			srv := oauth2flowstest.NewServer(oauth2flowstest.WithEntra(entraTID),
				oauth2flowstest.WithManagedIdentity(oauth2flowstest.ManagedIdentity{}),
				oauth2flowstest.WithManagedIdentity(uami))
			t.Cleanup(srv.Close)
			if tt.appService {
				ep, secret := srv.AppServiceEnv()
				t.Setenv("IDENTITY_ENDPOINT", ep)
				t.Setenv("IDENTITY_HEADER", secret)
			}
			ctx := context.Background()

			if tt.fault != 0 {
				srv.InjectFault(tt.endpoint, 1, oauth2flowstest.Fault{Status: tt.fault})
			}
			msal, err := managedidentity.New(tt.msalID, managedidentity.WithHTTPClient(srv.Client()))
			require.NoError(t, err)
			res, err := msal.AcquireToken(ctx, resource)
			require.NoError(t, err)
			cached, err := msal.AcquireToken(ctx, resource)
			require.NoError(t, err)
			assert.Equal(t, managedidentity.TokenSourceCache, cached.Metadata.TokenSource)
			msalReqs := srv.RequestsTo(tt.endpoint)

			if tt.fault != 0 {
				srv.InjectFault(tt.endpoint, 1, oauth2flowstest.Fault{Status: tt.fault})
			}
			tt.ours.HTTPClient = srv.Client()
			src := oauth2flows.ManagedIdentitySource(tt.ours, resource)
			tok, err := src.Token(ctx)
			require.NoError(t, err)
			again, err := src.Token(ctx)
			require.NoError(t, err)
			assert.Same(t, tok, again, "served from the cache")
			ourReqs := srv.RequestsTo(tt.endpoint)[len(msalReqs):]

			want := 1
			if tt.fault != 0 {
				want = 2
			}
			require.Len(t, msalReqs, want, "MSAL: one request, and one retry after %d", tt.fault)
			require.Len(t, ourReqs, want, "ours: one request, and one retry after %d", tt.fault)
			m, o := msalReqs[want-1], ourReqs[want-1]
			assert.Equal(t, m.Method, o.Method)
			assert.Equal(t, m.Form, o.Form, "the same query: api-version, resource, the identity")
			for _, h := range []string{"Metadata", "X-IDENTITY-HEADER"} {
				assert.Equal(t, m.Header.Get(h), o.Header.Get(h), h)
			}
			assert.Equal(t, res.AccessToken, tok.AccessToken, "the host hands out the same token")
			assert.WithinDuration(t, res.ExpiresOn, tok.Expiry, time.Second)
		})
	}
}
