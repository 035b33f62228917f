package oauth2flows

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// endpointKind selects which URL of the Endpoint a request goes to.
type endpointKind int

const (
	tokenEndpoint endpointKind = iota
	revocationEndpoint
	introspectionEndpoint
)

func (k endpointKind) String() string {
	switch k {
	case revocationEndpoint:
		return "revocation"
	case introspectionEndpoint:
		return "introspection"
	}
	return "token"
}

// request is one call through the poster: the fields a grant adds, and how
// the poster must treat them. Grants build nothing else.
type request struct {
	op    string // the exported function called: "ClientCredentials", ...
	kind  endpointKind
	grant string     // grant_type for token requests; used in logs
	form  url.Values // the grant's own fields

	// defaultScopes sends Config.Scopes when the call has no WithScopes.
	defaultScopes bool
	// oneTime marks a request carrying a credential the server consumes
	// (an authorization code, a refresh token that may rotate). It is never
	// retried after an ambiguous failure.
	oneTime bool
}

// allowedOptions is, for each call, the options its RFC (or the provider
// named in the option's doc) defines. Any other option is refused with a
// *ConfigError before anything is sent: an option is never put on the wire
// where it means nothing, and never dropped. WithParam is always allowed.
var allowedOptions = map[string]optionSet{
	"AuthCodeURL":         optScopes | optParam | optPKCE | optAudience | optResource | optClaims,
	"BuildAuthCodeURL":    optScopes | optParam | optPKCE | optAudience | optResource | optClaims,
	"ImplicitURL":         optScopes | optParam | optAudience | optResource | optClaims,
	"ExchangeCode":        optParam | optPKCE | optResource,
	"PasswordCredentials": optScopes | optParam | optAudience | optResource,
	"ClientCredentials":   optScopes | optParam | optAudience | optResource,
	"Refresh":             optScopes | optParam | optAudience | optResource,
	"OnBehalfOf":          optScopes | optParam | optRequestedTokenType | optResource | optClaims,
	"TokenExchange": optScopes | optParam | optRequestedTokenType | optSubjectTokenType |
		optAudience | optResource | optActorToken,
	"Revoke":     optParam | optTokenTypeHint,
	"Introspect": optParam | optTokenTypeHint,
}

// checkOptions refuses the first option op does not define.
func checkOptions(op string, o *options) error {
	extra := o.set &^ allowedOptions[op]
	if extra == 0 {
		return nil
	}
	for _, n := range optionNames {
		if extra&n.bit != 0 {
			return &ConfigError{Op: op, Field: n.name,
				Reason: "not defined for " + op + ", so it is refused rather than sent or dropped (use WithParam to send a parameter anyway)"}
		}
	}
	return nil
}

// sensitiveFields are form fields whose values must never reach an error
// string or a log line.
var sensitiveFields = [...]string{
	"client_secret", "client_assertion", "code", "code_verifier", "refresh_token",
	"assertion", "subject_token", "actor_token", "password", "token",
}

// response is what the poster read from the server: status, header and a
// body capped at maxBodySize.
type response struct {
	status   int
	header   http.Header
	body     []byte
	tooLarge bool
}

// maxBodySize caps every response body the poster reads.
const maxBodySize = 1 << 20

// exchangeToken posts a token request (RFC 6749 §3.2) and decodes the
// token response (§5.1) or error (§5.2).
func exchangeToken(ctx context.Context, cfg *Config, r *request, o *options) (*Token, error) {
	resp, redact, err := post(ctx, cfg, r, o)
	if err != nil {
		return nil, err
	}
	if resp.status < 200 || resp.status > 299 {
		return nil, decodeError(resp, redact)
	}
	return decodeToken(resp, redact, time.Now())
}

// post is the one place that talks to the authorization server. It applies
// the call's options to the form, authenticates the client, POSTs with
// retries and returns the capped response. redact lists the credential
// values the request carried, for scrubbing error text.
func post(ctx context.Context, cfg *Config, r *request, o *options) (*response, []string, error) {
	resp, redact, err := postOnce(ctx, cfg, r, o)
	if err != nil {
		return nil, nil, withOp(r.op, err)
	}
	return resp, redact, nil
}

