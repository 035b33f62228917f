package oauth2flows

import (
	"context"
	"net/http"
	"net/url"

	"github.com/golang-jwt/jwt/v5"
)

// secretJWT is client_secret_jwt (RFC 7523 §2.2, OpenID Connect Core §9):
// a JWT with the claims of private_key_jwt, HS256 with the client secret,
// new for every attempt.
type secretJWT struct{}

func (secretJWT) authenticate(_ context.Context, c *Config, form url.Values, _ http.Header) error {
	if err := c.needSecret(ClientSecretJWT); err != nil {
		return err
	}
	claims, err := assertionClaims(c)
	if err != nil {
		return err
	}
	a, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(c.ClientSecret))
	if err != nil {
		return &ConfigError{Field: "Config.ClientSecret", Reason: "cannot sign client assertion"}
	}
	setAssertion(c, form, a)
	return nil
}
