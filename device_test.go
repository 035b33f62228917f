package oauth2flows_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// pollFakeClock is shared by the test server (WithClock) and DeviceAccessToken
// (WithPollClock): a poll's wait advances it, so the server sees the polls
// spaced exactly as the client waited, and nothing waits in real time.
type pollFakeClock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
	// onWait runs at the start of the n-th wait (0-based), e.g. to approve.
	onWait func(n int)
}

func (c *pollFakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *pollFakeClock) wait(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	n := len(c.waits)
	c.waits = append(c.waits, d)
	c.t = c.t.Add(d)
	hook := c.onWait
	c.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return ctx.Err()
}

func TestDeviceAuthSendsScopesAndClientAndReturnsCodes(t *testing.T) {
	tests := []struct {
		name       string
		cfg        func(*oauth2flowstest.Server) *oauth2flows.Config
		opts       []oauth2flows.Option
		wantScope  string
		wantMethod string
	}{
		{"confidential, Config.Scopes", confidential, nil, "read write", "client_secret_basic"},
		{"public, WithScopes", public, []oauth2flows.Option{oauth2flows.WithScopes("read")}, "read", "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := grantServer(t)
			da, err := oauth2flows.DeviceAuth(context.Background(), tt.cfg(srv), tt.opts...)
			require.NoError(t, err)
			assert.NotEmpty(t, da.DeviceCode)
			assert.NotEmpty(t, da.UserCode)
			assert.Equal(t, srv.URL()+"/device", da.VerificationURI)
			assert.Contains(t, da.VerificationURIComplete, "user_code=")
			assert.WithinDuration(t, time.Now().Add(10*time.Minute), da.Expiry, time.Minute)
			assert.Equal(t, int64(5), da.Interval)

			reqs := srv.RequestsTo(oauth2flowstest.EndpointDeviceAuthorization)
			require.Len(t, reqs, 1)
			assert.Equal(t, tt.wantScope, reqs[0].Form.Get("scope"))
			assert.Equal(t, tt.wantMethod, reqs[0].AuthMethod)
			assert.Empty(t, reqs[0].Form.Get("grant_type"))
		})
	}
}

func TestDeviceAuthRefusals(t *testing.T) {
	srv := grantServer(t)
	noURL := public(srv)
	noURL.Endpoint.DeviceAuthURL = ""
	plain := public(srv)
	plain.Endpoint.DeviceAuthURL = "http://device.example/code"
	tests := []struct {
		name  string
		cfg   *oauth2flows.Config
		opts  []oauth2flows.Option
		field string
	}{
		{"no DeviceAuthURL", noURL, nil, "Config.Endpoint.DeviceAuthURL"},
		{"plain http off loopback", plain, nil, "Config.Endpoint.DeviceAuthURL"},
		{"PKCE is not part of it", public(srv), []oauth2flows.Option{oauth2flows.WithPKCE(oauth2flows.NewVerifier())}, "WithPKCE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			da, err := oauth2flows.DeviceAuth(context.Background(), tt.cfg, tt.opts...)
			assert.Nil(t, da)
			var ce *oauth2flows.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "DeviceAuth", ce.Op)
			assert.Equal(t, tt.field, ce.Field)
			assert.Empty(t, srv.Requests())
		})
	}
}

