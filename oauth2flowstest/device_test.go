package oauth2flowstest_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

const deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

// fakeClock is a server clock a test moves forward; safe for the server's
// goroutines.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}

func (c *fakeClock) now() time.Time                 { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration)        { c.ns.Add(int64(d)) }
func (c *fakeClock) option() oauth2flowstest.Option { return oauth2flowstest.WithClock(c.now) }

// deviceAuth asks for a device code as the public client.
func deviceAuth(t *testing.T, srv *oauth2flowstest.Server, form url.Values, auth string) response {
	t.Helper()
	return post(t, srv, "/device_authorization", form, auth)
}

func pollDevice(t *testing.T, srv *oauth2flowstest.Server, deviceCode string) response {
	t.Helper()
	return token(t, srv, url.Values{"grant_type": {deviceGrant}, "device_code": {deviceCode}, "client_id": {"public"}}, "")
}

func TestDeviceMetadata(t *testing.T) {
	srv := newServer(t)
	got := do(t, srv, mustGet(t, srv.URL()+"/.well-known/oauth-authorization-server"))
	require.Equal(t, http.StatusOK, got.Status)
	assert.Equal(t, srv.URL()+"/device_authorization", got.str("device_authorization_endpoint"))
	assert.Contains(t, got.Body["grant_types_supported"], deviceGrant)
}

func TestDeviceFlowApprovedIssuesTokensOnce(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, clock.option(), oauth2flowstest.WithDeviceInterval(2*time.Second))
	da := deviceAuth(t, srv, url.Values{"client_id": {"public"}, "scope": {"openid offline_access api://res/read"}}, "")
	require.Equal(t, http.StatusOK, da.Status, da.Raw)
	assert.Equal(t, "no-store", da.Header.Get("Cache-Control"))
	userCode := da.str("user_code")
	assert.Regexp(t, `^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`, userCode)
	assert.NotEmpty(t, da.str("device_code"))
	assert.Equal(t, srv.URL()+"/device", da.str("verification_uri"))
	assert.Equal(t, srv.URL()+"/device?user_code="+userCode, da.str("verification_uri_complete"))
	assert.EqualValues(t, 600, da.Body["expires_in"])
	assert.EqualValues(t, 2, da.Body["interval"])
	reqs := srv.RequestsTo(oauth2flowstest.EndpointDeviceAuthorization)
	require.Len(t, reqs, 1)
	assert.Equal(t, "public", reqs[0].ClientID)
	assert.Equal(t, oauth2flowstest.AuthNone, reqs[0].AuthMethod)

	clock.advance(2 * time.Second)
	got := pollDevice(t, srv, da.str("device_code"))
	assert.Equal(t, http.StatusBadRequest, got.Status)
	assert.Equal(t, "authorization_pending", got.str("error"))

	// Case and dashes do not matter in a typed user code (RFC 8628 §6.1).
	require.NoError(t, srv.ApproveDevice(strings.ToLower(strings.ReplaceAll(userCode, "-", "")), "bob"))
	assert.ErrorIs(t, srv.DenyDevice(userCode), oauth2flowstest.ErrUnknownUserCode, "already decided")

	clock.advance(2 * time.Second)
	got = pollDevice(t, srv, da.str("device_code"))
	require.Equal(t, http.StatusOK, got.Status, got.Raw)
	assert.Equal(t, "Bearer", got.str("token_type"))
	assert.NotEmpty(t, got.str("refresh_token"))
	assert.NotEmpty(t, got.str("id_token"))
	claims, err := srv.VerifyAccessToken(got.str("access_token"))
	require.NoError(t, err)
	assert.Equal(t, "bob-sub", claims.Subject)
	assert.Equal(t, "public", claims.ClientID)
	assert.Equal(t, []string{"api://res"}, []string(claims.Audience))

	clock.advance(2 * time.Second)
	again := pollDevice(t, srv, da.str("device_code"))
	assert.Equal(t, "invalid_grant", again.str("error"), "a device code is redeemed once")
}

