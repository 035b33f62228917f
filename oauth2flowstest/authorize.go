package oauth2flowstest

import (
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// codeLifetime is RFC 6749 §4.1.2's recommended maximum for codes.
const codeLifetime = 10 * time.Minute

// handleAuthorize is the authorization endpoint (RFC 6749 §3.1) for the
// code (§4.1) and implicit (§4.2) grants. There is no login page: the first
// registered user, or the one login_hint names, signs in and consents at
// once. Until the client and redirect_uri are known to be good, errors are
// a 400 page and never a redirect (RFC 6749 §4.1.2.1); after that they go
// back to the client as error parameters.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request, rec *Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		authorizePage(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if err := r.ParseForm(); err != nil {
		authorizePage(w, http.StatusBadRequest, "malformed request")
		return
	}
	q := r.Form
	rec.Form = q
	// RFC 9126 §4: a pushed request is used in place of the query.
	pushed := q.Has("request_uri")
	var msg string
	if pushed {
		q, msg = s.takePushed(q)
	} else {
		q, msg = s.requestObjectByValue(q) // RFC 9101 §5
	}
	if msg != "" {
		authorizePage(w, http.StatusBadRequest, msg)
		return
	}
	c := s.clients[q.Get("client_id")]
	if c == nil {
		authorizePage(w, http.StatusBadRequest, "unknown or missing client_id")
		return
	}
	rec.ClientID = c.ID
	// RFC 6749 §3.1.2.2: public clients and implicit-grant clients MUST
	// register their redirection endpoints.
	mustRegister := c.public() || q.Get("response_type") == "token"
	redirect, ok := redirectFor(c, q.Get("redirect_uri"), mustRegister)
	if !ok {
		authorizePage(w, http.StatusBadRequest, "redirect_uri missing, malformed or not registered for this client")
		return
	}

	implicit := q.Get("response_type") == "token"
	fail := func(code, desc string) {
		if !implicit && isJARM(q.Get("response_mode")) {
			s.redirectJARMError(w, r, redirect, c.ID, q.Get("state"), code, desc)
			return
		}
		s.redirectError(w, r, redirect, implicit, q.Get("state"), code, desc)
	}
	if !pushed && s.cfg.par.required {
		fail("invalid_request", "this server requires pushed authorization requests (RFC 9126 §5)")
		return
	}
	if e := checkAuthorizationParams(c, q); e != nil {
		fail(e.code, e.description)
		return
	}
	user, desc := s.signedInUser(q.Get("login_hint"))
	if user == nil {
		fail("login_required", desc)
		return
	}
	if implicit {
		s.authorizeImplicit(w, r, c, user, redirect, q)
		return
	}
	s.authorizeCode(w, r, c, user, redirect, q)
}

// checkAuthorizationParams checks an authorization request of a known
// client with a good redirect URI, at the authorization endpoint or when
// pushed (RFC 9126 §2.1): response_type, resource indicators, and for the
// code grant PKCE, dpop_jkt and the scopes. Its errors go back to the
// client.
func checkAuthorizationParams(c *Client, q url.Values) *oauthError {
	// RFC 8707 §2 lets resource repeat.
	if e := checkDuplicates(q, "resource"); e != nil {
		return e
	}
	switch q.Get("response_type") {
	case "code":
		if !c.allowsGrant("authorization_code") {
			return errUnauthorizedClient("client is not registered for the authorization code grant")
		}
	case "token":
		if !c.allowsGrant(GrantImplicit) {
			return errUnauthorizedClient("client is not registered for the implicit grant")
		}
	case "":
		return errInvalidRequest("response_type missing")
	default:
		return &oauthError{status: http.StatusBadRequest, code: "unsupported_response_type",
			description: "response_type must be code or token"}
	}
	if e := checkResources(q["resource"]); e != nil {
		return e
	}
	if q.Get("response_type") == "code" {
		return checkCodeRequest(c, q)
	}
	return nil
}

// authorizeCode issues a code (RFC 6749 §4.1.2) with the RFC 9207 iss.
func (s *Server) authorizeCode(w http.ResponseWriter, r *http.Request, c *Client, u *User, redirect string, q url.Values) {
	challenge := q.Get("code_challenge")
	code := randomString()
	s.mu.Lock()
	s.store.codes[code] = &codeEntry{
		clientID:          c.ID,
		redirectURI:       q.Get("redirect_uri"),
		effectiveRedirect: redirect,
		challenge:         challenge,
		subject:           u.subject(),
		scope:             q.Get("scope"),
		nonce:             q.Get("nonce"),
		resources:         q["resource"],
		expires:           s.now().Add(codeLifetime),
		dpopJKT:           q.Get("dpop_jkt"),
		authTime:          s.now(),
	}
	s.mu.Unlock()
	p := url.Values{"code": {code}, "iss": {s.issuer()}}
	if st := q.Get("state"); st != "" {
		p.Set("state", st)
	}
	p = s.jarmParams(q.Get("response_mode"), c.ID, p)
	http.Redirect(w, r, withParams(redirect, p, false), http.StatusFound)
}

