package jws_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/internal/jws"
)

// kmsKey exposes only Public and Sign, as a cloud KMS or HSM signer does:
// nothing may reach the private key any other way.
type kmsKey struct{ inner crypto.Signer }

func (k kmsKey) Public() crypto.PublicKey { return k.inner.Public() }
func (k kmsKey) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return k.inner.Sign(r, d, o)
}

// badSigner returns a fixed signature or error, as a broken KMS would.
type badSigner struct {
	pub crypto.PublicKey
	sig []byte
	err error
}

func (b badSigner) Public() crypto.PublicKey { return b.pub }
func (b badSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return b.sig, b.err
}

func keys(t testing.TB) (ec, ec384 *ecdsa.PrivateKey, rsaKey *rsa.PrivateKey, ed ed25519.PrivateKey) {
	t.Helper()
	var err error
	ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ec384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	rsaKey, err = rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	_, ed, err = ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return ec, ec384, rsaKey, ed
}

func TestChooseAlg(t *testing.T) {
	ec, ec384, rsaKey, ed := keys(t)
	tests := []struct {
		name    string
		key     crypto.Signer
		want    string
		alg     string
		wantErr error
	}{
		{"rsa default", rsaKey, "", jws.RS256, nil},
		{"rsa RS256", rsaKey, "RS256", jws.RS256, nil},
		{"rsa PS256", rsaKey, "PS256", jws.PS256, nil},
		{"rsa ES256", rsaKey, "ES256", "", jws.ErrAlgMismatch},
		{"ec default", ec, "", jws.ES256, nil},
		{"ec through kms", kmsKey{ec}, "", jws.ES256, nil},
		{"ec RS256", ec, "RS256", "", jws.ErrAlgMismatch},
		{"ec none", ec, "none", "", jws.ErrAlgMismatch},
		{"ec P-384", ec384, "", "", jws.ErrCurve},
		{"ed25519", ed, "", "", jws.ErrKeyType},
		{"nil", nil, "", "", jws.ErrKeyType},
		{"typed nil ECDSA", (*ecdsa.PrivateKey)(nil), "", "", jws.ErrKeyType},
		{"typed nil RSA", (*rsa.PrivateKey)(nil), "", "", jws.ErrKeyType},
		{"signer with nil public key", badSigner{pub: (*ecdsa.PublicKey)(nil)}, "", "", jws.ErrKeyType},
		{"signer with empty RSA public key", badSigner{pub: &rsa.PublicKey{}}, "", "", jws.ErrKeyType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alg, err := jws.ChooseAlg(tt.key, tt.want)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.alg, alg)
		})
	}
}

// TestSignVerifiesWithGolangJWT signs a compact JWS through a KMS-like
// signer and checks it with golang-jwt, using the public key rebuilt from
// PublicJWK: the signature and the JWK must both be right.
func TestSignVerifiesWithGolangJWT(t *testing.T) {
	ec, _, rsaKey, _ := keys(t)
	for _, tt := range []struct {
		key crypto.Signer
		alg string
	}{{ec, jws.ES256}, {rsaKey, jws.RS256}, {rsaKey, jws.PS256}} {
		t.Run(tt.alg, func(t *testing.T) {
			enc := base64.RawURLEncoding
			input := enc.EncodeToString([]byte(`{"alg":"`+tt.alg+`","typ":"JWT"}`)) + "." +
				enc.EncodeToString([]byte(`{"sub":"me"}`))
			key := kmsKey{tt.key}
			sig, err := jws.Sign(key, tt.alg, []byte(input))
			require.NoError(t, err)
			appended, err := jws.AppendSignature([]byte(input+"."), key, tt.alg, []byte(input))
			require.NoError(t, err)

			jwk, err := jws.PublicJWK(key.Public())
			require.NoError(t, err)
			pub := pubFromJWK(t, jwk)
			for _, compact := range []string{input + "." + enc.EncodeToString(sig), string(appended)} {
				tok, err := jwt.Parse(compact, func(*jwt.Token) (any, error) { return pub, nil },
					jwt.WithValidMethods([]string{tt.alg}))
				require.NoError(t, err)
				assert.True(t, tok.Valid)
			}
			if tt.alg == jws.ES256 {
				assert.Len(t, sig, 64)
			}
		})
	}
}

