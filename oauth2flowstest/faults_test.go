package oauth2flowstest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

func TestInjectFault(t *testing.T) {
	srv := newServer(t)
	body := oauth2flowstest.EntraError("interaction_required", "AADSTS50079: MFA required.", `{"access_token":{"capolids":{"essential":true,"values":["1"]}}}`)
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: 400, Body: body})
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: 429, RetryAfter: "7", Body: "slow down"})

	cc := url.Values{"grant_type": {"client_credentials"}}
	first := token(t, srv, cc, confAuth)
	assert.Equal(t, http.StatusBadRequest, first.Status)
	assert.Equal(t, "interaction_required", first.str("error"))
	assert.Equal(t, []any{float64(50079)}, first.Body["error_codes"])
	assert.NotEmpty(t, first.str("trace_id"))
	assert.NotEmpty(t, first.str("correlation_id"))
	assert.NotEmpty(t, first.str("timestamp"))
	assert.True(t, strings.HasPrefix(first.str("error_description"), "AADSTS50079: MFA required.\r\nTrace ID: "))
	assert.True(t, json.Valid([]byte(first.str("claims"))))

	second := token(t, srv, cc, confAuth)
	assert.Equal(t, http.StatusTooManyRequests, second.Status)
	assert.Equal(t, "7", second.Header.Get("Retry-After"))
	assert.Equal(t, "slow down", second.Raw)
	assert.Contains(t, second.Header.Get("Content-Type"), "text/plain")

	third := token(t, srv, cc, confAuth)
	assert.Equal(t, http.StatusOK, third.Status, "faults are used up")

	reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.Len(t, reqs, 3)
	assert.Equal(t, []int{400, 429, 200}, []int{reqs[0].Status, reqs[1].Status, reqs[2].Status})
	assert.Equal(t, "client_credentials", reqs[0].Form.Get("grant_type"), "faulted requests are recorded with their form")
}

func TestInjectFaultDelayHonoursClientCancellation(t *testing.T) {
	srv := newServer(t)
	srv.InjectFault(oauth2flowstest.EndpointDiscovery, 1, oauth2flowstest.Fault{Delay: time.Minute, Status: 200})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL()+"/.well-known/openid-configuration", nil)
	_, err := srv.Client().Do(req)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded))
	// Close waits for the handler; a delay that ignored the client would hang here.
	srv.Close()
}

// A delayed fault whose client is still waiting must not hold Close (which
// waits for every handler) for the rest of the delay.
func TestCloseCutsShortAFaultDelay(t *testing.T) {
	srv := oauth2flowstest.NewServer()
	srv.InjectFault(oauth2flowstest.EndpointJWKS, 1, oauth2flowstest.Fault{Delay: time.Minute})
	sent := make(chan struct{})
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { close(sent) },
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL()+"/jwks", nil)
	require.NoError(t, err)
	go func() {
		if resp, err := srv.Client().Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-sent
	time.Sleep(50 * time.Millisecond) // let the handler start waiting

	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for the fault's delay")
	}
}

func TestInjectFaultDelayThenAnswers(t *testing.T) {
	srv := newServer(t)
	srv.InjectFault(oauth2flowstest.EndpointJWKS, 1, oauth2flowstest.Fault{Delay: 10 * time.Millisecond, Status: 503, Body: `{"error":"temporarily_unavailable"}`})
	got := do(t, srv, mustGet(t, srv.URL()+"/jwks"))
	assert.Equal(t, http.StatusServiceUnavailable, got.Status)
	assert.Equal(t, "temporarily_unavailable", got.str("error"))
}

func mustGet(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(t, err)
	return req
}
