package interop

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// TestZitadelDeviceFlow runs the device authorization grant (RFC 8628)
// end to end against zitadel's op: DeviceAuth, the user's decision made
// through the example storage (its verification page is the app's own),
// and DeviceAccessToken polling at the 1 s interval zitadel announces.
func TestZitadelDeviceFlow(t *testing.T) {
	tests := []struct {
		name   string
		decide func(st *zitadelStorage, userCode string) error
		wantIs error
	}{
		{"approved", func(st *zitadelStorage, uc string) error {
			return st.CompleteDeviceAuthorization(context.Background(), uc, "id1")
		}, nil},
		{"denied", func(st *zitadelStorage, uc string) error {
			return st.DenyDeviceAuthorization(context.Background(), uc)
		}, oauth2flows.ErrDeviceAccessDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := zitadelServer(t)
			cfg := &oauth2flows.Config{ClientID: zitadelDeviceClient, ClientSecret: zitadelSecret, Endpoint: env.Endpoint,
				Scopes: []string{"openid", "profile"}, Retry: oauth2flows.RetryPolicy{MaxAttempts: 1}}
			ctx := context.Background()
			da, err := oauth2flows.DeviceAuth(ctx, cfg)
			require.NoError(t, err)
			got := env.Wire.lastTo(t, env.Endpoint.DeviceAuthURL)
			assert.Equal(t, "openid profile", got.Form.Get("scope"))
			assert.True(t, strings.HasPrefix(got.Authorization, "Basic "))
			assert.Equal(t, int64(1), da.Interval)
			assert.Equal(t, env.URL+"/device", da.VerificationURI)
			assert.NotEmpty(t, da.UserCode)

			require.NoError(t, tt.decide(env.Storage, da.UserCode))
			tok, err := oauth2flows.DeviceAccessToken(ctx, cfg, da)
			poll := env.Wire.lastTo(t, env.Endpoint.TokenURL)
			assert.Equal(t, oauth2flows.GrantTypeDeviceCode, poll.Form.Get("grant_type"))
			assert.Equal(t, da.DeviceCode, poll.Form.Get("device_code"))
			if tt.wantIs != nil {
				require.True(t, errors.Is(err, tt.wantIs), "%v", err)
				var e *oauth2flows.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, "access_denied", e.Code)
				assert.NotContains(t, err.Error(), da.DeviceCode)
				return
			}
			require.NoError(t, err)
			assert.True(t, tok.IsBearer())
			assert.NotEmpty(t, tok.AccessToken)
		})
	}
}
