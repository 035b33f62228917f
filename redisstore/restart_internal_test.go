package redisstore

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRestartedAtKeptASecondUntilALease: answers for a master are kept, so
// that check-ins cost Redis a few calls per second per replica, not one per
// user; a lease taken since makes the next answer fresh, as the caller
// that holds it needs.
func TestRestartedAtKeptASecondUntilALease(t *testing.T) {
	c := freshDB(t, 14)
	s := New(c, WithInsecurePlaintext())
	require.NoError(t, uptimeScript.Load(t.Context(), c).Err())
	calls := func() int { return commandCalls(t, c)["evalsha"] }
	before := calls()
	for i := range 50 {
		_, err := s.RestartedAt(t.Context(), "user:"+string(rune('a'+i%26)))
		require.NoError(t, err)
	}
	assert.Equal(t, 1, calls()-before, "50 answers, 1 call to Redis")

	l, err := s.Lock(t.Context(), "user:a")
	require.NoError(t, err)
	require.NoError(t, l.Unlock(t.Context()))
	before = calls()
	_, err = s.RestartedAt(t.Context(), "user:a")
	require.NoError(t, err)
	assert.Equal(t, 1, calls()-before, "asked again after a lease")
}
