package challenge

import "testing"

// FuzzParseBearer feeds arbitrary WWW-Authenticate values to the challenge
// parser: no panic and no hang.
func FuzzParseBearer(f *testing.F) {
	f.Add(`Bearer error="insufficient_claims", claims="eyJhIjoxfQ=="`)
	f.Add(`Basic realm="x", Bearer realm="api", error="invalid_token", error_description="expired"`)
	f.Add(`Newauth abc==, Bearer error=invalid_token`)
	f.Add(`Bearer "`)
	f.Add(`Bearer error="a\"b\\"`)
	f.Fuzz(func(t *testing.T, header string) {
		params, ok := ParseBearer(header)
		if ok && params == nil {
			t.Fatal("a Bearer challenge without a parameter map")
		}
	})
}
