package oauth2flows

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// inflight runs at most one job at a time and lets every caller that asks
// while it runs wait for the same result: single-flight, as coreos/go-oidc
// does for key fetches. The job runs in its own goroutine under a context
// that is never cancelled by a caller, so a caller that gives up stops
// waiting without failing the job for the others. Its mutex only guards the
// pointer to the running call; it is never held while the job runs.
//
// A job runs user code (a TokenSource, a saver, a TokenStore, an
// http.Client) on a goroutine no caller can recover on, so a panic in it is
// recovered and given to every waiter as a [*PanicError]; it never ends the
// process.
type inflight[T any] struct {
	mu sync.Mutex
	c  *call[T]
}

// call is one run of a job. val and err are written once, before done is
// closed, and only read after.
type call[T any] struct {
	done chan struct{}
	val  T
	err  error
}

// PanicError is the error a request gets when code it depends on panicked
// on a goroutine of this package: a [TokenSource], a [WithTokenSaver]
// saver, a [TokenStore] or an HTTP client used by a renewal. The panic is
// recovered so that the process survives, as net/http does for a handler,
// and every caller waiting on that work gets this error.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the goroutine's stack when it panicked
}

// Error implements error.
func (e *PanicError) Error() string {
	return fmt.Sprintf("oauth2flows: panic in a token renewal: %v", e.Value)
}

// start returns the running call, or starts fn in a new goroutine when none
// runs. started reports which. fn gets ctx's values but not its
// cancellation; fn bounds its own duration.
func (g *inflight[T]) start(ctx context.Context, fn func(context.Context) (T, error)) (c *call[T], started bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.c != nil {
		return g.c, false
	}
	c = &call[T]{done: make(chan struct{})}
	g.c = c
	go func() {
		defer func() {
			if v := recover(); v != nil {
				var zero T
				c.val, c.err = zero, &PanicError{Value: v, Stack: debug.Stack()}
			}
			g.mu.Lock()
			g.c = nil
			g.mu.Unlock()
			close(c.done)
		}()
		c.val, c.err = fn(context.WithoutCancel(ctx))
	}()
	return c, true
}

// running returns the call in progress, or nil.
func (g *inflight[T]) running() *call[T] {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.c
}

// do runs fn or joins the run in progress, and waits for it or for ctx.
func (g *inflight[T]) do(ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	c, _ := g.start(ctx, fn)
	return c.wait(ctx)
}

// wait returns the call's result, or ctx's error if ctx ends first. The call
// goes on regardless.
func (c *call[T]) wait(ctx context.Context) (T, error) {
	select {
	case <-c.done: // a finished call wins over a cancelled ctx
		return c.val, c.err
	default:
	}
	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
		var zero T
		return zero, context.Cause(ctx)
	}
}
