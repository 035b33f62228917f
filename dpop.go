package oauth2flows

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/oauth2flows/oauth2flows/internal/dpop"
	"github.com/oauth2flows/oauth2flows/internal/jws"
	"github.com/oauth2flows/oauth2flows/internal/redact"
	"github.com/oauth2flows/oauth2flows/internal/wire"
)

// dpopSession is the DPoP (RFC 9449) state of a long-lived object of this
// package (a source, and so a Transport over it, or an OBOCache): the
// Prover of its Config's DPoPKey, built once per key, and the nonces of the
// servers it talks to. Config is a plain struct that callers copy, so this
// state cannot live on it; one-shot calls (ClientCredentials, ExchangeCode,
// ...) build a session per call, whose nonce memory lasts for that call.
type dpopSession struct {
	cfg    *Config
	prover atomic.Pointer[dpopProver]
	as     dpop.Nonces // authorization server nonces (RFC 9449 §8)
	rs     dpop.Nonces // resource server nonces (§9), distinct from the AS's
}

// dpopProver is a Prover with the key and algorithm it was built from.
type dpopProver struct {
	key crypto.Signer
	alg string
	p   *dpop.Prover
}

// newDPoPSession returns the session of a long-lived object for cfg; nil
// for a nil Config.
func newDPoPSession(cfg *Config) *dpopSession {
	if cfg == nil {
		return nil
	}
	return &dpopSession{cfg: cfg}
}

// proverFor returns the Prover of cfg.DPoPKey and cfg.DPoPAlg, from the
// cache when the key is the one last seen. The key is compared as an
// interface value only when both are comparable, so a Signer of a type
// that is not gets a Prover per call rather than a panic.
func (s *dpopSession) proverFor(cfg *Config) (*dpop.Prover, error) {
	if k := s.prover.Load(); k != nil && k.alg == cfg.DPoPAlg && sameSigner(k.key, cfg.DPoPKey) {
		return k.p, nil
	}
	p, err := newProver(cfg)
	if err != nil {
		return nil, err
	}
	if reflect.ValueOf(cfg.DPoPKey).Comparable() {
		s.prover.Store(&dpopProver{key: cfg.DPoPKey, alg: cfg.DPoPAlg, p: p})
	}
	return p, nil
}

func sameSigner(a, b crypto.Signer) bool {
	return reflect.ValueOf(b).Comparable() && a == b
}

// newProver builds the Prover of cfg's key, refusing a key or algorithm
// that cannot sign proofs before anything is sent.
func newProver(cfg *Config) (*dpop.Prover, error) {
	p, err := dpop.NewProver(cfg.DPoPKey, cfg.DPoPAlg)
	switch {
	case err == nil:
		return p, nil
	case errors.Is(err, jws.ErrCurve):
		return nil, &ConfigError{Field: "Config.DPoPKey", Reason: "ECDSA keys must use P-256 (ES256)"}
	case errors.Is(err, jws.ErrAlgMismatch):
		return nil, &ConfigError{Field: "Config.DPoPAlg", Reason: "algorithm " + cfg.DPoPAlg + " does not fit the key (ES256 for P-256; RS256 or PS256 for RSA)"}
	}
	return nil, &ConfigError{Field: "Config.DPoPKey", Reason: "key must be RSA or ECDSA P-256"}
}

// dpopJKT returns the JWK SHA-256 thumbprint of cfg.DPoPKey, the dpop_jkt
// authorization request parameter (RFC 9449 §10), or "" when cfg has no
// DPoPKey. AuthCodeURL adds it to the URL; a pushed authorization request
// (RFC 9126) adds it to the pushed form.
func dpopJKT(cfg *Config) (string, error) {
	if cfg == nil || cfg.DPoPKey == nil {
		return "", nil
	}
	p, err := newProver(cfg)
	if err != nil {
		return "", err
	}
	return p.Thumbprint(), nil
}

// proofError maps a failure to make a proof. Only the key can fail here:
// the method and URL are the poster's or were checked before.
func proofError(err error) error {
	reason := "signing the DPoP proof failed"
	if errors.Is(err, jws.ErrMalformedSignature) {
		reason = "signer returned a malformed ECDSA signature"
	} else if !errors.Is(err, jws.ErrSign) {
		reason = "cannot make a DPoP proof for this request"
	}
	return fmt.Errorf("%w: %w", &ConfigError{Field: "Config.DPoPKey", Reason: reason}, err)
}

// withSession makes a call use the session s of a long-lived object (a source,
// an OBOCache, a device poll loop), so that its Prover and nonces outlive
// one call: an explicit parameter of the call, through its options.
func withSession(s *dpopSession) Option { return func(o *options) { o.dpop = s } }