func TestDeviceAuthReadsProviderSpellings(t *testing.T) {
	tests := []struct {
		name, body string
		wantURI    string
		wantExp    time.Duration
		wantIntvl  int64
		wantErr    string
	}{
		{"RFC 8628", `{"device_code":"dc-1234567","user_code":"ABCD-EFGH","verification_uri":"https://x/device","expires_in":600,"interval":7}`,
			"https://x/device", 600 * time.Second, 7, ""},
		{"Google verification_url, no interval", `{"device_code":"dc-1234567","user_code":"ABCD","verification_url":"https://www.google.com/device","expires_in":1800}`,
			"https://www.google.com/device", 1800 * time.Second, 0, ""},
		{"numbers as strings", `{"device_code":"dc-1234567","user_code":"ABCD","verification_uri":"https://x/d","expires_in":"900","interval":"5"}`,
			"https://x/d", 900 * time.Second, 5, ""},
		{"no device_code", `{"user_code":"ABCD","verification_uri":"https://x/d"}`, "", 0, 0, "no device_code"},
		{"no verification_uri", `{"device_code":"dc-1234567","user_code":"ABCD"}`, "", 0, 0, "no verification_uri"},
		{"negative interval", `{"device_code":"dc-1234567","user_code":"ABCD","verification_uri":"https://x/d","interval":-1}`, "", 0, 0, "malformed interval"},
		{"not JSON", `<html>`, "", 0, 0, "not a device authorization response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *http.Request
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				require.NoError(t, r.ParseForm())
				got = r
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tt.body))
			}))
			defer hs.Close()
			cfg := &oauth2flows.Config{ClientID: "tv-app", Endpoint: oauth2flows.Endpoint{DeviceAuthURL: hs.URL + "/device/code"}, Scopes: []string{"profile"}}
			da, err := oauth2flows.DeviceAuth(context.Background(), cfg)
			require.NotNil(t, got)
			assert.Equal(t, "/device/code", got.URL.Path)
			assert.Equal(t, "tv-app", got.PostForm.Get("client_id"))
			assert.Equal(t, "profile", got.PostForm.Get("scope"))
			if tt.wantErr != "" {
				var ie *oauth2flows.InvalidResponseError
				require.ErrorAs(t, err, &ie)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "dc-1234567")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "dc-1234567", da.DeviceCode)
			assert.Equal(t, tt.wantURI, da.VerificationURI)
			assert.WithinDuration(t, time.Now().Add(tt.wantExp), da.Expiry, 5*time.Second)
			assert.Equal(t, tt.wantIntvl, da.Interval)
		})
	}
}