func TestDeviceFlowSlowDownAddsFiveSeconds(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, clock.option()) // default interval: 5 s
	da := deviceAuth(t, srv, url.Values{"client_id": {"public"}}, "")
	require.EqualValues(t, 5, da.Body["interval"])
	dc := da.str("device_code")

	steps := []struct {
		wait time.Duration
		want string
	}{
		{0, "slow_down"},               // sooner than 5 s after the device authorization; now 10 s
		{6 * time.Second, "slow_down"}, // 6 < 10; now 15 s
		{15 * time.Second, "authorization_pending"},
		{15 * time.Second, "authorization_pending"}, // the interval stays 15 s
		{14 * time.Second, "slow_down"},
	}
	for i, st := range steps {
		clock.advance(st.wait)
		got := pollDevice(t, srv, dc)
		assert.Equal(t, http.StatusBadRequest, got.Status)
		assert.Equal(t, st.want, got.str("error"), "poll %d", i)
	}
}

func TestDeviceFlowRefusals(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(srv *oauth2flowstest.Server, clock *fakeClock, userCode string)
		form    func(deviceCode string) url.Values
		auth    string
		status  int
		wantErr string
	}{
		{"Denied", func(srv *oauth2flowstest.Server, _ *fakeClock, uc string) { require.NoError(t, srv.DenyDevice(uc)) },
			nil, "", http.StatusBadRequest, "access_denied"},
		{"Expired", func(_ *oauth2flowstest.Server, c *fakeClock, _ string) { c.advance(10 * time.Minute) },
			nil, "", http.StatusBadRequest, "expired_token"},
		{"ApprovedButExpired", func(srv *oauth2flowstest.Server, c *fakeClock, uc string) {
			require.NoError(t, srv.ApproveDevice(uc, "alice"))
			c.advance(11 * time.Minute)
		}, nil, "", http.StatusBadRequest, "expired_token"},
		{"OtherClient", func(srv *oauth2flowstest.Server, _ *fakeClock, uc string) {
			require.NoError(t, srv.ApproveDevice(uc, "alice"))
		},
			func(dc string) url.Values { return url.Values{"grant_type": {deviceGrant}, "device_code": {dc}} },
			confAuth, http.StatusBadRequest, "invalid_grant"},
		{"UnknownDeviceCode", nil,
			func(string) url.Values {
				return url.Values{"grant_type": {deviceGrant}, "device_code": {"made-up"}, "client_id": {"public"}}
			}, "", http.StatusBadRequest, "invalid_grant"},
		{"MissingDeviceCode", nil,
			func(string) url.Values { return url.Values{"grant_type": {deviceGrant}, "client_id": {"public"}} },
			"", http.StatusBadRequest, "invalid_request"},
		{"ClientNotRegisteredForGrant", nil,
			func(dc string) url.Values { return url.Values{"grant_type": {deviceGrant}, "device_code": {dc}} },
			basic("cc-only", "s"), http.StatusBadRequest, "unauthorized_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			srv := newServer(t, clock.option(), oauth2flowstest.WithDeviceInterval(0))
			da := deviceAuth(t, srv, url.Values{"client_id": {"public"}}, "")
			require.Equal(t, http.StatusOK, da.Status, da.Raw)
			if tt.setup != nil {
				tt.setup(srv, clock, da.str("user_code"))
			}
			form := url.Values{"grant_type": {deviceGrant}, "device_code": {da.str("device_code")}, "client_id": {"public"}}
			if tt.form != nil {
				form = tt.form(da.str("device_code"))
			}
			got := token(t, srv, form, tt.auth)
			assert.Equal(t, tt.status, got.Status, got.Raw)
			assert.Equal(t, tt.wantErr, got.str("error"))
			assert.NotContains(t, got.Raw, da.str("device_code"), "no device code in an error")
		})
	}
}

