package oauth2flowstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DPoP proof limits (RFC 9449 §4.3, §11.1). A proof is made for one
// request, just before it is sent: one older than dpopMaxAge, or dated
// further ahead than dpopMaxSkew, is refused, as Keycloak and
// oidc-provider refuse proofs outside a short window.
const (
	dpopMaxAge   = 60 * time.Second
	dpopMaxSkew  = 5 * time.Second
	maxProofSize = 8 << 10
	maxJTISize   = 256
)

// dpopAlgs are the proof algorithms the server accepts (RFC 9449 §5.1
// dpop_signing_alg_values_supported).
var dpopAlgs = []string{"ES256", "PS256", "RS256"}

// dpopTyp is the JOSE typ of a proof (RFC 9449 §4.2).
const dpopTyp = "dpop+jwt"

// proofClaims are the claims of a DPoP proof (RFC 9449 §4.2).
type proofClaims struct {
	jwt.RegisteredClaims
	HTM   string `json:"htm"`
	HTU   string `json:"htu"`
	ATH   string `json:"ath,omitempty"`
	Nonce string `json:"nonce,omitempty"`
}

// proofCheck is what a request's proof must match.
type proofCheck struct {
	htu         string // the URL of the request, without query or fragment
	accessToken string // the token presented with the proof; "" at the authorization server
}

// dpopRefusal is why a proof was refused: invalid_dpop_proof, or
// use_dpop_nonce when only the server nonce is missing or stale (RFC 9449
// §8, §9).
type dpopRefusal struct {
	code string
	desc string
}

func badProof(desc string) *dpopRefusal {
	return &dpopRefusal{code: "invalid_dpop_proof", desc: desc}
}

// verifyProof checks a request's DPoP header as RFC 9449 §4.3 lists: one
// header, a JWS of typ dpop+jwt with an allowed asymmetric alg, signed by
// the public JWK in its header (which holds no private part), htm and htu
// matching the request, a recent iat, an unseen jti, ath matching the
// access token when one is presented, and one of the nonces of set: always
// when the proof carries a nonce (oidc-provider too refuses a nonce it did
// not hand out), and when requireNonce even if it carries none.
func (s *Server) verifyProof(r *http.Request, want proofCheck, set nonceSet, requireNonce bool) (verifiedProof, *dpopRefusal) {
	values := r.Header.Values("DPoP")
	switch {
	case len(values) == 0:
		return verifiedProof{}, nil
	case len(values) > 1:
		return verifiedProof{present: true}, badProof("more than one DPoP header")
	case len(values[0]) > maxProofSize:
		return verifiedProof{present: true}, badProof("DPoP proof too large")
	}
	p := verifiedProof{present: true}
	var claims proofClaims
	_, err := jwt.NewParser(jwt.WithValidMethods(s.signingAlgs(dpopAlgs)), jwt.WithoutClaimsValidation()).
		ParseWithClaims(values[0], &claims, func(t *jwt.Token) (any, error) {
			if typ, _ := t.Header["typ"].(string); typ != dpopTyp {
				return nil, errProof("typ must be dpop+jwt")
			}
			key, thumb, reason := proofKey(t.Header["jwk"])
			if reason != "" {
				return nil, errProof(reason)
			}
			p.jkt = thumb
			return key, nil
		})
	if err != nil {
		var reason errProof
		if errors.As(err, &reason) {
			return verifiedProof{present: true}, badProof(string(reason))
		}
		return verifiedProof{present: true}, badProof("DPoP proof malformed, or its signature or alg is invalid")
	}
	if refusal := s.checkProofClaims(r, &claims, want, set, requireNonce); refusal != nil {
		return verifiedProof{present: true}, refusal
	}
	p.nonce = claims.Nonce
	return p, nil
}

// verifiedProof is what a good proof tells: the RFC 7638 thumbprint of its
// key and the nonce it carried. present is false when the request carries
// no DPoP header.
type verifiedProof struct {
	jkt, nonce string
	present    bool
}

