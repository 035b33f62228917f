//go:build !(linux && amd64)

package oauth2flows

import "time"

// wallNow returns the time on the wall clock, without a monotonic reading,
// as on linux/amd64 (where it costs one vDSO call instead of two).
func wallNow() time.Time { return time.Now().Round(0) }
