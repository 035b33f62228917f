package dpop

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/oauth2flows/oauth2flows/internal/jws"
)

// HeaderName is the request header that carries a proof (RFC 9449 §4.1).
const HeaderName = "DPoP"

// Prover makes DPoP proofs (RFC 9449 §4) with one key. Everything that does
// not change between requests is computed once by [NewProver]: the
// base64url protected header {"typ":"dpop+jwt","alg":…,"jwk":{…}} with the
// public JWK only, and the JWK thumbprint. A Prover is immutable and safe
// for concurrent use as long as its crypto.Signer is.
type Prover struct {
	key    crypto.Signer
	alg    string
	prefix string // base64url(protected header) + "."
	jkt    string
	now    func() time.Time
}

// NewProver returns a Prover for key (RFC 9449 §4.2). alg is "" for the
// key's default (ES256 for an ECDSA P-256 key, RS256 for RSA), or RS256,
// PS256 or ES256 as [jws.ChooseAlg] accepts. Only key.Public and key.Sign
// are ever called, so KMS and HSM keys work. Errors are those of
// [jws.ChooseAlg] and [jws.PublicJWK].
func NewProver(key crypto.Signer, alg string) (*Prover, error) {
	alg, err := jws.ChooseAlg(key, alg)
	if err != nil {
		return nil, err
	}
	pub := key.Public()
	jwk, err := jws.PublicJWK(pub)
	if err != nil {
		return nil, err
	}
	jkt, err := jws.Thumbprint(pub)
	if err != nil {
		return nil, err
	}
	// Built by hand: the members are fixed, and jwk is already canonical
	// JSON holding nothing but public members.
	header := make([]byte, 0, 64+len(jwk))
	header = append(header, `{"typ":"dpop+jwt","alg":"`...)
	header = append(header, alg...)
	header = append(header, `","jwk":`...)
	header = append(header, jwk...)
	header = append(header, '}')
	return &Prover{
		key:    key,
		alg:    alg,
		prefix: base64.RawURLEncoding.EncodeToString(header) + ".",
		jkt:    jkt,
		now:    time.Now,
	}, nil
}

// Alg is the JWS algorithm of the proofs (RFC 7518 §3.1).
func (p *Prover) Alg() string { return p.alg }

// Thumbprint is the RFC 7638 SHA-256 thumbprint of the public key, the
// value of the dpop_jkt authorization request parameter (RFC 9449 §10) and
// of the cnf.jkt claim of a bound token (RFC 9449 §6.1).
func (p *Prover) Thumbprint() string { return p.jkt }

// Claims are the parts of a proof that change per request (RFC 9449 §4.2).
type Claims struct {
	Method string   // htm: the HTTP method, e.g. "POST"
	URL    *url.URL // htu: built from it without query and fragment
	// Nonce is the server's latest DPoP-Nonce for URL's origin, "" for none
	// (RFC 9449 §8). See [Nonces].
	Nonce string
	// ATH, when set, is the ath claim of a request to a resource server
	// (RFC 9449 §4.2, §7): [ATH] of the access token sent with it. It is
	// computed once per token, not per request.
	ATH string
}

// ATH returns the ath claim for accessToken: the base64url (unpadded)
// SHA-256 of its ASCII bytes (RFC 9449 §4.2).
func ATH(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Proof returns a fresh DPoP proof JWT for one request (RFC 9449 §4.2):
// the precomputed header, and the claims jti (128 random bits), htm, htu,
// iat, then nonce and ath when given. The claims are appended by hand to
// stack buffers (no map, no encoding/json), so a proof costs one signature
// plus a fixed, small number of allocations.
// Errors: [ErrMethod], [ErrURL], [ErrNonce], [ErrATH], and those of
// [jws.Sign].
func (p *Prover) Proof(c Claims) (string, error) {
	if !isToken(c.Method) {
		return "", ErrMethod
	}
	if c.Nonce != "" && !validNonce(c.Nonce) {
		return "", ErrNonce
	}
	if c.ATH != "" && !validATH(c.ATH) {
		return "", ErrATH
	}
	enc := base64.RawURLEncoding

	var jti [16]byte
	_, _ = rand.Read(jti[:]) // crypto/rand.Read never fails (Go 1.24+)

	var claimsBuf [512]byte
	b := append(claimsBuf[:0], `{"jti":"`...)
	b = enc.AppendEncode(b, jti[:])
	b = append(b, `","htm":"`...)
	b = append(b, c.Method...) // a token: nothing to escape
	b = append(b, `","htu":"`...)
	b, err := appendHTU(b, c.URL)
	if err != nil {
		return "", err
	}
	b = append(b, `","iat":`...)
	b = strconv.AppendInt(b, p.now().Unix(), 10)
	if c.Nonce != "" {
		b = append(b, `,"nonce":"`...)
		b = append(b, c.Nonce...) // NQCHAR: nothing to escape
		b = append(b, '"')
	}
	if c.ATH != "" {
		b = append(b, `,"ath":"`...)
		b = append(b, c.ATH...) // checked: base64url
		b = append(b, '"')
	}
	b = append(b, '}')

	var inputBuf [1024]byte
	input := append(inputBuf[:0], p.prefix...)
	input = enc.AppendEncode(input, b)

	var sigBuf [704]byte // base64url of a signature up to RSA-4096
	sig, err := jws.AppendSignature(sigBuf[:0], p.key, p.alg, input)
	if err != nil {
		return "", err
	}
	// The one allocation of our own: the proof, grown once to its size.
	var out strings.Builder
	out.Grow(len(input) + 1 + len(sig))
	out.Write(input)
	out.WriteByte('.')
	out.Write(sig)
	return out.String(), nil
}

// validATH: 43 base64url characters, the form of a SHA-256 hash.
func validATH(s string) bool {
	if len(s) != 43 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// isToken reports whether s is an RFC 9110 §5.6.2 token, the syntax of a
// method (§9.1).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tchar(s[i]) {
			return false
		}
	}
	return true
}

func tchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
