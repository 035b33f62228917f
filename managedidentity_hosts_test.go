package oauth2flows_test

import (
	"cmp"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows"
)

// hostRecord is what a fake managed identity host saw.
type hostRecord struct {
	mu   sync.Mutex
	reqs []*http.Request
	form []string // bodies
}

func (h *hostRecord) add(r *http.Request) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	_ = r.ParseForm()
	h.reqs = append(h.reqs, r)
	h.form = append(h.form, r.PostForm.Encode())
	return len(h.reqs)
}

// writeMIToken answers as the hosts do: expires_on as a string of Unix
// seconds, which every host but App Service sends.
func writeMIToken(w http.ResponseWriter, extra string) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"access_token":"mi-token","token_type":"Bearer","expires_on":"%d","resource":"https://vault.azure.net"%s}`,
		time.Now().Add(time.Hour).Unix(), extra)
}

// arcChallenge answers a request without the key as Azure Arc does: 401
// naming the key file in dir. It reports whether it did.
func arcChallenge(w http.ResponseWriter, r *http.Request, dir string) bool {
	if r.Header.Get("Authorization") != "" {
		return false
	}
	w.Header().Set("WWW-Authenticate", "Basic realm="+filepath.Join(dir, "abc.key"))
	w.WriteHeader(http.StatusUnauthorized)
	return true
}

// The hosts the test server does not emulate, checked request by request
// against MSAL Go's apps/managedidentity (v1.10.1).
func TestManagedIdentityOtherHosts(t *testing.T) {
	arcDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(arcDir, "abc.key"), []byte("arc-secret"), 0o600))
	tests := []struct {
		name    string
		tls     bool
		env     func(url string) map[string]string
		mi      oauth2flows.ManagedIdentity
		handle  func(w http.ResponseWriter, r *http.Request, n int)
		check   func(t *testing.T, h *hostRecord)
		wantErr string
	}{{
		name: "AzureArcChallengeThenKey",
		env: func(u string) map[string]string {
			return map[string]string{"IDENTITY_ENDPOINT": u + "/metadata/identity/oauth2/token", "IMDS_ENDPOINT": u}
		},
		mi: oauth2flows.ManagedIdentity{ClientID: "cid"},
		handle: func(w http.ResponseWriter, r *http.Request, n int) {
			if !arcChallenge(w, r, arcDir) {
				writeMIToken(w, `,"client_id":"cid"`)
			}
		},
		check: func(t *testing.T, h *hostRecord) {
			require.Len(t, h.reqs, 2)
			for _, r := range h.reqs {
				assert.Equal(t, http.MethodGet, r.Method)
				assert.Equal(t, "true", r.Header.Get("Metadata"))
				assert.Equal(t, "2020-06-01", r.URL.Query().Get("api-version"))
				assert.Equal(t, "cid", r.URL.Query().Get("client_id"))
			}
			assert.Equal(t, "Basic arc-secret", h.reqs[1].Header.Get("Authorization"))
		},
	}, {
		name: "AzureArcRefusesAFileOutsideItsDirectory",
		env: func(u string) map[string]string {
			return map[string]string{"IDENTITY_ENDPOINT": u, "IMDS_ENDPOINT": u}
		},
		handle: func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("WWW-Authenticate", "Basic realm=/etc/shadow.key")
			w.WriteHeader(http.StatusUnauthorized)
		},
		check:   func(t *testing.T, h *hostRecord) { assert.Len(t, h.reqs, 1) },
		wantErr: "managed identity on AzureArc",
	}, {
		name: "AzureArcUserAssignedNotConfirmed",
		env: func(u string) map[string]string {
			return map[string]string{"IDENTITY_ENDPOINT": u, "IMDS_ENDPOINT": u}
		},
		mi: oauth2flows.ManagedIdentity{ResourceID: "/subscriptions/s/mi"},
		handle: func(w http.ResponseWriter, r *http.Request, n int) {
			if !arcChallenge(w, r, arcDir) {
				writeMIToken(w, "") // an old agent: the system-assigned identity's token
			}
		},
		check: func(t *testing.T, h *hostRecord) {
			assert.Equal(t, "/subscriptions/s/mi", h.reqs[1].URL.Query().Get("msi_res_id"))
		},
		wantErr: "did not confirm the user-assigned identity",
	}, {
		name: "AzureML",
		env: func(u string) map[string]string {
			return map[string]string{"MSI_ENDPOINT": u + "/msi/token", "MSI_SECRET": "ml-secret", "DEFAULT_IDENTITY_CLIENT_ID": "default-cid"}
		},
		handle: func(w http.ResponseWriter, r *http.Request, n int) { writeMIToken(w, "") },
		check: func(t *testing.T, h *hostRecord) {
			require.Len(t, h.reqs, 1)
			r := h.reqs[0]
			assert.Equal(t, http.MethodGet, r.Method)
			assert.Equal(t, "ml-secret", r.Header.Get("secret"))
			assert.Equal(t, "2017-09-01", r.URL.Query().Get("api-version"))
			assert.Equal(t, "default-cid", r.URL.Query().Get("clientid"))
			assert.Equal(t, "https://vault.azure.net", r.URL.Query().Get("resource"))
		},
	}, {
		name: "AzureMLRefusesObjectID",
		env: func(u string) map[string]string {
			return map[string]string{"MSI_ENDPOINT": u, "MSI_SECRET": "s"}
		},
		mi:      oauth2flows.ManagedIdentity{ObjectID: "oid"},
		check:   func(t *testing.T, h *hostRecord) { assert.Empty(t, h.reqs) },
		wantErr: "managed identity on AzureML: ManagedIdentity: a user-assigned identity on Azure ML is named by its client ID only",
	}, {
		name: "CloudShellPostsTheResource",
		env:  func(u string) map[string]string { return map[string]string{"MSI_ENDPOINT": u + "/oauth2/token"} },
		handle: func(w http.ResponseWriter, r *http.Request, n int) {
			writeMIToken(w, "")
		},
		check: func(t *testing.T, h *hostRecord) {
			require.Len(t, h.reqs, 1)
			assert.Equal(t, http.MethodPost, h.reqs[0].Method)
			assert.Equal(t, "true", h.reqs[0].Header.Get("Metadata"))
			assert.Equal(t, "resource=https%3A%2F%2Fvault.azure.net", h.form[0])
			assert.Empty(t, h.reqs[0].URL.RawQuery)
		},
	}, {
		name: "ServiceFabricPinsTheCertificate",
		tls:  true,
		env: func(u string) map[string]string {
			return map[string]string{"IDENTITY_ENDPOINT": u + "/metadata/identity/oauth2/token", "IDENTITY_HEADER": "sf-secret"}
		},
		handle: func(w http.ResponseWriter, r *http.Request, n int) { writeMIToken(w, "") },
		check: func(t *testing.T, h *hostRecord) {
			require.Len(t, h.reqs, 1)
			r := h.reqs[0]
			assert.Equal(t, "sf-secret", r.Header.Get("Secret"))
			assert.Equal(t, "application/json", r.Header.Get("Accept"))
			assert.Equal(t, "2019-07-01-preview", r.URL.Query().Get("api-version"))
		},
	}, {
		name: "ServiceFabricRefusesAnotherCertificate",
		tls:  true,
		env: func(u string) map[string]string {
			return map[string]string{"IDENTITY_ENDPOINT": u, "IDENTITY_HEADER": "sf-secret",
				"IDENTITY_SERVER_THUMBPRINT": "00112233445566778899aabbccddeeff00112233"}
		},
		handle:  func(w http.ResponseWriter, r *http.Request, n int) { writeMIToken(w, "") },
		check:   func(t *testing.T, h *hostRecord) { assert.Empty(t, h.reqs) },
		wantErr: "IDENTITY_SERVER_THUMBPRINT",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &hostRecord{}
			handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := h.add(r)
				if tt.handle != nil {
					tt.handle(w, r, n)
				}
			})
			var srv *httptest.Server
			if tt.tls {
				srv = httptest.NewTLSServer(handler)
			} else {
				srv = httptest.NewServer(handler)
			}
			defer srv.Close()
			env := tt.env(srv.URL)
			if tt.tls {
				env["IDENTITY_SERVER_THUMBPRINT"] = cmp.Or(env["IDENTITY_SERVER_THUMBPRINT"], thumbprint(srv))
			}
			mi := oauth2flows.WithPlatform(oauth2flows.WithFastRetries(tt.mi), env, arcDir)
			tok, err := oauth2flows.ManagedIdentitySource(mi, "https://vault.azure.net").Token(context.Background())
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "secret")
			} else {
				require.NoError(t, err)
				assert.Equal(t, "mi-token", tok.AccessToken)
			}
			tt.check(t, h)
		})
	}
}

// thumbprint is the SHA-1 thumbprint Service Fabric publishes for its
// endpoint's certificate.
func thumbprint(srv *httptest.Server) string {
	sum := sha1.Sum(srv.Certificate().Raw)
	return hex.EncodeToString(sum[:])
}
