package oauth2flowstest

import (
	"context"
	"net/http"
	"strings"

	"github.com/oauth2flows/oauth2flows/resource"
)

// Protect is resource-server middleware (RFC 6750): it requires an
// "Authorization: Bearer" access token issued by this server, valid, not
// revoked and with audience among its "aud", presented over a TLS connection
// with its certificate when it is certificate-bound (RFC 8705 §3; see
// [NewMTLSResourceServer]), and, when it is DPoP-bound, with the DPoP scheme
// and a proof by its key (RFC 9449 §7; see [WithDPoPRequired] and
// [WithDPoPNonce]), and puts its claims in the
// request context for [ClaimsFromContext]. Otherwise it answers 401 with a
// WWW-Authenticate challenge: bare when no token was sent (§3.1), with
// error="invalid_token" when one was, and in the DPoP scheme for DPoP
// refusals (invalid_dpop_proof, use_dpop_nonce with a DPoP-Nonce header).
func (s *Server) Protect(audience string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		token = strings.TrimSpace(token)
		dpop := strings.EqualFold(scheme, "DPoP") // RFC 9449 §7.1
		dpopOnly := dpop || s.cfg.dpop.required   // how refusals are challenged
		if !dpop && !strings.EqualFold(scheme, "Bearer") || token == "" {
			protectChallenge(w, "", dpopOnly)
			return
		}
		claims, err := s.VerifyAccessToken(token)
		if err != nil {
			protectChallenge(w, "the access token is invalid, expired or revoked", dpopOnly)
			return
		}
		if !claims.hasAudience(audience) {
			protectChallenge(w, "the access token is not for this resource", dpopOnly)
			return
		}
		// RFC 8705 §3: a bound token is accepted only over a TLS connection
		// presenting its certificate.
		if claims.Cnf["x5t#S256"] != "" && resource.VerifyCertificateBinding(token, peerCertificate(r)) != nil {
			protectChallenge(w, "the access token is bound to a certificate the request did not present", dpopOnly)
			return
		}
		if !s.checkResourceDPoP(w, r, dpop, token, claims) || s.caeChallenge(w, claims) {
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, claims)))
	})
}

// challenge answers 401 with an RFC 6750 §3 Bearer challenge.
func challenge(w http.ResponseWriter, desc string) {
	w.Header().Set("WWW-Authenticate", bearerChallengeValue(desc))
	http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
}

// protectChallenge answers a refusal of [Server.Protect]: the Bearer
// challenge followed by a bare DPoP one (RFC 9449 §7.1); or, for a request
// in the DPoP scheme or with [WithDPoPRequired], a DPoP challenge only,
// carrying the error.
func protectChallenge(w http.ResponseWriter, desc string, dpopOnly bool) {
	if dpopOnly {
		code := ""
		if desc != "" {
			code = "invalid_token"
		}
		w.Header().Set("WWW-Authenticate", dpopChallengeValue(code, desc))
	} else {
		w.Header().Set("WWW-Authenticate", bearerChallengeValue(desc))
		w.Header().Add("WWW-Authenticate", dpopChallengeValue("", ""))
	}
	http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
}

// bearerChallengeValue is an RFC 6750 §3 challenge, with invalid_token
// when desc is not empty.
func bearerChallengeValue(desc string) string {
	v := `Bearer realm="oauth2flowstest"`
	if desc != "" {
		v += `, error="invalid_token", error_description="` + desc + `"`
	}
	return v
}
