package oauth2flows

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// StoreUnavailableError is the error of a request whose token had to be
// renewed with a refresh token while the [TokenStore] of [WithTokenStore]
// failed. A rotating refresh token (RFC 9700 §4.14.2) is redeemed only
// under the store's lease: redeemed by two replicas, it makes a server that
// detects reuse revoke the whole family, and the user must sign in again.
// So the Transport keeps serving a token that is still valid, postpones
// its renewal, and once it has expired retries the store with backoff,
// within the request's deadline and at most for the lease wait (30 s),
// which outlasts a Redis restart or failover. A store still failing then
// fails the request with this error: a failed request is recoverable, a
// revoked family is not. [WithInsecureRenewalOutsideLease] trades that
// safety for availability.
type StoreUnavailableError struct {
	Err *StoreError // the store's latest failure
}

// Error implements error.
func (e *StoreUnavailableError) Error() string {
	return "oauth2flows: token store unavailable, the refresh token is not redeemed outside its lease: " + e.Err.Error()
}

// Unwrap returns the store's failure.
func (e *StoreUnavailableError) Unwrap() error { return e.Err }

// WithInsecureRenewalOutsideLease lets a Transport given [WithTokenStore]
// renew from its own memory and the token endpoint when the store fails,
// as it does for grants that spend nothing (client credentials, On-Behalf-Of
// and token exchange, which can simply be run again). With a refresh token
// that rotates, every replica that saw the failure redeems its own copy:
// all but the first are reuses, and a server that detects reuse (RFC 9700
// §4.14.2; Auth0, Okta, fosite) revokes the family and signs the user out.
// Use it only with a server that keeps the old refresh token valid, such
// as Microsoft Entra, or without rotation. By default the Transport fails
// the request with a [*StoreUnavailableError] instead.
func WithInsecureRenewalOutsideLease() TransportOption {
	return func(o *transportOptions) { o.policy.outsideLease, o.renewal = true, true }
}

// Bounds of the backoff between attempts on a failing store.
const (
	storeRetryFirst = 50 * time.Millisecond
	storeRetryMax   = time.Second
)

// renewSharedRetrying is renewShared (renew.go) that never redeems a
// spending grant's refresh token outside the lease: an attempt that the
// store failed is retried with backoff while the token cannot be used,
// for at most the lease wait; a grant that spends nothing, or a policy that
// says so, goes on without the store at once.
func (r *renewal) renewSharedRetrying(ctx context.Context, pol *renewPolicy, cur *tokenState, forced bool) (*tokenState, error) {
	defer r.storeDown.Store(nil)
	deadline := time.Now().Add(r.calls(pol).timeoutOf("Lock"))
	wait := storeRetryFirst
	var seedBy time.Time
	for {
		lost := r.lostPhase()
		if !seedBy.IsZero() && !time.Now().Before(seedBy) {
			lost = lostDone
		}
		st, err := r.renewShared(ctx, pol, cur, forced, lost)
		if err == errStoreLost {
			return nil, r.lostWait(r.lostPhase())
		}
		if err == errSeedWait {
			if seedBy.IsZero() {
				seedBy = time.Now().Add(seedGrace)
			}
			if !sleep(ctx, &wait) {
				return nil, context.Cause(ctx)
			}
			continue
		}
		if err == nil {
			r.lostUntil.Store(0)
			r.seedSeenStoreFail.Store(false)
			r.sawStore()
		}
		var down *storeDownError
		if !errors.As(err, &down) {
			return st, err
		}
		if !r.spends || pol.outsideLease {
			return r.renewLocal(ctx, pol, cur, forced)
		}
		now := time.Now()
		if cur != nil && cur.unchecked {
			r.seedSeenStoreFail.Store(true) // the store may lose what it holds
		}
		if cur != nil && cur.unchecked && now.Before(cur.expireAt) {
			return r.check(cur), nil // a seed still valid: using it spends nothing
		}
		unavailable := &StoreUnavailableError{Err: down.err}
		if cur.usable(now) && !forced {
			return nil, unavailable // a proactive renewal: postponed, the token still serves
		}
		r.storeDown.Store(unavailable)
		if !now.Add(wait).Before(deadline) || !sleep(ctx, &wait) {
			return nil, unavailable
		}
	}
}

// sleep waits about *wait, with jitter, and doubles it up to
// storeRetryMax; it reports false when ctx ended first.
func sleep(ctx context.Context, wait *time.Duration) bool {
	t := time.NewTimer(*wait/2 + rand.N(*wait/2+1))
	defer t.Stop()
	*wait = min(2**wait, storeRetryMax)
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// storeDownError is how renewShared says that the store failed where the
// lease was needed; renewSharedRetrying decides what follows.
type storeDownError struct{ err *StoreError }

func (e *storeDownError) Error() string { return e.err.Error() }

// storeDown returns err, a failed store call's, as a storeDownError.
func storeDown(err error) error {
	var serr *StoreError
	if !errors.As(err, &serr) {
		serr = &StoreError{Op: "Lock", Err: err}
	}
	return &storeDownError{err: serr}
}

// waitError is what a request gets whose ctx ended while waiting for a
// renewal: the cause when there is one, the store's failure while the
// renewal retries the store, or a [SaveError] while the saver runs; else
// ctx's error.
func (r *renewal) waitError(ctx context.Context, err error) error {
	if err != nil && (ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded)) {
		if u := r.storeDown.Load(); u != nil {
			return u
		}
		if serr := r.saveWaitError(err); serr != nil {
			return serr
		}
	}
	return err
}
