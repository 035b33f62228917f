package oauth2flows

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"strings"
	"testing"
)

// TestStoreKeyIsTheHashOfTheWholeEncoding pins the store key to its
// definition, so that replicas of different versions share their keys.
func TestStoreKeyIsTheHashOfTheWholeEncoding(t *testing.T) {
	c := NewOBOCache(&Config{ClientID: "middle", Scopes: []string{"b", "a"}, Endpoint: Endpoint{TokenURL: "https://login.example/token"}})
	for _, assertion := range []string{"x", strings.Repeat("eyJ.", 500)} {
		for _, o := range []*options{nil, {scopes: []string{"c"}, scopesSet: true, resources: []string{"https://r.example"}}} {
			var b []byte
			b = append(b, storeKeyPrefix...)
			b = appendField(b, assertion)
			b = c.appendShape(b, o)
			sum := sha256.Sum256(b)
			got, err := c.storeKey(assertion, o)
			if want := storeKeyPrefix + hex.EncodeToString(sum[:]); err != nil || got != want {
				t.Fatalf("%q: %s, %v, want %s", assertion[:1], got, err, want)
			}
		}
	}
}

// TestSignedTail: only a JWT is keyed by its last bytes; every other
// assertion is hashed whole (localKey).
func TestSignedTail(t *testing.T) {
	jws := func(sigLen int) string {
		return "eyJhbGciOiJSUzI1NiJ9." + strings.Repeat("eyJzdWIiOiJhIn0", 4) + "." + strings.Repeat("s", sigLen)
	}
	for _, tt := range []struct {
		name      string
		assertion string
		want      bool
	}{
		{"RS256", jws(342), true},
		{"HS256", jws(43), true},
		{"JWE", "eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY." + strings.Repeat("c", 100) + ".dGFnMTIzNDU2Nzg5MDEyMw", true},
		{"SAML", "PHNhbWw6QXNzZXJ0aW9u" + strings.Repeat("x", 100), false},
		{"Opaque", "0123456789abcdef", false},
		{"OpaqueLong", strings.Repeat("0123456789abcdef", 8), false},
	} {
		if got := signedTail(tt.assertion); got != tt.want {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
}

// TestStoreKeyNamesTheBinding: the store key names the client certificate
// and the DPoP key a token is bound to, so that replicas with different
// ones never share a bound token; without either it is the unbound key.
func TestStoreKeyNamesTheBinding(t *testing.T) {
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	keyA, keyB := newKey(), newKey()
	certA, certB := &tls.Certificate{Certificate: [][]byte{[]byte("der of A")}}, &tls.Certificate{Certificate: [][]byte{[]byte("der of B")}}
	key := func(cert *tls.Certificate, dpopKey crypto.Signer) string {
		t.Helper()
		c := NewOBOCache(&Config{ClientID: "middle", Endpoint: Endpoint{TokenURL: "https://login.example/token"},
			Certificate: cert, DPoPKey: dpopKey})
		k, err := c.storeKey("assertion", nil)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	byName := map[string]string{
		"unbound": key(nil, nil), "certA": key(certA, nil), "certB": key(certB, nil),
		"dpopA": key(nil, keyA), "dpopB": key(nil, keyB), "certA+dpopA": key(certA, keyA),
	}
	byKey := map[string]string{}
	for name, k := range byName {
		if other, ok := byKey[k]; ok {
			t.Errorf("%s and %s share a store key", name, other)
		}
		byKey[k] = name
	}
	if key(nil, keyA) != byName["dpopA"] || key(certA, nil) != byName["certA"] {
		t.Error("the same binding, another store key")
	}
	if key(&tls.Certificate{}, nil) != key(nil, nil) {
		t.Error("an empty certificate binds nothing")
	}
	c := NewOBOCache(&Config{ClientID: "middle", DPoPKey: ed25519.PrivateKey(make([]byte, ed25519.PrivateKeySize))})
	if _, err := c.storeKey("assertion", nil); err == nil {
		t.Error("a DPoP key that cannot sign proofs makes a key")
	}
}

// BenchmarkOBOCacheIndexKey is the index key of a hit: of a 1.5 KB JWT
// (its last 64 bytes) and of a 4 KB base64 SAML assertion (all of it).
func BenchmarkOBOCacheIndexKey(b *testing.B) {
	c := NewOBOCache(&Config{ClientID: "middle"})
	for _, tt := range []struct{ name, assertion string }{
		{"JWT", benchAssertion(1)},
		{"SAML", "PHNhbWw6QXNzZXJ0aW9u" + strings.Repeat("QUJD", 1000)},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tt.assertion)))
			for b.Loop() {
				c.indexKey(tt.assertion, 0)
			}
		})
	}
}
