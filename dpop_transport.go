package oauth2flows

import (
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/oauth2flows/oauth2flows/internal/dpop"
)

// dpopToken is what the [Transport] and [OBOCache.Middleware]'s downstream
// client need to send one DPoP token (RFC 9449 §7): the Prover of the key it is bound to, the session's resource nonces,
// and its ath, computed once per token.
type dpopToken struct {
	s   *dpopSession
	p   *dpop.Prover
	ath string
}

// dpopAuthorization is authorization for a DPoP token: the header value
// "DPoP <token>" and the proof material. Without a DPoPKey (a source not of
// this package, or a Config without one) the token cannot be sent at all:
// never as a bearer.
func dpopAuthorization(tok *Token, d *dpopSession) ([]string, *dpopToken, error) {
	if d == nil || d.cfg == nil || d.cfg.DPoPKey == nil {
		return nil, nil, &TokenTypeError{TokenType: tok.TokenType, IssuedTokenType: tok.IssuedTokenType}
	}
	p, err := d.proverFor(d.cfg)
	if err != nil {
		return nil, nil, err
	}
	return []string{"DPoP " + tok.AccessToken}, &dpopToken{s: d, p: p, ath: dpop.ATH(tok.AccessToken)}, nil
}

// dpopSessionOf returns the DPoP session of a source of this package that
// is not a grant source (an [OBOCache.Source]), so that a Transport over it
// sends its DPoP tokens; nil for any other source.
func dpopSessionOf(src TokenSource) *dpopSession {
	if s, ok := src.(oboSource); ok {
		return s.c.dpop
	}
	return nil
}

// roundTripDPoP is the Transport's RoundTrip for a DPoP token: the
// request as [sendDPoP] sends it, then the invalid_token handling every
// token gets.
func (t *Transport) roundTripDPoP(req *http.Request, st *tokenState) (*http.Response, error) {
	resp, err := sendDPoP(t.base, req, st.header, st.dpop)
	if err != nil {
		return nil, sendError(err, st)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return t.retryUnauthorized(req, st, resp)
	}
	if st.guard.Load() == unproven {
		st.guard.CompareAndSwap(unproven, mayForce)
	}
	return resp, nil
}

// sendDPoP sends req through base with a DPoP token, auth being its
// "DPoP <token>" header value and d its proof material: a fresh proof with
// ath per request (RFC 9449 §7), with the resource's latest nonce, and one
// retry with the resource's nonce after a 401 use_dpop_nonce when the body
// can be sent again (§9). Every response's nonce is remembered for its
// origin. It is the one DPoP request path of the [Transport] and of
// [OBOCache.Middleware]'s downstream client; each decides what a 401 it
// returns means (the Transport renews on invalid_token, the downstream
// client hands it to the handler).
func sendDPoP(base http.RoundTripper, req *http.Request, auth []string, d *dpopToken) (*http.Response, error) {
	out, err := withDPoP(req, auth, d, "")
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := base.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	d.s.rs.Remember(proofURL(req), resp.Header)
	if nonce, ok := dpop.UseNonce(resp); ok && replayable(req) {
		retry, err := withDPoP(req, auth, d, nonce)
		if err != nil {
			drain(resp)
			return nil, err
		}
		if retry.Body, err = bodyAgain(req); err != nil {
			return resp, nil
		}
		drain(resp)
		if resp, err = base.RoundTrip(retry); err != nil {
			return nil, err
		}
		d.s.rs.Remember(proofURL(req), resp.Header)
	}
	return resp, nil
}

// withDPoP returns a copy of req with Authorization set to auth ("DPoP
// <token>") and a new proof by d's key, with nonce, or else the resource's
// latest nonce if any.
func withDPoP(req *http.Request, auth []string, d *dpopToken, nonce string) (*http.Request, error) {
	u := proofURL(req)
	if nonce == "" {
		nonce = d.s.rs.Nonce(u)
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet // net/http's meaning of ""
	}
	proof, err := d.p.Proof(dpop.Claims{Method: method, URL: u, Nonce: nonce, ATH: d.ath})
	if err != nil {
		return nil, proofError(err)
	}
	r := withAuth(req, auth)
	r.Header["Dpop"] = []string{proof}
	return r, nil
}

// authorized returns a copy of req carrying st's token: as a bearer, or
// in the DPoP scheme with a new proof.
func authorized(req *http.Request, st *tokenState) (*http.Request, error) {
	if st.dpop != nil {
		return withDPoP(req, st.header, st.dpop, "")
	}
	return withAuth(req, st.header), nil
}

// proofURL is the URL the server sees, for htu and the nonce's origin:
// req.URL, with req.Host in place of its host when the caller set one
// (virtual hosting), as net/http sends req.Host.
func proofURL(req *http.Request) *url.URL {
	if req.Host == "" || req.Host == req.URL.Host {
		return req.URL
	}
	u := *req.URL
	u.Host = req.Host
	return &u
}

// replayable reports whether req's body can be sent again.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// bodyAgain returns a fresh copy of req's body for a retry.
func bodyAgain(req *http.Request) (io.ReadCloser, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req.Body, nil
	}
	return req.GetBody()
}

// invalidDPoPTokenChallenge reports whether a WWW-Authenticate header holds
// a DPoP challenge with error="invalid_token" (RFC 9449 §7.1).
func invalidDPoPTokenChallenge(values []string) bool {
	cs, err := dpop.ParseChallenges(values)
	if err != nil {
		return false
	}
	for i := range cs {
		if strings.EqualFold(cs[i].Scheme, "DPoP") && cs[i].Param("error") == "invalid_token" {
			return true
		}
	}
	return false
}
