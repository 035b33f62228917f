package oauth2flows

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/oauth2flows/oauth2flows/internal/ctxkey"
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

// Middleware is the middle tier's On-Behalf-Of. Behind the Middleware of a
// resource.Validator (package [github.com/oauth2flows/oauth2flows/resource]),
// for each request it takes the caller's validated token, exchanges it
// through the cache for a downstream token, and calls next with an
// *http.Client for the downstream API in the request's context; get it
// with [DownstreamClient]. The whole
// middle tier is one line:
//
//	http.Handle("/orders", v.Middleware(obo.Middleware(orders)))
//
// Without a validated token in the request's context it exchanges
// nothing: it answers 500 and logs the misconfiguration, unless the cache was built with
// [WithInsecureUnvalidatedTokens], when it exchanges the Authorization
// header's bearer token (RFC 6750 §2.1) as it is. That client sends the token as a [Transport] would:
// never to another origin on a redirect, never over plain http except to
// loopback, never past the user's token's "exp"; and through
// Config.HTTPClient's transport when one is set. With Config.DPoPKey the
// downstream token is DPoP-bound (RFC 9449) and goes as "Authorization: DPoP
// <token>" with a fresh proof per request (§7), carrying the API's nonce,
// with one retry after a 401 use_dpop_nonce when the body can be sent
// again (§9); never as a bearer. A 401 invalid_token from the API, for
// either scheme, goes to the handler as it is.
//
// With WithInsecureUnvalidatedTokens, the caller gets 401 with
// WWW-Authenticate: Bearer when its Authorization header is missing, and
// error="invalid_request" when it is malformed. In every case it gets
// error="invalid_token" when the token has expired (nothing is sent), or
// when the server rejects it as a grant
// (invalid_grant: expired, wrong audience; invalid_request for RFC 8693
// token exchange, §2.2.2), and then for 30 seconds without asking again
// (see [OBOCache]); and the claims challenge of
// [WriteClaimsChallenge] when the server answers interaction_required with
// claims (conditional access, MFA). Other failures of the token endpoint
// give 502, a misconfiguration 500. No token reaches a response body.
func (c *OBOCache) Middleware(next http.Handler, opts ...Option) http.Handler {
	mw := &middleware{c: c, opts: slices.Clone(opts), base: c.downstreamBase()}
	if len(opts) > 0 {
		mw.o = collect(opts)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assertion, ok := c.admit(w, r)
		if !ok {
			return
		}
		e, err := mw.entry(r.Context(), assertion)
		if err != nil {
			c.writeExchangeError(w, err)
			return
		}
		d := &downstream{Context: r.Context(), mw: mw}
		d.client.Transport = d
		d.cur.Store(e)
		next.ServeHTTP(w, r.WithContext(d))
	})
}

// middleware is what every request of one [OBOCache.Middleware] shares:
// its options, resolved once, and the digest of the token's shape.
type middleware struct {
	c     *OBOCache
	opts  []Option
	o     *options // opts applied; nil without options
	shape atomic.Pointer[shapeMemo]
	base  http.RoundTripper // of the downstream client
}

// entry returns the entry of the user's downstream token.
func (mw *middleware) entry(ctx context.Context, assertion string) (*lruEntry, error) {
	return mw.c.find(ctx, assertion, mw.o, mw.opts, &mw.shape, true)
}

// admit is Middleware's gate: it returns the incoming token to exchange, or
// answers the request itself and returns false.
//
// Only a validated token is exchanged: the one that resource's
// Validator.Middleware put in the request's context. Without one the
// chain is misconfigured (the Validator is missing, or placed after the
// cache): the request gets 500 and the log says why, and nothing is sent to
// the token endpoint. A 401 would tell the client its token is bad and send
// it to sign in again, in a loop, for a fault of the server.
// [WithInsecureUnvalidatedTokens] exchanges the Authorization header's
// bearer instead, whose characters are checked before its first exchange
// (see entry), not on every request.
func (c *OBOCache) admit(w http.ResponseWriter, r *http.Request) (string, bool) {
	if v := ctxkey.ValidatedFrom(r.Context()); v != nil && v.Token != "" {
		return v.Token, true
	}
	if !c.insecureUnvalidated {
		c.logger().LogAttrs(r.Context(), slog.LevelError, "oauth2flows: OBOCache.Middleware refused to exchange an unvalidated token: "+
			"put resource.Validator.Middleware in front of it, or set WithInsecureUnvalidatedTokens if a gateway validates tokens")
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "on-behalf-of is misconfigured", http.StatusInternalServerError)
		return "", false
	}
	assertion, err := bearerCredentials(r)
	if err != nil {
		writeBearerChallenge(w, err)
		return "", false
	}
	return assertion, true
}

// logger is Config.Logger, or slog's default logger when it is nil: a
// misconfiguration must be seen.
func (c *OBOCache) logger() *slog.Logger {
	if c.cfg != nil && c.cfg.Logger != nil {
		return c.cfg.Logger
	}
	return slog.Default()
}

