package oauth2flows_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// fastRetry retries with waits short enough for tests, unless the server
// says otherwise with Retry-After.
func fastRetry(maxAttempts int) oauth2flows.RetryPolicy {
	return oauth2flows.RetryPolicy{MaxAttempts: maxAttempts, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Second}
}

func TestRetriesThrottlingAndUnavailableThenSucceeds(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv := grantServer(t)
			cfg := confidential(srv)
			cfg.Retry = fastRetry(3)
			srv.InjectFault(oauth2flowstest.EndpointToken, 2, oauth2flowstest.Fault{Status: status, Body: `{"error":"temporarily_unavailable"}`})

			tok, err := oauth2flows.ClientCredentials(context.Background(), cfg)
			require.NoError(t, err)
			_, err = srv.VerifyAccessToken(tok.AccessToken)
			require.NoError(t, err)

			reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
			require.Len(t, reqs, 3)
			assert.Equal(t, []int{status, status, http.StatusOK}, []int{reqs[0].Status, reqs[1].Status, reqs[2].Status})
			for _, r := range reqs {
				assert.Equal(t, reqs[0].Form, r.Form, "every attempt sends the same request")
			}
		})
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter func() string
		atLeast    time.Duration
	}{
		{"Seconds", func() string { return "1" }, time.Second},
		// HTTP dates have one-second resolution: "now + 2s" is 1 to 2 s away.
		{"HTTPDate", func() string { return time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat) }, 900 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := grantServer(t)
			cfg := confidential(srv)
			cfg.Retry = fastRetry(2)
			srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusTooManyRequests, RetryAfter: tt.retryAfter()})

			start := time.Now()
			_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
			elapsed := time.Since(start)
			require.NoError(t, err)
			assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), 2)
			assert.GreaterOrEqual(t, elapsed, tt.atLeast, "the Retry-After wait, not the 1ms backoff")
			assert.Less(t, elapsed, 5*time.Second)
		})
	}
}

// A Retry-After longer than MaxDelay is not cut short: the server asked
// not to be called before then, so the caller gets its answer instead.
func TestRetryAfterLongerThanMaxDelayReturnsTheError(t *testing.T) {
	for _, ra := range []string{"3600", "1000000000"} {
		t.Run(ra, func(t *testing.T) {
			srv := grantServer(t)
			cfg := confidential(srv)
			cfg.Retry = oauth2flows.RetryPolicy{MaxAttempts: 3, MaxDelay: 20 * time.Millisecond}
			srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusTooManyRequests, RetryAfter: ra})

			start := time.Now()
			_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
			var e *oauth2flows.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, http.StatusTooManyRequests, e.StatusCode)
			assert.Greater(t, e.RetryAfter, time.Hour-time.Minute)
			assert.Less(t, time.Since(start), 2*time.Second)
			assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), 1, "not re-sent early")
		})
	}
}

func TestRetryDoesNotWaitPastTheContextDeadline(t *testing.T) {
	srv := grantServer(t)
	cfg := confidential(srv)
	cfg.Retry = fastRetry(3)
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "5"})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()

	start := time.Now()
	_, err := oauth2flows.ClientCredentials(ctx, cfg)
	elapsed := time.Since(start)

	var e *oauth2flows.Error
	require.ErrorAs(t, err, &e, "the server's answer, since waiting could not fit in the deadline")
	assert.Equal(t, http.StatusTooManyRequests, e.StatusCode)
	assert.Equal(t, 5*time.Second, e.RetryAfter)
	assert.Less(t, elapsed, 2*time.Second, "returned without running into the deadline")
	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), 1)
}

func TestRetryWaitEndsPromptlyOnCancel(t *testing.T) {
	srv := grantServer(t)
	cfg := confidential(srv)
	cfg.Retry = fastRetry(3)
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: "5"})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)

	start := time.Now()
	_, err := oauth2flows.ClientCredentials(ctx, cfg)
	require.ErrorIs(t, err, context.Canceled, "the caller learns it was its own cancellation")
	var te *oauth2flows.NetworkError
	require.ErrorAs(t, err, &te)
	assert.Less(t, time.Since(start), 3*time.Second, "a 5s wait cut short")
	assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), 1)
}