// checkProofClaims checks the claims of a proof whose signature holds.
func (s *Server) checkProofClaims(r *http.Request, c *proofClaims, want proofCheck, set nonceSet, requireNonce bool) *dpopRefusal {
	now := s.now()
	switch {
	case c.ID == "" || len(c.ID) > maxJTISize:
		return badProof("jti missing or too long")
	case c.HTM != r.Method:
		return badProof("htm does not match the request method")
	case c.HTU == "":
		return badProof("htu missing")
	case !sameHTU(c.HTU, want.htu):
		return badProof("htu does not match the request URL, or has a query or fragment")
	case c.IssuedAt == nil:
		return badProof("iat missing")
	case c.IssuedAt.Before(now.Add(-dpopMaxAge)):
		return badProof("iat too old")
	case c.IssuedAt.After(now.Add(dpopMaxSkew)):
		return badProof("iat in the future")
	}
	if want.accessToken != "" {
		sum := sha256.Sum256([]byte(want.accessToken))
		if c.ATH != base64.RawURLEncoding.EncodeToString(sum[:]) {
			return badProof("ath missing or not the hash of the access token")
		}
	}
	if (c.Nonce != "" || requireNonce) && !s.nonceValid(set, c.Nonce) {
		return &dpopRefusal{code: "use_dpop_nonce", desc: "a DPoP proof with the server's current nonce is required"}
	}
	// Replay: remembered for as long as the proof's iat is acceptable.
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, exp := range s.store.proofJTIs {
		if now.After(exp) {
			delete(s.store.proofJTIs, id)
		}
	}
	if _, seen := s.store.proofJTIs[c.ID]; seen {
		return badProof("DPoP proof replayed (jti already used)")
	}
	s.store.proofJTIs[c.ID] = c.IssuedAt.Add(dpopMaxAge + dpopMaxSkew)
	return nil
}

// errProof carries a refusal reason out of the key function.
type errProof string

func (e errProof) Error() string { return string(e) }

// sameHTU compares a proof's htu with the request URL after RFC 3986 §6.2.2
// and §6.2.3 normalisation (case of scheme and host, default port, empty
// path). An htu carrying a query or a fragment never matches (RFC 9449
// §4.2: "without query and fragment parts").
func sameHTU(htu, want string) bool {
	a, err := url.Parse(htu)
	if err != nil || !a.IsAbs() || a.RawQuery != "" || a.ForceQuery || strings.Contains(htu, "#") || a.User != nil {
		return false
	}
	b, err := url.Parse(want)
	return err == nil && normalURL(a) == normalURL(b)
}

func normalURL(u *url.URL) string {
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if scheme == "https" && port == "443" || scheme == "http" && port == "80" {
		port = ""
	}
	if port != "" {
		host = host + ":" + port
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path
}

// privateJWKMembers are the members of a private JWK (RFC 7518 §6.2.2,
// §6.3.2, §6.4), any of which in a proof's jwk means a leaked private key.
var privateJWKMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// proofKey reads the public key of a proof's jwk header (RFC 9449 §4.2):
// an EC P-256 or RSA (at least 2048 bits) public JWK in canonical form,
// and returns it with its RFC 7638 thumbprint.
func proofKey(v any) (key any, thumbprint, reason string) {
	jwk, ok := v.(map[string]any)
	if !ok {
		return nil, "", "jwk header missing"
	}
	for _, m := range privateJWKMembers {
		if _, ok := jwk[m]; ok {
			return nil, "", "jwk holds a private key"
		}
	}
	str := func(name string) string { s, _ := jwk[name].(string); return s }
	// Strict: one encoding per key, so one thumbprint per key.
	b64 := base64.RawURLEncoding.Strict()
	switch str("kty") {
	case "EC":
		x, errX := b64.DecodeString(str("x"))
		y, errY := b64.DecodeString(str("y"))
		if str("crv") != "P-256" || errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
			return nil, "", "jwk must be an EC P-256 key with 32-byte x and y"
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, "", "jwk is not a point of P-256"
		}
		return pub, jwkThumbprint(`{"crv":"P-256","kty":"EC","x":"` + str("x") + `","y":"` + str("y") + `"}`), ""
	case "RSA":
		n, errN := b64.DecodeString(str("n"))
		e, errE := b64.DecodeString(str("e"))
		// RFC 7518 §6.3.1: the minimum number of octets, no leading zero.
		if errN != nil || errE != nil || len(n) == 0 || len(e) == 0 || len(e) > 4 || n[0] == 0 || e[0] == 0 {
			return nil, "", "jwk must be an RSA key with canonical n and e"
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < 2048 || pub.E < 3 || pub.E%2 == 0 {
			return nil, "", "jwk RSA key too small or with a bad exponent"
		}
		return pub, jwkThumbprint(`{"e":"` + str("e") + `","kty":"RSA","n":"` + str("n") + `"}`), ""
	}
	return nil, "", "jwk kty must be EC or RSA"
}

// jwkThumbprint is the RFC 7638 thumbprint of a JWK's canonical JSON.
func jwkThumbprint(canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
