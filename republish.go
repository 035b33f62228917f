package oauth2flows

import (
	"errors"
	"time"
)

// Republish after loss. A store that restarts empty (Redis without
// persistence, or a failover that lost the last writes) forgets the newest
// token, which the replicas still hold, each the one it last used. The
// first to renew must not redeem an older refresh token than another
// replica holds: rotated, it is a reuse, and the server revokes the family
// (RFC 9700 §4.14.2). So, under the lease and finding the store empty:
//
//   - a replica whose token is still valid writes it back instead of
//     renewing it (renewShared);
//   - a replica whose token has expired, and which had it from the store or
//     stored it there, so that the store lost it, gives the lease up and
//     waits for another replica to write back a newer one, polling with
//     backoff, for at most the token's lifetime, bounded by the lease wait
//     (republishWait); if none does, its token was the newest and it is
//     redeemed under the lease.
//
// Replicas renew a token in its refresh window, a fraction of its lifetime
// before it expires, so a replica holding a newer token writes it back
// within that lifetime of its next request.

// errStoreLost is how renewShared says that the store lost the token.
var errStoreLost = errors.New("oauth2flows: token store lost the token")

// lostToken reports whether cur, which the store no longer holds, was in
// it: a token this replica had from the store or wrote there, not a seed,
// of a grant that spends its refresh token.
func (r *renewal) lostToken(pol *renewPolicy, cur *tokenState) bool {
	return r.spends && !pol.outsideLease && cur != nil && !cur.unchecked && cur.tok.RefreshToken != ""
}

// republishWait is how long a replica that found the store empty waits for
// another to write back a newer token: the lifetime of its own (the
// expires_in it was issued with), until deadline.
func republishWait(cur *tokenState, deadline time.Time) time.Duration {
	life := time.Duration(cur.tok.ExpiresIn) * time.Second
	return max(min(life, time.Until(deadline)), 0)
}
