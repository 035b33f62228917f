//go:build linux && amd64

package oauth2flows

import (
	"syscall"
	"time"
)

// wallNow returns the time on the wall clock, without a monotonic reading,
// rounded up to the microsecond, so that a deadline compared with it never
// passes late. On linux/amd64 syscall.Gettimeofday is one vDSO call, about
// half the cost of time.Now, which reads the monotonic clock too; the hot
// paths of the Transport (see [usableUntil]) and of the OBOCache need only
// the wall clock, on which tokens and JWTs expire.
// Unlike time.Now, it is not faked in a testing/synctest bubble: there the
// hot path sees the bubble's tokens, which expire around 2000, as expired,
// and the slow path decides on the bubble's clock.
func wallNow() time.Time {
	var tv syscall.Timeval
	if syscall.Gettimeofday(&tv) != nil {
		return time.Now()
	}
	return time.Unix(tv.Sec, tv.Usec*1000+999)
}
