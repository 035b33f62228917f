package oauth2flows

import "testing"

// FuzzParseClaimsChallenge feeds arbitrary WWW-Authenticate values to the
// claims challenge reader: no panic and no hang.
func FuzzParseClaimsChallenge(f *testing.F) {
	f.Add(`Bearer error="insufficient_claims", claims="eyJhIjoxfQ=="`)
	f.Add(`Bearer claims="%%%"`)
	f.Add(`Bearer "`)
	f.Fuzz(func(t *testing.T, header string) {
		_, _ = ParseClaimsChallenge(header)
	})
}
