package oauth2flows

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// Source returns a [TokenSource] of On-Behalf-Of tokens for one incoming
// assertion, served through the cache.
func (c *OBOCache) Source(assertion string, opts ...Option) TokenSource {
	return oboSource{c: c, assertion: assertion, opts: opts}
}

type oboSource struct {
	c         *OBOCache
	assertion string
	opts      []Option
}

func (s oboSource) Token(ctx context.Context) (*Token, error) {
	return s.c.Token(ctx, s.assertion, s.opts...)
}

// downstreamKey is the context key of the client Middleware provides.
type downstreamKey struct{}

// Middleware is the middle tier's On-Behalf-Of in one line. For each
// request it takes the caller's bearer token (RFC 6750 §2.1), exchanges it
// through the cache for a downstream token, and calls next with an
// *http.Client for the downstream API in the request's context; get it with
// [DownstreamClient]. That client sends the token with a [Transport], so it
// never leaks the bearer to another origin on a redirect, through
// Config.HTTPClient's transport when one is set.
//
// The caller gets 401 with WWW-Authenticate: Bearer when its Authorization
// header is missing, and error="invalid_request" when it is malformed;
// error="invalid_token" when the server rejects the token as a grant
// (invalid_grant: expired, wrong audience); and the claims challenge of
// [WriteClaimsChallenge] when the server answers interaction_required with
// claims (conditional access, MFA). Other failures of the token endpoint
// give 502, a misconfiguration 500. No token reaches a response body.
func (c *OBOCache) Middleware(next http.Handler, opts ...Option) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assertion, err := BearerToken(r)
		if err != nil {
			challenge := "Bearer"
			if !errors.Is(err, errNoAuthorization) {
				challenge = `Bearer error="invalid_request"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if _, err := c.Token(r.Context(), assertion, opts...); err != nil {
			writeExchangeError(w, err)
			return
		}
		client := &http.Client{Transport: NewTransport(c.Source(assertion, opts...), c.downstreamBase()...)}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), downstreamKey{}, client)))
	})
}

// downstreamBase sends downstream calls through Config.HTTPClient's
// transport when one is set, so its trust roots, client certificate (for
// RFC 8705 bound tokens) and instrumentation apply to them too.
func (c *OBOCache) downstreamBase() []TransportOption {
	if c.cfg.HTTPClient != nil && c.cfg.HTTPClient.Transport != nil {
		return []TransportOption{WithBase(c.cfg.HTTPClient.Transport)}
	}
	return nil
}

// DownstreamClient returns the client [OBOCache.Middleware] put in ctx.
func DownstreamClient(ctx context.Context) (*http.Client, bool) {
	c, ok := ctx.Value(downstreamKey{}).(*http.Client)
	return c, ok
}

func writeExchangeError(w http.ResponseWriter, err error) {
	if claims, ok := ClaimsFromError(err); ok {
		WriteClaimsChallenge(w, claims)
		return
	}
	var oe *Error
	var ce *ConfigError
	switch {
	case errors.As(err, &oe) && oe.Code == "invalid_grant":
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, "invalid_token", http.StatusUnauthorized)
	case errors.As(err, &ce):
		http.Error(w, "on-behalf-of is misconfigured", http.StatusInternalServerError)
	default:
		http.Error(w, "downstream token unavailable", http.StatusBadGateway)
	}
}

var errNoAuthorization = errors.New("oauth2flows: no Authorization header")

// BearerToken returns the bearer token of a request's Authorization header
// (RFC 6750 §2.1): the scheme is matched without regard to case and the
// token must be a b64token. It reports a missing header and a malformed one
// as different errors.
func BearerToken(r *http.Request) (string, error) {
	h := r.Header.Values("Authorization")
	if len(h) == 0 {
		return "", errNoAuthorization
	}
	scheme, tok, ok := strings.Cut(h[0], " ")
	if len(h) > 1 || !ok || !strings.EqualFold(scheme, "Bearer") || !isB64Token(tok) {
		return "", errors.New("oauth2flows: malformed Authorization header")
	}
	return tok, nil
}

// isB64Token checks RFC 6750 §2.1's b64token: 1*( ALPHA / DIGIT / "-" /
// "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	s = strings.TrimRight(s, "=")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			return false
		}
	}
	return true
}
