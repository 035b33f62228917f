package oauth2flows

import (
	"context"
	"net/http"
	"net/url"
)

// secretPost is client_secret_post (RFC 6749 §2.3.1): the client id and
// secret in the form.
type secretPost struct{}

func (secretPost) authenticate(_ context.Context, c *Config, form url.Values, _ http.Header) error {
	if err := c.needSecret(ClientSecretPost); err != nil {
		return err
	}
	form.Set("client_id", c.ClientID)
	form.Set("client_secret", c.ClientSecret)
	return nil
}