// postOnce is post without naming the call in a *ConfigError.
func postOnce(ctx context.Context, cfg *Config, r *request, o *options) (resp *response, redact []string, err error) {
	if ctx == nil {
		return nil, nil, &ConfigError{Field: "ctx", Reason: "nil context"}
	}
	if cfg == nil {
		return nil, nil, &ConfigError{Field: "cfg", Reason: "nil Config"}
	}
	if err := checkOptions(r.op, o); err != nil {
		return nil, nil, err
	}
	form, err := buildForm(cfg, r, o)
	if err != nil {
		return nil, nil, err
	}
	method, err := cfg.authMethod()
	if err != nil {
		return nil, nil, err
	}
	target, err := cfg.endpointURL(r.kind, method)
	if err != nil {
		return nil, nil, err
	}
	header := http.Header{}
	header.Set("Content-Type", "application/x-www-form-urlencoded")
	header.Set("Accept", "application/json")
	if err := cfg.authenticate(method, form, header); err != nil {
		return nil, nil, err
	}
	client, err := cfg.httpClient(method)
	if err != nil {
		return nil, nil, err
	}
	redact = redactions(cfg, form, header)
	body := form.Encode()
	resp, err = cfg.send(ctx, client, sendInfo{url: target, kind: r.kind, grant: r.grant, oneTime: r.oneTime, redact: redact}, header, body)
	return resp, redact, err
}

// buildForm merges the grant's fields with what the options ask for.
func buildForm(cfg *Config, r *request, o *options) (url.Values, error) {
	form := url.Values{}
	for k, v := range r.form {
		form[k] = v
	}
	if r.grant != "" {
		form.Set("grant_type", r.grant)
	}
	if o.scopesSet || r.defaultScopes {
		if s := o.scopeFor(cfg); s != "" {
			form.Set("scope", s)
		}
	}
	if o.set&optPKCE != 0 {
		if err := checkVerifier(o.pkceVerifier); err != nil {
			return nil, err
		}
		form.Set("code_verifier", o.pkceVerifier)
	}
	if o.set&optRequestedTokenType != 0 {
		if err := checkTokenTypeURI("WithRequestedTokenType", o.requestedTokenType); err != nil {
			return nil, err
		}
		form.Set("requested_token_type", o.requestedTokenType)
	}
	for _, a := range o.audiences {
		form.Add("audience", a)
	}
	for _, res := range o.resources {
		form.Add("resource", res)
	}
	if (o.actorToken == "") != (o.actorTokenType == "") {
		return nil, &ConfigError{Field: "WithActorToken", Reason: "actor_token and actor_token_type go together (RFC 8693 §2.1)"}
	}
	if o.actorToken != "" {
		if err := checkTokenTypeURI("WithActorToken", o.actorTokenType); err != nil {
			return nil, err
		}
		form.Set("actor_token", o.actorToken)
		form.Set("actor_token_type", o.actorTokenType)
	}
	if o.set&optTokenTypeHint != 0 && o.tokenTypeHint != "" {
		form.Set("token_type_hint", o.tokenTypeHint)
	}
	if o.set&optClaims != 0 && o.claims != "" {
		form.Set("claims", o.claims)
	}
	for k, v := range o.params {
		form[k] = v
	}
	return form, nil
}

// redactions lists the credential values in a request, so that no error
// string repeats them even when the server echoes them back: each as sent
// and form-encoded (a server or proxy may echo the raw body), and the
// client_secret_basic credential as it went in the header.
func redactions(cfg *Config, form url.Values, header http.Header) []string {
	n := 1
	for _, f := range sensitiveFields {
		n += len(form[f])
	}
	out := make([]string, 0, 2*n+1) // each value, its encoding, the Basic credential
	out = append(out, cfg.ClientSecret)
	for _, f := range sensitiveFields {
		out = append(out, form[f]...)
	}
	for _, v := range out {
		if e := url.QueryEscape(v); e != v {
			out = append(out, e)
		}
	}
	if basic, ok := strings.CutPrefix(header.Get("Authorization"), "Basic "); ok {
		out = append(out, basic)
	}
	return out
}

