package oauth2flows

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

// IDTokenClaims are the claims of a verified ID token (OpenID Connect Core
// §2). [Token.VerifyIDToken] returns them; nothing in them is trusted
// before that.
type IDTokenClaims struct {
	Issuer          string    // "iss"
	Subject         string    // "sub": the user, unique within the issuer
	Audience        []string  // "aud"
	AuthorizedParty string    // "azp"
	Expiry          time.Time // "exp"
	IssuedAt        time.Time // "iat"
	AuthTime        time.Time // "auth_time"; zero when absent
	Nonce           string    // "nonce"
	ACR             string    // "acr"
	AMR             []string  // "amr"
	SessionID       string    // "sid" (OpenID Connect Front-Channel Logout 1.0 §2)
	AccessTokenHash string    // "at_hash"
	CodeHash        string    // "c_hash"

	alg     string // the signature's algorithm, for c_hash
	payload string // the verified claims segment, decoded by Claims
}

// Claims unmarshals the ID token's whole claims set into v, for the
// claims IDTokenClaims does not name (email, name, a provider's own).
func (c *IDTokenClaims) Claims(v any) error {
	b, err := base64.RawURLEncoding.DecodeString(c.payload)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// IDTokenReason is why [Token.VerifyIDToken] refused an ID token: the
// step of OpenID Connect Core §3.1.3.7 that failed.
type IDTokenReason string

// Reasons of an [*IDTokenError].
const (
	IDTokenMissing         IDTokenReason = "missing"          // no id_token in the token response
	IDTokenMalformed       IDTokenReason = "malformed"        // not a signed JWT, or a claim of the wrong type
	IDTokenAlgorithm       IDTokenReason = "algorithm"        // "none", HMAC, or an alg outside Config.IDTokenAlgs (step 7)
	IDTokenSignature       IDTokenReason = "signature"        // the signature does not verify (step 6)
	IDTokenUnknownKey      IDTokenReason = "unknown_key"      // no published key for its kid and alg
	IDTokenKeysUnavailable IDTokenReason = "keys_unavailable" // the issuer's key set could not be fetched
	IDTokenIssuer          IDTokenReason = "issuer"           // "iss" is not Endpoint.Issuer exactly (step 2)
	IDTokenAudience        IDTokenReason = "audience"         // "aud" lacks the client ID, or holds another audience (step 3)
	IDTokenAuthorizedParty IDTokenReason = "azp"              // several audiences without "azp", or "azp" not the client ID (steps 4, 5)
	IDTokenExpired         IDTokenReason = "expired"          // "exp" missing or past (step 9)
	IDTokenIssuedAt        IDTokenReason = "iat"              // "iat" missing or in the future (step 10)
	IDTokenNonce           IDTokenReason = "nonce"            // "nonce" missing or not the one sent (step 11)
	IDTokenAccessTokenHash IDTokenReason = "at_hash"          // "at_hash" does not match the access token (§3.2.2.9)
	IDTokenCodeHash        IDTokenReason = "c_hash"           // "c_hash" missing or does not match the code (§3.3.2.10)
	IDTokenAuthTime        IDTokenReason = "auth_time"        // "auth_time" missing or older than max_age (step 13)
	IDTokenSubject         IDTokenReason = "subject"          // "sub" missing, or a userinfo "sub" that is not the ID token's (§5.3.2)
)

// IDTokenError is an ID token refused by [Token.VerifyIDToken], or a
// userinfo response refused by [UserInfo]. Use errors.As. Its message
// names what was wrong, never the token.
type IDTokenError struct {
	Reason IDTokenReason
	Detail string // what was wrong, with the offending claim value when it is safe to show
	Err    error  // the cause, such as a key set fetch failure
}

// Error implements error.
func (e *IDTokenError) Error() string {
	s := "oauth2flows: ID token refused: " + string(e.Reason)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *IDTokenError) Unwrap() error { return e.Err }