func TestDeviceAccessTokenPolls(t *testing.T) {
	slowDown := oauth2flowstest.Fault{Status: 400, Body: `{"error":"slow_down"}`}
	tests := []struct {
		name      string
		lifetime  time.Duration
		noExpiry  bool // the caller's DeviceAuthResponse has no Expiry
		setup     func(srv *oauth2flowstest.Server, userCode string, clock *pollFakeClock)
		wantWaits []time.Duration
		wantPolls int
		wantCode  string // "" for a token
		wantIs    error
		wantHTTP  bool // the error came from the server
	}{
		{
			name: "pending twice then approved",
			setup: func(srv *oauth2flowstest.Server, uc string, c *pollFakeClock) {
				c.onWait = func(n int) {
					if n == 2 {
						require.NoError(t, srv.ApproveDevice(uc, gUser))
					}
				}
			},
			wantWaits: []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second},
			wantPolls: 3,
		},
		{
			name: "slow_down adds 5 seconds to every later wait",
			setup: func(srv *oauth2flowstest.Server, uc string, c *pollFakeClock) {
				srv.InjectFault(oauth2flowstest.EndpointToken, 1, slowDown)
				c.onWait = func(n int) {
					if n == 2 {
						require.NoError(t, srv.ApproveDevice(uc, gUser))
					}
				}
			},
			wantWaits: []time.Duration{5 * time.Second, 10 * time.Second, 10 * time.Second},
			wantPolls: 3,
		},
		{
			name: "access_denied ends the poll",
			setup: func(srv *oauth2flowstest.Server, uc string, c *pollFakeClock) {
				c.onWait = func(n int) {
					if n == 1 {
						require.NoError(t, srv.DenyDevice(uc))
					}
				}
			},
			wantWaits: []time.Duration{5 * time.Second, 5 * time.Second},
			wantPolls: 2, wantCode: "access_denied", wantIs: oauth2flows.ErrDeviceAccessDenied, wantHTTP: true,
		},
		{
			name:      "expired_token from the server ends the poll",
			lifetime:  12 * time.Second,
			noExpiry:  true,
			wantWaits: []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second},
			wantPolls: 3, wantCode: "expired_token", wantIs: oauth2flows.ErrDeviceCodeExpired, wantHTTP: true,
		},
		{
			name:      "the client stops at expiry without polling again",
			lifetime:  12 * time.Second,
			wantWaits: []time.Duration{5 * time.Second, 5 * time.Second, 2 * time.Second},
			wantPolls: 2, wantCode: "expired_token", wantIs: oauth2flows.ErrDeviceCodeExpired,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &pollFakeClock{t: time.Now()}
			opts := []oauth2flowstest.Option{oauth2flowstest.WithClock(clock.now)}
			if tt.lifetime > 0 {
				opts = append(opts, oauth2flowstest.WithDeviceCodeLifetime(tt.lifetime))
			}
			srv := grantServer(t, opts...)
			leaks := watchLeaks(t, srv)
			cfg := confidential(srv)
			da, err := oauth2flows.DeviceAuth(context.Background(), cfg)
			require.NoError(t, err)
			leaks.secret(da.DeviceCode)
			// DeviceAuth dated the expiry by the real clock; the poll reads the fake one.
			if tt.lifetime > 0 {
				da.Expiry = clock.now().Add(tt.lifetime)
			}
			if tt.noExpiry {
				da.Expiry = time.Time{}
			}
			if tt.setup != nil {
				tt.setup(srv, da.UserCode, clock)
			}
			ctx := oauth2flows.WithPollClock(context.Background(), clock.now, clock.wait)
			tok, err := oauth2flows.DeviceAccessToken(ctx, cfg, da)
			leaks.err(err)

			assert.Equal(t, tt.wantWaits, clock.waits)
			polls := srv.RequestsTo(oauth2flowstest.EndpointToken)
			require.Len(t, polls, tt.wantPolls)
			for _, p := range polls {
				assert.Equal(t, oauth2flows.GrantTypeDeviceCode, p.Form.Get("grant_type"))
				assert.Equal(t, da.DeviceCode, p.Form.Get("device_code"))
				assert.True(t, strings.HasPrefix(p.Header.Get("Authorization"), "Basic "), "client_secret_basic")
				assert.Empty(t, p.Form.Get("scope"))
			}
			if tt.wantCode == "" {
				require.NoError(t, err)
				assert.NotEmpty(t, tok.AccessToken)
				assert.Equal(t, "read write", tok.Scope)
				return
			}
			assert.Nil(t, tok)
			var e *oauth2flows.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.wantCode, e.Code)
			assert.ErrorIs(t, err, tt.wantIs)
			assert.Equal(t, tt.wantHTTP, e.StatusCode != 0)
			assert.NotContains(t, err.Error(), da.DeviceCode)
		})
	}
}

func TestDeviceAccessTokenReturnsWhenContextEnds(t *testing.T) {
	tests := []struct {
		name   string
		cancel func(cancel context.CancelFunc)
	}{
		{"already ended", func(cancel context.CancelFunc) { cancel() }},
		// The real wait (5 s, the server's interval) is cut short: the test
		// would take 5 s otherwise.
		{"ends during the wait", func(cancel context.CancelFunc) { go cancel() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := grantServer(t)
			cfg := confidential(srv)
			da, err := oauth2flows.DeviceAuth(context.Background(), cfg)
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			tt.cancel(cancel)
			tok, err := oauth2flows.DeviceAccessToken(ctx, cfg, da)
			assert.Nil(t, tok)
			require.ErrorIs(t, err, context.Canceled)
			assert.True(t, strings.HasPrefix(err.Error(), "oauth2flows: DeviceAccessToken"), err.Error())
			assert.Empty(t, srv.RequestsTo(oauth2flowstest.EndpointToken))
		})
	}
}

