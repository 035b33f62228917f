package oauth2flows

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"hash"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth2flows/oauth2flows/internal/redact"
)

const (
	// maxIDTokenSize bounds an ID token before any decoding. Entra's, with
	// groups, stay under 8 KiB.
	maxIDTokenSize = 64 << 10
	// idTokenLeeway is the clock skew allowed on exp, iat and auth_time.
	idTokenLeeway = 30 * time.Second
)

// defaultIDTokenAlgs are the asymmetric JWS algorithms (RFC 7518 §3.1,
// RFC 8037 §3.1) accepted when Config.IDTokenAlgs is nil.
var defaultIDTokenAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// FAPI2Algs returns the algorithms FAPI 2.0 allows for signatures (FAPI 2.0
// Security Profile §5.4.1: PS256, ES256 and EdDSA with Ed25519), for
// [Config.IDTokenAlgs].
func FAPI2Algs() []string { return []string{"PS256", "ES256", "EdDSA"} }

// VerifyIDToken verifies t.IDToken (OpenID Connect Core §3.1.3.7) against
// cfg and returns its claims:
//
//   - the signature, with the issuer's key for "kid" from [Config.KeySet]
//     or Endpoint.JWKSURL, whose type fits "alg";
//   - "alg" in Config.IDTokenAlgs, and never "none" or HMAC: a public key
//     is never used as an HMAC secret;
//   - "iss" equal to Endpoint.Issuer exactly;
//   - "aud" holding Config.ClientID and no other audience, and with
//     several audiences an "azp" (equal to the client ID whenever present);
//   - "exp" present and not past, "iat" present and not in the future;
//   - when nonce is not empty, "nonce" equal to it (constant time): pass
//     the [WithNonce] value of the authorization request;
//   - "at_hash", when present, the hash of t.AccessToken (§3.2.2.9).
//
// A clock skew of 30 seconds is allowed. Check "c_hash" with
// [IDTokenClaims.VerifyCodeHash] and "auth_time" against a requested
// max_age with [IDTokenClaims.VerifyAuthTime]. Every refusal is an
// [*IDTokenError]; a Config that cannot verify anything is a
// [*ConfigError].
func (t *Token) VerifyIDToken(ctx context.Context, cfg *Config, nonce string) (*IDTokenClaims, error) {
	c, err := verifyIDToken(ctx, cfg, t, nonce)
	return c, withOp("VerifyIDToken", err)
}

func verifyIDToken(ctx context.Context, cfg *Config, t *Token, nonce string) (*IDTokenClaims, error) {
	switch {
	case ctx == nil:
		return nil, &ConfigError{Field: "ctx", Reason: "nil context"}
	case cfg == nil:
		return nil, &ConfigError{Field: "cfg", Reason: "nil Config"}
	case cfg.ClientID == "":
		return nil, &ConfigError{Field: "Config.ClientID", Reason: "not set; it is the ID token's audience"}
	case cfg.Endpoint.Issuer == "":
		return nil, &ConfigError{Field: "Config.Endpoint.Issuer", Reason: "not set; Discover fills it"}
	}
	algs, err := idTokenAlgs(cfg.IDTokenAlgs)
	if err != nil {
		return nil, err
	}
	keys, err := cfg.keySet()
	if err != nil {
		return nil, err
	}
	if t == nil || t.IDToken == "" {
		return nil, &IDTokenError{Reason: IDTokenMissing, Detail: "the token response has no id_token"}
	}
	claims, err := parseIDToken(ctx, t.IDToken, algs, keys)
	if err != nil {
		return nil, err
	}
	if err := claims.check(cfg, nonce); err != nil {
		return nil, err
	}
	if claims.AccessTokenHash != "" && t.AccessToken != "" &&
		!hashMatches(claims.alg, t.AccessToken, claims.AccessTokenHash) {
		return nil, &IDTokenError{Reason: IDTokenAccessTokenHash, Detail: "at_hash is not the hash of the access token"}
	}
	return claims, nil
}

// idTokenAlgs is the allow-list: the Config's, or the default, always
// without "none" and the HMAC algorithms (RFC 8725 §3.1, §3.2).
func idTokenAlgs(cfg []string) ([]string, error) {
	if cfg == nil {
		return defaultIDTokenAlgs, nil
	}
	algs := slices.DeleteFunc(slices.Clone(cfg), func(a string) bool {
		return !slices.Contains(defaultIDTokenAlgs, a)
	})
	if len(algs) == 0 {
		return nil, &ConfigError{Field: "Config.IDTokenAlgs", Reason: "no asymmetric signature algorithm; none and HMAC are never accepted"}
	}
	return algs, nil
}

