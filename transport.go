package oauth2flows

import (
	"context"
	"io"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/oauth2flows/oauth2flows/internal/redact"
)

// Transport is an http.RoundTripper that sends each request with
// "Authorization: Bearer <token>" (RFC 6750 §2.1) from a [TokenSource], and
// renews the token before it expires.
//
// With a valid token a request costs one atomic load, one read of the wall
// clock, a copy of the request and of its header map, and no lock. Near
// expiry one goroutine renews the token in the background while requests go
// on with the old one; once it has expired, one renewal runs and every
// request waits for it (single-flight, never a lock held across I/O), for at
// most a minute. Every new token goes to the saver of [WithTokenSaver]
// before any request uses it. A 401 response with error="invalid_token"
// (RFC 6750 §3.1) forces one renewal and one retry, at most once per token:
// the new token forces nothing more until a resource server has accepted it,
// so an API that refuses every token does not turn its calls into token
// requests. The bearer is never sent to another origin on a redirect.
//
// A token whose token_type is DPoP (RFC 9449), from a source whose Config
// has a DPoPKey, is sent as "Authorization: DPoP <token>" with a fresh proof
// per request (§7); a 401 use_dpop_nonce from the resource gets one retry
// with its nonce when the body can be sent again (§9), and its nonces are
// remembered per origin. A DPoP token is never sent as a bearer: without
// a key the request fails with a [*TokenTypeError].
//
// A Transport over a source of this package shares that source's token and
// its renewals; see [NewTransport].
//
// A Transport is safe for concurrent use. Create it with [NewTransport].
type Transport struct {
	r     *renewal
	base  http.RoundTripper
	hosts map[string]bool // nil: any host
	http  bool            // WithInsecureBearerOverHTTP
}

// TransportOption configures a [Transport].
type TransportOption func(*transportOptions)

type transportOptions struct {
	base    http.RoundTripper
	hosts   map[string]bool
	http    bool
	policy  renewPolicy
	renewal bool // an option of the renewal was given
}

// WithBase sets the RoundTripper that sends the requests. The default is
// http.DefaultTransport.
func WithBase(rt http.RoundTripper) TransportOption {
	return func(o *transportOptions) {
		if rt != nil {
			o.base = rt
		}
	}
}

// WithTokenSaver sets a function that persists every new token, as
// requests-oauthlib's token_updater does. Its semantics:
//
//   - It is called exactly once for each new token: a token the source
//     issued that differs from the one in use. The token the source started
//     with (the one given to [RefreshTokenSource] or [NewClient], typically
//     from [ExchangeCode]) is not new and is not saved, unless
//     [WithSaveInitialToken] is given too.
//     With [WithTokenStore], a token another replica got is not new either:
//     that replica saved it.
//   - Calls are in the order the tokens were issued, never concurrent.
//   - It is called before the token is used on any request; requests wait
//     for it to return.
//   - If it returns an error, the requests waiting get an error that wraps
//     it (see [SaveError]), and the token is kept in memory, so a rotated
//     refresh token (RFC 9700 §4.14.2) is never lost. The next request calls
//     the saver again with that same token before using it.
//   - Its ctx carries the values of the request that caused the renewal but
//     not its cancellation, and ends after one minute. While it runs, a
//     request whose own deadline passes gets a [*SaveError] saying a save
//     is still running, and from then on every request fails at once with
//     one, until it returns; the request after that works.
//   - A panic in it is recovered and the waiting requests get a
//     [*PanicError].
//
// It is not called when the renewal failed, for example with invalid_grant.
// The token must not be modified.
func WithTokenSaver(save func(ctx context.Context, tok *Token) error) TransportOption {
	return func(o *transportOptions) { o.policy.saver, o.renewal = save, true }
}

// WithRefreshSkew sets how long before its expiry a token is renewed in the
// background, while requests go on with it. The default is
// [DefaultRefreshSkew]. A token that arrives with less than twice d to live
// is renewed halfway through its remaining lifetime instead: with the
// default minute, a token valid for 30 s is renewed 15 s before it expires.
// Renewing it at once would renew a server's short-lived tokens on every
// request.
func WithRefreshSkew(d time.Duration) TransportOption {
	return func(o *transportOptions) {
		if d >= 0 {
			o.policy.skew, o.renewal = d, true
		}
	}
}

// WithSaveInitialToken hands the token a [Transport] starts with (the one
// given to [NewClient] or [RefreshTokenSource]) to the [WithTokenSaver]
// saver too, before its first use, with the saver's semantics: requests wait
// for it and fail with a [*SaveError] while it fails. Use it when that token
// comes straight from [ExchangeCode] or [DeviceAccessToken] and is saved
// nowhere yet; a token loaded from your own storage needs no saving again.
// Without a saver it does nothing.
func WithSaveInitialToken() TransportOption {
	return func(o *transportOptions) { o.policy.saveSeed, o.renewal = true, true }
}