func TestRetryAttemptsAreBounded(t *testing.T) {
	tests := []struct {
		name         string
		maxAttempts  int
		wantRequests int
	}{
		{"DefaultIsThree", 0, 3},
		{"OneDisablesRetries", 1, 1},
		{"Five", 5, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := grantServer(t)
			cfg := confidential(srv)
			cfg.Retry = fastRetry(tt.maxAttempts)
			srv.InjectFault(oauth2flowstest.EndpointToken, 10, oauth2flowstest.Fault{Status: http.StatusServiceUnavailable})

			_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
			var e *oauth2flows.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, http.StatusServiceUnavailable, e.StatusCode, "the last answer is returned")
			assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), tt.wantRequests)
		})
	}
}

func TestRetryNeverRetriesOtherStatuses(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout, http.StatusBadRequest, http.StatusUnauthorized} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv := grantServer(t)
			cfg := confidential(srv)
			cfg.Retry = fastRetry(3)
			srv.InjectFault(oauth2flowstest.EndpointToken, 3, oauth2flowstest.Fault{Status: status, Body: `{"error":"server_error"}`})

			_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
			var e *oauth2flows.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, status, e.StatusCode)
			assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), 1)
		})
	}
}

// redeemers obtain a one-time credential from the server (a code, a
// refresh token) and return the call that redeems it.
var redeemers = map[string]func(t *testing.T, srv *oauth2flowstest.Server, cfg *oauth2flows.Config) func() (*oauth2flows.Token, error){
	"ExchangeCode": func(t *testing.T, srv *oauth2flowstest.Server, cfg *oauth2flows.Config) func() (*oauth2flows.Token, error) {
		code, verifier := codeFor(t, srv, cfg)
		return func() (*oauth2flows.Token, error) {
			return oauth2flows.ExchangeCode(context.Background(), cfg, code, oauth2flows.WithPKCE(verifier))
		}
	},
	"Refresh": func(t *testing.T, srv *oauth2flowstest.Server, cfg *oauth2flows.Config) func() (*oauth2flows.Token, error) {
		old := passwordToken(t, cfg, watchLeaks(t, srv))
		return func() (*oauth2flows.Token, error) {
			return oauth2flows.Refresh(context.Background(), cfg, old.RefreshToken)
		}
	},
}

func TestOneTimeCredentialsAreNeverRetriedAfterAnAmbiguousFailure(t *testing.T) {
	faults := map[string]struct {
		fault   oauth2flowstest.Fault
		timeout time.Duration
	}{
		"500": {fault: oauth2flowstest.Fault{Status: http.StatusInternalServerError, Body: "boom"}},
		// A proxy answers 503 after an upstream reset, when the server may
		// already have redeemed the credential.
		"503":                 {fault: oauth2flowstest.Fault{Status: http.StatusServiceUnavailable}},
		"TimeoutAfterSending": {fault: oauth2flowstest.Fault{Delay: 5 * time.Second}, timeout: 200 * time.Millisecond},
	}
	for name, obtain := range redeemers {
		for faultName, f := range faults {
			t.Run(name+"/"+faultName, func(t *testing.T) {
				srv := grantServer(t)
				cfg := confidential(srv)
				redeem := obtain(t, srv, cfg)
				srv.ResetRequests()
				cfg.Retry = fastRetry(3)
				if f.timeout > 0 {
					cfg.HTTPClient = &http.Client{Timeout: f.timeout}
				}
				srv.InjectFault(oauth2flowstest.EndpointToken, 1, f.fault)

				tok, err := redeem()
				require.Error(t, err)
				assert.Nil(t, tok)
				if f.timeout > 0 {
					var te *oauth2flows.NetworkError
					assert.ErrorAs(t, err, &te)
				}
				// The server logs a request when its handler ends, which for a
				// timed-out one is when it notices the client has gone.
				assert.Len(t, tokenRequests(t, srv, 1), 1, "the credential may be spent: no second attempt")
			})
		}
	}
}

func TestOneTimeCredentialsAreRetriedWhenTheServerDidNotAct(t *testing.T) {
	for name, obtain := range redeemers {
		t.Run(name, func(t *testing.T) {
			srv := grantServer(t)
			cfg := confidential(srv)
			redeem := obtain(t, srv, cfg)
			srv.ResetRequests()
			cfg.Retry = fastRetry(3)
			srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusTooManyRequests})

			tok, err := redeem()
			require.NoError(t, err, "a 429 means the server refused to act on the request (RFC 6585 §4)")
			assert.NotEmpty(t, tok.AccessToken)
			assert.Len(t, srv.RequestsTo(oauth2flowstest.EndpointToken), 2)
		})
	}
}

