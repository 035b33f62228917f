package oauth2flows_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oauth2flows/oauth2flows"
)

// fakeStore is the one in-memory TokenStore of the tests, standing in for
// Redis (whose own tests run against a real redis-server). It keeps the
// contract of TokenStore and TokenLease faithfully: values are serialized in
// and out as a real store does and expire; Lock waits while a live lease is
// held; every lease taken gets the next fencing number; and a lease's Store
// writes only while it is still the newest lease of its key. A lease lapses
// only when the test says so (lapse), as a holder that lives keeps its lease
// alive. Several caches or Transports on one fakeStore are replicas sharing
// one store.
type fakeStore struct {
	// fail makes every call fail, as a store that is down.
	fail atomic.Bool
	// failOp, when set, is called first by every method with its name
	// ("Load", "Lock", "Store", "Unlock") and the call's ctx; what it
	// returns is the method's error. It may panic or block to play a
	// broken store.
	failOp func(ctx context.Context, op string) error
	// beforeStore runs at the start of each lease Store, without the
	// store's lock.
	beforeStore func(key string)

	loads, locks, stores atomic.Int32 // calls made

	mu      sync.Mutex
	entries map[string]*fakeEntry
	keys    []string // every key a method was given, in order
}

type fakeEntry struct {
	data     []byte    // the token, serialized
	expires  time.Time // zero: until replaced
	fence    uint64    // the newest lease taken
	held     bool      // a lease is held and has not lapsed
	released chan struct{}
}

var errStoreDown = errors.New("fake store: connection refused")

func newFakeStore() *fakeStore { return &fakeStore{entries: map[string]*fakeEntry{}} }

// entry returns key's entry, recording the key; s.mu must be held.
func (s *fakeStore) entry(key string) *fakeEntry {
	e := s.entries[key]
	if e == nil {
		e = &fakeEntry{}
		s.entries[key] = e
	}
	return e
}

func (s *fakeStore) check(ctx context.Context, op, key string) error {
	s.mu.Lock()
	s.keys = append(s.keys, key)
	s.mu.Unlock()
	if s.fail.Load() {
		return errStoreDown
	}
	if s.failOp != nil {
		return s.failOp(ctx, op)
	}
	return nil
}

func (s *fakeStore) Load(ctx context.Context, key string) (*oauth2flows.Token, error) {
	s.loads.Add(1)
	if err := s.check(ctx, "Load", key); err != nil {
		return nil, err
	}
	s.mu.Lock()
	e := s.entries[key]
	var data []byte
	if e != nil && (e.expires.IsZero() || time.Now().Before(e.expires)) {
		data = e.data
	}
	s.mu.Unlock()
	if data == nil {
		return nil, nil
	}
	var tok oauth2flows.Token
	if err := json.Unmarshal(data, &tok); err != nil {
		return nil, err
	}
	return &tok, nil
}

func (s *fakeStore) Lock(ctx context.Context, key string) (oauth2flows.TokenLease, error) {
	s.locks.Add(1)
	if err := s.check(ctx, "Lock", key); err != nil {
		return nil, err
	}
	for {
		if s.fail.Load() {
			return nil, errStoreDown
		}
		s.mu.Lock()
		e := s.entry(key)
		if !e.held {
			e.fence++
			e.held = true
			e.released = make(chan struct{})
			l := &fakeLease{s: s, key: key, fence: e.fence}
			s.mu.Unlock()
			return l, nil
		}
		released := e.released
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-released:
		case <-time.After(time.Millisecond): // a lapse closes nothing
		}
	}
}

// put stores tok under key as a newer lease holder would.
func (s *fakeStore) put(key string, tok *oauth2flows.Token) {
	data, err := json.Marshal(tok)
	if err != nil {
		panic(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entry(key)
	e.fence++
	e.data, e.expires = data, time.Time{}
}

// wipe forgets every value and lease, as a Redis without persistence that
// restarts empty.
func (s *fakeStore) wipe() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries {
		if e.held {
			close(e.released)
		}
	}
	s.entries = map[string]*fakeEntry{}
}

// lapse lets key's lease expire, as if its holder had stalled past the TTL.
func (s *fakeStore) lapse(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entry(key).held = false
}

// current returns what is stored under key, or nil.
func (s *fakeStore) current(key string) *oauth2flows.Token {
	s.mu.Lock()
	var data []byte
	if e := s.entries[key]; e != nil {
		data = e.data
	}
	s.mu.Unlock()
	if data == nil {
		return nil
	}
	var tok oauth2flows.Token
	if err := json.Unmarshal(data, &tok); err != nil {
		panic(err)
	}
	return &tok
}

// snapshot returns the keys asked so far and every stored value.
func (s *fakeStore) snapshot() (keys []string, values [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries {
		if e.data != nil {
			values = append(values, e.data)
		}
	}
	return append([]string(nil), s.keys...), values
}

type fakeLease struct {
	s     *fakeStore
	key   string
	fence uint64
}

func (l *fakeLease) Store(ctx context.Context, tok *oauth2flows.Token, expires time.Time) error {
	l.s.stores.Add(1)
	if hook := l.s.beforeStore; hook != nil {
		hook(l.key)
	}
	if err := l.s.check(ctx, "Store", l.key); err != nil {
		return err
	}
	data, err := json.Marshal(tok)
	if err != nil {
		return err
	}
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	e := l.s.entry(l.key)
	if e.fence != l.fence {
		return fmt.Errorf("fake store: lease %d, newest %d: %w", l.fence, e.fence, oauth2flows.ErrLeaseLost)
	}
	e.data, e.expires = data, expires
	return nil
}

func (l *fakeLease) Unlock(ctx context.Context) error {
	if err := l.s.check(ctx, "Unlock", l.key); err != nil {
		return err
	}
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if e := l.s.entry(l.key); e.fence == l.fence && e.held {
		e.held = false
		close(e.released)
	}
	return nil
}

// restartingStore is a fakeStore that reports its restarts, as
// oauth2flows.RestartReportingStore asks: restart is a wipe, as a Redis
// without persistence that restarts empty, and RestartedAt then says when.
type restartingStore struct {
	*fakeStore
	restarted atomic.Pointer[time.Time]
}

func newRestartingStore() *restartingStore { return &restartingStore{fakeStore: newFakeStore()} }

func (s *restartingStore) RestartedAt(ctx context.Context, key string) (time.Time, error) {
	if err := s.check(ctx, "RestartedAt", key); err != nil {
		return time.Time{}, err
	}
	if at := s.restarted.Load(); at != nil {
		return *at, nil
	}
	return time.Time{}, nil
}

// restart forgets every value and lease and remembers when.
func (s *restartingStore) restart() {
	s.wipe()
	now := time.Now()
	s.restarted.Store(&now)
}