// idClaims is the JSON of an ID token's claims (OpenID Connect Core §2).
type idClaims struct {
	jwt.RegisteredClaims
	AuthTime *jwt.NumericDate `json:"auth_time,omitempty"`
	Nonce    string           `json:"nonce,omitempty"`
	AZP      string           `json:"azp,omitempty"`
	ACR      string           `json:"acr,omitempty"`
	AMR      []string         `json:"amr,omitempty"`
	SID      string           `json:"sid,omitempty"`
	AtHash   string           `json:"at_hash,omitempty"`
	CHash    string           `json:"c_hash,omitempty"`
}

// parseIDToken checks the shape, the header and the signature of an ID
// token, and "exp" and "iat", and returns its claims.
func parseIDToken(ctx context.Context, raw string, algs []string, keys *KeySet) (*IDTokenClaims, error) {
	if len(raw) > maxIDTokenSize {
		return nil, &IDTokenError{Reason: IDTokenMalformed, Detail: "longer than " + strconv.Itoa(maxIDTokenSize) + " bytes"}
	}
	if strings.Count(raw, ".") != 2 {
		return nil, &IDTokenError{Reason: IDTokenMalformed, Detail: "not a signed JWT (JWS compact serialization, three segments)"}
	}
	var c idClaims
	p := jwt.NewParser(jwt.WithLeeway(idTokenLeeway), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	tok, err := p.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		return idTokenKey(ctx, t, algs, keys)
	})
	if err != nil {
		return nil, idTokenParseError(err)
	}
	if c.IssuedAt == nil {
		return nil, &IDTokenError{Reason: IDTokenIssuedAt, Detail: "iat is missing"}
	}
	out := &IDTokenClaims{
		Issuer:          c.Issuer,
		Subject:         c.Subject,
		Audience:        c.Audience,
		AuthorizedParty: c.AZP,
		Expiry:          c.ExpiresAt.Time,
		IssuedAt:        c.IssuedAt.Time,
		Nonce:           c.Nonce,
		ACR:             c.ACR,
		AMR:             c.AMR,
		SessionID:       c.SID,
		AccessTokenHash: c.AtHash,
		CodeHash:        c.CHash,
		alg:             tok.Method.Alg(),
		payload:         claimsSegment(raw), // golang-jwt keeps only the struct it filled
	}
	if c.AuthTime != nil {
		out.AuthTime = c.AuthTime.Time
	}
	return out, nil
}

// claimsSegment is the second of a compact JWS's three segments.
func claimsSegment(raw string) string {
	_, rest, _ := strings.Cut(raw, ".")
	seg, _, _ := strings.Cut(rest, ".")
	return seg
}

// idTokenKey is golang-jwt's key function: it refuses an "alg" outside the
// allow-list and "crit" headers, then returns the issuer's key for "kid"
// that fits "alg".
func idTokenKey(ctx context.Context, t *jwt.Token, algs []string, keys *KeySet) (any, error) {
	alg, _ := t.Header["alg"].(string)
	if !slices.Contains(algs, alg) {
		return nil, &IDTokenError{Reason: IDTokenAlgorithm, Detail: "alg " + quoteSafe(alg) + " is not allowed"}
	}
	if _, ok := t.Header["crit"]; ok {
		return nil, &IDTokenError{Reason: IDTokenMalformed, Detail: `"crit" header parameters are not understood (RFC 7515 §4.1.11)`}
	}
	var kid string
	if k, ok := t.Header["kid"]; ok {
		if kid, ok = k.(string); !ok {
			return nil, &IDTokenError{Reason: IDTokenMalformed, Detail: "kid is not a string"}
		}
	}
	key, err := keys.lookup(ctx, kid, alg)
	switch {
	case err == nil:
		return key, nil
	case errUnknownKey(err):
		return nil, &IDTokenError{Reason: IDTokenUnknownKey, Detail: "no published " + alg + " key with kid " + quoteSafe(kid)}
	case errors.As(err, new(*ConfigError)):
		return nil, err
	default:
		return nil, &IDTokenError{Reason: IDTokenKeysUnavailable, Detail: "the issuer's key set", Err: err}
	}
}

