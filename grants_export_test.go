package oauth2flows

import (
	"context"
	"time"
)

// WithPollClock returns a context under which [DeviceAccessToken] reads the
// time from now and waits through wait, so that tests of the polling never
// wait in real time.
func WithPollClock(ctx context.Context, now func() time.Time, wait func(context.Context, time.Duration) error) context.Context {
	return context.WithValue(ctx, pollClockKey{}, pollClock{now: now, wait: wait})
}

// AssertionFromFileEvery is AssertionFromFile looking at the file at most
// every recheck, so that tests rewrite it without waiting.
func AssertionFromFileEvery(path string, recheck time.Duration) func(context.Context) (string, error) {
	return newAssertionFile(path, recheck).get
}
