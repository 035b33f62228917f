package interop

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/oauth2flows/oauth2flows"
	"github.com/oauth2flows/oauth2flows/resource"
)

// rotatingStorage is zitadel's example storage with a signing key the test
// can rotate, and JWT access tokens (RFC 9068 profile as zitadel issues
// it) for the client-credentials service user.
type rotatingStorage struct {
	*storage.Storage

	mu        sync.Mutex
	signing   zitadelKey
	published []zitadelKey
}

// zitadelKey is an RS256 key: op.SigningKey for signing, op.Key for /keys.
type zitadelKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k zitadelKey) ID() string                                  { return k.id }
func (k zitadelKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k zitadelKey) Algorithm() jose.SignatureAlgorithm          { return jose.RS256 }
func (k zitadelKey) Use() string                                 { return "sig" }

// signingKey is the private half, publicKey the published half.
type signingKey struct{ zitadelKey }

func (k signingKey) Key() any { return k.key }

type publicKey struct{ zitadelKey }

func (k publicKey) Key() any { return &k.key.PublicKey }

// SigningKey implements op.Storage: the current key.
func (s *rotatingStorage) SigningKey(context.Context) (op.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return signingKey{s.signing}, nil
}

// SignatureAlgorithms implements op.Storage.
func (s *rotatingStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet implements op.Storage: the published keys, served at /keys.
func (s *rotatingStorage) KeySet(context.Context) ([]op.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]op.Key, 0, len(s.published))
	for _, k := range s.published {
		keys = append(keys, publicKey{k})
	}
	return keys, nil
}

// rotate signs with next from now on and publishes published.
func (s *rotatingStorage) rotate(next zitadelKey, published ...zitadelKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signing, s.published = next, published
}

// jwtAccessClient makes zitadel issue JWT access tokens to a client.
type jwtAccessClient struct{ op.Client }

func (jwtAccessClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }

// ClientCredentials implements op.ClientCredentialsStorage: the example's
// service users, with JWT access tokens.
func (s *rotatingStorage) ClientCredentials(ctx context.Context, clientID, secret string) (op.Client, error) {
	c, err := s.Storage.ClientCredentials(ctx, clientID, secret)
	if err != nil {
		return nil, err
	}
	return jwtAccessClient{c}, nil
}

// zitadelJWTServer starts zitadel's op.Provider issuing JWT access tokens
// signed with key1, and counts the requests to its key set.
func zitadelJWTServer(t *testing.T, key1 zitadelKey) (issuer string, st *rotatingStorage, keyHits *atomic.Int64) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuer = "http://" + srv.Listener.Addr().String()
	st = &rotatingStorage{
		Storage: storage.NewStorageWithClients(storage.NewUserStore(issuer), map[string]*storage.Client{}),
		signing: key1, published: []zitadelKey{key1},
	}
	provider, err := op.NewProvider(&op.Config{CryptoKey: sha256.Sum256([]byte("interop-validator"))},
		st, op.StaticIssuer(issuer), op.WithAllowInsecure())
	require.NoError(t, err)
	keyHits = &atomic.Int64{}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/keys" {
			keyHits.Add(1)
		}
		provider.ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return issuer, st, keyHits
}

// TestValidatorAcceptsZitadelJWTAccessTokensAcrossKeyRotation validates
// zitadel's JWT access tokens with the keys of its discovery document,
// while zitadel rotates its signing key mid-test.
func TestValidatorAcceptsZitadelJWTAccessTokensAcrossKeyRotation(t *testing.T) {
	keyA := zitadelKey{id: "zitadel-a", key: serverRSAKey(t)}
	keyB := zitadelKey{id: "zitadel-b", key: newRSA(t)}
	issuer, st, keyHits := zitadelJWTServer(t, keyA)
	ctx := context.Background()

	md, err := oauth2flows.Discover(ctx, issuer)
	require.NoError(t, err)
	require.Equal(t, issuer+"/keys", md.JWKSURI)
	cfg := &oauth2flows.Config{ClientID: zitadelService, ClientSecret: zitadelServiceSecret, Endpoint: md.Endpoint()}
	token := func() string {
		t.Helper()
		tok, err := oauth2flows.ClientCredentials(ctx, cfg)
		require.NoError(t, err)
		require.Equal(t, 2, strings.Count(tok.AccessToken, "."), "zitadel issued an opaque token")
		return tok.AccessToken
	}

	v, err := resource.NewValidator(ctx, resource.Config{
		Issuer:    issuer,
		Audiences: []string{zitadelService}, // zitadel's client-credentials audience is the client itself
		// Within the test a rotation is seen at once; the default minute
		// would make the test wait.
		KeyRefetchInterval: time.Millisecond,
	})
	require.NoError(t, err, "discovery and key set")
	assert.EqualValues(t, 1, keyHits.Load())

	tokA := token()
	hdr, err := base64.RawURLEncoding.DecodeString(strings.Split(tokA, ".")[0])
	require.NoError(t, err)
	assert.JSONEq(t, `{"alg":"RS256","kid":"zitadel-a","typ":"JWT"}`, string(hdr), "zitadel's typ is JWT, not at+jwt")
	p, err := v.Validate(ctx, tokA)
	require.NoError(t, err)
	assert.Equal(t, issuer, p.Issuer)
	assert.Equal(t, zitadelService, p.Subject)
	assert.Equal(t, zitadelService, p.ClientID)
	assert.Equal(t, []string{zitadelService}, p.Audience)
	assert.WithinDuration(t, time.Now().Add(5*time.Minute), p.Expiry, 5*time.Minute)
	assert.EqualValues(t, 1, keyHits.Load(), "the key is cached")

	// zitadel rotates: key B signs, both are published.
	st.rotate(keyB, keyA, keyB)
	time.Sleep(5 * time.Millisecond) // past KeyRefetchInterval
	tokB := token()
	p, err = v.Validate(ctx, tokB)
	require.NoError(t, err, "a token of the new key validates without a restart")
	assert.Equal(t, zitadelService, p.Subject)
	assert.EqualValues(t, 2, keyHits.Load(), "one refetch for the new kid")
	_, err = v.Validate(ctx, tokA)
	require.NoError(t, err, "the old key is still published")

	// zitadel retires key A: a validator made now refuses A's tokens.
	st.rotate(keyB, keyB)
	v2, err := resource.NewValidator(ctx, resource.Config{Issuer: issuer, Audiences: []string{zitadelService}})
	require.NoError(t, err)
	_, err = v2.Validate(ctx, tokB)
	require.NoError(t, err)
	_, err = v2.Validate(ctx, tokA)
	var ve *resource.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, resource.ReasonUnknownKey, ve.Reason)

	// The same token, for an API that is not its audience, is refused.
	v3, err := resource.NewValidator(ctx, resource.Config{Issuer: issuer, Audiences: []string{"another-api"}})
	require.NoError(t, err)
	_, err = v3.Validate(ctx, tokB)
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, resource.ReasonAudience, ve.Reason)
	assert.NotContains(t, err.Error(), tokB)
}

// newRSA makes a fresh 2048-bit key at test time.
func newRSA(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return k
}
