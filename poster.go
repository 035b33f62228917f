package oauth2flows

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/oauth2flows/oauth2flows/internal/wire"
)

// endpointKind selects which URL of the Endpoint a request goes to.
type endpointKind int

const (
	tokenEndpoint endpointKind = iota
	revocationEndpoint
	introspectionEndpoint
	deviceAuthEndpoint // RFC 8628 §3.1
	parEndpoint        // RFC 9126 §2
)

func (k endpointKind) String() string {
	switch k {
	case revocationEndpoint:
		return "revocation"
	case introspectionEndpoint:
		return "introspection"
	case deviceAuthEndpoint:
		return "device_authorization"
	case parEndpoint:
		return "pushed_authorization"
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
	// (an authorization code, a refresh token that may rotate). It is
	// retried only where the server cannot have acted: a 429, or a
	// connection failure before the request was written.
	oneTime bool
	// anonymous allows a request naming no client at all, when the Config
	// has no ClientID and no credentials (RFC 7523 §3.1: client
	// authentication is optional for the JWT bearer grant).
	anonymous bool
}

// allowedOptions is, for each call, the options its RFC (or the provider
// named in the option's doc) defines. Any other option is refused with a
// *ConfigError before anything is sent: an option is never put on the wire
// where it means nothing, and never dropped. WithParam is always allowed.
var allowedOptions = map[string]optionSet{
	"AuthCodeURL":         optScopes | optParam | optPKCE | optAudience | optResource | optClaims | optNonce,
	"BuildAuthCodeURL":    optScopes | optParam | optPKCE | optAudience | optResource | optClaims | optNonce,
	"ImplicitURL":         optScopes | optParam | optAudience | optResource | optClaims | optNonce,
	"ExchangeCode":        optParam | optPKCE | optResource,
	"PasswordCredentials": optScopes | optParam | optAudience | optResource,
	"ClientCredentials":   optScopes | optParam | optAudience | optResource,
	"Refresh":             optScopes | optParam | optAudience | optResource,
	"OnBehalfOf":          optScopes | optParam | optRequestedTokenType | optResource | optClaims,
	"TokenExchange": optScopes | optParam | optRequestedTokenType | optSubjectTokenType |
		optAudience | optResource | optActorToken,
	"Revoke":            optParam | optTokenTypeHint,
	"Introspect":        optParam | optTokenTypeHint,
	"DeviceAuth":        optScopes | optParam | optAudience | optResource,
	"DeviceAccessToken": optParam,
	"PushAuthCodeURL":   optScopes | optParam | optPKCE | optAudience | optResource | optClaims | optNonce,
	"JWTBearer":         optScopes | optParam | optAudience | optResource,
}

// checkOptions refuses the first option op does not define, and options
// given an empty value, which would otherwise be dropped or sent empty.
func checkOptions(op string, o *options) error {
	if extra := o.set &^ allowedOptions[op]; extra != 0 {
		for _, n := range optionNames {
			if extra&n.bit != 0 {
				return &ConfigError{Op: op, Field: n.name,
					Reason: "not defined for " + op + ", so it is refused rather than sent or dropped (use WithParam to send a parameter anyway)"}
			}
		}
	}
	empty := func(field string) error {
		return &ConfigError{Op: op, Field: field, Reason: "empty value; leave the option out instead"}
	}
	switch {
	case o.set&optTokenTypeHint != 0 && o.tokenTypeHint == "":
		return empty("WithTokenTypeHint")
	case o.set&optClaims != 0 && o.claims == "":
		return empty("WithClaims")
	case o.set&optNonce != 0 && o.nonce == "":
		return empty("WithNonce")
	case slices.Contains(o.audiences, ""):
		return empty("WithAudience")
	case slices.Contains(o.resources, ""):
		return empty("WithResource")
	case o.set&optActorToken != 0 && (o.actorToken == "" || o.actorTokenType == ""):
		return &ConfigError{Op: op, Field: "WithActorToken", Reason: "actor_token and actor_token_type go together (RFC 8693 §2.1)"}
	case o.params.Has(""):
		return empty("WithParam")
	}
	return nil
}

// sensitiveFields are form fields whose values must never reach an error
// string or a log line.
var sensitiveFields = [...]string{
	"client_secret", "client_assertion", "code", "code_verifier", "refresh_token",
	"assertion", "subject_token", "actor_token", "password", "token",
	"device_code",
}

// exchangeToken posts a token request (RFC 6749 §3.2) and decodes the
// token response (§5.1) or error (§5.2).
func exchangeToken(ctx context.Context, cfg *Config, r *request, o *options) (*Token, error) {
	resp, secrets, err := post(ctx, cfg, r, o)
	if err != nil {
		return nil, err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return nil, decodeError(resp, secrets)
	}
	tok, err := decodeToken(resp, secrets, resp.Sent)
	// RFC 8693 §2.2.1: N_A is a token exchange result that is no access
	// token, so nothing to bind.
	if err == nil && cfg.DPoPKey != nil && !isDPoPToken(tok) && !strings.EqualFold(tok.TokenType, "N_A") {
		return nil, downgradeError(resp, secrets, tok)
	}
	return tok, err
}

// post is the one place that talks to the authorization server. It applies
// the call's options to the form, authenticates the client, POSTs with
// retries (through internal/wire) and returns the capped response, with the
// credential values the request carried, for scrubbing error text.
func post(ctx context.Context, cfg *Config, r *request, o *options) (resp *wire.Response, redact []string, err error) {
	defer func() {
		if err != nil {
			resp, redact, err = nil, nil, withOp(r.op, err)
		}
	}()
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
	method, auth, err := cfg.clientAuth()
	if err != nil {
		return nil, nil, err
	}
	target, err := cfg.endpointURL(r.kind, method)
	if err != nil {
		return nil, nil, err
	}
	authenticates := !r.anonymous || cfg.ClientID != "" || method != NoClientAuth
	if authenticates && cfg.ClientID == "" {
		return nil, nil, &ConfigError{Field: "Config.ClientID", Reason: "not set"}
	}
	at := &attempts{ctx: ctx, cfg: cfg, auth: auth, authenticates: authenticates, form: form}
	client, err := cfg.httpClient(method, &at.client)
	if err != nil {
		return nil, nil, err
	}
	// The client's timeout becomes each attempt's context deadline, as
	// net/http makes it for its own transports: keepRedirects is not one,
	// and Client.Timeout over it would cost a timer goroutine per request.
	timeout := client.Timeout
	client.Timeout = 0
	dc, err := newDPoPCall(cfg, o.dpop, target) // nil without Config.DPoPKey
	if err != nil {
		return nil, nil, err
	}
	at.dc = dc
	resp, err = dc.post(ctx, client, &wire.Request{
		URL: target, Build: at, Timeout: timeout,
		OneTime: r.oneTime,
		Kind:    r.kind.String(), Grant: r.grant,
		Observe: attemptObserver(ctx, cfg, r, target),
	}, wire.Policy(cfg.Retry), cfg.Logger, &at.sent)
	return resp, at.sent, networkError(err)
}

// attempts builds every attempt of one call afresh, the use_dpop_nonce
// retry included: a new client assertion (RFC 7523 §3: a server may refuse
// a jti it has seen) and a new proof (RFC 9449 §11.1). sent collects the
// credentials of every attempt, for scrubbing error text. It holds the
// call's client too, so that a call costs one allocation for both.
type attempts struct {
	client        posterClient
	ctx           context.Context
	cfg           *Config
	auth          clientAuth
	authenticates bool
	form          url.Values // the call's form; each attempt sets its credentials anew
	dc            *dpopCall
	sent          []string
}

// Build implements wire.Builder.
func (a *attempts) Build() (http.Header, string, []string, error) {
	header := http.Header{}
	header.Set("Content-Type", "application/x-www-form-urlencoded")
	header.Set("Accept", "application/json")
	if a.authenticates {
		if err := a.auth.authenticate(a.ctx, a.cfg, a.form, header); err != nil {
			return nil, "", nil, err
		}
	}
	secrets := redactions(a.cfg, a.form, header)
	if a.dc != nil {
		proof, err := a.dc.proof()
		if err != nil {
			return nil, "", nil, err
		}
		header.Set("DPoP", proof)
		secrets = append(secrets, proof)
	}
	if a.sent == nil {
		a.sent = secrets // the one attempt of most calls: no copy
	} else {
		a.sent = append(a.sent, secrets...)
	}
	return header, a.form.Encode(), secrets, nil
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
	if o.set&optActorToken != 0 {
		if err := checkTokenTypeURI("WithActorToken", o.actorTokenType); err != nil {
			return nil, err
		}
		form.Set("actor_token", o.actorToken)
		form.Set("actor_token_type", o.actorTokenType)
	}
	if o.set&optTokenTypeHint != 0 {
		form.Set("token_type_hint", o.tokenTypeHint)
	}
	if o.set&optClaims != 0 {
		form.Set("claims", o.claims)
	}
	for k, v := range o.params {
		form[k] = v
	}
	return form, withCapabilities(cfg, r.kind, form) // capabilities.go
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

// networkError maps the wire layer's failures to this package's types.
func networkError(err error) error {
	switch e := err.(type) {
	case *wire.NetworkError:
		return &NetworkError{URL: e.URL, Err: e.Err}
	case *wire.BuildError:
		return &ConfigError{Field: "Config.Endpoint", Reason: "cannot build request"}
	}
	return err
}
