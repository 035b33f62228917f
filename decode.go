package oauth2flows

import (
	"time"

	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows/internal/wire"
)

// decodeToken reads a token response (RFC 6749 §5.1) through the wire
// layer and maps it, or its failure, to this package's types.
func decodeToken(r *wire.Response, secrets []string, now time.Time) (*Token, error) {
	wt, err := wire.DecodeToken(r, secrets, now)
	if err != nil {
		return nil, responseError(err)
	}
	t := &Token{IDToken: wt.IDToken, Scope: wt.Scope, IssuedTokenType: wt.IssuedTokenType}
	t.Token = *(&oauth2.Token{
		AccessToken:  wt.AccessToken,
		TokenType:    wt.TokenType,
		RefreshToken: wt.RefreshToken,
		Expiry:       wt.Expiry,
		ExpiresIn:    wt.ExpiresIn,
	}).WithExtra(wt.Raw)
	return t, nil
}

// decodeError reads an error response (RFC 6749 §5.2), or a body that is
// not one, as an [*Error].
func decodeError(r *wire.Response, secrets []string) *Error {
	return errorFrom(wire.DecodeError(r, secrets))
}

// responseError maps the wire layer's response failures.
func responseError(err error) error {
	switch e := err.(type) {
	case *wire.ErrorResponse:
		return errorFrom(e)
	case *wire.InvalidResponse:
		return &InvalidResponseError{StatusCode: e.Status, ContentType: e.ContentType, Reason: e.Reason}
	}
	return err
}

func errorFrom(e *wire.ErrorResponse) *Error {
	return &Error{
		StatusCode:    e.Status,
		Code:          e.Code,
		Description:   e.Description,
		URI:           e.URI,
		Claims:        e.Claims,
		ErrorCodes:    e.ErrorCodes,
		TraceID:       e.TraceID,
		CorrelationID: e.CorrelationID,
		RetryAfter:    e.RetryAfter,
		Body:          e.Body,
	}
}
