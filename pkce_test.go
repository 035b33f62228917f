package oauth2flows_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/oauth2flows/oauth2flows"
)

var unreservedRE = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

func TestNewVerifierIsUnreservedAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		v := oauth2flows.NewVerifier()
		assert.Regexp(t, unreservedRE, v)
		assert.False(t, seen[v], "verifier repeated")
		seen[v] = true
	}
}

func TestNewStateIsLongEnoughAndUnique(t *testing.T) {
	a, b := oauth2flows.NewState(), oauth2flows.NewState()
	assert.Len(t, a, 43, "256 bits, base64url")
	assert.Regexp(t, unreservedRE, a)
	assert.NotEqual(t, a, b)
}

func TestS256ChallengeMatchesRFC7636AppendixB(t *testing.T) {
	// RFC 7636 Appendix B's worked example.
	assert.Equal(t, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		oauth2flows.S256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
}