// pubFromJWK rebuilds a public key from a JWK by hand (the test's own,
// independent reading of RFC 7518 §6).
func pubFromJWK(t *testing.T, jwk []byte) crypto.PublicKey {
	t.Helper()
	var m map[string]string
	require.NoError(t, json.Unmarshal(jwk, &m))
	b := func(k string) []byte {
		v, err := base64.RawURLEncoding.DecodeString(m[k])
		require.NoError(t, err, k)
		return v
	}
	switch m["kty"] {
	case "EC":
		require.Equal(t, "P-256", m["crv"])
		require.Len(t, m, 4)
		pt := append(append([]byte{4}, b("x")...), b("y")...)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pt)
		require.NoError(t, err)
		return pub
	case "RSA":
		require.Len(t, m, 3)
		return &rsa.PublicKey{N: new(big.Int).SetBytes(b("n")), E: int(new(big.Int).SetBytes(b("e")).Int64())}
	}
	t.Fatalf("unexpected kty in %s", jwk)
	return nil
}

func TestSignErrors(t *testing.T) {
	ec, _, _, _ := keys(t)
	kmsFailure := errors.New("kms: throttled")
	tests := []struct {
		name    string
		key     crypto.Signer
		alg     string
		wantErr error
	}{
		{"signer error is wrapped", badSigner{pub: ec.Public(), err: kmsFailure}, jws.ES256, kmsFailure},
		{"signer error", badSigner{pub: ec.Public(), err: kmsFailure}, jws.ES256, jws.ErrSign},
		{"raw signature instead of DER", badSigner{pub: ec.Public(), sig: make([]byte, 64)}, jws.ES256, jws.ErrMalformedSignature},
		{"empty signature", badSigner{pub: ec.Public()}, jws.ES256, jws.ErrMalformedSignature},
		{"unknown alg", ec, "HS256", jws.ErrAlgMismatch},
		{"none", ec, "none", jws.ErrAlgMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jws.Sign(tt.key, tt.alg, []byte("a.b"))
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestES256Raw(t *testing.T) {
	ones := strings.Repeat("\x01", 32)
	high := "\x00\x80" + strings.Repeat("\x01", 31)
	seq := func(ints ...string) []byte {
		var body []byte
		for _, v := range ints {
			body = append(body, 0x02, byte(len(v)))
			body = append(body, v...)
		}
		return append([]byte{0x30, byte(len(body))}, body...)
	}
	tests := []struct {
		name string
		der  []byte
		r, s string // want, 32 bytes each; empty: error
	}{
		{"full width", seq(ones, ones), ones, ones},
		{"leading zero for high bit", seq(high, "\x05"), "\x80" + strings.Repeat("\x01", 31), strings.Repeat("\x00", 31) + "\x05"},
		{"short ints are left-padded", seq("\x07", "\x7f"), strings.Repeat("\x00", 31) + "\x07", strings.Repeat("\x00", 31) + "\x7f"},
		{"zero r", seq("\x00", ones), "", ""},
		{"negative s", seq(ones, "\x80"), "", ""},
		{"non-minimal leading zero", seq("\x00\x01", ones), "", ""},
		{"33 bytes without leading zero", seq("\x01"+ones, ones), "", ""},
		{"empty int", seq("", ones), "", ""},
		{"one int", seq(ones), "", ""},
		{"three ints", seq(ones, ones, ones), "", ""},
		{"trailing byte", append(seq(ones, ones), 0), "", ""},
		{"wrong outer length", append(seq(ones, ones)[:1], append([]byte{0x20}, seq(ones, ones)[2:]...)...), "", ""},
		{"not a sequence", append([]byte{0x31}, seq(ones, ones)[1:]...), "", ""},
		{"empty", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raw [64]byte
			err := jws.ES256Raw(&raw, tt.der)
			if tt.r == "" {
				require.ErrorIs(t, err, jws.ErrMalformedSignature)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.r+tt.s, string(raw[:]))
		})
	}
}

// FuzzES256Raw checks the hand-written DER reader: whatever it accepts must
// re-encode to the very same bytes (strict DER), with r and s positive.
func FuzzES256Raw(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(f, err)
	d := sha256.Sum256([]byte("x"))
	for range 4 {
		sig, err := ecdsa.SignASN1(rand.Reader, key, d[:])
		require.NoError(f, err)
		f.Add(sig)
	}
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, der []byte) {
		var raw [64]byte
		if jws.ES256Raw(&raw, der) != nil {
			return
		}
		// Accepted input must be exactly the DER of the r and s we read.
		r := new(big.Int).SetBytes(raw[:32])
		s := new(big.Int).SetBytes(raw[32:])
		if r.Sign() <= 0 || s.Sign() <= 0 {
			t.Fatalf("accepted a zero integer: %x", der)
		}
		if got := derSig(r, s); string(got) != string(der) {
			t.Fatalf("accepted non-canonical DER %x (canonical %x)", der, got)
		}
	})
}

