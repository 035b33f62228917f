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
//     stored it there, so that the store lost it, writes it back unless a
//     newer one is there, gives the lease up, and waits while the other
//     replicas do the same on their next request (republishWait, polling
//     with backoff). A valid token written back is used at once; after the
//     wait, the newest token written back is renewed under the lease as
//     usual.
//
// The wait protects a token that a replica with traffic holds. A newer
// token held only by a replica that gets no request for the user during
// the wait is not found: a store that must not lose a rotated refresh
// token needs persistence or replicas acknowledging the write.

// republishWait is how long a replica that found the store empty waits for
// the others to write back what they hold, within the lease wait.
const republishWait = 10 * time.Second

// errStoreLost is how renewShared says that the store lost the token.
var errStoreLost = errors.New("the store lost the token; waiting for the replicas to write back the newest")

// lostPhase is where a renewal is in the recovery from a store that lost
// its token.
type lostPhase int

const (
	lostUnknown lostPhase = iota // the store has not been found empty
	lostWaiting                  // it was: waiting for the replicas to write back
	lostDone                     // the wait is over: renew the newest written back
)

// awaitRepublish reports whether a renewal of cur under the lease, finding
// stored, must wait for the replicas to write their tokens back: the store
// is found empty, or is being refilled with cur itself, older tokens or
// tokens that have expired, and cur was in it (not a seed) and spends a
// refresh token.
func (r *renewal) awaitRepublish(lost lostPhase, pol *renewPolicy, cur *tokenState, stored *Token) bool {
	if lost == lostDone || !r.spends || pol.outsideLease || cur == nil || cur.unchecked || cur.tok.RefreshToken == "" {
		return false
	}
	return stored == nil || lost == lostWaiting &&
		(sameToken(stored, cur.tok) || older(stored, cur.tok) || !time.Now().Before(usableUntil(stored)))
}
