package oauth2flows

import (
	"context"
	"time"
)

// Check-ins after a store restart. A replica renews a token in its last
// minute (DefaultRefreshSkew) and then serves the new one from memory for
// the rest of its life, without reading the store. If the store restarts
// empty meanwhile, the other replicas, which still hold the older token,
// find it lost when theirs expires: they write theirs back, marked, and
// wait republishWait for a newer one (republish.go). The replica that holds
// the newer one must check in within that wait, or the older refresh
// token, which it already redeemed, is redeemed again and the server
// revokes the family. So a Transport over a [RestartReportingStore] asks
// the store, at most every checkInEvery and only on a request, whether it
// restarted since the Transport last read or wrote its token there; if it
// did, it writes its token back as a renewal would, without renewing it.
// A replica that gets a request for the user at least every
// republishWait-checkInEvery checks in within the wait.

// checkInEvery is how often a Transport with traffic asks its store
// whether it restarted: a third of republishWait.
const checkInEvery = republishWait / 3

// checkInDue reports whether a check-in is due at now.
func (r *renewal) checkInDue(now time.Time) bool {
	due := r.checkInAt.Load()
	return due != 0 && now.UnixNano() >= due
}

// checkInBackground starts a check-in of st: one per checkInEvery, on the
// flight, so that it never runs with a renewal.
func (r *renewal) checkInBackground(ctx context.Context, st *tokenState) {
	due := r.checkInAt.Load()
	if due == 0 || !r.checkInAt.CompareAndSwap(due, time.Now().Add(checkInEvery).UnixNano()) {
		return
	}
	r.flight.start(ctx, func(ctx context.Context) (*tokenState, error) { return r.checkIn(ctx, st) })
}

// checkIn writes st's token back when the store restarted since the
// renewal last saw it there and lost it, or holds an older token written
// back. It returns the current token, renewed first if it has expired
// meanwhile (a request may have joined the flight for that).
func (r *renewal) checkIn(ctx context.Context, st *tokenState) (*tokenState, error) {
	pol := r.policyOf()
	if cur := r.state.Load(); cur == st && !cur.unchecked && cur.usable(time.Now()) && r.storeRestarted(ctx, pol) {
		r.writeBackIfLost(ctx, pol, cur)
	}
	if cur := r.state.Load(); cur.usable(time.Now()) {
		return cur, nil
	}
	return r.renew(ctx, st, false)
}

// storeRestarted reports whether pol's store says that it restarted after
// the renewal last read or wrote its token there.
func (r *renewal) storeRestarted(ctx context.Context, pol *renewPolicy) bool {
	rs, ok := pol.store.(RestartReportingStore)
	if !ok {
		return false
	}
	at, err := storeCall(ctx, r.calls(pol), "RestartedAt", func(ctx context.Context) (time.Time, error) {
		return rs.RestartedAt(ctx, pol.key)
	}, nil)
	return err == nil && at.UnixNano() > r.storeSeen.Load()
}

// writeBackIfLost writes cur's token back, under the lease, to a store
// that holds no token or an older one written back; or takes a newer
// token another replica stored.
func (r *renewal) writeBackIfLost(ctx context.Context, pol *renewPolicy, cur *tokenState) {
	lost := func(stored *Token) bool { return stored == nil || republished(stored) && older(stored, cur.tok) }
	stored, err := r.storeLoad(ctx, pol)
	if err != nil {
		return
	}
	if _, ok, _ := r.adopt(ctx, pol, cur, stored); !ok && lost(stored) {
		lease, err := r.lock(ctx, pol)
		if err != nil {
			return
		}
		defer r.unlock(ctx, pol, lease)
		if stored, err = r.storeLoad(ctx, pol); err != nil {
			return
		}
		if lost(stored) && r.leaseStore(ctx, pol, lease, r.writeBack(pol, cur)) != nil {
			return
		}
	}
	r.sawStore()
}

// sawStore records that the renewal's token and the store's agree now.
func (r *renewal) sawStore() { r.storeSeen.Store(time.Now().UnixNano()) }
