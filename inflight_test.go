package oauth2flows

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInflightRunsOneJobForConcurrentCallers(t *testing.T) {
	var g inflight[int]
	var runs atomic.Int32
	release := make(chan struct{})
	job := func(context.Context) (int, error) {
		runs.Add(1)
		<-release
		return 42, nil
	}
	c, started := g.start(t.Context(), job)
	require.True(t, started)

	const callers = 50
	var wg sync.WaitGroup
	results := make([]int, callers)
	for i := range callers {
		joined, startedAgain := g.start(t.Context(), job)
		require.False(t, startedAgain, "a second job while one runs")
		wg.Go(func() {
			v, err := joined.wait(t.Context())
			assert.NoError(t, err)
			results[i] = v
		})
	}
	close(release)
	wg.Wait()
	v, err := c.wait(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 42, v)
	assert.Equal(t, int32(1), runs.Load())
	for _, r := range results {
		assert.Equal(t, 42, r)
	}
}

func TestInflightStartsAnewAfterAJobEnds(t *testing.T) {
	var g inflight[int]
	var runs atomic.Int32
	job := func(context.Context) (int, error) { return int(runs.Add(1)), nil }
	v1, err := g.do(t.Context(), job)
	require.NoError(t, err)
	v2, err := g.do(t.Context(), job)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, []int{v1, v2})
}

func TestInflightGivesTheErrorToEveryWaiter(t *testing.T) {
	var g inflight[int]
	boom := errors.New("boom")
	release := make(chan struct{})
	job := func(context.Context) (int, error) { <-release; return 0, boom }
	c1, _ := g.start(t.Context(), job)
	c2, started := g.start(t.Context(), job)
	require.False(t, started)
	close(release)
	_, err1 := c1.wait(t.Context())
	_, err2 := c2.wait(t.Context())
	assert.ErrorIs(t, err1, boom)
	assert.ErrorIs(t, err2, boom)
}

func TestInflightCancelledWaiterDoesNotCancelTheJob(t *testing.T) {
	var g inflight[int]
	release := make(chan struct{})
	jobCtxErr := make(chan error, 1)
	job := func(ctx context.Context) (int, error) {
		<-release
		jobCtxErr <- ctx.Err()
		return 7, nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	c, _ := g.start(ctx, job) // the starter itself gives up
	other, started := g.start(t.Context(), job)
	require.False(t, started)
	cancel()
	_, err := c.wait(ctx)
	assert.ErrorIs(t, err, context.Canceled)

	close(release)
	v, err := other.wait(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 7, v)
	assert.NoError(t, <-jobCtxErr, "the job's context must outlive the caller that started it")
}

func TestInflightJobKeepsContextValues(t *testing.T) {
	type key struct{}
	var g inflight[string]
	ctx := context.WithValue(t.Context(), key{}, "trace-1")
	v, err := g.do(ctx, func(ctx context.Context) (string, error) { return ctx.Value(key{}).(string), nil })
	require.NoError(t, err)
	assert.Equal(t, "trace-1", v)
}

func TestInflightTurnsAPanicIntoAnErrorForEveryWaiter(t *testing.T) {
	var g inflight[int]
	release := make(chan struct{})
	job := func(context.Context) (int, error) { <-release; panic("user code broke") }
	c1, _ := g.start(t.Context(), job)
	c2, started := g.start(t.Context(), job)
	require.False(t, started)
	close(release)
	for _, c := range []*call[int]{c1, c2} {
		_, err := c.wait(t.Context())
		var pe *PanicError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, "user code broke", pe.Value)
		assert.NotEmpty(t, pe.Stack)
	}
	v, err := g.do(t.Context(), func(context.Context) (int, error) { return 1, nil })
	require.NoError(t, err, "the next job runs")
	assert.Equal(t, 1, v)
}

func TestInflightAbandonsAJobPastItsTimeout(t *testing.T) {
	g := inflight[int]{timeout: 50 * time.Millisecond}
	release := make(chan struct{})
	defer close(release)
	stuck := func(context.Context) (int, error) { <-release; return 1, nil } // ignores its ctx
	c, _ := g.start(t.Context(), stuck)
	_, err := c.wait(context.Background())
	assert.ErrorIs(t, err, context.DeadlineExceeded, "no waiter outlives the job's deadline")

	v, err := g.do(t.Context(), func(context.Context) (int, error) { return 2, nil })
	require.NoError(t, err, "the next caller starts a new job")
	assert.Equal(t, 2, v)
}

