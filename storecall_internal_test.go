package oauth2flows

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reports collects what storeCall reports.
type reports struct {
	mu   sync.Mutex
	errs []*StoreError
}

func (r *reports) calls(inline bool) *storeCalls {
	return &storeCalls{logger: slog.New(slog.NewTextHandler(io.Discard, nil)), inline: inline, timeout: 50 * time.Millisecond,
		handle: func(_ context.Context, err *StoreError) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.errs = append(r.errs, err)
		}}
}

func (r *reports) all() []*StoreError {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*StoreError(nil), r.errs...)
}

// onCallersGoroutine reports whether the stack running it holds the test
// function that called storeCall.
func onCallersGoroutine(test string) bool {
	return strings.Contains(string(debug.Stack()), "."+test+"(")
}

// TestStoreCallInlineRunsOnTheCallersGoroutine: a store that honours its
// deadlines is called on the caller's goroutine, under a ctx that carries
// the op's bound; a store that does not, on a goroutine of its own.
func TestStoreCallInlineRunsOnTheCallersGoroutine(t *testing.T) {
	const test = "TestStoreCallInlineRunsOnTheCallersGoroutine"
	for _, inline := range []bool{true, false} {
		var r reports
		start := time.Now()
		here, err := storeCall(t.Context(), r.calls(inline), "Load", func(ctx context.Context) (bool, error) {
			deadline, ok := ctx.Deadline()
			assert.True(t, ok, "the bound reaches the store as a deadline")
			assert.WithinDuration(t, start.Add(50*time.Millisecond), deadline, 40*time.Millisecond)
			return onCallersGoroutine(test), nil
		}, nil)
		require.NoError(t, err)
		assert.Equal(t, inline, here, "inline: %v", inline)
		assert.Empty(t, r.all())
	}
}

// TestStoreCallInlineFailuresAreReported: on the caller's goroutine too, an
// error, a panic and a deadline the store honours are reported failures.
func TestStoreCallInlineFailuresAreReported(t *testing.T) {
	errDown := errors.New("connection refused")
	tests := []struct {
		name      string
		call      func(ctx context.Context) (int, error)
		wantErr   error
		wantPanic bool
	}{
		{name: "Error", call: func(context.Context) (int, error) { return 1, errDown }, wantErr: errDown},
		{name: "Panic", call: func(context.Context) (int, error) { panic("store bug") }, wantErr: errStorePanicked, wantPanic: true},
		{name: "Deadline", call: func(ctx context.Context) (int, error) { <-ctx.Done(); return 1, ctx.Err() },
			wantErr: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r reports
			v, err := storeCall(t.Context(), r.calls(true), "Load", tt.call, nil)
			require.ErrorIs(t, err, tt.wantErr)
			assert.Zero(t, v, "a failure returns no value")
			got := r.all()
			require.Len(t, got, 1)
			assert.Equal(t, "Load", got[0].Op)
			assert.ErrorIs(t, got[0], tt.wantErr)
			assert.Equal(t, tt.wantPanic, got[0].Panic != nil)
		})
	}
}

// TestStoreCallCallerGivingUpIsNotAStoreFailure: a call cut short because
// the caller's own ctx ended is returned as that ctx's error but not
// reported: the store did nothing wrong. Both ways of calling.
func TestStoreCallCallerGivingUpIsNotAStoreFailure(t *testing.T) {
	for _, inline := range []bool{true, false} {
		var r reports
		ctx, cancel := context.WithCancel(t.Context())
		entered := make(chan struct{})
		go func() { <-entered; cancel() }()
		_, err := storeCall(ctx, r.calls(inline), "Load", func(ctx context.Context) (int, error) {
			close(entered)
			<-ctx.Done()
			return 0, ctx.Err()
		}, nil)
		require.ErrorIs(t, err, context.Canceled, "inline: %v", inline)
		assert.Empty(t, r.all(), "inline: %v", inline)
	}
}