// idTokenParseError turns golang-jwt's error into an *IDTokenError.
func idTokenParseError(err error) error {
	if e := (*IDTokenError)(nil); errors.As(err, &e) {
		return e
	}
	if e := (*ConfigError)(nil); errors.As(err, &e) {
		return e
	}
	r, d := IDTokenMalformed, "not a JWT with a JSON claims set"
	switch {
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		r, d = IDTokenExpired, "exp is missing"
	case errors.Is(err, jwt.ErrTokenExpired):
		r, d = IDTokenExpired, "exp is past"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		r, d = IDTokenIssuedAt, "iat is in the future"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		r, d = IDTokenIssuedAt, "nbf is in the future"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		r, d = IDTokenSignature, "the signature does not verify with the issuer's key"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		r, d = IDTokenAlgorithm, "unknown alg"
	}
	return &IDTokenError{Reason: r, Detail: d}
}

// check applies OpenID Connect Core §3.1.3.7 steps 2 to 5 and 11.
func (c *IDTokenClaims) check(cfg *Config, nonce string) error {
	if c.Issuer != cfg.Endpoint.Issuer {
		return &IDTokenError{Reason: IDTokenIssuer, Detail: "iss " + quoteSafe(c.Issuer) + " is not the issuer " + quoteSafe(cfg.Endpoint.Issuer)}
	}
	if c.Subject == "" {
		return &IDTokenError{Reason: IDTokenSubject, Detail: "sub is missing"}
	}
	if !slices.Contains(c.Audience, cfg.ClientID) {
		return &IDTokenError{Reason: IDTokenAudience, Detail: "aud does not hold the client ID"}
	}
	for _, a := range c.Audience {
		if a != cfg.ClientID {
			return &IDTokenError{Reason: IDTokenAudience, Detail: "aud holds an audience other than the client, " + quoteSafe(a)}
		}
	}
	if len(c.Audience) > 1 && c.AuthorizedParty == "" {
		return &IDTokenError{Reason: IDTokenAuthorizedParty, Detail: "several audiences and no azp"}
	}
	if c.AuthorizedParty != "" && c.AuthorizedParty != cfg.ClientID {
		return &IDTokenError{Reason: IDTokenAuthorizedParty, Detail: "azp " + quoteSafe(c.AuthorizedParty) + " is not the client ID"}
	}
	if nonce != "" {
		if c.Nonce == "" {
			return &IDTokenError{Reason: IDTokenNonce, Detail: "nonce is missing, but one was sent"}
		}
		if subtle.ConstantTimeCompare([]byte(c.Nonce), []byte(nonce)) != 1 {
			return &IDTokenError{Reason: IDTokenNonce, Detail: "nonce is not the one sent"}
		}
	}
	return nil
}

// VerifyCodeHash checks "c_hash" against the authorization code it was
// issued with (OpenID Connect Core §3.3.2.11): an ID token from the
// authorization endpoint together with a code (the hybrid flow) must
// carry it, so a missing c_hash is refused too.
func (c *IDTokenClaims) VerifyCodeHash(code string) error {
	if c.CodeHash == "" {
		return &IDTokenError{Reason: IDTokenCodeHash, Detail: "c_hash is missing"}
	}
	if !hashMatches(c.alg, code, c.CodeHash) {
		return &IDTokenError{Reason: IDTokenCodeHash, Detail: "c_hash is not the hash of the code"}
	}
	return nil
}

// VerifyAuthTime checks "auth_time" when the authorization request asked
// for max_age (OpenID Connect Core §3.1.3.7 step 13, §3.1.2.1): it must be
// present, and the user must have authenticated at most maxAge ago, with
// 30 seconds of clock skew.
func (c *IDTokenClaims) VerifyAuthTime(maxAge time.Duration) error {
	if c.AuthTime.IsZero() {
		return &IDTokenError{Reason: IDTokenAuthTime, Detail: "auth_time is missing, but max_age was requested"}
	}
	if time.Since(c.AuthTime) > maxAge+idTokenLeeway {
		return &IDTokenError{Reason: IDTokenAuthTime, Detail: "the user authenticated longer than max_age ago"}
	}
	return nil
}

// hashMatches reports whether want is the left half of the hash of v, as
// at_hash and c_hash are (OpenID Connect Core §3.1.3.6, §3.3.2.11): the
// hash of the signature's algorithm, SHA-512 for EdDSA with Ed25519.
func hashMatches(alg, v, want string) bool {
	var h hash.Hash
	switch {
	case strings.HasSuffix(alg, "256"):
		h = sha256.New()
	case strings.HasSuffix(alg, "384"):
		h = sha512.New384()
	case strings.HasSuffix(alg, "512"), alg == "EdDSA":
		h = sha512.New()
	default:
		return false
	}
	h.Write([]byte(v))
	sum := h.Sum(nil)
	got := base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// quoteSafe quotes a claim or header value for an error message:
// printable, at most 80 runes.
func quoteSafe(s string) string { return strconv.Quote(redact.SafeText(s, nil, 80)) }
