package oauth2flows

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// refusalTTL is how long the cache answers an assertion the token endpoint
// refused outright with that refusal instead of asking again. A refused
// assertion (expired, revoked, for another audience, a forgery) stays
// refused: the time only bounds how long a refusal that later lifts
// (consent granted meanwhile, Entra's replication of a new user) is
// repeated. It is not shortened to the assertion's exp, since an expired
// assertion is the commonest refusal and must not cost a request per retry.
const refusalTTL = 30 * time.Second

// refusalSlots bounds how many refusals the cache remembers, whatever a
// flood of distinct bad tokens: each costs about 100 bytes plus the
// server's error (its description, trace and correlation IDs, a few hundred
// bytes from Entra), so a few megabytes at most.
const refusalSlots = 10_000

// refusesAssertion reports whether err is the token endpoint's definitive
// refusal of the assertion itself, which asking again cannot change:
// invalid_grant (RFC 6749 §5.2; Entra: AADSTS50013 invalid assertion,
// AADSTS500133 expired), and for RFC 8693 token exchange also
// invalid_request, the code §2.2.2 gives an invalid subject token. A claims
// challenge (interaction_required, or invalid_grant with claims) is never
// one: the caller must get it every time, to sign in again with the claims.
// Errors of the client (invalid_client, invalid_scope), throttling and
// outages are not about the assertion and are not remembered.
func refusesAssertion(err error, grant string) bool {
	var e *Error
	if !errors.As(err, &e) || e.Claims != "" {
		return false
	}
	return e.Code == "invalid_grant" || e.Code == "invalid_request" && grant == GrantTypeTokenExchange
}

// refusals remembers the assertions refused outright, by the 128-bit keyed
// hash of the assertion and request (localKey), for refusalTTL: a replayed
// bad token then costs one token request, not one per retry. All refusals
// live equally long, so the ring of keys in insertion order is also their
// order of expiry: an insert drops expired refusals from its head, or the
// oldest when it is full, in constant time. Lookups come only after a miss
// of the token index, never on a hit; while no refusal is in force they
// take no lock. The ring is allocated at the first refusal.
type refusals struct {
	last  atomic.Int64 // UnixNano when the latest refusal ends; before it, get takes the lock
	slots int
	mu    sync.Mutex
	byKey map[localKey]refusal
	ring  []localKey // insertion order, a circular buffer of slots keys
	head  int        // oldest slot
	used  int        // slots in use
}

type refusal struct {
	err   error
	until time.Time
	slot  int // its slot in the ring, so a stale slot cannot drop a newer refusal
}

func newRefusals(slots int) *refusals {
	return &refusals{slots: max(slots, 1)}
}

// get returns the refusal of k still in force, or nil.
func (r *refusals) get(k localKey, now time.Time) error {
	if now.UnixNano() >= r.last.Load() {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.byKey[k]
	if !ok || !now.Before(f.until) {
		return nil
	}
	return f.err
}

// put remembers err as the refusal of k until now+ttl.
func (r *refusals) put(k localKey, err error, now time.Time, ttl time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ring == nil {
		r.byKey, r.ring = make(map[localKey]refusal), make([]localKey, r.slots)
	}
	for r.used > 0 {
		old := r.ring[r.head]
		f, ok := r.byKey[old]
		if ok && f.slot == r.head && now.Before(f.until) && r.used < len(r.ring) {
			break // the oldest is still in force and there is room
		}
		if ok && f.slot == r.head {
			delete(r.byKey, old)
		}
		r.head = (r.head + 1) % len(r.ring)
		r.used--
	}
	slot := (r.head + r.used) % len(r.ring)
	r.ring[slot] = k
	r.used++
	until := now.Add(ttl)
	r.byKey[k] = refusal{err: err, until: until, slot: slot}
	r.last.Store(max(r.last.Load(), until.UnixNano()))
}
