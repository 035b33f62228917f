package oauth2flowstest

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// The OpenID Connect endpoints' paths (OpenID Connect Core §5.3,
// RP-Initiated Logout 1.0 §2).
const (
	pathUserInfo   = "/userinfo"
	pathEndSession = "/session/end"
)

// Names of the OpenID Connect endpoints in [Request.Endpoint],
// [Server.RequestsTo] and [Server.InjectFault].
const (
	EndpointUserInfo   = "userinfo"
	EndpointEndSession = "end_session"
)

// oidcEndpointName names an OpenID Connect endpoint's path, "" for others.
func oidcEndpointName(path string) string {
	switch path {
	case pathUserInfo:
		return EndpointUserInfo
	case pathEndSession:
		return EndpointEndSession
	}
	return ""
}

// serveOIDC serves the OpenID Connect endpoints; false for other paths.
func (s *Server) serveOIDC(w http.ResponseWriter, r *http.Request, path string) bool {
	switch path {
	case pathUserInfo:
		s.handleUserInfo(w, r)
	case pathEndSession:
		s.handleEndSession(w, r)
	default:
		return false
	}
	return true
}

// oidcMetadata adds the OpenID Connect Discovery §3 members of the
// endpoints above.
func (s *Server) oidcMetadata(meta map[string]any) {
	meta["userinfo_endpoint"] = s.URL() + pathUserInfo
	meta["end_session_endpoint"] = s.URL() + pathEndSession
	meta["claims_supported"] = []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "c_hash", "azp", "preferred_username"}
}

// idTokenHash is the at_hash or c_hash of v for the server's ES256 ID
// tokens (OpenID Connect Core §3.1.3.6, §3.3.2.11): the base64url left
// half of its SHA-256.
func idTokenHash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// idTokenExtras are the claims an ID token issued with accessToken adds:
// at_hash always, c_hash when redeeming a code, and the time the user
// authenticated when the grant knows it (OpenID Connect Core §2, §3.1.3.6,
// §3.3.2.11).
func idTokenExtras(is issuance, accessToken string) jwt.MapClaims {
	c := jwt.MapClaims{"at_hash": idTokenHash(accessToken)}
	if is.code != "" {
		c["c_hash"] = idTokenHash(is.code)
	}
	if !is.authTime.IsZero() {
		c["auth_time"] = is.authTime.Unix()
	}
	return c
}

// handleUserInfo is the userinfo endpoint (OpenID Connect Core §5.3),
// also Entra's: GET or POST with a user's access token of this server,
// checked as [Server.Protect] checks it (DPoP and certificate binding
// included) but for any audience, and granted the openid scope (Entra's
// tokens need not name it). It answers sub and the user's name as JSON.
// App-only tokens have no user and are refused.
func (s *Server) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	audience := ""
	if _, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok {
		if c, err := s.VerifyAccessToken(strings.TrimSpace(token)); err == nil && len(c.Audience) > 0 {
			audience = c.Audience[0]
		}
	}
	s.Protect(audience, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := ClaimsFromContext(r.Context())
		s.mu.Lock()
		e := s.store.access[c.ID]
		appOnly, openid := e != nil && e.appOnly, e != nil && e.openid
		s.mu.Unlock()
		if appOnly {
			challenge(w, "an app-only token has no user")
			return
		}
		if s.cfg.entra == nil && !openid {
			// OpenID Connect Core §5.3.3, RFC 6750 §3.1.
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="openid"`)
			http.Error(w, http.StatusText(http.StatusForbidden), http.StatusForbidden)
			return
		}
		info := map[string]any{"sub": c.Subject}
		if u := s.userBySubject(c.Subject); u != nil && u.Username != "" {
			info["name"] = u.Username
			info["preferred_username"] = u.Username
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, info)
	})).ServeHTTP(w, r)
}

// handleEndSession is the end_session_endpoint of OpenID Connect
// RP-Initiated Logout 1.0 §2: GET or POST with an optional id_token_hint,
// which must be an ID token of this server (expired ones are accepted,
// §4), client_id, which must be its audience when both are given, and a
// post_logout_redirect_uri, which must be registered for that client
// ([Client.PostLogoutRedirectURIs]; with [WithEntra], its RedirectURIs, as
// Entra takes them) and is then sent state. The user's refresh tokens for
// the client are revoked, as the end of the session. Entra's
// end_session_endpoint is this one too.
func (s *Server) handleEndSession(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		authorizePage(w, http.StatusBadRequest, "malformed logout request")
		return
	}
	q := r.Form
	clientID, subject := q.Get("client_id"), ""
	if hint := q.Get("id_token_hint"); hint != "" {
		var c jwt.RegisteredClaims
		_, err := jwt.ParseWithClaims(hint, &c, func(*jwt.Token) (any, error) { return &s.key.PublicKey, nil },
			jwt.WithValidMethods([]string{"ES256"}), jwt.WithoutClaimsValidation())
		if err != nil || c.Issuer != s.issuer() || len(c.Audience) != 1 || clientID != "" && c.Audience[0] != clientID {
			authorizePage(w, http.StatusBadRequest, "id_token_hint is not an ID token of this server for client_id")
			return
		}
		clientID, subject = c.Audience[0], c.Subject
	}
	redirect := q.Get("post_logout_redirect_uri")
	if redirect != "" {
		c := s.clients[clientID]
		if c == nil || !slices.Contains(c.postLogoutRedirectURIs(s.cfg.entra != nil), redirect) {
			authorizePage(w, http.StatusBadRequest, "post_logout_redirect_uri is not registered for the client")
			return
		}
	}
	if subject != "" {
		s.mu.Lock()
		for rt, e := range s.store.refresh {
			if e.clientID == clientID && e.subject == subject {
				delete(s.store.refresh, rt)
			}
		}
		s.mu.Unlock()
	}
	if redirect == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>Signed out</title><h1>Signed out</h1>\n"))
		return
	}
	p := url.Values{}
	if st := q.Get("state"); st != "" {
		p.Set("state", st)
	}
	http.Redirect(w, r, withParams(redirect, p, false), http.StatusFound)
}

// postLogoutRedirectURIs are where the end session endpoint may send the
// user back: the registered post-logout URIs, or for Entra, which has no
// such registration, the redirect URIs.
func (c *Client) postLogoutRedirectURIs(entra bool) []string {
	if entra {
		return c.RedirectURIs
	}
	return c.PostLogoutRedirectURIs
}