// WithTokenStore shares the token among the replicas of a service through
// store (RFC 9700 §4.14.2: a rotating refresh token must be redeemed once).
// The token under key is the current token of every Transport that names
// key; the token a Transport starts with (the one given to [NewClient] or
// [RefreshTokenSource]) only seeds the store when it has none. When the
// token must be renewed, one replica renews it under the store's lease
// while the others wait and then use what it stored; a replica whose lease
// lapsed never overwrites a newer token (see [TokenLease]).
//
// Every store error is logged at WARN on the source's Config.Logger (slog's
// default logger when there is none, or for a source not of this package),
// and [WithTokenStoreErrorHandler] sees it too. A refresh token is never
// redeemed outside the lease: while the store fails, a valid token keeps
// serving and an expired one is renewed once the store answers again,
// retried with backoff for at most the lease wait, after which the request
// fails with a [*StoreUnavailableError] (see there, and
// [WithInsecureRenewalOutsideLease] for the opposite trade). Other grants
// (client credentials, On-Behalf-Of, token exchange, a source not of this
// package) spend nothing and go on with the Transport's own memory and the
// token endpoint. Each store call is bounded in time, also for a store that
// ignores its context, and a panic in one is a failure: the wait for the
// lease at 30 s, every other call at 2 s. A [ContextHonoringStore] is called on the
// renewal's own goroutine, any other store on a goroutine of its own.
//
// A store that restarts empty (Redis without persistence) has lost the
// newest token, which the replicas still hold: they write back what they
// hold, and none renews before the others could (30 s). A
// [RestartReportingStore] says when it restarted: the Transport then does
// not trust the token it started with as the newest, and asks the store on
// a request, at most every 10 s, whether it restarted, to write its token
// back if it holds the newest.
func WithTokenStore(store TokenStore, key string) TransportOption {
	return func(o *transportOptions) {
		if store != nil {
			o.policy.store, o.policy.key, o.renewal = store, key, true
			o.policy.calls.inline = honorsContext(store) // see ContextHonoringStore
		}
	}
}

// WithInsecureBearerOverHTTP lets the Transport send the bearer token over
// plain http to hosts other than loopback, where anyone on the path can
// read and replay it (RFC 6750 §5.3). By default such a request fails before
// it is sent.
func WithInsecureBearerOverHTTP() TransportOption {
	return func(o *transportOptions) { o.http = true }
}

// WithAllowedHosts restricts the bearer to requests whose URL host is in
// hosts: either a bare host name, which allows any port, or host:port.
// Requests to other hosts are sent without it. Redirects are restricted
// anyway; see [Transport].
func WithAllowedHosts(hosts ...string) TransportOption {
	return func(o *transportOptions) {
		o.hosts = make(map[string]bool, len(hosts))
		for _, h := range hosts {
			o.hosts[strings.ToLower(h)] = true
		}
	}
}

// NewTransport returns a Transport that authorizes requests with tokens from
// src.
//
// Over a source of this package ([RefreshTokenSource] and the others) the
// Transport shares the source's token and its one renewal, and asks for a
// new token ahead of expiry and after a 401. Its [WithTokenSaver],
// [WithRefreshSkew] and [WithTokenStore] then apply to that source, for its
// direct callers too, so only one Transport over a source may set them:
// requests through a second one that does fail with a [*ConfigError].
//
// Any other source is asked with its Token method, and a token it returns
// again is not new.
func NewTransport(src TokenSource, opts ...TransportOption) *Transport {
	o := transportOptions{base: http.DefaultTransport, policy: renewPolicy{skew: DefaultRefreshSkew}}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	t := &Transport{base: o.base, hosts: o.hosts, http: o.http}
	switch s := src.(type) {
	case nil:
		t.r = failing(&ConfigError{Field: "src", Reason: "nil TokenSource"})
	case *grantSource:
		t.r = s.r
		if o.renewal && !s.r.bind(&o.policy) {
			t.r = failing(&ConfigError{Field: "NewTransport", Reason: "another Transport set the renewal options (WithTokenSaver, WithRefreshSkew, WithTokenStore) of this source: share that Transport"})
		}
	default:
		t.r = newRenewal(func(ctx context.Context, _ *Token) (*Token, error) { return src.Token(ctx) }, nil)
		t.r.dpop = dpopSessionOf(src)
		t.r.observer = observerOf(src)
		if o.renewal {
			t.r.bind(&o.policy)
		}
	}
	return t
}