func TestClientCredentialsIsRetriedAfterATimeoutAfterSending(t *testing.T) {
	srv := grantServer(t)
	cfg := confidential(srv)
	cfg.Retry = fastRetry(3)
	cfg.HTTPClient = &http.Client{Timeout: 200 * time.Millisecond}
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Delay: 5 * time.Second})

	tok, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	require.NoError(t, err, "client_credentials carries nothing one-time")
	assert.NotEmpty(t, tok.AccessToken)
	assert.Len(t, tokenRequests(t, srv, 2), 2)
}

// droppingTokenServer answers token requests after hijacking and closing
// the connection of the first `drop` requests, once each has been read:
// the client sees a connection failure after sending.
func droppingTokenServer(t *testing.T, drop int32) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if n.Add(1) <= drop {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at-from-dropping-server", "token_type": "Bearer", "expires_in": 60})
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestConnectionDroppedAfterSending(t *testing.T) {
	tests := []struct {
		name         string
		call         func(cfg *oauth2flows.Config) (*oauth2flows.Token, error)
		wantRequests int32
		wantOK       bool
	}{
		{"ClientCredentialsIsRetried", func(cfg *oauth2flows.Config) (*oauth2flows.Token, error) {
			return oauth2flows.ClientCredentials(context.Background(), cfg)
		}, 2, true},
		{"RefreshIsNot", func(cfg *oauth2flows.Config) (*oauth2flows.Token, error) {
			return oauth2flows.Refresh(context.Background(), cfg, "rt-one-time-value")
		}, 1, false},
		{"ExchangeCodeIsNot", func(cfg *oauth2flows.Config) (*oauth2flows.Token, error) {
			return oauth2flows.ExchangeCode(context.Background(), cfg, "code-one-time-value")
		}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := droppingTokenServer(t, 1)
			cfg := &oauth2flows.Config{
				ClientID: "c", ClientSecret: "s3cret-value", RedirectURL: gRedirect,
				Endpoint: oauth2flows.Endpoint{TokenURL: srv.URL + "/token"},
				Retry:    fastRetry(3),
			}
			tok, err := tt.call(cfg)
			if tt.wantOK {
				require.NoError(t, err)
				assert.Equal(t, "at-from-dropping-server", tok.AccessToken)
			} else {
				var te *oauth2flows.NetworkError
				require.ErrorAs(t, err, &te)
			}
			assert.Equal(t, tt.wantRequests, n.Load())
		})
	}
}

func TestConnectionFailureBeforeSendingIsRetriedEvenForOneTimeCredentials(t *testing.T) {
	var dials atomic.Int32
	cfg := &oauth2flows.Config{
		ClientID: "c", ClientSecret: "s3cret-value",
		Endpoint: oauth2flows.Endpoint{TokenURL: "https://127.0.0.1:1/token"},
		Retry:    fastRetry(3),
		HTTPClient: &http.Client{Transport: &http.Transport{
			DialContext: func(context.Context, string, string) (net.Conn, error) {
				dials.Add(1)
				return nil, errors.New("connection refused (test)")
			},
		}},
	}
	_, err := oauth2flows.Refresh(context.Background(), cfg, "rt-one-time-value")
	var te *oauth2flows.NetworkError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, int32(3), dials.Load(), "nothing was sent, so nothing was spent")
}

func TestRevokeIsRetriedOn503(t *testing.T) {
	srv := grantServer(t)
	cfg := confidential(srv)
	tok := passwordToken(t, cfg, watchLeaks(t, srv))
	cfg.Retry = fastRetry(3)
	srv.InjectFault(oauth2flowstest.EndpointRevoke, 1, oauth2flowstest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: "0"})

	require.NoError(t, oauth2flows.Revoke(context.Background(), cfg, tok.AccessToken))
	reqs := srv.RequestsTo(oauth2flowstest.EndpointRevoke)
	require.Len(t, reqs, 2)
	assert.Equal(t, http.StatusServiceUnavailable, reqs[0].Status)
	assert.Equal(t, http.StatusOK, reqs[1].Status)
	_, err := srv.VerifyAccessToken(tok.AccessToken)
	assert.Error(t, err, "revoked on the second attempt")
}

// tokenRequests returns the server's token requests once at least n are
// logged. The call under test has returned, so no more will come.
func tokenRequests(t *testing.T, srv *oauth2flowstest.Server, n int) []oauth2flowstest.Request {
	t.Helper()
	assert.Eventually(t, func() bool { return len(srv.RequestsTo(oauth2flowstest.EndpointToken)) >= n }, 5*time.Second, 5*time.Millisecond)
	return srv.RequestsTo(oauth2flowstest.EndpointToken)
}
