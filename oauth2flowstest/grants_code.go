package oauth2flowstest

import (
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"regexp"
)

// verifierSyntax is RFC 7636 §4.1's code_verifier: 43 to 128 unreserved
// characters.
var verifierSyntax = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// challengeSyntax is an S256 code_challenge (RFC 7636 §4.2): the unpadded
// base64url encoding of a SHA-256 hash.
var challengeSyntax = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// s256 is RFC 7636 §4.2's S256 code challenge of a verifier.
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// grantAuthorizationCode redeems an authorization code (RFC 6749 §4.1.3).
// A code is single use: redeeming it again is refused and revokes every
// token issued from it (RFC 6749 §4.1.2). It is bound to its client and
// redirect_uri, and to its PKCE challenge (RFC 7636 §4.6).
func (s *Server) grantAuthorizationCode(c *Client, form url.Values) (*tokenResponse, *oauthError) {
	code := form.Get("code")
	if code == "" {
		return nil, errInvalidRequest("code missing")
	}
	s.mu.Lock()
	e := s.store.codes[code]
	if e == nil {
		s.mu.Unlock()
		return nil, errInvalidGrant("unknown authorization code")
	}
	if e.used {
		s.store.revokeFamily(e.family)
		s.mu.Unlock()
		return nil, errInvalidGrant("authorization code already used; tokens issued from it are revoked")
	}
	if e.clientID != c.ID {
		s.mu.Unlock()
		return nil, errInvalidGrant("authorization code was issued to another client")
	}
	if !s.now().Before(e.expires) {
		s.mu.Unlock()
		return nil, errInvalidGrant("authorization code expired")
	}
	if ru := form.Get("redirect_uri"); ru != e.redirectURI && (e.redirectURI != "" || ru != e.effectiveRedirect) {
		s.mu.Unlock()
		return nil, errInvalidGrant("redirect_uri does not match the authorization request")
	}
	if e := checkPKCE(e.challenge, form.Get("code_verifier")); e != nil {
		s.mu.Unlock()
		return nil, e
	}
	if e.dpopJKT != "" && e.dpopJKT != c.dpopJKT {
		// RFC 9449 §10: the proof must be made with the key dpop_jkt named.
		s.mu.Unlock()
		return nil, errInvalidGrant("the code is bound to dpop_jkt; the DPoP proof is missing or by another key")
	}
	e.used = true
	e.family = s.store.newFamily()
	scope := s.redeemedScope(e.scope, form.Get("scope"))
	is := issuance{
		subject:   e.subject,
		client:    c,
		scope:     scope,
		resources: e.resources,
		refresh:   true,
		idToken:   hasScope(scope, "openid"),
		nonce:     e.nonce,
		code:      code,
		authTime:  e.authTime,
		family:    e.family,
	}
	s.mu.Unlock()
	return s.issue(is)
}

// checkPKCE verifies the code_verifier against the code's S256 challenge
// (RFC 7636 §4.6). A verifier for a code issued without a challenge is
// refused too, as RFC 9700 §2.1.1 asks, against PKCE downgrade.
func checkPKCE(challenge, verifier string) *oauthError {
	switch {
	case challenge == "" && verifier == "":
		return nil
	case challenge == "":
		return errInvalidGrant("code_verifier sent, but the authorization request had no code_challenge")
	case verifier == "":
		return errInvalidGrant("code_verifier missing")
	case !verifierSyntax.MatchString(verifier):
		return errInvalidGrant("code_verifier malformed")
	case s256(verifier) != challenge:
		return errInvalidGrant("code_verifier does not match the code_challenge")
	}
	return nil
}
