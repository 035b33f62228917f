package oauth2flows

import (
	"context"
	"net/http"
	"net/url"
)

// noClientAuth is a public client ("none", RFC 7591 §2): its client_id in
// the form, no credential (RFC 6749 §3.2.1).
type noClientAuth struct{}

func (noClientAuth) authenticate(_ context.Context, c *Config, form url.Values, _ http.Header) error {
	form.Set("client_id", c.ClientID)
	return nil
}
