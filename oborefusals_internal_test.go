package oauth2flows

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRefusalsForgetAfterTheirTime(t *testing.T) {
	r := newRefusals(4)
	now := time.Unix(1_000_000, 0)
	refused := &Error{Code: "invalid_grant"}
	k := localKey{1, 2}
	assert.NoError(t, r.get(k, now), "nothing refused yet")
	r.put(k, refused, now, 30*time.Second)
	assert.Same(t, refused, r.get(k, now.Add(29*time.Second)))
	assert.NoError(t, r.get(localKey{1, 3}, now), "another key")
	assert.NoError(t, r.get(k, now.Add(30*time.Second)))
}

func TestRefusalsHoldAtMostTheirSlots(t *testing.T) {
	const slots = 8
	r := newRefusals(slots)
	now := time.Unix(1_000_000, 0)
	err := &Error{Code: "invalid_grant"}
	for i := range 1000 {
		r.put(localKey{uint64(i), 0}, err, now, time.Minute)
		require.LessOrEqual(t, len(r.byKey), slots)
		require.LessOrEqual(t, r.used, slots)
	}
	assert.Len(t, r.ring, slots)
	for i := 1000 - slots; i < 1000; i++ {
		assert.Error(t, r.get(localKey{uint64(i), 0}, now), "the newest are kept")
	}
	assert.NoError(t, r.get(localKey{0, 0}, now), "the oldest were dropped")
}

func TestRefusalsDropExpiredBeforeTheOldestInForce(t *testing.T) {
	r := newRefusals(4)
	now := time.Unix(1_000_000, 0)
	err := &Error{Code: "invalid_grant"}
	r.put(localKey{1, 0}, err, now, time.Second)
	r.put(localKey{2, 0}, err, now.Add(2*time.Second), time.Minute)
	assert.Len(t, r.byKey, 1, "the expired refusal is dropped by the next insert")
	// Refusing a key again leaves a stale slot that must not drop the new refusal.
	r.put(localKey{2, 0}, err, now.Add(3*time.Second), time.Minute)
	for i := range 3 {
		r.put(localKey{10 + uint64(i), 0}, err, now.Add(3*time.Second), time.Minute)
	}
	assert.Error(t, r.get(localKey{2, 0}, now.Add(3*time.Second)), "the stale slot of key 2 was evicted, not its refusal")
}

func TestRefusalsLookupAllocatesNothing(t *testing.T) {
	r := newRefusals(16)
	now := time.Now()
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = r.get(localKey{1, 1}, now) }), "nothing refused")
	r.put(localKey{2, 2}, &Error{Code: "invalid_grant"}, now, time.Minute)
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = r.get(localKey{1, 1}, now) }), "another key refused")
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = r.get(localKey{2, 2}, now) }), "this key refused")
}

func TestRefusalsConcurrentUse(t *testing.T) {
	r := newRefusals(32)
	err := &Error{Code: "invalid_grant"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				k := localKey{uint64(g), uint64(i % 50)}
				r.put(k, err, time.Now(), time.Minute)
				_ = r.get(k, time.Now())
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, len(r.byKey), 32)
}

func TestRefusesAssertion(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		grant string
		want  bool
	}{
		{"invalid_grant", &Error{Code: "invalid_grant"}, GrantTypeJWTBearer, true},
		{"invalid_grant wrapped", errors.Join(errors.New("x"), &Error{Code: "invalid_grant"}), GrantTypeJWTBearer, true},
		{"invalid_grant with claims", &Error{Code: "invalid_grant", Claims: `{"access_token":{}}`}, GrantTypeJWTBearer, false},
		{"interaction_required", &Error{Code: "interaction_required", Claims: `{"access_token":{}}`}, GrantTypeJWTBearer, false},
		{"interaction_required without claims", &Error{Code: "interaction_required"}, GrantTypeJWTBearer, false},
		{"invalid_request, OBO", &Error{Code: "invalid_request"}, GrantTypeJWTBearer, false},
		{"invalid_request, token exchange", &Error{Code: "invalid_request"}, GrantTypeTokenExchange, true},
		{"invalid_client", &Error{Code: "invalid_client"}, GrantTypeJWTBearer, false},
		{"invalid_scope", &Error{Code: "invalid_scope"}, GrantTypeJWTBearer, false},
		{"temporarily_unavailable", &Error{Code: "temporarily_unavailable"}, GrantTypeJWTBearer, false},
		{"network", &NetworkError{}, GrantTypeJWTBearer, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, refusesAssertion(tc.err, tc.grant))
		})
	}
}
