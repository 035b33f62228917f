package oauth2flows

import (
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Token is a token endpoint's successful response (RFC 6749 §5.1), with the
// OpenID Connect id_token and the RFC 8693 §2.2.1 issued_token_type.
// It embeds golang.org/x/oauth2's Token, so &tok.Token plugs into x/oauth2,
// and every response member is reachable through Token.Extra.
// It marshals to JSON for storage in a token saver.
//
// Expiry is expires_in counted from when the request was sent, not from
// when the answer arrived: the server counts from when it issued the
// token, which is later, so however long the answer took (a busy server,
// a slow proxy or network), the token is not used past the end the server
// gave it.
type Token struct {
	oauth2.Token           // AccessToken, TokenType, RefreshToken, Expiry, ExpiresIn
	IDToken         string `json:"id_token,omitempty"`
	Scope           string `json:"scope,omitempty"`
	IssuedTokenType string `json:"issued_token_type,omitempty"` // RFC 8693 / SAML OBO
}

// IsBearer reports whether the token may be sent as "Authorization: Bearer"
// (RFC 6750 §2.1). Token types other than bearer, such as RFC 8693's "N_A",
// and SAML assertions issued by On-Behalf-Of are not.
func (t *Token) IsBearer() bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	switch t.IssuedTokenType {
	case TokenTypeSAML1, TokenTypeSAML2:
		return false
	}
	return t.TokenType == "" || strings.EqualFold(t.TokenType, "bearer")
}

// ExpiresWithin reports whether the token has an expiry and it falls within
// d of now. A token without an expiry never expires.
func (t *Token) ExpiresWithin(d time.Duration) bool {
	return !t.Expiry.IsZero() && time.Until(t.Expiry) <= d
}

// Scopes returns the granted scopes (RFC 6749 §3.3), split on spaces.
func (t *Token) Scopes() []string { return strings.Fields(t.Scope) }
