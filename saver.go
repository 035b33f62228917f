package oauth2flows

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// A saver ([WithTokenSaver]) that does not return holds up only the
// requests that came before anyone knew: the first requests that wait for
// it get a [*SaveError] saying a save is still running once their own
// deadline passes; from then on, until it returns, every request fails at
// once with that error, rather than each waiting out its deadline. A
// renewal that needs the saver while it still runs fails at once too. Once
// it has returned, the next request works: the token is saved (again, if
// that call was abandoned) before it is used.

// saveCall is one call of the saver. stuck is set once a request gave up
// waiting for it.
type saveCall struct{ stuck atomic.Bool }

// errSaveRunning is the Err of a [SaveError] while a call of the saver has
// not returned.
var errSaveRunning = errors.New("a save is still running: the saver has not returned")

// saveStuck returns the error of a request that arrives while the saver is
// known to be stuck, or nil.
func (r *renewal) saveStuck() error {
	if c := r.saving.Load(); c != nil && c.stuck.Load() {
		return &SaveError{Err: errSaveRunning}
	}
	return nil
}

// saveWaitError returns the error of a request that gave up waiting (err)
// while the saver ran, naming the saver, and marks the call stuck; or nil
// when no call of the saver runs.
func (r *renewal) saveWaitError(err error) error {
	c := r.saving.Load()
	if c == nil {
		return nil
	}
	c.stuck.Store(true)
	return &SaveError{Err: fmt.Errorf("%w: %w", errSaveRunning, err)}
}
