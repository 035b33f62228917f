package oauth2flows

import (
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/oauth2flows/oauth2flows/internal/dpop"
)

// dpopToken is what the [Transport] needs to send one DPoP token (RFC 9449
// §7): the Prover of the key it is bound to, the session's resource nonces,
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

// roundTripDPoP is RoundTrip for a DPoP token: a fresh proof with ath per
// request (RFC 9449 §7), one retry with the resource's nonce after a 401
// use_dpop_nonce when the body can be sent again (§9), then the
// invalid_token handling every token gets.
func (t *Transport) roundTripDPoP(req *http.Request, st *tokenState) (*http.Response, error) {
	out, err := withDPoP(req, st, "")
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.base.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	st.dpop.s.rs.Remember(proofURL(req), resp.Header)
	if nonce, ok := dpop.UseNonce(resp); ok && replayable(req) {
		retry, err := withDPoP(req, st, nonce)
		if err != nil {
			drain(resp)
			return nil, err
		}
		if retry.Body, err = bodyAgain(req); err != nil {
			return resp, nil
		}
		drain(resp)
		if resp, err = t.base.RoundTrip(retry); err != nil {
			return nil, err
		}
		st.dpop.s.rs.Remember(proofURL(req), resp.Header)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return t.retryUnauthorized(req, st, resp)
	}
	if st.guard.Load() == unproven {
		st.guard.CompareAndSwap(unproven, mayForce)
	}
	return resp, nil
}

// withDPoP returns a copy of req with "Authorization: DPoP <token>" and a
// new proof, with nonce, or else the resource's latest nonce if any.
func withDPoP(req *http.Request, st *tokenState, nonce string) (*http.Request, error) {
	u := proofURL(req)
	if nonce == "" {
		nonce = st.dpop.s.rs.Nonce(u)
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet // net/http's meaning of ""
	}
	proof, err := st.dpop.p.Proof(dpop.Claims{Method: method, URL: u, Nonce: nonce, ATH: st.dpop.ath})
	if err != nil {
		return nil, proofError(err)
	}
	r := withAuth(req, st.header)
	r.Header["Dpop"] = []string{proof}
	return r, nil
}

// authorized returns a copy of req carrying st's token: as a bearer, or
// in the DPoP scheme with a new proof.
func authorized(req *http.Request, st *tokenState) (*http.Request, error) {
	if st.dpop != nil {
		return withDPoP(req, st, "")
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