func derSig(r, s *big.Int) []byte {
	integer := func(v *big.Int) []byte {
		b := v.Bytes()
		if b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return append([]byte{0x02, byte(len(b))}, b...)
	}
	body := append(integer(r), integer(s)...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

func TestPublicJWK(t *testing.T) {
	ec, ec384, rsaKey, ed := keys(t)

	jwk, err := jws.PublicJWK(ec.Public())
	require.NoError(t, err)
	assert.Regexp(t, `^\{"crv":"P-256","kty":"EC","x":"[A-Za-z0-9_-]{43}","y":"[A-Za-z0-9_-]{43}"\}$`, string(jwk))

	jwk, err = jws.PublicJWK(rsaKey.Public())
	require.NoError(t, err)
	assert.Regexp(t, `^\{"e":"AQAB","kty":"RSA","n":"[A-Za-z0-9_-]{342}"\}$`, string(jwk))

	for name, pub := range map[string]crypto.PublicKey{"P-384": ec384.Public(), "ed25519": ed.Public(), "nil": nil, "private key": ec} {
		_, err := jws.PublicJWK(pub)
		assert.Error(t, err, name)
	}
}

// TestThumbprintRFC7638 is RFC 7638 §3.1's worked example.
func TestThumbprintRFC7638(t *testing.T) {
	n, err := base64.RawURLEncoding.DecodeString("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	require.NoError(t, err)
	got, err := jws.Thumbprint(&rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537})
	require.NoError(t, err)
	assert.Equal(t, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", got)
}

// TestThumbprintEC checks the EC thumbprint against encoding/json's
// canonical form (it sorts map keys, as RFC 7638 §3.3 requires).
func TestThumbprintEC(t *testing.T) {
	ec, _, _, _ := keys(t)
	pt, err := ec.PublicKey.Bytes()
	require.NoError(t, err)
	enc := base64.RawURLEncoding
	canon, err := json.Marshal(map[string]string{"kty": "EC", "crv": "P-256", "x": enc.EncodeToString(pt[1:33]), "y": enc.EncodeToString(pt[33:])})
	require.NoError(t, err)
	sum := sha256.Sum256(canon)
	got, err := jws.Thumbprint(kmsKey{ec}.Public())
	require.NoError(t, err)
	assert.Equal(t, enc.EncodeToString(sum[:]), got)
}

func TestCertThumbprintS256(t *testing.T) {
	sum := sha256.Sum256([]byte("der"))
	assert.Equal(t, base64.RawURLEncoding.EncodeToString(sum[:]), jws.CertThumbprintS256([]byte("der")))
}
