package oauth2flows

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"
)

// renewal is the one renewal path of this package: it holds the current
// token of a grant, in the form the [Transport]'s hot path reads with one
// atomic load, and renews it single-flight. The sources of this package
// ([RefreshTokenSource] and the others) are a renewal over their grant; a
// Transport over one of them shares that renewal, and a Transport over any
// other source gets its own, whose grant asks that source.
//
// A refresh reads in this file from top to bottom:
//
//  1. current: a valid token is returned at once; in its refresh window it
//     also starts a renewal in the background (renewInBackground).
//  2. Otherwise every caller joins one renewal job (flight), bounded by
//     renewTimeout, and waits for it or for its own context.
//  3. The job (renew) saves a token the saver has not accepted yet, or
//     takes a token another job installed since the caller looked, or asks
//     the grant for a new one (directly, or through the [TokenStore] under
//     its lease: renewShared) and installs it.
//  4. install stores the token before saving it, so that a rotated refresh
//     token is never lost, then hands it to the saver (save); requests use
//     it once the saver returned nil.
type renewal struct {
	// grant gets a token newer than last (nil before the first). For a
	// foreign source it is the source's Token, which may return last again.
	grant  func(ctx context.Context, last *Token) (*Token, error)
	logger *slog.Logger // of the source's Config: where store failures go
	// observer is the source's Config.Observer (observe.go).
	observer Observer

	state      atomic.Pointer[tokenState]
	flight     inflight[*tokenState]
	background atomic.Bool // a proactive renewal was started and has not ended
	policy     atomic.Pointer[renewPolicy]
	dpop       *dpopSession // nil for a source not of this package
	// spends is set for a grant that redeems a refresh token, which
	// rotation may make single-use: it is never redeemed outside the
	// store's lease (storefailure.go).
	spends            bool
	storeDown         atomic.Pointer[StoreUnavailableError] // while a renewal retries a failing store
	refused           atomic.Pointer[refusedToken]          // the refresh token last refused (refreshrefusal.go)
	saving            atomic.Pointer[saveCall]              // the saver's call that has not returned (saver.go)
	lostUntil         atomic.Int64                          // UnixNano: the store lost the token; see republish.go
	seedSeenStoreFail atomic.Bool                           // the seed saw the store fail, or hold a token (republish.go)
	// checkInAt is when the next request checks in with a store that
	// reports its restarts (UnixNano; 0: never), storeSeen when the
	// renewal last read or wrote its token there (checkin.go).
	checkInAt, storeSeen atomic.Int64
}

// renewPolicy is what the Transport options add to a renewal.
type renewPolicy struct {
	saver func(ctx context.Context, tok *Token) error // nil: none
	skew  time.Duration
	// saveSeed: the token the renewal started with goes to the saver too
	// (WithSaveInitialToken).
	saveSeed bool
	store    TokenStore // nil: none
	key      string
	calls    storeCalls // bounds and handler of the store's calls; its logger is the renewal's
	// outsideLease: a failing store does not stop a renewal (see
	// WithInsecureRenewalOutsideLease).
	outsideLease bool
}

var defaultPolicy = &renewPolicy{skew: DefaultRefreshSkew}

func newRenewal(grant func(ctx context.Context, last *Token) (*Token, error), seed *Token) *renewal {
	r := &renewal{grant: grant}
	r.flight.timeout = renewTimeout
	r.seed(seed)
	return r
}

// seed installs the token a renewal starts with, if any.
func (r *renewal) seed(tok *Token) {
	if tok != nil {
		r.state.Store(newTokenState(tok, DefaultRefreshSkew, true, r.dpop))
	}
}

// tokenState is one token as the hot path needs it. It is immutable once
// stored, but for guard; a change stores a new one.
type tokenState struct {
	tok       *Token
	header    []string   // Authorization value, computed once per token
	dpop      *dpopToken // for a DPoP token: what its proofs need; nil for a bearer
	expireAt  time.Time  // not used from then on; far future for no expiry
	refreshAt time.Time  // renewed in the background from then on
	saved     bool       // the saver has returned nil for tok, or there is no saver
	unchecked bool       // a seed not yet compared with the TokenStore's token
	err       error      // why tok cannot be sent, e.g. *TokenTypeError
	ready     bool       // saved and checked: it may be handed out
	sendable  bool       // ready and no err: the hot path may send it
	// guard limits forced renewals after a 401 to one per token; it is
	// shared by the states of one token.
	guard *atomic.Int32
}

