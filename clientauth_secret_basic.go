package oauth2flows

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
)

// secretBasic is client_secret_basic (RFC 6749 §2.3.1): HTTP Basic with the
// client id and secret.
type secretBasic struct{}

func (secretBasic) authenticate(_ context.Context, c *Config, _ url.Values, header http.Header) error {
	if err := c.needSecret(ClientSecretBasic); err != nil {
		return err
	}
	// Each part is form-urlencoded before Base64, so a secret holding ':'
	// or '%' survives.
	cred := url.QueryEscape(c.ClientID) + ":" + url.QueryEscape(c.ClientSecret)
	header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	return nil
}
