package oauth2flows

import (
	"context"
	"errors"
	"time"
)

// Republish after loss. A store that restarts empty (Redis without
// persistence, or a failover that lost the last writes) forgets the newest
// token, which the replicas still hold, each the one it last used. The
// first to renew must not redeem an older refresh token than another
// replica holds: rotated, it is a reuse, and the server revokes the family
// (RFC 9700 §4.14.2). So, under the lease:
//
//   - a replica whose token is still valid and finds the store empty, or
//     holding an older token written back, writes its own back instead of
//     renewing it, marked as written back when it had it from the store
//     (writeBack); the others use it while it is valid, and none renews it
//     before the wait below is over, for another replica may hold a newer
//     one (renewed just before the loss, or in flight when its lease was
//     lost with the store);
//   - a replica whose write of a token it just got finds its lease lost
//     while the store is empty or holds a token written back writes it
//     back under a new lease: it is the newest of them all, the one child
//     of the refresh token the server just accepted;
//   - a replica whose token has expired, and which had it from the store or
//     stored it there, finding the store empty or holding a token written
//     back, writes its own back unless a newer one is there, marked as
//     written back, and fails the request with a [*StoreUnavailableError]
//     at once; for republishWait its renewals do the same, while the other
//     replicas check in on their next request. A valid token written back
//     is used at once; after the wait, the newest token written back is
//     renewed under the lease as usual.
//
// A token a Transport starts with (a seed) is trusted when the store is
// empty, as when the store is new: so it must be the newest one saved
// (WithTokenSaver to a database the replicas share), and a Transport is
// made when its user's first request comes, not long before. An expired
// seed is renewed only after seedGrace, during which the store is polled:
// the lease of a replica that was renewing that very token may have been
// lost with the store, and its new token is then stored or saved. A seed
// that saw the store fail meanwhile, or saw it hold a token under the
// lease (and failed to renew it), is treated as a token the store lost:
// the store was the truth since, and other replicas may have renewed. So
// is a seed on a store that restarted less than republishWait ago
// ([RestartReportingStore]), for a restart during the grace defeats it: a
// replica redeemed that seed and stored its new token, lost with the
// store, and holds it to write back.
//
// The wait protects a token that a replica with traffic holds: it writes
// it back when it renews, or, with a store that reports its restarts, when
// it checks in (checkin.go). A newer token held only by a replica that
// gets no request for the user during the wait is not found: a store that
// must not lose a rotated refresh token needs persistence or replicas
// acknowledging the write.

// republishWait is how long after finding the store empty a replica lets
// the others write back what they hold: the lease wait, long enough for a
// replica that gets a request for the user every 20 s to check in.
const republishWait = lockTimeout

// seedGrace is how long an expired seed waits on an empty store: about as
// long as a renewal under way when the store was lost takes to end.
const seedGrace = 3 * time.Second

// errSeedWait is how renewShared says that an expired seed found the store
// empty.
var errSeedWait = errors.New("an expired seed on an empty store")

// seedMayBeSpent reports whether cur is an expired seed of a grant that
// spends its refresh token.
func (r *renewal) seedMayBeSpent(pol *renewPolicy, cur *tokenState) bool {
	return r.spends && !pol.outsideLease && cur != nil && cur.unchecked && !r.seedSeenStoreFail.Load() && cur.tok.RefreshToken != "" &&
		!time.Now().Before(cur.expireAt)
}

// seedOnRestartedStore reports whether cur is a seed that the store,
// found empty, may have lost a newer token than: the store says that it
// restarted less than republishWait ago (RestartReportingStore), or fails
// to say.
func (r *renewal) seedOnRestartedStore(ctx context.Context, pol *renewPolicy, cur *tokenState) bool {
	rs, ok := pol.store.(RestartReportingStore)
	if !ok || !r.spends || pol.outsideLease || cur == nil || !cur.unchecked || r.seedSeenStoreFail.Load() || cur.tok.RefreshToken == "" {
		return false
	}
	at, err := storeCall(ctx, r.calls(pol), "RestartedAt", func(ctx context.Context) (time.Time, error) {
		return rs.RestartedAt(ctx, pol.key)
	}, nil)
	return err != nil || !at.IsZero() && time.Since(at) < republishWait
}

// errStoreLost is how renewShared says that the store lost the token.
var errStoreLost = errors.New("the store lost the token; the replicas are writing back the newest")

// republishedType marks, in IssuedTokenType, an expired token written back
// after a loss, which no replica adopts and none renews before its wait
// is over.
const republishedType = "urn:oauth2flows:republished"

func republished(tok *Token) bool { return tok != nil && tok.IssuedTokenType == republishedType }

func republishedOf(tok *Token) *Token {
	c := *tok
	c.IssuedTokenType = republishedType
	return &c
}

// unmarked is a valid token written back, as the replicas use it.
func unmarked(tok *Token) *Token {
	c := *tok
	c.IssuedTokenType = ""
	return &c
}

// writeBack is what a renewal of cur, still valid, writes to a store found
// empty or holding an older token written back: cur's token, marked as
// written back when the store may have lost a newer one (mayHaveLost), so
// that the replicas use it but none renews it before the wait is over.
func (r *renewal) writeBack(pol *renewPolicy, cur *tokenState) *Token {
	if r.mayHaveLost(pol, cur) {
		return republishedOf(cur.tok)
	}
	return cur.tok
}

// mayHaveLost reports whether a store found empty or holding a token
// written back may have lost a newer token than cur's, which another
// replica holds: cur spends a refresh token and was in the store (not a
// seed, unless the seed saw the store fail).
func (r *renewal) mayHaveLost(pol *renewPolicy, cur *tokenState) bool {
	return r.spends && !pol.outsideLease && cur != nil && !(cur.unchecked && !r.seedSeenStoreFail.Load()) && cur.tok.RefreshToken != ""
}

// lostPhase is where a renewal is in the recovery from a store that lost
// its token.
type lostPhase int

const (
	lostUnknown lostPhase = iota // the store has not been found empty
	lostWaiting                  // it was: the replicas are writing back
	lostDone                     // the wait is over: renew the newest written back
)

func (r *renewal) lostPhase() lostPhase {
	switch until := r.lostUntil.Load(); {
	case until == 0:
		return lostUnknown
	case time.Now().UnixNano() < until:
		return lostWaiting
	}
	return lostDone
}

// lostWait starts the wait when it has not started, and returns the error
// of the request meanwhile.
func (r *renewal) lostWait(lost lostPhase) error {
	if lost == lostUnknown {
		r.lostUntil.CompareAndSwap(0, time.Now().Add(republishWait).UnixNano())
	}
	return &StoreUnavailableError{Err: &StoreError{Op: "Load", Err: errStoreLost}}
}

// awaitRepublish reports whether a renewal of cur under the lease, finding
// stored, must let the replicas write their tokens back: the store is
// found empty or holding a token written back, or, during the wait,
// holding one that is not newer and valid; and cur was in the store (not a
// seed, unless the seed saw the store fail) and spends a refresh token.
func (r *renewal) awaitRepublish(lost lostPhase, pol *renewPolicy, cur *tokenState, stored *Token) bool {
	if lost == lostDone || !r.mayHaveLost(pol, cur) {
		return false
	}
	return stored == nil || republished(stored) || lost == lostWaiting &&
		(sameToken(stored, cur.tok) || older(stored, cur.tok) || !time.Now().Before(usableUntil(stored)))
}
