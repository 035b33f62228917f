package oauth2flows

import (
	"context"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Transport is an http.RoundTripper that sends each request with
// "Authorization: Bearer <token>" (RFC 6750 §2.1) from a [TokenSource], and
// renews the token before it expires.
//
// With a valid token a request costs one atomic load, a copy of the request
// and of its header map, and no lock. Near expiry one goroutine renews the
// token in the background while requests go on with the old one; once it has
// expired, one renewal runs and every request waits for it (single-flight,
// never a lock held across I/O). Every new token goes to the saver of
// [WithTokenSaver] before any request uses it. A 401 response with
// error="invalid_token" (RFC 6750 §3.1) forces one renewal and one retry.
// The bearer is never sent to another origin on a redirect.
//
// A Transport is safe for concurrent use. Create it with [NewTransport].
type Transport struct {
	src   TokenSource
	base  http.RoundTripper
	saver func(ctx context.Context, tok *Token) error
	skew  time.Duration
	hosts map[string]bool // nil: any host
	http  bool            // InsecureAllowHTTP: bearer over plain http off loopback

	state      atomic.Pointer[tokenState]
	flight     inflight[*tokenState]
	background atomic.Bool // a proactive renewal was started and has not ended
}

// tokenState is one token as the hot path needs it. It is immutable once
// stored; a change stores a new one.
type tokenState struct {
	tok       *Token
	header    []string  // Authorization value, computed once per token
	expireAt  time.Time // not used from then on; far future for no expiry
	refreshAt time.Time // renewed in the background from then on
	saved     bool      // the saver has returned nil for tok, or there is no saver
	err       error     // why tok cannot be sent, e.g. *TokenTypeError
	ready     bool      // saved and no err: the hot path may send it
}

// never stands for "no expiry", so that the hot path has one comparison.
var never = time.Unix(1<<40, 0)

const (
	// DefaultRefreshSkew is how long before expiry a token is renewed in the
	// background, unless [WithRefreshSkew] says otherwise.
	DefaultRefreshSkew = time.Minute
	// expiryDelta keeps a token from expiring in flight: it is treated as
	// expired this long (at most a tenth of its lifetime) before its Expiry.
	expiryDelta = 10 * time.Second
	// renewTimeout bounds one renewal, saving included. It runs detached from
	// the requests waiting for it, so it needs its own limit.
	renewTimeout = time.Minute
)

// TransportOption configures a [Transport].
type TransportOption func(*Transport)

// WithBase sets the RoundTripper that sends the requests. The default is
// http.DefaultTransport.
func WithBase(rt http.RoundTripper) TransportOption {
	return func(t *Transport) {
		if rt != nil {
			t.base = rt
		}
	}
}

// WithTokenSaver sets a function that persists every new token, as
// requests-oauthlib's token_updater does. Its semantics:
//
//   - It is called exactly once for each new token: a token the source
//     issued that differs from the one in use. The token the source started
//     with (the one given to [RefreshTokenSource]) is not new and is not saved.
//   - Calls are in the order the tokens were issued, never concurrent.
//   - It is called before the token is used on any request; requests wait
//     for it to return.
//   - If it returns an error, the requests waiting get an error that wraps
//     it (see [SaveError]), and the token is kept in memory, so a rotated
//     refresh token (RFC 9700 §4.14.2) is never lost. The next request calls
//     the saver again with that same token before using it.
//   - Its ctx carries the values of the request that caused the renewal but
//     not its cancellation, and ends after one minute.
//
// It is not called when the renewal failed, for example with invalid_grant.
// The token must not be modified.
func WithTokenSaver(save func(ctx context.Context, tok *Token) error) TransportOption {
	return func(t *Transport) { t.saver = save }
}

// WithRefreshSkew sets how long before its expiry a token is renewed in the
// background, while requests go on with it. The default is
// [DefaultRefreshSkew]. For short-lived tokens the renewal starts at the
// latest halfway through the token's lifetime.
func WithRefreshSkew(d time.Duration) TransportOption {
	return func(t *Transport) {
		if d >= 0 {
			t.skew = d
		}
	}
}

// WithInsecureHTTP lets the Transport send the bearer token over plain
// http to hosts other than loopback, where anyone on the path can read and
// replay it (RFC 6750 §5.3). By default such a request fails before it is
// sent.
func WithInsecureHTTP() TransportOption {
	return func(t *Transport) { t.http = true }
}

// WithAllowedHosts restricts the bearer to requests whose URL host is in
// hosts: either a bare host name, which allows any port, or host:port.
// Requests to other hosts are sent without it. Redirects are restricted
// anyway; see [Transport].
func WithAllowedHosts(hosts ...string) TransportOption {
	return func(t *Transport) {
		t.hosts = make(map[string]bool, len(hosts))
		for _, h := range hosts {
			t.hosts[strings.ToLower(h)] = true
		}
	}
}

// NewTransport returns a Transport that authorizes requests with tokens from
// src. A source of this package ([RefreshTokenSource] and the others) lets
// the Transport ask for a new token ahead of expiry and after a 401; any
// other source is asked with its Token method, and a token it returns again
// is not new.
func NewTransport(src TokenSource, opts ...TransportOption) *Transport {
	t := &Transport{src: src, base: http.DefaultTransport, skew: DefaultRefreshSkew}
	for _, opt := range opts {
		if opt != nil {
			opt(t)
		}
	}
	if s, ok := src.(renewer); ok {
		if tok := s.initial(); tok != nil && tok.AccessToken != "" {
			t.state.Store(newTokenState(tok, t.skew, true))
		}
	}
	return t
}

// NewClient returns an http.Client whose requests carry a token obtained
// with the refresh_token grant (RFC 6749 §6) from tok, renewed as needed;
// every new token goes to the saver of [WithTokenSaver], if given. Requests
// are sent by cfg.HTTPClient.Transport when set, else by
// http.DefaultTransport; [WithBase] overrides both. The client has no
// timeout; set one on it if needed.
func NewClient(cfg *Config, tok *Token, opts ...TransportOption) *http.Client {
	var base []TransportOption
	if cfg != nil && cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		base = append(base, WithBase(cfg.HTTPClient.Transport))
	}
	return &http.Client{Transport: NewTransport(RefreshTokenSource(cfg, tok), append(base, opts...)...)}
}

