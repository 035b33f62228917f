package oauth2flows

import "net/url"

// LogoutURL returns the URL to send the user's browser to for
// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2) at
// Endpoint.EndSessionURL, with:
//
//   - id_token_hint: idToken, the raw ID token of the session (recommended;
//     "" leaves it out);
//   - client_id: Config.ClientID, so the server can check
//     post_logout_redirect_uri even without the hint;
//   - post_logout_redirect_uri: where the server sends the user back, one
//     registered for the client ("" leaves it out);
//   - state: echoed to post_logout_redirect_uri ("" leaves it out); make
//     it with [NewState] and check it there as for a sign-in.
//
// A query already in EndSessionURL is kept. Errors are [*ConfigError]s: no
// ClientID, no or a non-https EndSessionURL, or a post-logout URI that is
// not an absolute URL.
func LogoutURL(cfg *Config, idToken, postLogoutRedirectURI, state string) (string, error) {
	u, err := logoutURL(cfg, idToken, postLogoutRedirectURI, state)
	return u, withOp("LogoutURL", err)
}

func logoutURL(cfg *Config, idToken, postLogoutRedirectURI, state string) (string, error) {
	switch {
	case cfg == nil:
		return "", &ConfigError{Field: "cfg", Reason: "nil Config"}
	case cfg.ClientID == "":
		return "", &ConfigError{Field: "Config.ClientID", Reason: "not set"}
	case cfg.Endpoint.EndSessionURL == "":
		return "", &ConfigError{Field: "Config.Endpoint.EndSessionURL", Reason: "not set; Discover fills it from end_session_endpoint"}
	}
	if err := checkURL("Config.Endpoint.EndSessionURL", cfg.Endpoint.EndSessionURL, cfg.InsecureAllowHTTP); err != nil {
		return "", err
	}
	u, err := url.Parse(cfg.Endpoint.EndSessionURL)
	if err != nil {
		return "", &ConfigError{Field: "Config.Endpoint.EndSessionURL", Reason: "not a valid URL"}
	}
	if postLogoutRedirectURI != "" {
		if p, err := url.Parse(postLogoutRedirectURI); err != nil || !p.IsAbs() || p.Host == "" {
			return "", &ConfigError{Field: "postLogoutRedirectURI", Reason: "not an absolute URL"}
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", &ConfigError{Field: "Config.Endpoint.EndSessionURL", Reason: "malformed query"}
	}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("id_token_hint", idToken)
	set("client_id", cfg.ClientID)
	set("post_logout_redirect_uri", postLogoutRedirectURI)
	set("state", state)
	u.RawQuery = q.Encode()
	u.Fragment, u.RawFragment = "", ""
	return u.String(), nil
}
