package oauth2flows

import (
	"crypto/sha256"
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
			if got, want := c.storeKey(assertion, o), storeKeyPrefix+hex.EncodeToString(sum[:]); got != want {
				t.Fatalf("%q: %s, want %s", assertion[:1], got, want)
			}
		}
	}
}

// TestSignedTail: only a JWS is keyed by its last bytes; every other
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
		{"ShorterSignature", jws(42), false},
		{"Unsigned", jws(0), false},
		{"JWE", "eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY." + strings.Repeat("c", 100) + ".dGFnMTIzNDU2Nzg5MDEyMw", false},
		{"SAML", "PHNhbWw6QXNzZXJ0aW9u" + strings.Repeat("x", 100), false},
		{"Opaque", "0123456789abcdef", false},
	} {
		if got := signedTail(tt.assertion); got != tt.want {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
}
