package oauth2flows_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// logBuffer is a JSON slog handler's output, safe for concurrent writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records returns the JSON log records written so far.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		out = append(out, rec)
	}
	return out
}

func newTestLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

func TestLoggerRecordsOneLinePerAttempt(t *testing.T) {
	srv := grantServer(t)
	cfg := confidential(srv)
	cfg.Retry = fastRetry(3)
	logger, out := newTestLogger()
	cfg.Logger = logger
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusServiceUnavailable})

	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	require.NoError(t, err)

	recs := out.records(t)
	require.Len(t, recs, 2)
	for i, rec := range recs {
		assert.Equal(t, srv.Endpoint().TokenURL, rec["endpoint"])
		assert.Equal(t, "token", rec["kind"])
		assert.Equal(t, oauth2flows.GrantTypeClientCredentials, rec["grant"])
		assert.Equal(t, float64(i+1), rec["attempt"])
		assert.Contains(t, rec, "duration")
		assert.True(t, strings.HasPrefix(rec["msg"].(string), "oauth2flows: "))
	}
	assert.Equal(t, float64(http.StatusServiceUnavailable), recs[0]["status"])
	assert.Equal(t, "INFO", recs[0]["level"], "a failed attempt is worth seeing")
	assert.Equal(t, float64(http.StatusOK), recs[1]["status"])
	assert.Equal(t, "DEBUG", recs[1]["level"])
}

func TestLoggerRecordsTransportFailures(t *testing.T) {
	srv, _ := droppingTokenServer(t, 1)
	logger, out := newTestLogger()
	cfg := &oauth2flows.Config{
		ClientID: "c", ClientSecret: "s3cret-value",
		Endpoint: oauth2flows.Endpoint{TokenURL: srv.URL + "/token"},
		Retry:    fastRetry(1),
		Logger:   logger,
	}
	_, err := oauth2flows.Refresh(context.Background(), cfg, "rt-one-time-value")
	require.Error(t, err)

	recs := out.records(t)
	require.Len(t, recs, 1)
	assert.Equal(t, "WARN", recs[0]["level"])
	assert.Equal(t, oauth2flows.GrantTypeRefreshToken, recs[0]["grant"])
	assert.NotContains(t, recs[0], "status")
	assert.NotEmpty(t, recs[0]["error"])
	assert.NotContains(t, out.String(), "rt-one-time-value")
	assert.NotContains(t, out.String(), "s3cret-value")
}

// TestLoggerNeverRecordsACredential runs every grant, successes and
// failures, through one logger, then looks in its output for every
// credential that crossed the wire.
func TestLoggerNeverRecordsACredential(t *testing.T) {
	const querySecret = "qu3ry-s3cret-value"
	srv := grantServer(t)
	lw := watchLeaks(t, srv)
	logger, out := newTestLogger()
	cfg := confidential(srv)
	cfg.Logger = logger
	cfg.Endpoint.TokenURL += "?api-key=" + querySecret // a query may carry anything
	ctx := context.Background()

	code, verifier := codeFor(t, srv, cfg)
	tok, err := oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
	require.NoError(t, err)
	_, err = oauth2flows.ExchangeCode(ctx, cfg, code, oauth2flows.WithPKCE(verifier))
	require.Error(t, lw.err(err), "a code is good once")

	pw := passwordToken(t, cfg, lw)
	refreshed, err := oauth2flows.Refresh(ctx, cfg, pw.RefreshToken)
	require.NoError(t, lw.err(err))
	_, err = oauth2flows.Refresh(ctx, cfg, pw.RefreshToken)
	require.Error(t, lw.err(err), "a rotated refresh token is refused")

	incoming := srv.IssueAccessToken(gUser, "api://"+gClientID, "read")
	obo, err := oauth2flows.OnBehalfOf(ctx, cfg, incoming, oauth2flows.WithScopes("api://downstream/.default"))
	require.NoError(t, lw.err(err))
	tx, err := oauth2flows.TokenExchange(ctx, cfg, incoming, oauth2flows.WithAudience("api://downstream"))
	require.NoError(t, lw.err(err))

	jwtCfg := *cfg
	jwtCfg.AuthMethod = oauth2flows.ClientSecretJWT
	jwtCfg.Endpoint.TokenURL = srv.Endpoint().TokenURL // the assertion's aud is the URL posted to, query included
	cc, err := oauth2flows.ClientCredentials(ctx, &jwtCfg)
	require.NoError(t, lw.err(err))

	require.NoError(t, lw.err(oauth2flows.Revoke(ctx, cfg, refreshed.RefreshToken, oauth2flows.WithTokenTypeHint("refresh_token"))))
	srv.InjectFault(oauth2flowstest.EndpointToken, 1, oauth2flowstest.Fault{Status: http.StatusBadRequest, Body: `{"error":"invalid_grant","error_description":"bad ` + code + `"}`})
	_, err = oauth2flows.ExchangeCode(ctx, cfg, code)
	require.Error(t, lw.err(err))

	secrets := []string{gSecret, gPassword, querySecret, code, verifier, incoming}
	for _, tk := range []*oauth2flows.Token{tok, pw, refreshed, obo, tx, cc} {
		secrets = append(secrets, tk.AccessToken, tk.RefreshToken, tk.IDToken)
	}
	for _, r := range srv.Requests() {
		for _, f := range sensitiveWire {
			secrets = append(secrets, r.Form[f]...)
		}
		if a := r.Header.Get("Authorization"); a != "" {
			secrets = append(secrets, strings.TrimPrefix(a, "Basic "))
		}
	}
	logged := out.String()
	require.GreaterOrEqual(t, len(out.records(t)), 10)
	for _, s := range secrets {
		if len(s) >= 6 {
			assert.NotContains(t, logged, s)
		}
	}
}
