package interop

import (
	"context"
	"crypto"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/oauth2flows/oauth2flows"
)

// Credentials registered in every zitadel server.
const (
	zitadelRedirectURL = "http://127.0.0.1/callback"
	zitadelClient      = "web" // storage.WebClient: client_secret_basic, code, refresh, token exchange
	zitadelSecret      = "web-secret"
	// zitadelDeviceClient is storage.DeviceClient: the device grant only,
	// client_secret_basic with zitadelSecret.
	zitadelDeviceClient = "device"

	// zitadelUser is the example user store's "id2", who has no impersonation
	// right: token exchange for it needs an actor token.
	zitadelUser     = "test-user2"
	zitadelUserID   = "id2"
	zitadelPassword = "verysecure"

	// zitadelService is the example storage's client-credentials service
	// user; its token serves as actor token.
	zitadelService       = "sid1"
	zitadelServiceSecret = "verysecret"

	// zitadelJWTClient authenticates with private_key_jwt (clientRSAKey).
	zitadelJWTClient = "jwt-client"
	zitadelJWTKeyID  = "zitadel-rsa-1"
)

// zitadelEnv is a zitadel/oidc op.Provider on loopback.
type zitadelEnv struct {
	URL      string
	Endpoint oauth2flows.Endpoint
	Storage  *zitadelStorage
	Wire     *wire
}

// zitadelStorage is the zitadel example storage, recording the token
// exchange requests as the server parsed them.
type zitadelStorage struct {
	*storage.Storage

	jwtClientKey crypto.PublicKey

	mu        sync.Mutex
	exchanges []op.TokenExchangeRequest
}

// ValidateTokenExchangeRequest records the request, then lets the example
// storage decide.
func (s *zitadelStorage) ValidateTokenExchangeRequest(ctx context.Context, req op.TokenExchangeRequest) error {
	s.mu.Lock()
	s.exchanges = append(s.exchanges, req)
	s.mu.Unlock()
	return s.Storage.ValidateTokenExchangeRequest(ctx, req)
}

// jwtClient is a web client that authenticates with private_key_jwt.
type jwtClient struct{ *storage.Client }

// AuthMethod implements op.Client.
func (jwtClient) AuthMethod() oidc.AuthMethod { return oidc.AuthMethodPrivateKeyJWT }

// GetClientByClientID adds zitadelJWTClient to the example's clients.
func (s *zitadelStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	if id == zitadelJWTClient {
		return jwtClient{storage.WebClient(zitadelJWTClient, "", zitadelRedirectURL)}, nil
	}
	return s.Storage.GetClientByClientID(ctx, id)
}

// GetKeyByIDAndClientID serves zitadelJWTClient's public key for its client
// assertions.
func (s *zitadelStorage) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	if clientID == zitadelJWTClient && keyID == zitadelJWTKeyID {
		return &jose.JSONWebKey{Key: s.jwtClientKey, KeyID: keyID, Algorithm: "RS256", Use: "sig"}, nil
	}
	return s.Storage.GetKeyByIDAndClientID(ctx, keyID, clientID)
}

// lastExchange returns the last token exchange request the server parsed.
func (s *zitadelStorage) lastExchange(t testing.TB) op.TokenExchangeRequest {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	require.NotEmpty(t, s.exchanges, "the server parsed no token exchange request")
	return s.exchanges[len(s.exchanges)-1]
}

// zitadelServer starts zitadel/oidc's op.Provider with its example in-memory
// storage on 127.0.0.1. Its login page is replaced by a handler that signs
// in zitadelUser at once and returns to the provider's callback.
func zitadelServer(t testing.TB) *zitadelEnv {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	clients := map[string]*storage.Client{
		zitadelClient:       storage.WebClient(zitadelClient, zitadelSecret, zitadelRedirectURL),
		zitadelDeviceClient: storage.DeviceClient(zitadelDeviceClient, zitadelSecret),
	}
	st := &zitadelStorage{
		Storage:      storage.NewStorageWithClients(storage.NewUserStore(issuer), clients),
		jwtClientKey: clientRSAKey(t).Public(),
	}
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:               sha256.Sum256([]byte("interop")),
		CodeMethodS256:          true,
		AuthMethodPost:          true,
		AuthMethodPrivateKeyJWT: true,
		GrantTypeRefreshToken:   true,
		// RFC 8628; 1 s so the SDK's device test polls fast.
		DeviceAuthorization: op.DeviceAuthorizationConfig{Lifetime: 5 * time.Minute, PollInterval: time.Second,
			UserFormPath: "/device", UserCode: op.UserCodeBase20},
	}, st, op.StaticIssuer(issuer), op.WithAllowInsecure())
	require.NoError(t, err)

	mux := http.NewServeMux()
	// The example client's login URL; a real login page would ask here.
	mux.HandleFunc("/login/username", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("authRequestID")
		if err := st.CheckUsernamePassword(zitadelUser, zitadelPassword, id); err != nil {
			http.Error(w, "login failed", http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, op.AuthCallbackURL(provider)(op.ContextWithIssuer(r.Context(), issuer), id), http.StatusFound)
	})
	mux.Handle("/", provider)
	w := &wire{}
	srv.Config.Handler = w.record(mux)
	srv.Start()
	t.Cleanup(srv.Close)
	return &zitadelEnv{
		URL:     issuer,
		Storage: st,
		Wire:    w,
		Endpoint: oauth2flows.Endpoint{
			Issuer:           issuer,
			AuthURL:          provider.AuthorizationEndpoint().Absolute(issuer),
			TokenURL:         provider.TokenEndpoint().Absolute(issuer),
			RevocationURL:    provider.RevocationEndpoint().Absolute(issuer),
			IntrospectionURL: provider.IntrospectionEndpoint().Absolute(issuer),
			DeviceAuthURL:    provider.DeviceAuthorizationEndpoint().Absolute(issuer),
		},
	}
}