// failing is a renewal whose every renewal fails with err.
func failing(err error) *renewal {
	return newRenewal(func(context.Context, *Token) (*Token, error) { return nil, err }, nil)
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
		return nil, &ConfigError{Field: "request URL", Reason: "a bearer token is not sent over plain http except to loopback (RFC 6750 §5.3); see WithInsecureBearerOverHTTP"}
	}
	st := t.r.state.Load()
	now := wallNow() // the deadlines are on the wall clock: see usableUntil
	if st == nil || !st.sendable || !now.Before(st.expireAt) {
		var err error
		if st, err = t.slow(req.Context()); err != nil {
			closeBody(req)
			return nil, err
		}
	} else if !now.Before(st.refreshAt) || t.r.checkInDue(now) {
		t.r.startBackground(req.Context(), st, now)
	}
	if st.dpop != nil {
		return t.roundTripDPoP(req, st) // RFC 9449: a proof per request
	}
	resp, err := t.base.RoundTrip(withAuth(req, st.header))
	if err != nil {
		return nil, sendError(err, st)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return t.retryUnauthorized(req, st, resp)
	}
	if st.guard.Load() == unproven {
		st.guard.CompareAndSwap(unproven, mayForce) // accepted: it may force a renewal again
	}
	return resp, nil
}

// slow returns a token that may be sent, renewing it first.
func (t *Transport) slow(ctx context.Context) (*tokenState, error) {
	st, err := t.r.current(ctx)
	if err != nil {
		return nil, err
	}
	if st.err != nil {
		return nil, st.err // a refused token stays refused until it expires
	}
	return st, nil
}

// Token returns the token the Transport sends now, renewing and saving it
// first when it is missing or expired, exactly as a request would. It makes
// the Transport a [TokenSource] too, e.g. to read the current token for
// another client. The token must not be modified.
func (t *Transport) Token(ctx context.Context) (*Token, error) {
	st, err := t.slow(ctx)
	if err != nil {
		return nil, err
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
	r.Header = headerWith(req.Header, "Authorization", auth)
	return r
}

// headerWith returns a copy of h with key set to v. maps.Clone copies the
// table as it is, without rehashing, which is the fastest copy, unless h is
// full: then the insert would grow the copy at once, a second table. A full
// h is copied into a map made one larger instead.
func headerWith(h http.Header, key string, v []string) http.Header {
	var c http.Header
	if fullMap(len(h)) && h[key] == nil {
		c = make(http.Header, len(h)+1)
		maps.Copy(c, h)
	} else if c = maps.Clone(h); c == nil {
		c = make(http.Header, 1)
	}
	c[key] = v
	return c
}

// fullMap reports whether a map of n entries built by inserting them one by
// one has no room for one more: Go's maps hold up to 8 entries in one
// group, then grow in tables of 2^k slots filled to 7/8. Wrong for a map
// whose history differs, it only chooses between two correct copies.
func fullMap(n int) bool {
	return n == 8 || n >= 14 && n%7 == 0 && (n/7)&(n/7-1) == 0
}

// retryUnauthorized handles a 401. When the resource server says the token is
// invalid (RFC 6750 §3.1) and the body can be sent again, it forces one
// renewal (see [renewal.forceRenew]) and retries once with the new token.
// Otherwise, or when there is no newer token, it returns resp as is.
func (t *Transport) retryUnauthorized(req *http.Request, used *tokenState, resp *http.Response) (*http.Response, error) {
	challenges := resp.Header.Values("Www-Authenticate")
	if !invalidTokenChallenge(challenges) && (used.dpop == nil || !invalidDPoPTokenChallenge(challenges)) {
		return resp, nil
	}
	if !replayable(req) {
		return resp, nil
	}
	st, err := t.r.forceRenew(req.Context(), used)
	if err == nil && st != nil && st.err != nil {
		err = st.err
	}
	if err != nil {
		drain(resp)
		return nil, err
	}
	if st == nil {
		return resp, nil
	}
	retry, err := authorized(req, st)
	if err != nil {
		drain(resp)
		return nil, err
	}
	if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
		if retry.Body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	drain(resp)
	resp, err = t.base.RoundTrip(retry)
	if err != nil {
		return nil, sendError(err, st)
	}
	if resp.StatusCode != http.StatusUnauthorized {
		st.guard.CompareAndSwap(unproven, mayForce)
	}
	return resp, nil
}

// sendError is err, the base RoundTripper's, scrubbed of st's token:
// net/http quotes what it cannot parse, and a server may echo the
// Authorization it was sent.
func sendError(err error, st *tokenState) error {
	return redact.Error(err, []string{st.tok.AccessToken})
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
