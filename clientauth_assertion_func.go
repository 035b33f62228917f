package oauth2flows

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

// AssertionError is a failure of a callback that supplies an assertion:
// [Config.ClientAssertion], or the assertion function of
// [JWTBearerSource]. Nothing was sent. Err is what the callback returned
// (errors.Is and errors.As reach it); the message never holds an
// assertion.
type AssertionError struct {
	Op    string // the function called, e.g. "ClientCredentials"
	Field string // "Config.ClientAssertion" or "assertion"
	Err   error
}

// Error implements error.
func (e *AssertionError) Error() string {
	msg := "oauth2flows: "
	if e.Op != "" {
		msg += e.Op + ": "
	}
	return msg + e.Field + ": " + e.Err.Error()
}

// Unwrap returns the callback's error.
func (e *AssertionError) Unwrap() error { return e.Err }

// errEmptyAssertion is the cause of an [*AssertionError] for a callback
// that returned no assertion and no error.
var errEmptyAssertion = errors.New("returned an empty assertion")

// callAssertion asks a callback for an assertion, wrapping its failure.
func callAssertion(ctx context.Context, field string, f func(context.Context) (string, error)) (string, error) {
	a, err := f(ctx)
	if err != nil {
		return "", &AssertionError{Field: field, Err: err}
	}
	if a == "" {
		return "", &AssertionError{Field: field, Err: errEmptyAssertion}
	}
	return a, nil
}

// assertionFunc is private_key_jwt with an assertion from elsewhere
// (Config.ClientAssertion, e.g. workload identity federation), asked afresh
// for every attempt.
type assertionFunc struct{}

func (assertionFunc) authenticate(ctx context.Context, c *Config, form url.Values, _ http.Header) error {
	a, err := callAssertion(ctx, "Config.ClientAssertion", c.ClientAssertion)
	if err != nil {
		return err
	}
	setAssertion(c, form, a)
	return nil
}

// assertionMethod is the client authentication method of a Config with
// ClientAssertion: private_key_jwt (RFC 7523 §2.2, the registered name
// servers use for federated assertions too). AuthAuto with another
// credential beside it is ambiguous, and a method that sends no assertion
// contradicts it; both are refused.
func (c *Config) assertionMethod() (AuthMethod, error) {
	other := ""
	switch {
	case c.ClientSecret != "":
		other = "Config.ClientSecret"
	case c.PrivateKey != nil:
		other = "Config.PrivateKey"
	case c.Certificate != nil:
		other = "Config.Certificate"
	}
	switch c.AuthMethod {
	case AuthAuto:
		if other != "" {
			return 0, &ConfigError{Field: "Config.AuthMethod", Reason: "AuthAuto cannot choose between Config.ClientAssertion and " +
				other + ", which are both set; set Config.AuthMethod or leave one out"}
		}
		return PrivateKeyJWT, nil
	case PrivateKeyJWT:
		if c.PrivateKey != nil {
			return 0, &ConfigError{Field: "Config.ClientAssertion", Reason: "set together with Config.PrivateKey: private_key_jwt sends one assertion; leave one out"}
		}
		return PrivateKeyJWT, nil
	}
	return 0, &ConfigError{Field: "Config.ClientAssertion", Reason: "set, but Config.AuthMethod is " + c.AuthMethod.String() +
		", which sends no client assertion; use AuthAuto or PrivateKeyJWT"}
}
