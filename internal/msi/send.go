package msi

import (
	"cmp"
	"context"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"

	"github.com/oauth2flows/oauth2flows/internal/redact"
	"github.com/oauth2flows/oauth2flows/internal/wire"
)

// withDefaults fills p's zero fields with MSAL Go's figures: 3 attempts,
// and a first wait of one second, here doubled per attempt with jitter,
// each wait at most 10 s.
func withDefaults(p wire.Policy) wire.Policy {
	p.MaxAttempts = cmp.Or(p.MaxAttempts, 3)
	p.BaseDelay = cmp.Or(p.BaseDelay, time.Second)
	p.MaxDelay = cmp.Or(p.MaxDelay, 10*time.Second)
	return p
}

// Statuses retried, as MSAL Go retries them. IMDS answers 410 while it is
// being updated and 404 while the identity is being assigned; 400 (a bad
// request, an unknown identity) is never retried.
var (
	imdsRetried = []int{404, 410, 429, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511}
	retried     = []int{408, 429, 500, 502, 503, 504}
)

// Retryable reports whether host h's answer status is retried.
func Retryable(h Host, status int) bool {
	if h == IMDS {
		return slices.Contains(imdsRetried, status)
	}
	return slices.Contains(retried, status)
}

// Do sends r, retrying retryable statuses and connection failures (every
// request is idempotent: it asks for a token and changes nothing), and
// returns the last answer, its body capped, or a *wire.NetworkError.
// Waits honour Retry-After; one longer than MaxDelay, or than what is left
// of ctx, ends the retries with the answer.
func Do(ctx context.Context, client *http.Client, r *Request, p wire.Policy) (*wire.Response, error) {
	p = withDefaults(p)
	for n := 1; ; n++ {
		resp, err := once(ctx, client, r)
		if n >= p.MaxAttempts || ctx.Err() != nil || err == nil && !Retryable(r.Host, resp.Status) {
			return resp, err
		}
		var wait time.Duration
		if resp != nil {
			wait = wire.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
			if wait > p.MaxDelay {
				return resp, err
			}
		}
		if wait <= 0 {
			backoff := min(p.BaseDelay<<(n-1), p.MaxDelay)
			wait = backoff/2 + rand.N(backoff/2+1)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return resp, err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, &wire.NetworkError{URL: redact.URL(r.URL), Err: ctx.Err()}
		}
	}
}

// once makes one attempt.
func once(ctx context.Context, client *http.Client, r *Request) (*wire.Response, error) {
	req, err := r.httpRequest(ctx)
	if err != nil {
		return nil, &wire.BuildError{Err: redact.Error(redact.UnwrapURLError(err), r.Secrets)}
	}
	sent := time.Now()
	hr, err := client.Do(req)
	if err != nil {
		return nil, &wire.NetworkError{URL: redact.URL(r.URL), Err: redact.Error(redact.UnwrapURLError(err), r.Secrets)}
	}
	defer hr.Body.Close()
	raw, err := wire.ReadCapped(hr.Body, wire.MaxBodySize+1, hr.ContentLength)
	if err != nil {
		return nil, &wire.NetworkError{URL: redact.URL(r.URL), Err: redact.Error(err, r.Secrets)}
	}
	resp := &wire.Response{Status: hr.StatusCode, Header: hr.Header, Body: raw, Sent: sent}
	if len(raw) > wire.MaxBodySize {
		resp.Body, resp.TooLarge = raw[:wire.MaxBodySize], true
	}
	return resp, nil
}
