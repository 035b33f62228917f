package oauth2flows

import (
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/oauth2flows/oauth2flows/internal/challenge"
)

// ClaimsFromError returns the claims challenge of an error from the token
// endpoint, as Entra sends with interaction_required when conditional
// access or MFA applies to the downstream API. ok is false when err has none.
func ClaimsFromError(err error) (claims string, ok bool) {
	var e *Error
	if errors.As(err, &e) && e.Claims != "" {
		return e.Claims, true
	}
	return "", false
}

// WriteClaimsChallenge answers the caller of a middle-tier API with 401 and
// the claims challenge it must satisfy, in the format Microsoft documents
// for Entra: WWW-Authenticate: Bearer error="insufficient_claims",
// claims="<base64 of the claims JSON>" (RFC 6750 §3 challenge syntax).
// The caller then asks for a new token with those claims, and the retry
// passes them on with [WithClaims].
func WriteClaimsChallenge(w http.ResponseWriter, claims string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_claims", claims="`+
		base64.StdEncoding.EncodeToString([]byte(claims))+`"`)
	http.Error(w, "insufficient_claims", http.StatusUnauthorized)
}

// ParseClaimsChallenge reads the claims of a WWW-Authenticate header
// written by [WriteClaimsChallenge] or by an Entra-protected API, decoded
// from base64. ok is false when the header carries no such challenge.
func ParseClaimsChallenge(header string) (claims string, ok bool) {
	params, ok := parseBearerChallenge(header)
	if !ok || params["claims"] == "" {
		return "", false
	}
	raw := params["claims"]
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(raw); err == nil {
			return string(b), true
		}
	}
	return "", false
}

// parseBearerChallenge returns the parameters of the Bearer challenge in a
// WWW-Authenticate value (RFC 6750 §3), names in lower case; ok is false
// when there is none.
func parseBearerChallenge(header string) (params map[string]string, ok bool) {
	return challenge.ParseBearer(header)
}
