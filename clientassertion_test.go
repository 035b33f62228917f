package oauth2flows_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/oauth2flowstest"
)

// federatedServer trusts iss's tokens for subject gFedSubject as the
// client gFedID's credential, as Entra does with a federated credential.
func federatedServer(t *testing.T, iss *outsideIssuer) *oauth2flowstest.Server {
	t.Helper()
	return grantServer(t,
		oauth2flowstest.WithClient(oauth2flowstest.Client{ID: gFedID}),
		oauth2flowstest.WithFederatedCredential(gFedID, oauth2flowstest.FederatedCredential{
			Issuer: gIssuer, Subject: gFedSubject, Audience: gFedAud, PublicKey: &iss.key.PublicKey,
		}))
}

func TestClientAssertionIsAskedAfreshForEveryRequest(t *testing.T) {
	iss := newOutsideIssuer(t)
	srv := federatedServer(t, iss)
	leaks := watchLeaks(t, srv)
	var handed []string
	cfg := &oauth2flows.Config{
		ClientID: gFedID,
		Endpoint: srv.Endpoint(),
		ClientAssertion: func(context.Context) (string, error) {
			a := iss.mint(t, gFedSubject, gFedAud, nil)
			handed = append(handed, a)
			return a, nil
		},
	}
	for range 2 {
		tok, err := oauth2flows.ClientCredentials(context.Background(), cfg, oauth2flows.WithScopes("read"))
		require.NoError(t, leaks.err(err))
		assert.NotEmpty(t, tok.AccessToken)
	}
	reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.Len(t, reqs, 2)
	require.Len(t, handed, 2)
	for i, r := range reqs {
		assert.Equal(t, handed[i], r.Form.Get("client_assertion"))
		assert.Equal(t, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", r.Form.Get("client_assertion_type"))
		assert.Equal(t, gFedID, r.Form.Get("client_id"))
		assert.Equal(t, "private_key_jwt", r.AuthMethod)
		assert.Equal(t, gFedID, r.ClientID)
		assert.Empty(t, r.Header.Get("Authorization"))
	}
}

func TestClientAssertionRefusals(t *testing.T) {
	iss := newOutsideIssuer(t)
	srv := federatedServer(t, iss)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	cause := errors.New("token file unreadable")
	good := func(context.Context) (string, error) { return iss.mint(t, gFedSubject, gFedAud, nil), nil }
	tests := []struct {
		name      string
		cfg       oauth2flows.Config
		wantField string // *ConfigError
		wantIs    error  // *AssertionError
		wantCode  string // *Error from the server
	}{
		{"AuthAuto with a secret too", oauth2flows.Config{ClientSecret: gSecret, ClientAssertion: good}, "Config.AuthMethod", nil, ""},
		{"AuthAuto with a key too", oauth2flows.Config{PrivateKey: key, ClientAssertion: good}, "Config.AuthMethod", nil, ""},
		{"PrivateKeyJWT with a key too", oauth2flows.Config{AuthMethod: oauth2flows.PrivateKeyJWT, PrivateKey: key, ClientAssertion: good}, "Config.ClientAssertion", nil, ""},
		{"a method that sends no assertion", oauth2flows.Config{AuthMethod: oauth2flows.ClientSecretPost, ClientSecret: gSecret, ClientAssertion: good}, "Config.ClientAssertion", nil, ""},
		{"the callback fails", oauth2flows.Config{ClientAssertion: func(context.Context) (string, error) { return "", cause }}, "", cause, ""},
		{"the callback returns nothing", oauth2flows.Config{ClientAssertion: func(context.Context) (string, error) { return "", nil }}, "", nil, ""},
		{"the server refuses the subject", oauth2flows.Config{ClientAssertion: func(context.Context) (string, error) {
			return iss.mint(t, "system:serviceaccount:prod:other", gFedAud, nil), nil
		}}, "", nil, "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetRequests()
			leaks := watchLeaks(t, srv)
			cfg := tt.cfg
			cfg.ClientID, cfg.Endpoint = gFedID, srv.Endpoint()
			_, err := oauth2flows.ClientCredentials(context.Background(), &cfg)
			leaks.err(err)
			switch {
			case tt.wantField != "":
				var ce *oauth2flows.ConfigError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, "ClientCredentials", ce.Op)
				assert.Equal(t, tt.wantField, ce.Field)
				assert.Empty(t, srv.Requests())
			case tt.wantCode != "":
				var e *oauth2flows.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, tt.wantCode, e.Code)
			default:
				var ae *oauth2flows.AssertionError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, "ClientCredentials", ae.Op)
				assert.Equal(t, "Config.ClientAssertion", ae.Field)
				if tt.wantIs != nil {
					assert.ErrorIs(t, err, tt.wantIs)
				}
				assert.Empty(t, srv.Requests())
			}
		})
	}
}

// A projected token rotated under a running workload: the next request
// sends the new one.
func TestAssertionFromFileFollowsTheFile(t *testing.T) {
	iss := newOutsideIssuer(t)
	srv := federatedServer(t, iss)
	path := filepath.Join(t.TempDir(), "azure-identity-token")
	first := iss.mint(t, gFedSubject, gFedAud, nil)
	require.NoError(t, os.WriteFile(path, []byte(first+"\n"), 0o600))
	cfg := &oauth2flows.Config{ClientID: gFedID, Endpoint: srv.Endpoint(),
		ClientAssertion: oauth2flows.AssertionFromFileEvery(path, 0)}

	_, err := oauth2flows.ClientCredentials(context.Background(), cfg)
	require.NoError(t, err)
	// The kubelet writes a new token: another size, and a later mtime.
	second := iss.mint(t, gFedSubject, gFedAud, jwt.MapClaims{"kubernetes.io": map[string]any{"namespace": "prod"}})
	require.NoError(t, os.WriteFile(path, []byte(second), 0o600))
	require.NoError(t, os.Chtimes(path, time.Now().Add(time.Second), time.Now().Add(time.Second)))
	_, err = oauth2flows.ClientCredentials(context.Background(), cfg)
	require.NoError(t, err)

	reqs := srv.RequestsTo(oauth2flowstest.EndpointToken)
	require.Len(t, reqs, 2)
	assert.Equal(t, first, reqs[0].Form.Get("client_assertion"), "trailing newline trimmed")
	assert.Equal(t, second, reqs[1].Form.Get("client_assertion"))
}

func TestAssertionFromFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	tests := []struct {
		name    string
		path    string
		want    string
		wantErr string
	}{
		{"token", write("ok", "  header.payload.sig\n"), "header.payload.sig", ""},
		{"missing", filepath.Join(dir, "absent"), "", "no such file"},
		{"empty", write("empty", "\n"), "", "file is empty"},
		{"too large", write("large", strings.Repeat("a", 65<<10)), "", "exceeds 64 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := oauth2flows.AssertionFromFile(tt.path)(context.Background())
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			var ae *oauth2flows.AssertionError
			require.ErrorAs(t, err, &ae)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), tt.path)
		})
	}
}

// Within the minimum re-check interval the file is not looked at again.
func TestAssertionFromFileHoldsTheValueBetweenLooks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(path, []byte("first.token.value"), 0o600))
	get := oauth2flows.AssertionFromFileEvery(path, time.Hour)
	a, err := get(context.Background())
	require.NoError(t, err)
	require.NoError(t, os.Remove(path))
	b, err := get(context.Background())
	require.NoError(t, err)
	assert.Equal(t, a, b)
}