// Values of tokenState.guard.
const (
	mayForce int32 = iota // a 401 invalid_token may force one renewal
	forced                // it did: no other
	unproven              // got by a forced renewal and not yet accepted by the resource server
)

// never stands for "no expiry", so that the hot path has one comparison.
var never = time.Unix(1<<40, 0)

const (
	// DefaultRefreshSkew is how long before expiry a token is renewed in the
	// background, unless [WithRefreshSkew] says otherwise.
	DefaultRefreshSkew = time.Minute
	// expiryDelta keeps a token from expiring in flight: it is treated as
	// expired this long (at most a tenth of its lifetime) before its Expiry.
	expiryDelta = 10 * time.Second
	// renewTimeout bounds one renewal, saving and store included. It runs
	// detached from the requests waiting for it, so it needs its own limit;
	// no request waits on it longer, even when user code ignores its
	// context.
	renewTimeout = time.Minute
)

// current returns a state that may be handed out, renewing the token first
// when it is missing or expired. A state whose token cannot be sent as a
// bearer (err set) is returned as is until it expires.
func (r *renewal) current(ctx context.Context) (*tokenState, error) {
	st := r.state.Load()
	now := time.Now()
	if st != nil && st.ready && now.Before(st.expireAt) {
		if !now.Before(st.refreshAt) || r.checkInDue(now) {
			r.startBackground(ctx, st, now)
		}
		return st, nil
	}
	if err := r.saveStuck(); err != nil {
		return nil, err
	}
	c, _ := r.flight.start(ctx, func(ctx context.Context) (*tokenState, error) { return r.renewObserved(ctx, st, RenewalOnDemand) })
	next, err := c.wait(ctx)
	return next, r.waitError(ctx, err)
}

// startBackground starts st's renewal in its refresh window, or else a
// check-in with the store (checkin.go). The hot paths call it only when
// one of them is due: !now.Before(st.refreshAt) || r.checkInDue(now).
func (r *renewal) startBackground(ctx context.Context, st *tokenState, now time.Time) {
	if !now.Before(st.refreshAt) {
		r.renewInBackground(ctx, st)
	} else {
		r.checkInBackground(ctx, st)
	}
}

// renewInBackground starts one renewal of st, unless one is running.
// Requests go on with st meanwhile.
func (r *renewal) renewInBackground(ctx context.Context, st *tokenState) {
	if !r.background.CompareAndSwap(false, true) {
		return
	}
	if _, started := r.flight.start(ctx, func(ctx context.Context) (next *tokenState, err error) {
		defer r.background.Store(false)
		defer func() {
			if err != nil {
				r.postpone(st, err)
			}
		}()
		return r.renewObserved(ctx, st, RenewalProactive)
	}); !started {
		r.background.Store(false)
	}
}

