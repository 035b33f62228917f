package resource

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzAccessClaimsExactNames: where the fast struct decoding is used (no
// string folds onto a claim name, no escape), it reads what decoding by
// exact names reads.
func FuzzAccessClaimsExactNames(f *testing.F) {
	for _, seed := range []string{
		`{"iss":"a","aud":["x","y"],"exp":1,"scp":"r w","roles":["a"],"tid":"t"}`,
		`{"aud":"x","AUD":"y"}`, `{"iſs":"e","iss":"a"}`, `{"\u0061ud":"x"}`, `{"exp":"1"}`, `{"aud":null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if mayHaveCaseVariants(b) {
			return
		}
		type plain accessClaims
		var fast, exact accessClaims
		errFast := json.Unmarshal(b, (*plain)(&fast))
		errExact := exact.unmarshalExact(b)
		if errFast != nil || errExact != nil {
			return // the two may fail on different members; both refuse the token
		}
		require.Equal(t, exact, fast, "payload %q", b)
	})
}
