package oauth2flows

import (
	"context"
	"net/http"
	"net/url"
)

// tlsClientAuth is tls_client_auth and self_signed_tls_client_auth
// (RFC 8705 §2): the certificate, presented by the client from
// Config.httpClient (mtls.go), authenticates; client_id identifies.
type tlsClientAuth struct{}

func (tlsClientAuth) authenticate(_ context.Context, c *Config, form url.Values, _ http.Header) error {
	form.Set("client_id", c.ClientID)
	return nil
}

// needCertificate refuses certificate method m without a certificate to
// present, before the poster builds the client that presents it.
func (c *Config) needCertificate(m AuthMethod) error {
	if !c.hasClientCertificate() {
		return &ConfigError{Field: "Config.Certificate", Reason: m.String() + " needs a client certificate"}
	}
	return nil
}
