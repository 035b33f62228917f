package oauth2flows

import (
	"crypto/rsa"
	"encoding/json"
	"net/url"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// requestObjectLifetime is how long a request object is good for: FAPI 2.0
// Message Signing §5.3.2 allows at most 60 minutes between nbf and exp;
// the request is used at once.
const requestObjectLifetime = 5 * time.Minute

// requestObjectParams returns the parameters of an authorization request
// that carries params in a signed request object (JAR, RFC 9101 §4) when
// cfg has a RequestObjectKey: client_id and request; by value in a URL,
// also response_type and scope, which OpenID Connect Core §6.1 wants
// outside as well. A server uses only what is inside (RFC 9101 §6.3).
// Without a key, params.
func requestObjectParams(cfg *Config, params url.Values, byValue bool) (url.Values, error) {
	if cfg.RequestObjectKey == nil {
		return params, nil
	}
	ro, err := requestObject(cfg, params)
	if err != nil {
		return nil, err
	}
	out := url.Values{"client_id": {cfg.ClientID}, "request": {ro}}
	for _, k := range []string{"response_type", "scope"} {
		if v, ok := params[k]; ok && byValue {
			out[k] = v
		}
	}
	return out, nil
}

// requestObject signs params as a request object (RFC 9101 §4): every
// parameter a claim (a repeated one an array; claims and max_age as the
// JSON object and number OpenID Connect Core §6.1 expects), iss the client
// id, aud the issuer, exp, nbf, iat and a random jti; typ
// oauth-authz-req+jwt (RFC 9101 §10.8).
func requestObject(cfg *Config, params url.Values) (string, error) {
	if cfg.Endpoint.Issuer == "" {
		return "", &ConfigError{Field: "Config.Endpoint.Issuer", Reason: "a request object's audience is the issuer (RFC 9101 §4); set it or use Discover"}
	}
	alg, err := requestObjectAlg(cfg)
	if err != nil {
		return "", err
	}
	claims := jwt.MapClaims{}
	for k, v := range params {
		claims[k] = claimValue(k, v)
	}
	now := time.Now()
	claims["iss"] = cfg.ClientID
	claims["client_id"] = cfg.ClientID
	claims["aud"] = cfg.Endpoint.Issuer
	claims["iat"] = now.Unix()
	claims["nbf"] = now.Unix()
	claims["exp"] = now.Add(requestObjectLifetime).Unix()
	claims["jti"] = newJTI()
	t := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims)
	t.Header["typ"] = "oauth-authz-req+jwt"
	if cfg.RequestObjectKeyID != "" {
		t.Header["kid"] = cfg.RequestObjectKeyID
	}
	return signJWT(t, cfg.RequestObjectKey, alg, "Config.RequestObjectKey")
}

// requestObjectAlg is PS256 or ES256, the algorithms FAPI 2.0 allows:
// Config.RequestObjectAlg, or from the key.
func requestObjectAlg(cfg *Config) (string, error) {
	want := cfg.RequestObjectAlg
	if want == "" {
		want = "ES256"
		if _, ok := cfg.RequestObjectKey.Public().(*rsa.PublicKey); ok {
			want = "PS256"
		}
	}
	if want != "PS256" && want != "ES256" {
		return "", &ConfigError{Field: "Config.RequestObjectAlg", Reason: "must be PS256 or ES256"}
	}
	return signingAlg(cfg.RequestObjectKey, want, "Config.RequestObjectKey", "Config.RequestObjectAlg")
}

// claimValue is a parameter as a request object claim.
func claimValue(name string, v []string) any {
	if len(v) > 1 {
		return v
	}
	switch name {
	case "claims":
		if json.Valid([]byte(v[0])) {
			return json.RawMessage(v[0])
		}
	case "max_age":
		if n, err := strconv.ParseInt(v[0], 10, 64); err == nil {
			return n
		}
	}
	return v[0]
}
