package redisstore

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// FuzzOpen feeds open what a writer to Redis could plant: it never panics,
// and every failure is a *ValueError.
func FuzzOpen(f *testing.F) {
	k, err := newSealKey(make([]byte, 32))
	require.NoError(f, err)
	const rk = "oauth2flows:{name}:t"
	sealed, err := seal(k, rk, testToken("at", "rt", time.Unix(1e9, 0)))
	require.NoError(f, err)
	plain, err := seal(nil, rk, testToken("at", "rt", time.Time{}))
	require.NoError(f, err)
	f.Add(sealed)
	f.Add(plain)
	f.Add([]byte{})
	f.Add([]byte{formatSealed})
	f.Add(append([]byte{formatPlain}, `{"access_token":1}`...))
	f.Fuzz(func(t *testing.T, v []byte) {
		for _, key := range []*sealKey{k, nil} {
			tok, err := open(key, rk, append([]byte(nil), v...))
			if err != nil {
				var ve *ValueError
				if !errors.As(err, &ve) || tok != nil {
					t.Fatalf("open: %T %v", err, err)
				}
			}
		}
	})
}
