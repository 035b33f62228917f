package interop

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Keys are generated once per test binary, at test time (never committed):
// RSA generation is slow under -race and every server needs the same few keys.
var (
	rsaKeys = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
	rsaKey2 = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
	ecKeys  = sync.OnceValues(func() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) })
)

// clientRSAKey is the RSA key of private_key_jwt clients.
func clientRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsaKeys()
	require.NoError(t, err)
	return k
}

// serverRSAKey signs what the servers sign (ID tokens, upstream assertions).
func serverRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsaKey2()
	require.NoError(t, err)
	return k
}

// clientECKey is the P-256 key of private_key_jwt clients.
func clientECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecKeys()
	require.NoError(t, err)
	return k
}
