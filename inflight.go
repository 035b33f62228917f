package oauth2flows

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"
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
//
// With a timeout, the job's context ends after it, and so does every wait:
// a job stuck past its deadline (user code that ignores its context) is
// abandoned, its waiters get an error, and the next caller starts a new job.
//
// With lead, the caller that starts a job runs its first, cheap part itself
// (the OBOCache's lookup in its store) and hands the rest to a goroutine
// only when that part did not settle the job: each wake-up of another
// goroutine can cost tens of microseconds on a loaded machine, as much as
// the Redis GET that the first part makes (BENCHMARKS.md).
type inflight[T any] struct {
	mu      sync.Mutex
	c       *call[T]
	timeout time.Duration // 0: none
}

// call is one run of a job. val and err are written once, before done is
// closed, and only read after. expired is closed when the job outlived the
// flight's timeout.
type call[T any] struct {
	done    chan struct{}
	expired chan struct{}
	timeout time.Duration
	val     T
	err     error
}

// PanicError is the error a request gets when code it depends on panicked
// on a goroutine of this package: a [TokenSource], a [WithTokenSaver]
// saver, a [TokenStore] or an HTTP client used by a renewal. The panic is
// recovered so that the process survives, as net/http does for a handler.
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
// cancellation; with a timeout, its context ends after it.
func (g *inflight[T]) start(ctx context.Context, fn func(context.Context) (T, error)) (c *call[T], started bool) {
	if c, started = g.claim(); started {
		g.handOff(ctx, c, fn)
	}
	return c, started
}

// claim returns the running call, or a new one that the caller now runs
// (claimed true) and must end with finish or handOff.
func (g *inflight[T]) claim() (c *call[T], claimed bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.c != nil {
		return g.c, false
	}
	c = &call[T]{done: make(chan struct{}), timeout: g.timeout}
	if g.timeout > 0 {
		c.expired = make(chan struct{}) // before anyone can wait on c
	}
	g.c = c
	return c, true
}

// finish ends c, claimed by the caller, with v and err: every waiter gets
// them, and the next caller starts a new job.
func (g *inflight[T]) finish(c *call[T], v T, err error) {
	c.val, c.err = v, err
	g.release(c)
	close(c.done)
}

// handOff runs fn, the job of c (claimed by the caller), on a goroutine of
// its own, under ctx's values but not its cancellation; with a timeout, its
// context ends after it, and so does every wait.
func (g *inflight[T]) handOff(ctx context.Context, c *call[T], fn func(context.Context) (T, error)) {
	jobCtx, cancel := context.WithoutCancel(ctx), context.CancelFunc(func() {})
	var timer *time.Timer
	if g.timeout > 0 {
		jobCtx, cancel = context.WithTimeout(jobCtx, g.timeout)
		timer = time.AfterFunc(g.timeout, func() {
			g.release(c)
			close(c.expired)
		})
	}
	go func() {
		var (
			v   T
			err error
		)
		defer func() {
			if p := recover(); p != nil {
				var zero T
				v, err = zero, &PanicError{Value: p, Stack: debug.Stack()}
			}
			cancel()
			if timer != nil {
				timer.Stop()
			}
			g.finish(c, v, err)
		}()
		v, err = fn(jobCtx)
	}()
}

// lead runs the job or joins the run in progress, and waits for it or for
// ctx, as do does; but a caller that starts the job runs its first part,
// first, itself, on its own goroutine and under its own ctx, so that a job
// that first settles cheaply (a cache lookup) costs no goroutine hand-off.
// first reports whether it settled the job (done); if not, rest runs on a
// goroutine of its own, as do runs a job, and the caller waits for it like
// any other. A panic in first is every waiter's [*PanicError], the
// caller's too. first runs while the others wait on it: it must return
// soon after ctx ends, and be bounded in time.
func (g *inflight[T]) lead(ctx context.Context, first func(context.Context) (v T, done bool, err error),
	rest func(context.Context) (T, error)) (T, error) {
	c, claimed := g.claim()
	if !claimed {
		return c.wait(ctx)
	}
	v, done, err := g.runFirst(ctx, first)
	if done {
		g.finish(c, v, err)
		return v, err
	}
	g.handOff(ctx, c, rest)
	return c.wait(ctx)
}

// runFirst runs first, turning a panic into a settled [*PanicError].
func (g *inflight[T]) runFirst(ctx context.Context, first func(context.Context) (T, bool, error)) (v T, done bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			v, done, err = zero, true, &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return first(ctx)
}

// release lets the next caller start a new job, unless one runs already.
func (g *inflight[T]) release(c *call[T]) {
	g.mu.Lock()
	if g.c == c {
		g.c = nil
	}
	g.mu.Unlock()
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

// wait returns the call's result, or ctx's error if ctx ends first, or an
// error wrapping context.DeadlineExceeded once the call outlived its
// timeout. The call goes on regardless.
func (c *call[T]) wait(ctx context.Context) (T, error) {
	var zero T
	select {
	case <-c.done: // a finished call wins over a cancelled ctx
		return c.val, c.err
	default:
	}
	select {
	case <-c.done:
		return c.val, c.err
	case <-c.expired: // nil without a timeout: never ready
		select {
		case <-c.done:
			return c.val, c.err
		default:
		}
		return zero, fmt.Errorf("oauth2flows: token renewal still running after %v: %w", c.timeout, context.DeadlineExceeded)
	case <-ctx.Done():
		return zero, context.Cause(ctx)
	}
}
