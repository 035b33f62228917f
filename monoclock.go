package oauth2flows

import "time"

// mono is an instant on the process's monotonic clock: the time since
// epoch. Reading it costs one monotonic clock read, where time.Now reads
// the wall clock too; the hot paths compare deadlines with it. A deadline
// is converted once, when it is set: a wall-clock time (a JWT's exp, a
// token loaded from a store) is as far from now as it was then, whatever
// the wall clock does after.
type mono time.Duration

// epoch is the reference of mono, set once when the package loads.
var epoch = time.Now()

// monoNow returns the current instant.
func monoNow() mono { return mono(time.Since(epoch)) }

// monoOf returns the instant of t. The zero Time is long past.
func monoOf(t time.Time) mono {
	if t.IsZero() {
		return mono(minDuration)
	}
	return mono(t.Sub(epoch))
}

// minDuration is the earliest mono.
const minDuration = time.Duration(-1 << 63)
