package wire

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// Policy bounds retries; the root package's RetryPolicy documents it.
// Zero fields take their defaults.
type Policy struct {
	MaxAttempts int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
}

func (p Policy) withDefaults() Policy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 3
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 200 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 10 * time.Second
	}
	return p
}

// attempt is what one try of a request came to, for decide.
type attempt struct {
	resp    *Response // nil when err is set
	err     error
	wrote   bool // the request reached the wire
	dropped bool // the connection closed, reset or timed out with no answer
}

// decide says whether attempt n should be followed by another, and after
// how long.
//
// Retried: 429 (the server refused to act), and a connection failure before
// the request was written. A request without a one-time credential is also
// retried on 503, and after the connection closed, reset or timed out once
// the request was written.
// A request carrying one (an authorization code, a refresh token that may
// rotate) is not: a proxy answers 503 after an upstream reset, when the
// server may already have redeemed it, and a second redemption revokes the
// token family (RFC 9700 §4.14.2). Nothing is retried after an answer
// net/http could not use (a malformed header, a redirect with a bad
// Location), nor after a 500.
//
// The wait honours Retry-After (RFC 9110 §10.2.3), else exponential backoff
// with full jitter. A Retry-After longer than MaxDelay, or than what is
// left of ctx, ends the retries: the server's answer goes back to the
// caller, with Error.RetryAfter set, rather than a request sent early.
func (p Policy) decide(ctx context.Context, oneTime bool, n int, a attempt) (time.Duration, bool) {
	if n >= p.MaxAttempts || ctx.Err() != nil {
		return 0, false
	}
	var wait time.Duration
	switch {
	case a.err != nil:
		if a.wrote && (oneTime || !a.dropped) {
			return 0, false
		}
	case a.resp.Status == http.StatusTooManyRequests,
		a.resp.Status == http.StatusServiceUnavailable && !oneTime:
		wait = ParseRetryAfter(a.resp.Header.Get("Retry-After"), time.Now())
		if wait > p.MaxDelay {
			return 0, false
		}
	default:
		return 0, false
	}
	if wait <= 0 {
		backoff := p.BaseDelay << (n - 1)
		if backoff <= 0 || backoff > p.MaxDelay {
			backoff = p.MaxDelay
		}
		wait = backoff/2 + rand.N(backoff/2+1)
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		return 0, false
	}
	return wait, true
}

// ParseRetryAfter reads Retry-After in its delay-seconds or HTTP-date form
// (RFC 9110 §10.2.3); 0 when absent, malformed or in the past.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 || s > 1<<31 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// dropped reports whether a failure is the connection closing, resetting
// or timing out without an answer, as opposed to an answer net/http could
// not use (a malformed header, a redirect with a bad Location), after which
// the server may have acted on the request.
func dropped(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &ne) && ne.Timeout()
}

// sleep waits d or until ctx is done, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
