// Package wire is the HTTP layer of the token-endpoint poster: one form
// POST with retries, a capped body, attempt logging and scrubbed errors,
// and the decoding of token and error responses (RFC 6749 §5). It works on
// primitives and its own small types; the root package builds the form,
// authenticates the client and maps the results to its public types.
package wire

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/oauth2flows/oauth2flows/internal/redact"
)

// Request is one form POST to the authorization server.
type Request struct {
	URL    string
	Header http.Header // shared by every attempt; RoundTrippers must not modify it
	Body   string      // application/x-www-form-urlencoded

	// OneTime marks a request carrying a credential the server consumes
	// (an authorization code, a refresh token that may rotate); see
	// Policy.decide.
	OneTime bool
	// Secrets are the credential values the request carried, in the forms
	// they may be echoed in, for scrubbing error text.
	Secrets []string

	// Kind ("token", "revocation", ...) and Grant (grant_type) go in the
	// log line.
	Kind, Grant string

	// Timeout, when positive, bounds each attempt, the body read included,
	// as http.Client.Timeout does.
	Timeout time.Duration

	// Build, when set, makes each attempt's Header, Body and Secrets
	// afresh, replacing the fields above: what a server consumes, a client
	// assertion's jti (RFC 7523 §3) or a DPoP proof (RFC 9449 §11.1), is
	// never sent twice, not even by a retry. Its error ends the request
	// before that attempt and is returned as is.
	Build Builder

	// Observe, when set, is told of each attempt (observe.go).
	Observe func(n, status int, d time.Duration, err error)
}

// Builder makes the header, body and secrets of one attempt.
type Builder interface {
	Build() (header http.Header, body string, secrets []string, err error)
}

// Response is what the server answered: status, header and a body capped
// at MaxBodySize.
type Response struct {
	Status   int
	Header   http.Header
	Body     []byte
	TooLarge bool
	// Sent is when the request that got this answer was sent: a server
	// counts expires_in (RFC 6749 §5.1) from a moment after it, so an
	// expiry counted from Sent is never later than the server's, however
	// long the answer took to arrive.
	Sent time.Time

	errResp *ErrorResponse // DecodeError's result: the body is decoded once
}

// NetworkError is an attempt that got no usable HTTP response. URL has no
// query; Err is scrubbed of the request's credentials.
type NetworkError struct {
	URL string
	Err error
}

func (e *NetworkError) Error() string { return "request to " + e.URL + " failed: " + e.Err.Error() }
func (e *NetworkError) Unwrap() error { return e.Err }

// BuildError is a request URL net/http cannot build a request from.
type BuildError struct{ Err error }

func (e *BuildError) Error() string { return "cannot build request: " + e.Err.Error() }

// Post sends r, retrying as policy allows, and returns the capped response
// or a *NetworkError (or a *BuildError). Each attempt is logged on logger,
// when not nil, without any form value or header.
func Post(ctx context.Context, client *http.Client, r *Request, policy Policy, logger *slog.Logger) (*Response, error) {
	policy = policy.withDefaults()
	for n := 1; ; n++ {
		start := time.Now()
		one := r
		if r.Build != nil {
			h, body, secrets, err := r.Build.Build()
			if err != nil {
				return nil, err
			}
			c := *r
			c.Header, c.Body, c.Secrets = h, body, secrets
			one = &c
		}
		a := doOnce(ctx, client, one)
		d := time.Since(start)
		logAttempt(ctx, logger, r, n, a, d)
		r.observe(n, a, d)
		wait, retry := policy.decide(ctx, r.OneTime, n, a)
		if !retry {
			if a.err != nil {
				return nil, a.err
			}
			return a.resp, nil
		}
		if werr := sleep(ctx, wait); werr != nil {
			// The caller gave up while we waited to retry: say so, rather
			// than pass off the previous attempt's answer as the outcome.
			return nil, &NetworkError{URL: redact.URL(r.URL), Err: werr}
		}
	}
}

// doOnce makes one attempt. Its error is scrubbed of the request's
// credentials: net/http quotes what the server sent (a malformed header
// line echoing the body, an unparsable Location) in its errors.
func doOnce(ctx context.Context, client *http.Client, r *Request) attempt {
	if r.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, nil)
	if err != nil {
		return attempt{err: &BuildError{Err: redact.Error(redact.UnwrapURLError(err), r.Secrets)}}
	}
	// The body records whether the transport read it, which is when the
	// request went on the wire: cheaper than an httptrace hook per attempt.
	b := &sentBody{s: r.Body}
	b.read = &b.own
	req.Body, req.ContentLength = b, int64(len(r.Body))
	req.GetBody = b.again
	req.Header = r.Header
	sent := time.Now()
	hr, err := client.Do(req)
	if err != nil {
		err = redact.UnwrapURLError(err)
		return attempt{wrote: b.read.Load(), dropped: dropped(err),
			err: &NetworkError{URL: redact.URL(r.URL), Err: redact.Error(err, r.Secrets)}}
	}
	defer hr.Body.Close()
	raw, err := readCapped(hr.Body, MaxBodySize+1, hr.ContentLength)
	if err != nil {
		return attempt{wrote: true,
			err: &NetworkError{URL: redact.URL(r.URL), Err: redact.Error(err, r.Secrets)}}
	}
	resp := &Response{Status: hr.StatusCode, Header: hr.Header, Body: raw, Sent: sent}
	if len(raw) > MaxBodySize {
		resp.Body, resp.TooLarge = raw[:MaxBodySize], true
	}
	return attempt{resp: resp, wrote: true}
}