// TestInflightLeadSettlesOnTheCallersGoroutine: the caller that starts the
// job runs its first part under its own ctx; callers that come while it
// runs wait for its result; the rest never runs.
func TestInflightLeadSettlesOnTheCallersGoroutine(t *testing.T) {
	var g inflight[int]
	type key struct{}
	ctx := context.WithValue(t.Context(), key{}, "leader")
	var firsts atomic.Int32
	entered, release := make(chan struct{}), make(chan struct{})
	first := func(got context.Context) (int, bool, error) {
		firsts.Add(1)
		assert.Equal(t, ctx.Done(), got.Done(), "the caller's own ctx, cancellation and all")
		close(entered)
		<-release
		return 7, true, nil
	}
	rest := func(context.Context) (int, error) {
		t.Error("the rest ran although the first part settled the job")
		return 0, nil
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		v, err := g.lead(ctx, first, rest)
		assert.NoError(t, err)
		assert.Equal(t, 7, v)
	})
	<-entered
	const callers = 20
	for range callers {
		waiting := &doneSpy{Context: t.Context(), asked: make(chan struct{})}
		wg.Go(func() {
			v, err := g.lead(waiting, first, rest)
			assert.NoError(t, err)
			assert.Equal(t, 7, v)
		})
		<-waiting.asked // it joined and waits
	}
	close(release)
	wg.Wait()
	assert.Equal(t, int32(1), firsts.Load(), "one first part for all the callers")
	assert.Nil(t, g.running(), "the next caller starts a new job")
}

// TestInflightLeadHandsTheRestOff: a first part that does not settle the job
// hands the rest to a goroutine whose ctx no caller cancels, so that the
// leader giving up fails nobody else.
func TestInflightLeadHandsTheRestOff(t *testing.T) {
	var g inflight[int]
	ctx, cancel := context.WithCancel(t.Context())
	release := make(chan struct{})
	var rests atomic.Int32
	first := func(context.Context) (int, bool, error) { return 0, false, nil }
	rest := func(ctx context.Context) (int, error) {
		rests.Add(1)
		<-release
		return 9, ctx.Err()
	}
	leader := make(chan error, 1)
	go func() {
		_, err := g.lead(ctx, first, rest)
		leader <- err
	}()
	for g.running() == nil {
		time.Sleep(time.Millisecond)
	}
	other := make(chan int, 1)
	joined := &doneSpy{Context: t.Context(), asked: make(chan struct{})}
	go func() {
		v, err := g.lead(joined, first, rest)
		assert.NoError(t, err)
		other <- v
	}()
	<-joined.asked // it joined the job and waits, before the job can end
	cancel()
	require.ErrorIs(t, <-leader, context.Canceled, "the leader stops waiting")
	close(release)
	assert.Equal(t, 9, <-other, "the job goes on for the others, its ctx not cancelled")
	assert.Equal(t, int32(1), rests.Load())
}

// TestInflightLeadRecoversAPanicOfTheFirstPart: the first part runs on the
// caller's goroutine; its panic is every waiter's error, not a job that
// never ends.
func TestInflightLeadRecoversAPanicOfTheFirstPart(t *testing.T) {
	var g inflight[int]
	v, err := g.lead(t.Context(), func(context.Context) (int, bool, error) { panic("lookup bug") },
		func(context.Context) (int, error) { return 1, nil })
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "lookup bug", pe.Value)
	assert.Zero(t, v)
	v, err = g.lead(t.Context(), func(context.Context) (int, bool, error) { return 0, false, nil },
		func(context.Context) (int, error) { return 2, nil })
	require.NoError(t, err)
	assert.Equal(t, 2, v, "the next caller starts a new job")
}

// doneSpy is a context that closes asked when its Done is first called: a
// caller of inflight that reached its wait.
type doneSpy struct {
	context.Context
	once  sync.Once
	asked chan struct{}
}

func (d *doneSpy) Done() <-chan struct{} {
	d.once.Do(func() { close(d.asked) })
	return d.Context.Done()
}
