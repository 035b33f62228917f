package oauth2flowstest

import (
	"net/http"
	"strings"
	"time"
)

// dpopNonceLifetime is how long a server nonce stays good (RFC 9449 §8).
const dpopNonceLifetime = 5 * time.Minute

// dpopConfig is what the DPoP options set.
type dpopConfig struct {
	required bool // every token request, and every resource request, must use DPoP
	nonce    bool // proofs must carry a server nonce (RFC 9449 §8, §9)
}

// WithDPoPRequired makes the server accept only DPoP-bound tokens (RFC 9449):
// a token request without a DPoP proof is refused with invalid_dpop_proof,
// as dpop_bound_access_tokens (§5.2) makes a server do, and [Server.Protect]
// refuses the Bearer scheme. Without it, DPoP is optional: a token request
// with a proof gets a DPoP-bound token (token_type DPoP, cnf jkt), one
// without gets a bearer token. Either way, a proof's iat must be within 60
// seconds before and 5 seconds after the server's clock ([WithClock]), so a
// test that moves the server's clock must date its proofs by it.
func WithDPoPRequired() Option {
	return func(cfg *config) { cfg.dpop.required = true }
}

// WithDPoPNonce makes the token and pushed authorization request endpoints
// (RFC 9449 §8) and [Server.Protect] (§9) require a server nonce in every
// DPoP proof: a proof without the current nonce gets use_dpop_nonce with
// the nonce in a DPoP-Nonce header (400 at the authorization server, 401
// with WWW-Authenticate: DPoP error="use_dpop_nonce" at the resource). The
// authorization server's nonces and the resource's are distinct. A nonce
// lasts 5 minutes; [Server.RotateDPoPNonces] ends them at once. With or
// without this option, a proof carrying a nonce the server did not hand
// out, or one that expired, is answered with use_dpop_nonce.
func WithDPoPNonce() Option {
	return func(cfg *config) { cfg.dpop.nonce = true }
}

// nonceSet is the nonces one server side has handed out, with their
// expiry. Every access goes through Server.mu.
type nonceSet map[string]time.Time

// RotateDPoPNonces forgets every DPoP nonce handed out, so the next proof
// of every client is answered with use_dpop_nonce and a new nonce, as a
// server rotating its nonces does (RFC 9449 §8.2).
func (s *Server) RotateDPoPNonces() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.store.asNonces)
	clear(s.store.rsNonces)
}

func (s *Server) nonceValid(set nonceSet, nonce string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := set[nonce]
	return ok && nonce != "" && s.now().Before(exp)
}

// currentNonce returns a nonce of set good for at least half its lifetime,
// making a new one when needed.
func (s *Server) currentNonce(set nonceSet) string {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, exp := range set {
		if exp.Sub(now) > dpopNonceLifetime/2 {
			return n
		}
		if !now.Before(exp) {
			delete(set, n)
		}
	}
	n := randomString()
	set[n] = now.Add(dpopNonceLifetime)
	return n
}

// offerFreshNonce sends the current nonce of set in a DPoP-Nonce header
// when nonces are required and the proof used another (older) one, as
// RFC 9449 §8.2 lets a server do in any response and oidc-provider does:
// the client then uses it for its next proof.
func (s *Server) offerFreshNonce(w http.ResponseWriter, set nonceSet, used string) {
	if !s.cfg.dpop.nonce {
		return
	}
	if current := s.currentNonce(set); current != used {
		w.Header().Set("DPoP-Nonce", current)
	}
}

// requestURL is the URL a request was sent to, without query, as a DPoP
// proof's htu names it (RFC 9449 §4.2).
func requestURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.EscapedPath()
}

