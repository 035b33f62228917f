package oauth2flowstest

import (
	"crypto/subtle"
	"net/url"
)

// grantPassword is the resource owner password credentials grant
// (RFC 6749 §4.3), checked against the registered users.
func (s *Server) grantPassword(c *Client, form url.Values) (*tokenResponse, *oauthError) {
	username, password := form.Get("username"), form.Get("password")
	if username == "" || !form.Has("password") {
		return nil, errInvalidRequest("username and password required")
	}
	var user *User
	for i := range s.cfg.users {
		u := &s.cfg.users[i]
		if u.Username == username && subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) == 1 {
			user = u
			break
		}
	}
	if user == nil {
		return nil, errInvalidGrant("invalid username or password")
	}
	if e := checkResources(form["resource"]); e != nil {
		return nil, e
	}
	scope := form.Get("scope")
	return s.issue(issuance{
		subject:   user.subject(),
		client:    c,
		scope:     scope,
		resources: form["resource"],
		refresh:   true,
		idToken:   hasScope(scope, "openid"),
	})
}

// grantClientCredentials is the client credentials grant (RFC 6749 §4.4):
// confidential clients only, the client is the subject, and no refresh
// token is issued (§4.4.3).
func (s *Server) grantClientCredentials(c *Client, form url.Values) (*tokenResponse, *oauthError) {
	if c.public() {
		return nil, errUnauthorizedClient("public clients cannot use client_credentials")
	}
	if e := checkResources(form["resource"]); e != nil {
		return nil, e
	}
	return s.issue(issuance{
		subject:   c.ID,
		client:    c,
		scope:     form.Get("scope"),
		resources: form["resource"],
		appOnly:   true,
	})
}

// userBySubject finds a registered user by sub.
func (s *Server) userBySubject(sub string) *User {
	for i := range s.cfg.users {
		if s.cfg.users[i].subject() == sub {
			return &s.cfg.users[i]
		}
	}
	return nil
}

// checkResources refuses resource indicators that are not absolute URIs
// without a fragment (RFC 8707 §2: invalid_target).
func checkResources(resources []string) *oauthError {
	for _, r := range resources {
		if !absoluteURI(r) {
			return errInvalidTarget("resource must be an absolute URI without a fragment")
		}
	}
	return nil
}