// forceRenew renews used after a resource server rejected it with 401
// invalid_token (RFC 6750 §3.1), at most once per token: a token got that
// way forces nothing until a resource server has accepted it, so a resource
// that rejects every token does not turn each API call into a refresh. It
// returns the state to retry with, or nil when there is none.
func (r *renewal) forceRenew(ctx context.Context, used *tokenState) (*tokenState, error) {
	var st *tokenState
	var err error
	switch {
	case used.guard.CompareAndSwap(mayForce, forced):
		// A job already running is waited for: a renewal in the background
		// replaces used; a check-in (checkin.go) keeps it, and the forced
		// renewal runs after it.
		for range 2 {
			c, started := r.flight.start(ctx, func(ctx context.Context) (*tokenState, error) { return r.renewObserved(ctx, used, RenewalForced) })
			st, err = c.wait(ctx)
			if started || err != nil || !sameToken(st.tok, used.tok) {
				break
			}
		}
		err = r.waitError(ctx, err)
	case used.guard.Load() == forced: // another request forced it: use its result
		if c := r.flight.running(); c != nil {
			c.wait(ctx)
		}
		st = r.state.Load()
		if !st.usable(time.Now()) {
			return nil, nil
		}
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if sameToken(st.tok, used.tok) {
		return nil, nil
	}
	return st, nil
}

// postpone delays the next background renewal of st after one failed, so
// that a failing server is not asked again on every request: by a quarter
// of the time left, or until expiry when the grant is dead (invalid_grant),
// where the waiting requests get the error.
func (r *renewal) postpone(st *tokenState, err error) {
	next := *st
	next.refreshAt = st.expireAt
	if !errors.Is(err, ErrReauthRequired) {
		next.refreshAt = time.Now().Add(time.Until(st.expireAt) / 4)
	}
	r.state.CompareAndSwap(st, &next)
}

// renew is the single-flight job. seen is the state the caller wanted
// replaced; forced tells a renewal after a 401.
func (r *renewal) renew(ctx context.Context, seen *tokenState, forced bool) (*tokenState, error) {
	pol := r.policyOf()
	cur := r.state.Load()
	if cur != nil && !cur.saved {
		return r.save(ctx, pol, cur) // the saver failed last time: retry before any use
	}
	if cur != seen && cur.usable(time.Now()) {
		return cur, nil // renewed since the caller looked
	}
	if pol.store != nil {
		return r.renewSharedRetrying(ctx, pol, cur, forced)
	}
	tok, err := r.fetch(ctx, cur)
	if err != nil {
		return nil, err
	}
	return r.install(ctx, pol, cur, tok, forced, true)
}

// fetch asks the grant for a token newer than cur's.
func (r *renewal) fetch(ctx context.Context, cur *tokenState) (*Token, error) {
	var last *Token
	if cur != nil {
		last = cur.tok
	}
	if err := r.refusedBefore(last); err != nil {
		return nil, err // never sent again
	}
	tok, err := r.grant(ctx, last)
	if err == nil && tok == nil {
		err = errors.New("oauth2flows: token source returned no token and no error")
	}
	if err != nil {
		r.remember(last, err)
	}
	return tok, err
}

// install makes tok the current token, replacing cur. isNew is false for a
// token another replica got: this one does not save it.
func (r *renewal) install(ctx context.Context, pol *renewPolicy, cur *tokenState, tok *Token, forced, isNew bool) (*tokenState, error) {
	if cur != nil && sameToken(tok, cur.tok) {
		if !time.Now().Before(cur.expireAt) {
			return nil, errSourceExpired
		}
		// The source has nothing newer yet: stop asking until expiry.
		next := *cur
		next.refreshAt = cur.expireAt
		r.state.CompareAndSwap(cur, &next)
		return &next, nil
	}
	next := newTokenState(tok, pol.skew, pol.saver == nil || !isNew, r.dpop)
	if !isNew && next.expireAt.After(adoptedUntil(tok)) {
		next.expireAt = adoptedUntil(tok)
	}
	if forced {
		next.guard.Store(unproven)
	}
	// Kept even if saving fails: it may hold a rotated refresh token. A job
	// abandoned past its deadline finds the state changed and stores nothing.
	if !r.state.CompareAndSwap(cur, next) {
		return nil, errors.New("oauth2flows: token renewal overtaken by a newer one")
	}
	if next.saved {
		return next, nil
	}
	return r.save(ctx, pol, next)
}

// save hands st's token to the saver and, once it returned nil, stores st
// as saved. Calls to the saver never overlap: while one that ignores its
// context runs, the next fails at once (saver.go).
func (r *renewal) save(ctx context.Context, pol *renewPolicy, st *tokenState) (*tokenState, error) {
	c := new(saveCall)
	if !r.saving.CompareAndSwap(nil, c) {
		return nil, &SaveError{Err: errSaveRunning}
	}
	defer r.saving.Store(nil)
	if err := pol.saver(ctx, st.tok); err != nil {
		return nil, &SaveError{Err: err}
	}
	next := *st
	next.saved, next.ready, next.sendable = true, true, st.err == nil
	r.state.CompareAndSwap(st, &next)
	return &next, nil
}

// policyOf returns the renewal's policy.
func (r *renewal) policyOf() *renewPolicy {
	if p := r.policy.Load(); p != nil {
		return p
	}
	return defaultPolicy
}

// bind sets the policy of a Transport over r. It reports false when another
// Transport has set one already.
func (r *renewal) bind(p *renewPolicy) bool {
	if !r.policy.CompareAndSwap(nil, p) {
		return false
	}
	if _, ok := p.store.(RestartReportingStore); ok && r.spends && !p.outsideLease {
		r.checkInAt.Store(time.Now().Add(checkInEvery).UnixNano())
	}
	// Recompute the seed's refresh time for the skew, and have it checked
	// against the store before use.
	for {
		cur := r.state.Load()
		if cur == nil {
			return true
		}
		next := newTokenState(cur.tok, p.skew, cur.saved && !(p.saveSeed && p.saver != nil), r.dpop)
		next.guard = cur.guard
		if p.store != nil {
			next.unchecked, next.ready, next.sendable = true, false, false
		}
		if r.state.CompareAndSwap(cur, next) {
			return true
		}
	}
}

// newTokenState precomputes what the hot path needs for tok.
func newTokenState(tok *Token, skew time.Duration, saved bool, d *dpopSession) *tokenState {
	st := &tokenState{tok: tok, expireAt: never, refreshAt: never, saved: saved, guard: new(atomic.Int32)}
	if tok.AccessToken == "" {
		st.expireAt = time.Time{} // e.g. a stored refresh token alone: renewed before any use
	} else if !tok.Expiry.IsZero() {
		st.expireAt = usableUntil(tok)
		st.refreshAt = refreshTime(tok, skew)
	}
	st.header, st.dpop, st.err = authorization(tok, d)
	st.ready = saved
	st.sendable = saved && st.err == nil
	return st
}

// refreshTime is when tok is renewed in the background: skew before its
// Expiry, or halfway through its remaining lifetime when that is later, so
// that a token issued with less than twice the skew to live is not renewed
// as soon as it arrives, which for a server issuing short tokens would be on
// every request.
func refreshTime(tok *Token, skew time.Duration) time.Time {
	return tok.Expiry.Round(0).Add(-min(skew, max(time.Until(tok.Expiry)/2, 0)))
}

// authorization computes the Authorization header value for tok, once per
// token, and for a DPoP token (RFC 9449 §7.1) what its per-request proofs
// need (see dpop_transport.go). A token that is neither bearer nor DPoP
// with a key is never sent: a DPoP-bound token does not go as a bearer.
func authorization(tok *Token, d *dpopSession) ([]string, *dpopToken, error) {
	if isDPoPToken(tok) && tok.AccessToken != "" && tok.IssuedTokenType != TokenTypeSAML1 && tok.IssuedTokenType != TokenTypeSAML2 {
		return dpopAuthorization(tok, d)
	}
	if !tok.IsBearer() {
		return nil, nil, &TokenTypeError{TokenType: tok.TokenType, IssuedTokenType: tok.IssuedTokenType}
	}
	return []string{"Bearer " + tok.AccessToken}, nil, nil
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

// adoptedUntil is when a token another replica stored stops being sent
// here: usableUntil, but not in the last tenth of the lifetime it was
// issued with, so that a token loaded late does not expire in flight.
func adoptedUntil(tok *Token) time.Time {
	until := usableUntil(tok)
	if tok.ExpiresIn > 0 && !tok.Expiry.IsZero() {
		until = tok.Expiry.Round(0).Add(-min(expiryDelta, time.Duration(tok.ExpiresIn)*time.Second/10))
	}
	return until
}

// usable reports whether st may be handed out at now.
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

// renewShared is renew with a [TokenStore]: the token under pol.key is the
// current token of every replica, and one replica at a time renews it under
// the key's lease. A store failure where the lease is needed returns a
// storeDownError, for renewSharedRetrying to retry or to go on without it.
func (r *renewal) renewShared(ctx context.Context, pol *renewPolicy, cur *tokenState, forced bool, lost lostPhase) (*tokenState, error) {
	// Another replica may have renewed already: then no lease is needed.
	stored, err := r.storeLoad(ctx, pol)
	if err != nil {
		return nil, storeDown(err)
	}
	if err := refusedBy(stored, cur); err != nil {
		return nil, err
	}
	if st, ok, err := r.adopt(ctx, pol, cur, stored); ok {
		return st, err
	}
	// Wait for the lease while another replica renews; the holder's lease
	// expires if it dies. The wait takes at most half the job's time
	// (lockTimeout), so that a lease never given up still leaves time to go
	// on without it. A lease obtained after that is given up at once.
	lease, err := r.lock(ctx, pol)
	if err != nil {
		if stored, err := r.storeLoad(ctx, pol); err == nil { // the holder may have finished
			if st, ok, err := r.adopt(ctx, pol, cur, stored); ok {
				return st, err
			}
		}
		return nil, storeDown(err)
	}
	defer r.unlock(ctx, pol, lease)
	// Under the lease, what is stored is the newest token of every replica;
	// unread, it may be newer than this replica's.
	if stored, err = r.storeLoad(ctx, pol); err != nil {
		return nil, storeDown(err)
	}
	if err := refusedBy(stored, cur); err != nil {
		return nil, err
	}
	stored = tokenOf(stored) // a refusal a new sign-in replaces
	if stored != nil && cur != nil && cur.unchecked {
		r.seedSeenStoreFail.Store(true) // from now on, what replaces the seed may be lost (republish.go)
	}
	if st, ok, err := r.adopt(ctx, pol, cur, stored); ok {
		return st, err
	}
	if stored == nil && r.seedOnRestartedStore(ctx, pol, cur) {
		r.seedSeenStoreFail.Store(true) // the store may have lost a newer token (republish.go)
		lost = r.lostPhase()            // not the seed's grace: the wait after a loss
	}
	if cur != nil && !forced && time.Now().Before(cur.expireAt) && (stored == nil || republished(stored) && older(stored, cur.tok)) {
		// The store has no token: the seed becomes the shared one, or the
		// store lost it (a restart) and this replica republishes the
		// token it holds instead of redeeming it, marked so that no
		// replica renews it before the others wrote theirs back
		// (republish.go).
		r.leaseStore(ctx, pol, lease, r.writeBack(pol, cur))
		if cur.unchecked {
			return r.check(cur), nil
		}
		return cur, nil
	}
	if stored == nil && lost == lostUnknown && r.seedMayBeSpent(pol, cur) {
		return nil, errSeedWait
	}
	if r.awaitRepublish(lost, pol, cur, stored) {
		if stored == nil || older(stored, cur.tok) {
			r.leaseStore(ctx, pol, lease, republishedOf(cur.tok)) // checks in: the newest held wins
		}
		return nil, errStoreLost
	}
	base := cur
	if stored != nil && (cur == nil || !older(stored, cur.tok)) {
		base = &tokenState{tok: stored} // its refresh token is the newest
	}
	tok, err := r.fetch(ctx, base)
	if err != nil {
		if base != nil && r.refusedBefore(base.tok) != nil {
			r.storeRefusal(ctx, pol, lease, base.tok.RefreshToken) // for every replica
		}
		return nil, err
	}
	if err := r.publish(ctx, pol, lease, tok); errors.Is(err, ErrLeaseLost) {
		// This lease lapsed and another replica stored a newer token under
		// its own: that one is current, and this one is dropped unsaved.
		// Or the store lost this lease (a restart) and the replicas are
		// writing back what they hold: tok, the one child of the refresh
		// token the server just accepted, is the newest of them all; it is
		// written back under a new lease, for them to use and renew.
		if stored, err := r.storeLoad(ctx, pol); err == nil {
			if st, ok, err := r.adopt(ctx, pol, cur, stored); ok {
				return st, err
			}
			if stored == nil || republished(stored) {
				if lease, err := r.lock(ctx, pol); err == nil {
					defer r.unlock(ctx, pol, lease)
					if stored, err := r.storeLoad(ctx, pol); err == nil && (stored == nil || republished(stored)) {
						r.leaseStore(ctx, pol, lease, tok)
					}
				}
			}
		}
	}
	return r.install(ctx, pol, cur, tok, forced, true)
}

// lock takes pol.key's lease, bounded in time; a lease obtained too late
// is given up at once.
func (r *renewal) lock(ctx context.Context, pol *renewPolicy) (TokenLease, error) {
	calls := r.calls(pol)
	lease, err := storeCall(ctx, calls, "Lock", func(ctx context.Context) (TokenLease, error) {
		return pol.store.Lock(ctx, pol.key)
	}, func(late TokenLease) {
		if late != nil {
			r.unlock(ctx, pol, late)
		}
	})
	if err == nil && lease == nil {
		err = errors.New("a nil lease")
		calls.report(ctx, &StoreError{Op: "Lock", Err: err})
	}
	return lease, err
}

// unlock gives lease up, bounded in time, even once ctx has ended.
func (r *renewal) unlock(ctx context.Context, pol *renewPolicy, lease TokenLease) {
	storeCall(context.WithoutCancel(ctx), r.calls(pol), "Unlock", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, lease.Unlock(ctx)
	}, nil)
}

// renewLocal renews without the store, after it failed.
func (r *renewal) renewLocal(ctx context.Context, pol *renewPolicy, cur *tokenState, forced bool) (*tokenState, error) {
	if cur != nil && cur.unchecked && time.Now().Before(cur.expireAt) {
		return r.check(cur), nil // the seed, unchecked: the best there is
	}
	tok, err := r.fetch(ctx, cur)
	if err != nil {
		return nil, err
	}
	return r.install(ctx, pol, cur, tok, forced, true)
}

// adopt installs stored when this replica should use it instead of
// renewing: it is usable and not older than cur, or cur is a seed to check.
// A token another replica got is not new here: that replica saved it.
func (r *renewal) adopt(ctx context.Context, pol *renewPolicy, cur *tokenState, stored *Token) (*tokenState, bool, error) {
	if stored == nil || stored.AccessToken == "" || !time.Now().Before(adoptedUntil(stored)) {
		return nil, false, nil
	}
	if republished(stored) {
		if cur != nil && (sameToken(stored, cur.tok) || older(stored, cur.tok)) {
			return nil, false, nil // this replica's own, or older: not renewed before the wait
		}
		stored = unmarked(stored) // valid: used, and renewed after the wait
	}
	if cur != nil && sameToken(stored, cur.tok) {
		if cur.unchecked {
			return r.check(cur), true, nil
		}
		return nil, false, nil // what this replica has and wants replaced
	}
	if cur != nil && !cur.unchecked && older(stored, cur.tok) {
		return nil, false, nil // e.g. written before a store outage this replica renewed through
	}
	st, err := r.install(ctx, pol, cur, stored, false, false)
	return st, true, err
}

// check marks a seed as compared with the store: it may be used.
func (r *renewal) check(cur *tokenState) *tokenState {
	next := *cur
	next.unchecked, next.ready, next.sendable = false, cur.saved, cur.saved && cur.err == nil
	r.state.CompareAndSwap(cur, &next)
	return &next
}

// older reports whether a was provably issued before b, going by their
// expiry, the only time a token carries. A stored token that differs from
// this replica's and is not older is another replica's renewal: taking it
// is what keeps a refresh token from being redeemed twice, so without
// expiries to compare the stored token wins.
func older(a, b *Token) bool {
	return !a.Expiry.IsZero() && !b.Expiry.IsZero() && a.Expiry.Before(b.Expiry)
}

// calls is how the renewal calls its store (storecall.go): failures go to
// the source's Config.Logger and the Transport's handler.
func (r *renewal) calls(pol *renewPolicy) *storeCalls {
	c := pol.calls
	c.logger, c.observer = r.logger, r.observer
	return &c
}

// storeLoad reads the shared token, bounded in time.
func (r *renewal) storeLoad(ctx context.Context, pol *renewPolicy) (*Token, error) {
	return storeCall(ctx, r.calls(pol), "Load", func(ctx context.Context) (*Token, error) {
		return pol.store.Load(ctx, pol.key)
	}, nil)
}

// publish stores tok, just got by redeeming the stored refresh token,
// under lease. Until it is stored, the store holds the redeemed refresh
// token, which the next holder of the lease would redeem again: with
// rotation, a reuse that revokes the family (RFC 9700 §4.14.2). So a
// failed write is tried again, with backoff, while this replica holds the
// lease, for up to the lease wait (a Redis failover takes seconds, one
// call's bound less), rather than given up after one call.
func (r *renewal) publish(ctx context.Context, pol *renewPolicy, lease TokenLease, tok *Token) error {
	end := time.Now().Add(pol.calls.timeoutOf("Lock"))
	for wait := storeRetryFirst; ; {
		err := r.leaseStore(ctx, pol, lease, tok)
		if err == nil || !r.spends || errors.Is(err, ErrLeaseLost) || !time.Now().Add(wait).Before(end) || !sleep(ctx, &wait) {
			return err
		}
	}
}

// leaseStore writes tok under the lease, bounded in time, kept until
// replaced when it carries a refresh token and until it expires otherwise.
func (r *renewal) leaseStore(ctx context.Context, pol *renewPolicy, lease TokenLease, tok *Token) error {
	var expires time.Time
	if tok.RefreshToken == "" {
		expires = tok.Expiry
	}
	_, err := storeCall(ctx, r.calls(pol), "Store", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, lease.Store(ctx, tok, expires)
	}, nil)
	return err
}
