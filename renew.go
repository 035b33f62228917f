package oauth2flows

import (
	"context"
	"errors"
	"time"
)

// wait returns a usable token state, renewing the token unless another
// renewal runs already, in which case it waits for that one. st is what the
// caller found: nil, not yet saved, not a bearer, or expired.
func (t *Transport) wait(ctx context.Context, st *tokenState) (*tokenState, error) {
	if t.src == nil {
		return nil, &ConfigError{Field: "TokenSource", Reason: "nil"}
	}
	if st != nil && st.saved && st.err != nil && time.Now().Before(st.expireAt) {
		return nil, st.err // a refused token stays refused until it expires
	}
	c, _ := t.flight.start(ctx, func(ctx context.Context) (*tokenState, error) { return t.renew(ctx, st) })
	st, err := c.wait(ctx)
	if err != nil {
		return nil, err
	}
	if st.err != nil {
		return nil, st.err
	}
	return st, nil
}

// renewInBackground starts one renewal of st, unless one is running.
// Requests go on with st meanwhile.
func (t *Transport) renewInBackground(ctx context.Context, st *tokenState) {
	if !t.background.CompareAndSwap(false, true) {
		return
	}
	if _, started := t.flight.start(ctx, func(ctx context.Context) (*tokenState, error) {
		defer t.background.Store(false)
		next, err := t.renew(ctx, st)
		if err != nil {
			t.postpone(st, err)
		}
		return next, err
	}); !started {
		t.background.Store(false)
	}
}

// postpone delays the next background renewal of st after one failed, so
// that a failing server is not asked again on every request: by a quarter
// of the time left, or until expiry when the grant is dead (invalid_grant),
// where the waiting requests get the error.
func (t *Transport) postpone(st *tokenState, err error) {
	next := *st
	next.refreshAt = st.expireAt
	if !errors.Is(err, ErrReauthRequired) {
		next.refreshAt = time.Now().Add(time.Until(st.expireAt) / 4)
	}
	t.state.CompareAndSwap(st, &next)
}

// renew is the single-flight job: it saves a token that is not saved yet, or
// gets a new one from the source and saves it. seen is the state the caller
// wanted replaced.
func (t *Transport) renew(ctx context.Context, seen *tokenState) (*tokenState, error) {
	ctx, cancel := context.WithTimeout(ctx, renewTimeout)
	defer cancel()
	cur := t.state.Load()
	if cur != nil && !cur.saved {
		return t.save(ctx, cur) // the saver failed last time: retry before any use
	}
	if cur != seen && cur.usable(time.Now()) {
		return cur, nil // renewed since the caller looked
	}
	tok, err := t.fetch(ctx, cur)
	if err != nil {
		return nil, err
	}
	if cur != nil && sameToken(tok, cur.tok) {
		if !time.Now().Before(cur.expireAt) {
			return nil, errSourceExpired
		}
		// The source has nothing newer yet: stop asking until expiry.
		next := *cur
		next.refreshAt = cur.expireAt
		t.state.Store(&next)
		return &next, nil
	}
	next := newTokenState(tok, t.skew, t.saver == nil)
	t.state.Store(next) // kept even if saving fails: it may hold a rotated refresh token
	if next.saved {
		return next, nil
	}
	return t.save(ctx, next)
}

// fetch asks the source for a token newer than cur's.
func (t *Transport) fetch(ctx context.Context, cur *tokenState) (*Token, error) {
	var tok *Token
	var err error
	if r, ok := t.src.(renewer); ok {
		stale := r.initial() // what the source holds before its first renewal
		if cur != nil {
			stale = cur.tok
		}
		tok, err = r.renew(ctx, stale)
	} else {
		tok, err = t.src.Token(ctx)
	}
	if err == nil && tok == nil {
		err = errors.New("oauth2flows: token source returned no token and no error")
	}
	return tok, err
}

// save hands st's token to the saver and, once it returned nil, stores st
// as saved.
func (t *Transport) save(ctx context.Context, st *tokenState) (*tokenState, error) {
	if err := t.saver(ctx, st.tok); err != nil {
		return nil, &SaveError{Err: err}
	}
	next := *st
	next.saved, next.ready = true, st.err == nil
	t.state.Store(&next)
	return &next, nil
}

// newTokenState precomputes what the hot path needs for tok.
func newTokenState(tok *Token, skew time.Duration, saved bool) *tokenState {
	st := &tokenState{tok: tok, expireAt: never, refreshAt: never, saved: saved}
	if !tok.Expiry.IsZero() {
		st.expireAt = usableUntil(tok)
		st.refreshAt = tok.Expiry.Round(0).Add(-min(skew, max(time.Until(tok.Expiry)/2, 0)))
	}
	st.header, st.err = authorization(tok)
	st.ready = saved && st.err == nil
	return st
}

// authorization computes the Authorization header value for tok, once per
// token. It is where DPoP (RFC 9449) would go, with a per-request proof.
func authorization(tok *Token) ([]string, error) {
	if !tok.IsBearer() {
		return nil, &TokenTypeError{TokenType: tok.TokenType, IssuedTokenType: tok.IssuedTokenType}
	}
	return []string{"Bearer " + tok.AccessToken}, nil
}

// usableUntil is when tok stops being sent: expiryDelta before its Expiry,
// or a tenth of its remaining lifetime for short-lived tokens, so that it does
// not expire in flight. A token without expiry is usable until [never].
// The time is on the wall clock (Round(0) drops the monotonic reading), as
// the monotonic clock stops while the machine sleeps and the token's
// lifetime does not.
func usableUntil(tok *Token) time.Time {
	if tok.Expiry.IsZero() {
		return never
	}
	return tok.Expiry.Round(0).Add(-min(expiryDelta, max(time.Until(tok.Expiry)/10, 0)))
}

// usable reports whether st may be sent at now.
func (st *tokenState) usable(now time.Time) bool {
	return st != nil && st.ready && now.Before(st.expireAt)
}

// sameToken reports whether a and b are the same grant, not a renewal.
func sameToken(a, b *Token) bool {
	return a == b || a.AccessToken == b.AccessToken && a.RefreshToken == b.RefreshToken
}

// errSourceExpired is returned when a source that is not of this package
// keeps returning a token that has expired.
var errSourceExpired = errors.New("oauth2flows: token source returned an expired token")