// plus returns opts and o, never writing into the caller's array.
func plus(opts []Option, o Option) []Option { return append(opts[:len(opts):len(opts)], o) }

// dpopCall is the DPoP part of one call through the poster: every attempt
// gets a fresh proof for POST to target (RFC 9449 §4.2), and a
// use_dpop_nonce refusal one retry with the server's nonce (§8).
type dpopCall struct {
	s      *dpopSession
	p      *dpop.Prover
	target *url.URL
	nonce  string // the nonce of a use_dpop_nonce refusal, for the retry
}

// newDPoPCall returns the DPoP part of a call to target, or nil when cfg
// has no DPoPKey. The session is s, the one of the long-lived object making
// the call (see withSession), when it is for this cfg, else a new one.
func newDPoPCall(cfg *Config, s *dpopSession, target string) (*dpopCall, error) {
	if cfg.DPoPKey == nil {
		return nil, nil
	}
	if s == nil || s.cfg != cfg {
		s = newDPoPSession(cfg)
	}
	p, err := s.proverFor(cfg)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, &ConfigError{Field: "Config.Endpoint", Reason: "not a valid URL"}
	}
	return &dpopCall{s: s, p: p, target: u}, nil
}

// proof makes the proof of one attempt: with the nonce of a
// use_dpop_nonce refusal on the retry it causes, else with the server's
// latest nonce, if any.
func (c *dpopCall) proof() (string, error) {
	nonce := c.nonce
	if nonce == "" {
		nonce = c.s.as.Nonce(c.target)
	}
	proof, err := c.p.Proof(dpop.Claims{Method: http.MethodPost, URL: c.target, Nonce: nonce})
	if err != nil {
		return "", proofError(err)
	}
	return proof, nil
}

// post sends r through the wire layer. With c not nil, r.Build adds
// c.proof's proofs, and a refusal with use_dpop_nonce and a DPoP-Nonce
// header (RFC 9449 §8) is sent once more at once, built afresh with a
// proof carrying that nonce: the server refused before processing the
// request, so this is safe even for an authorization code. It does not
// count as one of policy's attempts; a second use_dpop_nonce goes back to
// the caller. Every response's nonce is remembered for the next request to
// that server (§8.2). secrets are the credentials sent so far, for reading
// the refusal.
func (c *dpopCall) post(ctx context.Context, client *http.Client, r *wire.Request, policy wire.Policy, logger *slog.Logger, secrets *[]string) (*wire.Response, error) {
	if c == nil {
		return wire.Post(ctx, client, r, policy, logger)
	}
	resp, err := wire.Post(ctx, client, r, policy, logger)
	if err != nil {
		return nil, err
	}
	nonce, ok := c.s.as.Remember(c.target, resp.Header)
	if !ok || !useDPoPNonce(resp, *secrets) {
		return resp, nil
	}
	c.nonce = nonce
	resp, err = wire.Post(ctx, client, r, policy, logger)
	if err != nil {
		return nil, err
	}
	c.s.as.Remember(c.target, resp.Header)
	return resp, nil
}

// useDPoPNonce reports whether an authorization server's answer asks for a
// proof with its nonce: error use_dpop_nonce in the JSON body (RFC 9449
// §8), or, as some servers answer, a 401 with a DPoP challenge saying so.
// The body is decoded once: the poster reads the same decoding.
func useDPoPNonce(resp *wire.Response, secrets []string) bool {
	if resp.Status != http.StatusBadRequest && resp.Status != http.StatusUnauthorized {
		return false
	}
	if wire.DecodeError(resp, secrets).Code == dpop.UseNonceError {
		return true
	}
	_, ok := dpop.UseNonce(&http.Response{StatusCode: resp.Status, Header: resp.Header})
	return ok
}

// isDPoPToken reports whether tok is DPoP-bound: token_type DPoP,
// compared case-insensitively (RFC 6749 §7.1, RFC 9449 §5).
func isDPoPToken(tok *Token) bool {
	return tok != nil && strings.EqualFold(tok.TokenType, "DPoP")
}

// downgradeError refuses a token response to a request that carried a DPoP
// proof but whose token is not DPoP-bound: token_type Bearer or none
// (RFC 9449 §5). Sent as a bearer by the Transport, it would lose the
// sender constraint the caller asked for, as a stripping proxy intends.
func downgradeError(resp *wire.Response, secrets []string, tok *Token) error {
	got := "missing"
	if tok.TokenType != "" {
		got = strconv.Quote(redact.SafeText(tok.TokenType, secrets, 32))
	}
	return &InvalidResponseError{StatusCode: resp.Status, ContentType: redact.SafeText(resp.Header.Get("Content-Type"), secrets, 64),
		Reason: "token_type is " + got + ", not DPoP, although the request carried a DPoP proof (RFC 9449 §5): refused as a downgrade"}
}