// writeBearerChallenge answers a request whose Authorization header is
// missing (RFC 6750 §3.1: a bare challenge) or malformed (invalid_request).
func writeBearerChallenge(w http.ResponseWriter, err error) {
	challenge := "Bearer"
	if !errors.Is(err, errNoAuthorization) {
		challenge = `Bearer error="invalid_request"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	http.Error(w, "unauthorized", http.StatusUnauthorized)
}

// downstream is, in one allocation per request, the request's context
// carrying the downstream client, that client, and its RoundTripper. The
// RoundTripper starts with the token Middleware got, so the first call
// neither looks it up again nor builds its header: the cache entry holds
// the header value.
type downstream struct {
	context.Context
	client http.Client
	mw     *middleware
	cur    atomic.Pointer[lruEntry] // its assertion is the user's
}

// Value returns the downstream client for [DownstreamClient], and the
// request context's values otherwise.
func (d *downstream) Value(key any) any {
	if key == (downstreamKey{}) {
		return &d.client
	}
	return d.Context.Value(key)
}

// RoundTrip sends req with the user's downstream token, a DPoP-bound one
// as [sendDPoP] does (RFC 9449 §7, §9). A handler that
// outlives the token's time in the cache (the margin before its expiry, or
// the assertion's exp) gets the cache's current token, or its error.
func (d *downstream) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Response != nil && !mayCarryBearer(req, nil) {
		return d.mw.base.RoundTrip(req)
	}
	if req.URL.Scheme != "https" && !isLoopback(req.URL.Hostname()) {
		closeBody(req)
		return nil, &ConfigError{Op: "OBOCache.Middleware", Field: "request URL", Reason: "a bearer token is not sent over plain http except to loopback (RFC 6750 §5.3)"}
	}
	e := d.cur.Load()
	if !wallNow().Before(e.until) {
		next, err := d.mw.entry(req.Context(), e.assertion)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		d.cur.Store(next)
		e = next
	}
	if e.authErr != nil {
		closeBody(req)
		return nil, e.authErr
	}
	if e.dpop != nil {
		return sendDPoP(d.mw.base, req, e.auth, e.dpop) // RFC 9449: a proof per request
	}
	return d.mw.base.RoundTrip(withAuth(req, e.auth))
}

// downstreamBase sends downstream calls through Config.HTTPClient's
// transport when one is set, so its trust roots, client certificate (for
// RFC 8705 bound tokens) and instrumentation apply to them too. Otherwise
// they go through a copy of http.DefaultTransport that keeps up to
// downstreamIdleConns idle connections to the downstream API instead of 2:
// a middle tier calls one API from many requests at once, and with 2 most
// calls would open a new connection and close it after.
func (c *OBOCache) downstreamBase() http.RoundTripper {
	if c.cfg != nil && c.cfg.HTTPClient != nil && c.cfg.HTTPClient.Transport != nil {
		return c.cfg.HTTPClient.Transport
	}
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		t = t.Clone()
		t.MaxIdleConnsPerHost = downstreamIdleConns
		return t
	}
	return http.DefaultTransport
}

// downstreamIdleConns is how many idle connections per host the
// Middleware's own transport keeps; see downstreamBase.
const downstreamIdleConns = 100

// DownstreamClient returns the client [OBOCache.Middleware] put in ctx.
func DownstreamClient(ctx context.Context) (*http.Client, bool) {
	c, ok := ctx.Value(downstreamKey{}).(*http.Client)
	return c, ok
}

// writeExchangeError answers a request whose token could not be
// exchanged: 401 invalid_token when the server refused the token itself
// (see refusesAssertion), the claims challenge, 500 for a
// misconfiguration, 502 otherwise.
func (c *OBOCache) writeExchangeError(w http.ResponseWriter, err error) {
	if errors.Is(err, errMalformedBearer) {
		writeBearerChallenge(w, err)
		return
	}
	if claims, ok := ClaimsFromError(err); ok {
		WriteClaimsChallenge(w, claims)
		return
	}
	var oe *Error
	var ce *ConfigError
	switch {
	case errors.As(err, &oe) && refusesAssertion(err, c.grant), errors.Is(err, errAssertionExpired):
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, "invalid_token", http.StatusUnauthorized)
	case errors.As(err, &ce):
		http.Error(w, "on-behalf-of is misconfigured", http.StatusInternalServerError)
	default:
		http.Error(w, "downstream token unavailable", http.StatusBadGateway)
	}
}

var (
	errNoAuthorization = errors.New("oauth2flows: no Authorization header")
	errMalformedBearer = errors.New("oauth2flows: malformed Authorization header")
)

// bearerCredentials returns the bearer token of a request's Authorization
// header (RFC 6750 §2.1), the scheme matched without regard to case, without
// the check of the token's characters (isB64Token). It reports a missing
// header and a malformed one as different errors.
func bearerCredentials(r *http.Request) (string, error) {
	h := r.Header["Authorization"]
	if len(h) == 0 {
		h = r.Header.Values("Authorization") // a header map not in canonical form
		if len(h) == 0 {
			return "", errNoAuthorization
		}
	}
	const scheme = "Bearer "
	v := h[0]
	if len(h) > 1 || len(v) <= len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
		return "", errMalformedBearer
	}
	return v[len(scheme):], nil
}

// notB64Token is 1 for the bytes a b64token may not hold, 0 for the others.
var notB64Token = func() (t [256]byte) {
	for i := range t {
		t[i] = 1
	}
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/" {
		t[c] = 0
	}
	return t
}()

// isB64Token checks RFC 6750 §2.1's b64token: 1*( ALPHA / DIGIT / "-" /
// "." / "_" / "~" / "+" / "/" ) *"=". Tokens are kilobytes long and are
// checked on every request: a table, read eight bytes per round with no
// branch but the loop's, costs about a third of the comparisons it replaces.
func isB64Token(s string) bool {
	s = strings.TrimRight(s, "=")
	if s == "" {
		return false
	}
	var bad byte
	for len(s) >= 8 {
		bad |= notB64Token[s[0]] | notB64Token[s[1]] | notB64Token[s[2]] | notB64Token[s[3]] |
			notB64Token[s[4]] | notB64Token[s[5]] | notB64Token[s[6]] | notB64Token[s[7]]
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		bad |= notB64Token[s[i]]
	}
	return bad == 0
}
