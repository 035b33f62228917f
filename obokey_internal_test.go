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
