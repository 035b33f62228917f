package oauth2flows

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

func (p RetryPolicy) withDefaults() RetryPolicy {
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

// decide says whether attempt should be followed by another, and after how
// long. Retried: 429 and 503 (the server did not act on the request), and
// connection failures before the request was written. A failure after the
// request was written is retried only when the request carries no one-time
// credential: a code or rotating refresh token may already be spent. A 500
// is never retried. The wait honours Retry-After (RFC 9110 §10.2.3), else
// exponential backoff with full jitter, and never outlasts ctx's deadline.
func (p RetryPolicy) decide(ctx context.Context, oneTime bool, attempt int, resp *response, wrote bool, err error) (time.Duration, bool) {
	if attempt >= p.MaxAttempts || ctx.Err() != nil {
		return 0, false
	}
	var wait time.Duration
	switch {
	case err != nil:
		if wrote && oneTime {
			return 0, false
		}
	case resp.status == http.StatusTooManyRequests || resp.status == http.StatusServiceUnavailable:
		wait = parseRetryAfter(resp.header.Get("Retry-After"), time.Now())
	default:
		return 0, false
	}
	if wait <= 0 {
		backoff := p.BaseDelay << (attempt - 1)
		if backoff <= 0 || backoff > p.MaxDelay {
			backoff = p.MaxDelay
		}
		wait = backoff/2 + rand.N(backoff/2+1)
	}
	wait = min(wait, p.MaxDelay)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		return 0, false
	}
	return wait, true
}

// parseRetryAfter reads Retry-After in its delay-seconds or HTTP-date form
// (RFC 9110 §10.2.3); 0 when absent, malformed or in the past.
func parseRetryAfter(v string, now time.Time) time.Duration {
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
