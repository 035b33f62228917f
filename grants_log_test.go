package oauth2flows_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// The new credentials of issue 14 never reach a log line: the device code,
// a client assertion from Config.ClientAssertion, a jwt-bearer assertion.
func TestNewGrantsLogNoCredential(t *testing.T) {
	iss := newOutsideIssuer(t)
	clock := &pollFakeClock{t: time.Now()}
	srv := grantServer(t, oauth2flowstest.WithClock(clock.now),
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: gFedID}),
		oauth2flowstest.WithFederatedCredential(gFedID, oauth2flowstest.FederatedCredential{
			Issuer: gIssuer, Subject: gFedSubject, Audience: gFedAud, PublicKey: &iss.key.PublicKey}),
		oauth2flowstest.WithTrustedIssuer(oauth2flowstest.TrustedIssuer{Issuer: gIssuer, PublicKey: &iss.key.PublicKey}))
	var sink syncBuffer
	logger := slog.New(slog.NewTextHandler(&sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	var secrets []string

	// Device: one pending poll, the code approved at the second.
	cfg := confidential(srv)
	cfg.Logger = logger
	da, err := oauth2flows.DeviceAuth(ctx, cfg)
	require.NoError(t, err)
	secrets = append(secrets, da.DeviceCode)
	da.Expiry = time.Time{} // dated by the real clock; the server's expiry applies
	clock.onWait = func(n int) {
		if n == 1 {
			require.NoError(t, srv.ApproveDevice(da.UserCode, gUser))
		}
	}
	_, err = oauth2flows.DeviceAccessToken(oauth2flows.WithPollClock(ctx, clock.now, clock.wait), cfg, da)
	require.NoError(t, err)

	// Client assertion and jwt-bearer assertion.
	fed := &oauth2flows.Config{ClientID: gFedID, Endpoint: srv.Endpoint(), Logger: logger, Scopes: []string{"read"},
		ClientAssertion: func(context.Context) (string, error) {
			a := iss.mint(t, gFedSubject, gFedAud, nil)
			secrets = append(secrets, a)
			return a, nil
		}}
	_, err = oauth2flows.ClientCredentials(ctx, fed)
	require.NoError(t, err)
	a := iss.mint(t, "svc@example", srv.Endpoint().TokenURL, nil)
	secrets = append(secrets, a)
	_, err = oauth2flows.JWTBearer(ctx, &oauth2flows.Config{Endpoint: srv.Endpoint(), Logger: logger, Scopes: []string{"read"}}, a)
	require.NoError(t, err)

	out := sink.String()
	assert.Contains(t, out, oauth2flows.GrantTypeDeviceCode, "the poll is logged")
	assert.Contains(t, out, "device_authorization")
	for _, s := range secrets {
		assert.NotContains(t, out, s)
	}
}