// The real clock against the server's own interval enforcement: a client
// that polled early would get slow_down.
func TestDeviceAccessTokenRealClockHonoursInterval(t *testing.T) {
	srv := grantServer(t, oauth2flowstest.WithDeviceInterval(time.Second))
	cfg := public(srv)
	da, err := oauth2flows.DeviceAuth(context.Background(), cfg)
	require.NoError(t, err)
	require.Equal(t, int64(1), da.Interval)
	require.NoError(t, srv.ApproveDevice(da.UserCode, gUser))
	tok, err := oauth2flows.DeviceAccessToken(context.Background(), cfg, da)
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	polls := srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.Len(t, polls, 1)
	assert.Equal(t, gPublicID, polls[0].Form.Get("client_id"))
}

func TestDeviceAccessTokenRefusesBadInput(t *testing.T) {
	srv := grantServer(t)
	noTokenURL := confidential(srv)
	noTokenURL.Endpoint.TokenURL = ""
	ambiguous := confidential(srv)
	ambiguous.ClientAssertion = func(context.Context) (string, error) { return "x", nil }
	da := &oauth2flows.DeviceAuthResponse{DeviceCode: "x"}
	tests := []struct {
		name  string
		cfg   *oauth2flows.Config
		da    *oauth2flows.DeviceAuthResponse
		opts  []oauth2flows.Option
		field string
	}{
		{"nil Config", nil, da, nil, "cfg"},
		{"nil response", confidential(srv), nil, nil, "DeviceAuthResponse.DeviceCode"},
		{"empty device code", confidential(srv), &oauth2flows.DeviceAuthResponse{}, nil, "DeviceAuthResponse.DeviceCode"},
		{"scope is the device authorization's", confidential(srv), da, []oauth2flows.Option{oauth2flows.WithScopes("a")}, "WithScopes"},
		// Refused at once, not after the first 5 s wait.
		{"no token URL", noTokenURL, da, nil, "Config.Endpoint.TokenURL"},
		{"ambiguous client auth", ambiguous, da, nil, "Config.AuthMethod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := oauth2flows.DeviceAccessToken(context.Background(), tt.cfg, tt.da, tt.opts...)
			var ce *oauth2flows.ConfigError
			require.True(t, errors.As(err, &ce), "%v", err)
			assert.Equal(t, "DeviceAccessToken", ce.Op)
			assert.Equal(t, tt.field, ce.Field)
			assert.Empty(t, srv.Requests())
		})
	}
}

// TestDeviceAccessTokenKeepsTheDPoPNonceAcrossPolls: with a DPoPKey, every
// poll carries a proof, and the nonce the server gave one poll goes with
// the next (RFC 9449 §8): one use_dpop_nonce refusal in all, not one per
// poll.
func TestDeviceAccessTokenKeepsTheDPoPNonceAcrossPolls(t *testing.T) {
	clock := &pollFakeClock{t: time.Now()}
	srv := grantServer(t, oauth2flowstest.WithClock(clock.now), oauth2flowstest.WithDPoPNonce())
	cfg := confidential(srv)
	cfg.DPoPKey = ecKey(t)
	da, err := oauth2flows.DeviceAuth(context.Background(), cfg)
	require.NoError(t, err)
	clock.onWait = func(n int) {
		if n == 2 {
			require.NoError(t, srv.ApproveDevice(da.UserCode, gUser))
		}
	}
	ctx := oauth2flows.WithPollClock(context.Background(), clock.now, clock.wait)
	tok, err := oauth2flows.DeviceAccessToken(ctx, cfg, da)
	require.NoError(t, err)
	assert.Equal(t, "DPoP", tok.TokenType, "the token is bound to the key")

	requests := srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.Equal(t, 4, len(requests), "3 polls and one retry with the first nonce")
	for i, r := range requests {
		assert.NotEmpty(t, r.Header.Get("DPoP"), "request %d carries a proof", i)
	}
	assert.Equal(t, []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second}, clock.waits)
}