// RoundTrip implements http.RoundTripper. It does not modify req.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if (req.Response != nil || t.hosts != nil) && !mayCarryBearer(req, t.hosts) {
		return t.base.RoundTrip(req)
	}
	if req.URL.Scheme != "https" && !t.http && !isLoopback(req.URL.Hostname()) {
		closeBody(req)
		return nil, &ConfigError{Field: "request URL", Reason: "a bearer token is not sent over plain http except to loopback (RFC 6750 §5.3); see WithInsecureHTTP"}
	}
	st := t.state.Load()
	now := time.Now()
	if st == nil || !st.ready || !now.Before(st.expireAt) {
		var err error
		if st, err = t.wait(req.Context(), st); err != nil {
			closeBody(req)
			return nil, err
		}
	} else if !now.Before(st.refreshAt) {
		t.renewInBackground(req.Context(), st)
	}
	resp, err := t.base.RoundTrip(withAuth(req, st.header))
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		return t.retryUnauthorized(req, st, resp)
	}
	return resp, err
}

// Token returns the token the Transport sends now, renewing and saving it
// first when it is missing or expired, exactly as a request would. It makes
// the Transport a [TokenSource] too, e.g. to read the current token for
// another client. The token must not be modified.
func (t *Transport) Token(ctx context.Context) (*Token, error) {
	st := t.state.Load()
	if st == nil || !st.ready || !time.Now().Before(st.expireAt) {
		var err error
		if st, err = t.wait(ctx, st); err != nil {
			return nil, err
		}
	}
	return st.tok, nil
}

// withAuth returns a copy of req with Authorization set. The RoundTripper
// contract forbids changing req; a copy of the struct and of the header
// map is enough, as nothing else is changed. req.Clone would also copy every
// header value and the URL: three to four allocations more per request.
// The value slices are shared, so a base RoundTripper must not write into
// them, which net/http never does (Header.Set and Add replace or grow them).
func withAuth(req *http.Request, auth []string) *http.Request {
	r := new(http.Request)
	*r = *req
	r.Header = maps.Clone(req.Header) // copies the table as is, without rehashing
	if r.Header == nil {
		r.Header = make(http.Header, 1)
	}
	r.Header["Authorization"] = auth
	return r
}

// retryUnauthorized handles a 401. When the resource server says the token is
// invalid (RFC 6750 §3.1) and the body can be sent again, it forces one
// renewal and retries once with the new token. Otherwise, or when the source
// has no newer token, it returns resp as is.
func (t *Transport) retryUnauthorized(req *http.Request, used *tokenState, resp *http.Response) (*http.Response, error) {
	if !invalidTokenChallenge(resp.Header.Values("Www-Authenticate")) {
		return resp, nil
	}
	replay := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	if !replay {
		return resp, nil
	}
	ctx := req.Context()
	c, _ := t.flight.start(ctx, func(ctx context.Context) (*tokenState, error) { return t.renew(ctx, used) })
	st, err := c.wait(ctx)
	if err == nil && st.err != nil {
		err = st.err
	}
	if err != nil {
		drain(resp)
		return nil, err
	}
	if sameToken(st.tok, used.tok) {
		return resp, nil
	}
	retry := withAuth(req, st.header)
	if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
		if retry.Body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	drain(resp)
	return t.base.RoundTrip(retry)
}

// invalidTokenChallenge reports whether a WWW-Authenticate header holds a
// Bearer challenge with error="invalid_token" (RFC 6750 §3.1).
func invalidTokenChallenge(values []string) bool {
	for _, v := range values {
		if params, ok := parseBearerChallenge(v); ok && params["error"] == "invalid_token" {
			return true
		}
	}
	return false
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// drain lets the connection of a response that is thrown away be reused.
func drain(resp *http.Response) {
	io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
}