// checkCodeRequest checks the parameters of a code request: PKCE S256,
// required of public clients (RFC 7636, RFC 9700 §2.1.1), dpop_jkt
// (RFC 9449 §10) and the scopes.
func checkCodeRequest(c *Client, q url.Values) *oauthError {
	challenge := q.Get("code_challenge")
	switch method := q.Get("code_challenge_method"); {
	case challenge == "" && method != "":
		return errInvalidRequest("code_challenge_method without code_challenge")
	case challenge == "" && c.public():
		// RFC 9700 §2.1.1: public clients MUST use PKCE.
		return errInvalidRequest("PKCE code_challenge required for public clients")
	case challenge != "" && method != "S256":
		// RFC 9700 §2.1.1: plain must not be used; S256 only.
		return errInvalidRequest("code_challenge_method must be S256")
	case challenge != "" && !challengeSyntax.MatchString(challenge):
		return errInvalidRequest("code_challenge malformed")
	}
	if jkt := q.Get("dpop_jkt"); jkt != "" && !jktSyntax(jkt) {
		return errInvalidRequest("dpop_jkt is not a SHA-256 JWK thumbprint (RFC 9449 §10)")
	}
	_, _, e := resourceScopes(q.Get("scope"))
	return e
}

// authorizeImplicit returns an access token in the fragment (RFC 6749
// §4.2.2). Deprecated by RFC 9700 §2.1.2, served for legacy clients.
func (s *Server) authorizeImplicit(w http.ResponseWriter, r *http.Request, c *Client, u *User, redirect string, q url.Values) {
	scope := q.Get("scope")
	aud, scp, e := s.audienceFor(scope, q["resource"], c.ID)
	if e != nil {
		s.redirectError(w, r, redirect, true, q.Get("state"), e.code, e.description)
		return
	}
	at, exp, _ := s.mintAccessToken(grant{subject: u.subject(), clientID: c.ID, audience: aud, scope: scp})
	p := url.Values{
		"access_token": {at},
		"token_type":   {"Bearer"},
		"expires_in":   {strconv.FormatInt(int64(exp/time.Second), 10)},
		"iss":          {s.issuer()},
	}
	if scope != "" {
		p.Set("scope", scope)
	}
	if st := q.Get("state"); st != "" {
		p.Set("state", st)
	}
	http.Redirect(w, r, withParams(redirect, p, true), http.StatusFound)
}

// signedInUser picks the user who consents: the one login_hint names
// (OpenID Connect Core §3.1.2.1), else the first registered.
func (s *Server) signedInUser(hint string) (*User, string) {
	if len(s.cfg.users) == 0 {
		return nil, "no user registered with WithUser"
	}
	if hint == "" {
		return &s.cfg.users[0], ""
	}
	for i := range s.cfg.users {
		if u := &s.cfg.users[i]; u.Username == hint || u.subject() == hint {
			return u, ""
		}
	}
	return nil, "login_hint names no registered user"
}

// redirectFor returns where the authorization response goes (RFC 6749
// §3.1.2): the redirect_uri when it is registered (exact match, RFC 9700
// §2.1), or the only registered one when none is sent. A client with none
// registered may name any absolute URI, unless mustRegister.
func redirectFor(c *Client, requested string, mustRegister bool) (string, bool) {
	if mustRegister && len(c.RedirectURIs) == 0 {
		return "", false
	}
	if requested == "" {
		if len(c.RedirectURIs) == 1 {
			return c.RedirectURIs[0], true
		}
		return "", false
	}
	if !absoluteURI(requested) {
		return "", false
	}
	if len(c.RedirectURIs) > 0 && !slices.Contains(c.RedirectURIs, requested) {
		return "", false
	}
	return requested, true
}

// absoluteURI reports whether s is an absolute URI without a fragment
// (RFC 6749 §3.1.2, RFC 8707 §2).
func absoluteURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && !strings.Contains(s, "#")
}

// redirectError sends an error to the client's redirect URI (RFC 6749
// §4.1.2.1, §4.2.2.1), with the RFC 9207 iss.
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, redirect string, fragment bool, state, code, desc string) {
	p := url.Values{"error": {code}, "iss": {s.issuer()}}
	if desc != "" {
		p.Set("error_description", desc)
	}
	if state != "" {
		p.Set("state", state)
	}
	http.Redirect(w, r, withParams(redirect, p, fragment), http.StatusFound)
}

// withParams adds p to the redirect URI's query, keeping its own query
// (RFC 6749 §3.1.2), or puts p in the fragment for the implicit grant.
func withParams(redirect string, p url.Values, fragment bool) string {
	u, _ := url.Parse(redirect)
	if fragment {
		u.Fragment = ""
		u.RawFragment = ""
		return u.String() + "#" + p.Encode()
	}
	q := u.Query()
	for k, v := range p {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func authorizePage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<!doctype html><title>Authorization error</title><h1>Authorization error</h1><p>" +
		html.EscapeString(msg) + "</p>\n"))
}
