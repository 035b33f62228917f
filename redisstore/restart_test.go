package redisstore_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/oauth2flows/oauth2flows/redisstore"
	"github.com/oauth2flows/oauth2flows/redisstore/redistest"
)

// TestRestartedAt: a Redis that was up before the store was made reports no
// restart; after a SIGKILL and a restart it reports when it started again,
// to the second, on the same client.
func TestRestartedAt(t *testing.T) {
	srv := redistest.Start(t)
	time.Sleep(1100 * time.Millisecond) // Redis counts uptime in whole seconds
	s := redisstore.New(srv.Client(t, 0), redisstore.WithInsecurePlaintext())
	at, err := s.RestartedAt(t.Context(), "user:alice")
	require.NoError(t, err)
	assert.True(t, at.IsZero(), "up before the store was made: %v", at)

	// Past New by more than the uptime's rounding: Redis counts whole
	// seconds from a start time it also keeps in whole seconds, so that a
	// restart less than 2 s after New may read as before it (1.1 s here
	// failed once in 11 loaded runs).
	time.Sleep(2100 * time.Millisecond)
	srv.Stop()
	restartedAt := time.Now()
	srv.Restart(t)
	at, err = s.RestartedAt(t.Context(), "user:alice")
	require.NoError(t, err)
	require.False(t, at.IsZero(), "the restart is reported")
	assert.WithinDuration(t, restartedAt, at, 2*time.Second)
}

// TestRestartedAtRefusedLikeEveryCall: a store that refuses every call (no
// encryption key) refuses this one too, without sending anything.
func TestRestartedAtRefusedLikeEveryCall(t *testing.T) {
	srv := redistest.Start(t)
	_, err := redisstore.New(srv.Client(t, 0)).RestartedAt(t.Context(), "user:alice")
	var cerr *redisstore.ConfigError
	require.ErrorAs(t, err, &cerr)
}