func TestDeviceAuthorizationRefusals(t *testing.T) {
	tests := []struct {
		name    string
		form    url.Values
		auth    string
		status  int
		wantErr string
	}{
		{"ConfidentialWithoutCredentials", url.Values{"client_id": {"conf"}}, "", http.StatusBadRequest, "invalid_client"},
		{"WrongSecret", nil, basic("conf", "nope"), http.StatusUnauthorized, "invalid_client"},
		{"UnknownClient", url.Values{"client_id": {"nobody"}}, "", http.StatusBadRequest, "invalid_client"},
		{"NotRegisteredForGrant", nil, basic("cc-only", "s"), http.StatusBadRequest, "unauthorized_client"},
		{"ScopesOfTwoResources", url.Values{"client_id": {"public"}, "scope": {"api://a/x api://b/y"}}, "", http.StatusBadRequest, "invalid_scope"},
		{"RepeatedParameter", url.Values{"client_id": {"public"}, "scope": {"a", "b"}}, "", http.StatusBadRequest, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			got := deviceAuth(t, srv, tt.form, tt.auth)
			assert.Equal(t, tt.status, got.Status, got.Raw)
			assert.Equal(t, tt.wantErr, got.str("error"))
		})
	}
	t.Run("GETRefused", func(t *testing.T) {
		srv := newServer(t)
		got := do(t, srv, mustGet(t, srv.URL()+"/device_authorization?client_id=public"))
		assert.Equal(t, http.StatusMethodNotAllowed, got.Status)
	})
}

func TestDeviceConfidentialClientAuthenticates(t *testing.T) {
	srv := newServer(t, oauth2flowstest.WithDeviceInterval(0))
	da := deviceAuth(t, srv, url.Values{"scope": {"api://res/read"}}, confAuth)
	require.Equal(t, http.StatusOK, da.Status, da.Raw)
	assert.EqualValues(t, 0, da.Body["interval"])
	require.NoError(t, srv.ApproveDevice(da.str("user_code"), "alice-sub"))
	got := token(t, srv, url.Values{"grant_type": {deviceGrant}, "device_code": {da.str("device_code")}}, confAuth)
	require.Equal(t, http.StatusOK, got.Status, got.Raw)
	claims, err := srv.VerifyAccessToken(got.str("access_token"))
	require.NoError(t, err)
	assert.Equal(t, "alice-sub", claims.Subject)
	assert.Equal(t, "conf", claims.ClientID)
}

func TestDeviceVerificationPageApprovesAsTheSignedInUser(t *testing.T) {
	srv := newServer(t, oauth2flowstest.WithDeviceInterval(0))
	da := deviceAuth(t, srv, url.Values{"client_id": {"public"}}, "")
	page := do(t, srv, mustGet(t, da.str("verification_uri")))
	assert.Equal(t, http.StatusOK, page.Status)
	assert.Contains(t, page.Raw, `name="user_code"`)

	got := do(t, srv, mustGet(t, da.str("verification_uri_complete")))
	assert.Equal(t, http.StatusOK, got.Status, got.Raw)
	again := do(t, srv, mustGet(t, da.str("verification_uri_complete")))
	assert.Equal(t, http.StatusBadRequest, again.Status, "a user code is decided once")

	tok := pollDevice(t, srv, da.str("device_code"))
	require.Equal(t, http.StatusOK, tok.Status, tok.Raw)
	claims, err := srv.VerifyAccessToken(tok.str("access_token"))
	require.NoError(t, err)
	assert.Equal(t, "alice-sub", claims.Subject, "the first registered user signs in")
}

func TestApproveDeviceRefusesUnknownCodesAndUsers(t *testing.T) {
	srv := newServer(t)
	assert.ErrorIs(t, srv.ApproveDevice("BCDF-GHJK", "alice"), oauth2flowstest.ErrUnknownUserCode)
	assert.ErrorIs(t, srv.DenyDevice("BCDF-GHJK"), oauth2flowstest.ErrUnknownUserCode)
	da := deviceAuth(t, srv, url.Values{"client_id": {"public"}}, "")
	assert.Error(t, srv.ApproveDevice(da.str("user_code"), "mallory"))
}