// sendInfo describes a request for send's retry and logging decisions.
type sendInfo struct {
	url     string
	kind    endpointKind
	grant   string
	oneTime bool
	redact  []string // credential values no error or log line may hold
}

// send POSTs body, retrying as cfg.Retry allows, and reads the capped response.
func (c *Config) send(ctx context.Context, client *http.Client, info sendInfo, header http.Header, body string) (*response, error) {
	policy := c.Retry.withDefaults()
	for n := 1; ; n++ {
		start := time.Now()
		a := doOnce(ctx, client, info, header, body)
		c.logAttempt(ctx, info, n, a.resp, a.err, time.Since(start))
		wait, retry := policy.decide(ctx, info.oneTime, n, a)
		if !retry {
			if a.err != nil {
				return nil, a.err
			}
			return a.resp, nil
		}
		if werr := sleep(ctx, wait); werr != nil {
			// The caller gave up while we waited to retry: say so, rather
			// than pass off the previous attempt's answer as the outcome.
			return nil, &NetworkError{URL: redactURL(info.url), Err: werr}
		}
	}
}

// doOnce makes one attempt. Its error, a *NetworkError, is scrubbed of the
// request's credentials: net/http quotes what the server sent (a malformed
// header line echoing the body, an unparsable Location) in its errors.
func doOnce(ctx context.Context, client *http.Client, info sendInfo, header http.Header, body string) attempt {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, info.url, nil)
	if err != nil {
		return attempt{err: &ConfigError{Field: "Config.Endpoint", Reason: "cannot build request"}}
	}
	// The body records whether the transport read it, which is when the
	// request went on the wire: cheaper than an httptrace hook per attempt.
	b := &sentBody{s: body}
	b.read = &b.own
	req.Body, req.ContentLength = b, int64(len(body))
	req.GetBody = b.again
	// RoundTrippers must not modify the request, so every attempt can
	// share the header.
	req.Header = header
	hr, err := client.Do(req)
	if err != nil {
		err = unwrapURLError(err)
		return attempt{wrote: b.read.Load(), dropped: dropped(err),
			err: &NetworkError{URL: redactURL(info.url), Err: scrubError(err, info.redact)}}
	}
	defer hr.Body.Close()
	raw, err := readCapped(hr.Body, maxBodySize+1, hr.ContentLength)
	if err != nil {
		return attempt{wrote: true,
			err: &NetworkError{URL: redactURL(info.url), Err: scrubError(err, info.redact)}}
	}
	resp := &response{status: hr.StatusCode, header: hr.Header, body: raw}
	if len(raw) > maxBodySize {
		resp.body, resp.tooLarge = raw[:maxBodySize], true
	}
	return attempt{resp: resp, wrote: true}
}

// readCapped reads r to its end or to limit bytes, whichever comes first,
// sizing its buffer from the announced length when there is one.
func readCapped(r io.Reader, limit, announced int64) ([]byte, error) {
	size := int64(512)
	if announced > 0 {
		size = min(announced+1, limit) // +1 sees EOF without growing
	}
	b := make([]byte, 0, size)
	for int64(len(b)) < limit {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):min(int64(cap(b)), limit)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// sentBody is a request body that records whether it was read, in *read,
// which is set before the body is handed to the transport. Copies made by
// again, for a transport that must send the request anew (HTTP/2
// REFUSED_STREAM), share the record.
type sentBody struct {
	s    string
	i    int
	read *atomic.Bool
	own  atomic.Bool
}

func (b *sentBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	if b.i >= len(b.s) {
		return 0, io.EOF
	}
	n := copy(p, b.s[b.i:])
	b.i += n
	return n, nil
}

func (b *sentBody) Close() error { return nil }

func (b *sentBody) again() (io.ReadCloser, error) {
	return &sentBody{s: b.s, read: b.read}, nil
}

// dropped reports whether a failure is the connection closing, resetting
// or timing out without an answer, as opposed to an answer net/http could
// not use (a malformed header, a redirect with a bad Location), after which
// the server may have acted on the request.
func dropped(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &ne) && ne.Timeout()
}

// unwrapURLError drops net/http's *url.Error, whose message repeats the URL,
// keeping its cause.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redactURL keeps scheme, host and path: a query may carry anything.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}
