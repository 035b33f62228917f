//go:build !(linux && amd64)

package oauth2flows

import "time"

// wallNow returns the time now; on linux/amd64 it reads only the wall clock.
func wallNow() time.Time { return time.Now() }
