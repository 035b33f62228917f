package oauth2flows

import (
	"encoding/json"
	"net/url"
)

// withCapabilities merges Config.ClientCapabilities into the claims
// parameter of a token request, as MSAL does: the capabilities go in
// access_token.xms_cc.values, beside a claims challenge the request carries
// ([WithClaims]), which keeps every member it has.
func withCapabilities(cfg *Config, kind endpointKind, form url.Values) error {
	if len(cfg.ClientCapabilities) == 0 || kind != tokenEndpoint {
		return nil
	}
	claims, err := mergeCapabilities(form.Get("claims"), cfg.ClientCapabilities)
	if err != nil {
		return err
	}
	form.Set("claims", claims)
	return nil
}

// authorizeClaims is the claims parameter of an authorization request
// (OpenID Connect Core §5.5): WithClaims's, with Config.ClientCapabilities
// merged in, as MSAL sends them there too, so that the code, and the
// tokens redeemed for it, are issued to a client that declared them.
func authorizeClaims(cfg *Config, o *options) (string, error) {
	claims := ""
	if o.set&optClaims != 0 {
		claims = o.claims
	}
	if len(cfg.ClientCapabilities) == 0 {
		return claims, nil
	}
	return mergeCapabilities(claims, cfg.ClientCapabilities)
}

// mergeCapabilities returns claims (a claims request, OpenID Connect Core
// §5.5; "" for none) with caps as access_token.xms_cc. A challenge that
// names xms_cc itself keeps its own.
func mergeCapabilities(claims string, caps []string) (string, error) {
	for _, c := range caps {
		if c == "" {
			return "", &ConfigError{Field: "Config.ClientCapabilities", Reason: "an empty capability"}
		}
	}
	var top, at map[string]json.RawMessage
	if claims != "" && (json.Unmarshal([]byte(claims), &top) != nil || top == nil) {
		return "", &ConfigError{Field: "WithClaims", Reason: "not a JSON object (OpenID Connect Core §5.5)"}
	}
	if raw, ok := top["access_token"]; ok && json.Unmarshal(raw, &at) != nil {
		return "", &ConfigError{Field: "WithClaims", Reason: "access_token is not a JSON object (OpenID Connect Core §5.5)"}
	}
	if top == nil {
		top = map[string]json.RawMessage{}
	}
	if at == nil {
		at = map[string]json.RawMessage{}
	}
	if _, ok := at["xms_cc"]; !ok {
		cc, err := json.Marshal(map[string][]string{"values": caps})
		if err != nil {
			return "", err
		}
		at["xms_cc"] = cc
	}
	b, err := json.Marshal(at)
	if err != nil {
		return "", err
	}
	top["access_token"] = b
	b, err = json.Marshal(top)
	return string(b), err
}
