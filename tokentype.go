package oauth2flows

import (
	"net/url"
	"strings"
)

// tokenTypePrefix is the namespace of RFC 8693 §3's token type URIs.
const tokenTypePrefix = "urn:ietf:params:oauth:token-type:"

var knownTokenTypes = map[string]string{
	"access_token":  "TokenTypeAccessToken",
	"refresh_token": "TokenTypeRefreshToken",
	"id_token":      "TokenTypeIDToken",
	"jwt":           "TokenTypeJWT",
	"saml1":         "TokenTypeSAML1",
	"saml2":         "TokenTypeSAML2",
}

// checkTokenTypeURI refuses a token type that is not an absolute URI
// (RFC 8693 §3), or that garbles the urn:ietf:params:oauth:token-type
// namespace, such as the "tf:params:oauth:token-type:saml2" that circulates
// in published samples. The error names the constant to use.
func checkTokenTypeURI(option, v string) error {
	if strings.HasPrefix(v, tokenTypePrefix) {
		if _, ok := knownTokenTypes[v[len(tokenTypePrefix):]]; ok {
			return nil
		}
	}
	u, err := url.Parse(v)
	scheme := ""
	if err == nil {
		scheme = strings.ToLower(u.Scheme)
	}
	// A URN of another namespace, or an http(s) URI, is a legitimate
	// provider-defined type.
	if (scheme == "urn" && !strings.Contains(v, ":token-type:")) || ((scheme == "https" || scheme == "http") && u.Host != "") {
		return nil
	}
	reason := "not an absolute token type URI (RFC 8693 §3)"
	suffix := strings.ToLower(v[strings.LastIndex(v, ":")+1:])
	if name, ok := knownTokenTypes[suffix]; ok {
		reason += "; use oauth2flows." + name + " (" + tokenTypePrefix + suffix + ")"
	}
	return &ConfigError{Field: option, Reason: reason}
}