// bindDPoP checks the DPoP proof of a request to the token or pushed
// authorization request endpoint (RFC 9449 §5, §10.1). With a good proof it
// returns a copy of c remembering the key's thumbprint, so that what is
// issued is bound to it; without one, c itself, unless DPoP is required and
// this is the token endpoint (at PAR, dpop_jkt or nothing is fine too:
// RFC 9449 §10.1 makes the proof there optional).
// A use_dpop_nonce refusal sets the DPoP-Nonce header on w.
func (s *Server) bindDPoP(w http.ResponseWriter, r *http.Request, c *Client, tokenEndpoint bool) (*Client, *oauthError) {
	p, ref := s.verifyProof(r, proofCheck{htu: requestURL(r)}, s.store.asNonces, s.cfg.dpop.nonce)
	switch {
	case ref != nil:
		if ref.code == "use_dpop_nonce" {
			w.Header().Set("DPoP-Nonce", s.currentNonce(s.store.asNonces))
		}
		return nil, &oauthError{status: http.StatusBadRequest, code: ref.code, description: ref.desc}
	case !p.present && s.cfg.dpop.required && tokenEndpoint:
		return nil, &oauthError{status: http.StatusBadRequest, code: "invalid_dpop_proof",
			description: "a DPoP proof is required (RFC 9449 §5)"}
	case !p.present:
		return c, nil
	}
	s.offerFreshNonce(w, s.store.asNonces, p.nonce)
	bound := *c
	bound.dpopJKT = p.jkt
	return &bound, nil
}

// accessTokenType is the token_type of an access token issued to c: DPoP
// when bound to a DPoP key (RFC 9449 §5.1), Bearer otherwise.
func accessTokenType(c *Client) string {
	if c.dpopJKT != "" {
		return "DPoP"
	}
	return "Bearer"
}

// refreshJKT is the key a new refresh token is bound to: RFC 9449 §5 binds
// the refresh tokens of public clients, and only theirs, to the DPoP key.
func refreshJKT(c *Client) string {
	if c.public() {
		return c.dpopJKT
	}
	return ""
}

// jktSyntax reports whether s can be an RFC 7638 SHA-256 thumbprint, as
// dpop_jkt must be (RFC 9449 §10).
func jktSyntax(s string) bool { return challengeSyntax.MatchString(s) }

// checkResourceDPoP is [Server.Protect]'s DPoP part (RFC 9449 §7): a
// DPoP-bound token must come with the DPoP scheme and a proof by its key,
// carrying ath and, with [WithDPoPNonce], the resource's nonce; a bound
// token sent as Bearer is refused (§7.2), and with [WithDPoPRequired] so
// is every Bearer token. On refusal it has written the 401.
func (s *Server) checkResourceDPoP(w http.ResponseWriter, r *http.Request, dpopScheme bool, token string, claims *Claims) bool {
	jkt := claims.Cnf["jkt"]
	if !dpopScheme {
		switch {
		case jkt != "":
			s.dpopChallenge(w, "invalid_token", "a DPoP-bound token must be sent with the DPoP scheme and a proof")
			return false
		case s.cfg.dpop.required:
			s.dpopChallenge(w, "invalid_token", "only DPoP-bound tokens are accepted")
			return false
		}
		return true
	}
	p, ref := s.verifyProof(r, proofCheck{htu: requestURL(r), accessToken: token}, s.store.rsNonces, s.cfg.dpop.nonce)
	switch {
	case ref != nil:
		if ref.code == "use_dpop_nonce" {
			w.Header().Set("DPoP-Nonce", s.currentNonce(s.store.rsNonces))
		}
		s.dpopChallenge(w, ref.code, ref.desc)
		return false
	case !p.present:
		s.dpopChallenge(w, "invalid_dpop_proof", "the DPoP scheme needs a DPoP proof")
		return false
	case jkt == "":
		s.dpopChallenge(w, "invalid_token", "the access token is not DPoP-bound")
		return false
	case jkt != p.jkt:
		s.dpopChallenge(w, "invalid_token", "the access token is bound to another key")
		return false
	}
	s.offerFreshNonce(w, s.store.rsNonces, p.nonce)
	return true
}

// dpopChallenge answers 401 with a DPoP challenge (RFC 9449 §7.1).
func (s *Server) dpopChallenge(w http.ResponseWriter, code, desc string) {
	w.Header().Set("WWW-Authenticate", dpopChallengeValue(code, desc))
	http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
}

// dpopChallengeValue is a DPoP WWW-Authenticate challenge, with an error
// when code is not empty.
func dpopChallengeValue(code, desc string) string {
	v := `DPoP algs="` + strings.Join(dpopAlgs, " ") + `"`
	if code != "" {
		v += `, error="` + code + `", error_description="` + desc + `"`
	}
	return v
}

// dpopMetadata adds RFC 9449 §5.1's dpop_signing_alg_values_supported.
func (s *Server) dpopMetadata(meta map[string]any) {
	meta["dpop_signing_alg_values_supported"] = dpopAlgs
}
