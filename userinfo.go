package oauth2flows

import (
	"bytes"
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/oauth2flows/oauth2flows/internal/challenge"
	"github.com/oauth2flows/oauth2flows/internal/redact"
	"github.com/oauth2flows/oauth2flows/internal/wire"
)

// UserInfoClaims is a userinfo response (OpenID Connect Core §5.3.2): the
// standard claims it names (§5.1), and all of them through Claims.
type UserInfoClaims struct {
	Subject           string `json:"sub"`
	Name              string `json:"name,omitempty"`
	PreferredUsername string `json:"preferred_username,omitempty"`
	Email             string `json:"email,omitempty"`
	EmailVerified     bool   `json:"email_verified,omitempty"`

	raw []byte
}

// Claims unmarshals the whole userinfo response into v.
func (u *UserInfoClaims) Claims(v any) error { return json.Unmarshal(u.raw, v) }

// UserInfo calls the userinfo endpoint (OpenID Connect Core §5.3,
// Endpoint.UserInfoURL) with tok's access token, and checks that the
// response is about subject, the "sub" of the user's verified ID token
// ([IDTokenClaims].Subject): §5.3.2 says the userinfo "sub" MUST be
// verified to match, or the response may be about another user and must
// not be used. A mismatch is an [*IDTokenError] with [IDTokenSubject].
//
// A DPoP-bound token (Config.DPoPKey) is sent with a fresh proof, and the
// server's use_dpop_nonce answered once (RFC 9449 §7, §9); with
// Config.Certificate the request presents it, at Endpoint.MTLSUserInfoURL
// when set, for certificate-bound tokens (RFC 8705 §3, §5). A refusal is an [*Error] with the challenge's error code
// (RFC 6750 §3.1). Signed or encrypted responses (application/jwt) are
// refused with an [*InvalidResponseError].
func UserInfo(ctx context.Context, cfg *Config, tok *Token, subject string) (*UserInfoClaims, error) {
	u, err := userInfo(ctx, cfg, tok, subject)
	return u, withOp("UserInfo", err)
}

func userInfo(ctx context.Context, cfg *Config, tok *Token, subject string) (*UserInfoClaims, error) {
	switch {
	case ctx == nil:
		return nil, &ConfigError{Field: "ctx", Reason: "nil context"}
	case cfg == nil:
		return nil, &ConfigError{Field: "cfg", Reason: "nil Config"}
	case tok == nil || tok.AccessToken == "":
		return nil, &ConfigError{Field: "tok", Reason: "no access token"}
	case subject == "":
		return nil, &ConfigError{Field: "subject", Reason: "empty; pass the verified ID token's sub"}
	case cfg.Endpoint.UserInfoURL == "":
		return nil, &ConfigError{Field: "Config.Endpoint.UserInfoURL", Reason: "not set; Discover fills it"}
	}
	target, field, method := cfg.Endpoint.UserInfoURL, "Config.Endpoint.UserInfoURL", NoClientAuth
	if cfg.Certificate != nil {
		method = TLSClientAuth // present it: the token may be bound to it (RFC 8705 §3)
		if cfg.Endpoint.MTLSUserInfoURL != "" {
			target, field = cfg.Endpoint.MTLSUserInfoURL, "Config.Endpoint.MTLSUserInfoURL" // §5
		}
	}
	// A token is sent only over TLS (RFC 6750 §5.3).
	if err := checkURL(field, target, cfg.InsecureAllowHTTP); err != nil {
		return nil, err
	}
	hc, err := cfg.httpClient(method, new(posterClient))
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, &ConfigError{Field: field, Reason: "not a valid URL"}
	}
	req.Header.Set("Accept", "application/json")
	// net/http quotes what it cannot parse, and a server may echo what it
	// was sent: the token never reaches an error string.
	secrets := []string{tok.AccessToken}
	var resp *http.Response
	if strings.EqualFold(tok.TokenType, "DPoP") {
		auth, d, err := dpopAuthorization(tok, newDPoPSession(cfg))
		if err != nil {
			return nil, err
		}
		if resp, err = sendDPoP(clientTransport{hc}, req, auth, d); err != nil {
			return nil, &NetworkError{URL: target, Err: redact.Error(redact.UnwrapURLError(err), secrets)}
		}
	} else {
		if !tok.IsBearer() {
			return nil, &TokenTypeError{TokenType: tok.TokenType, IssuedTokenType: tok.IssuedTokenType}
		}
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		if resp, err = hc.Do(req); err != nil {
			return nil, &NetworkError{URL: target, Err: redact.Error(redact.UnwrapURLError(err), secrets)}
		}
	}
	defer resp.Body.Close()
	body, err := wire.ReadCapped(resp.Body, wire.MaxBodySize+1, resp.ContentLength)
	if err != nil {
		return nil, &NetworkError{URL: target, Err: err}
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK {
		e := &Error{StatusCode: resp.StatusCode}
		for _, h := range resp.Header.Values("WWW-Authenticate") {
			if p, ok := challenge.ParseBearer(h); ok && p["error"] != "" {
				e.Code, e.Description = redact.SafeText(p["error"], secrets, 64), redact.SafeText(p["error_description"], secrets, 512)
			}
		}
		return nil, e
	}
	invalid := func(reason string) error {
		return &InvalidResponseError{StatusCode: resp.StatusCode, ContentType: ct, Reason: reason}
	}
	switch {
	case len(body) > wire.MaxBodySize:
		return nil, invalid("userinfo response too large")
	case ct == "application/jwt":
		return nil, invalid("signed or encrypted userinfo responses are not supported")
	case ct != "application/json":
		return nil, invalid("not application/json")
	}
	u := &UserInfoClaims{raw: bytes.Clone(body)}
	if err := json.Unmarshal(body, u); err != nil {
		return nil, invalid("not a JSON object of claims")
	}
	if u.Subject != subject {
		return nil, &IDTokenError{Reason: IDTokenSubject, Detail: "the userinfo sub is not the ID token's (OpenID Connect Core §5.3.2)"}
	}
	return u, nil
}

// clientTransport sends a request with an http.Client, keeping its
// timeout, certificate and redirect policy.
type clientTransport struct{ c *http.Client }

func (t clientTransport) RoundTrip(r *http.Request) (*http.Response, error) { return t.c.Do(r) }
