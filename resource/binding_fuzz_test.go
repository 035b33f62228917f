package resource

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// allocated returns the bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestUntrustedJWTsAreNotSplitOnEveryDot(t *testing.T) {
	dots := strings.Repeat(".", 1<<20) // 1 MiB of dots: 16 MiB of strings when split
	cert := &x509.Certificate{Raw: []byte("cert")}
	tests := []struct {
		name string
		run  func()
	}{
		{"VerifyCertificateBinding", func() {
			assert.ErrorIs(t, VerifyCertificateBinding(dots, cert), ErrTokenNotJWT)
		}},
		{"Principal.Claims", func() {
			assert.Error(t, (&Principal{Raw: dots}).Claims(&map[string]any{}))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Less(t, allocated(tt.run), uint64(1<<20), "bounded: no allocation proportional to the dots")
		})
	}
}

// FuzzVerifyCertificateBinding feeds untrusted access tokens to the binding
// check: it must never panic, and must say yes only for a JWT whose cnf
// names the certificate.
func FuzzVerifyCertificateBinding(f *testing.F) {
	cert := &x509.Certificate{Raw: []byte("fuzz certificate")}
	sum := sha256.Sum256(cert.Raw)
	thumb := base64.RawURLEncoding.EncodeToString(sum[:])
	enc := base64.RawURLEncoding.EncodeToString
	f.Add(enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(`{"cnf":{"x5t#S256":"`+thumb+`"}}`)) + ".c2ln")
	f.Add(enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{"cnf":{"x5t#S256":"x"}}`)) + ".")
	f.Add("a.b.c")
	f.Add("....")
	f.Add("2YotnFZFEjr1zCsicMWpAA")
	f.Fuzz(func(t *testing.T, token string) {
		err := VerifyCertificateBinding(token, cert)
		if err != nil && !errors.Is(err, ErrTokenNotJWT) && !errors.Is(err, ErrCertificateMismatch) {
			t.Fatalf("untyped error %v", err)
		}
		if err == nil && strings.Count(token, ".") != 2 {
			t.Fatalf("accepted a token that is not three segments")
		}
		if err != nil && len(token) >= 16 && strings.Contains(err.Error(), token) {
			t.Fatalf("the token reached the error string")
		}
	})
}
