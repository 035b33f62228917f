package oauth2flows

import (
	"context"
	"errors"
	"net/http"

	"github.com/oauth2flows/oauth2flows/internal/jwks"
)

// KeySet is an issuer's published signing keys, the JWK Set at its
// jwks_uri (RFC 7517 §5, OpenID Connect Core §10.1), as [Token.VerifyIDToken]
// uses them. It is fetched on first use, kept for an hour, and fetched
// again when a token names a key it does not hold (key rotation), but never
// more than once a minute, so forged key IDs cannot make it hammer the
// issuer. When a refresh fails the keys in hand are kept. It is the key
// cache of the access token Validator.
//
// Put one in [Config.KeySet] and share it: without one, every verification
// fetches the set. A KeySet is safe for concurrent use.
type KeySet struct {
	url   string
	cache *jwks.Cache
	bad   error // why the URL is unusable; every lookup returns it
}

// NewKeySet returns the key set at jwksURL, usually Endpoint.JWKSURL as
// [Discover] filled it. It fetches nothing until used. The URL must be
// https (http only on loopback). client fetches it; nil means a default
// client with a 30-second timeout. Redirects are never followed.
func NewKeySet(jwksURL string, client *http.Client) *KeySet {
	return newKeySet(jwksURL, client, false)
}

func newKeySet(jwksURL string, client *http.Client, allowHTTP bool) *KeySet {
	ks := &KeySet{url: jwksURL}
	if jwksURL == "" {
		ks.bad = &ConfigError{Field: "Config.Endpoint.JWKSURL", Reason: "not set; Discover fills it from jwks_uri"}
		return ks
	}
	if err := checkURL("Config.Endpoint.JWKSURL", jwksURL, allowHTTP); err != nil {
		ks.bad = err
		return ks
	}
	ks.cache = jwks.New(jwks.Config{URL: jwksURL, Client: discoveryClient(client)})
	return ks
}

// URL returns the key set's URL.
func (ks *KeySet) URL() string { return ks.url }

// keySet returns the Config's KeySet, or one made for this call from
// Endpoint.JWKSURL. A KeySet for another URL than a non-empty JWKSURL is a
// configuration mistake that would verify with the wrong issuer's keys.
func (c *Config) keySet() (*KeySet, error) {
	if c.KeySet == nil {
		return newKeySet(c.Endpoint.JWKSURL, c.HTTPClient, c.InsecureAllowHTTP), nil
	}
	if c.Endpoint.JWKSURL != "" && c.Endpoint.JWKSURL != c.KeySet.url {
		return nil, &ConfigError{Field: "Config.KeySet", Reason: "is for another URL than Config.Endpoint.JWKSURL"}
	}
	return c.KeySet, nil
}

// lookup returns the public key for kid that fits alg (RFC 7518 §3.1: an
// RSA key never verifies an HMAC or ECDSA signature).
func (ks *KeySet) lookup(ctx context.Context, kid, alg string) (any, error) {
	if ks.bad != nil {
		return nil, ks.bad
	}
	k, err := ks.cache.Lookup(ctx, kid, alg)
	if err != nil {
		return nil, err
	}
	return k.Public, nil
}

// errUnknownKey reports a lookup that found no key for the kid and alg.
func errUnknownKey(err error) bool { return errors.Is(err, jwks.ErrUnknownKey) }
