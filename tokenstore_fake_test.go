package oauth2flows_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oauth2flows/oauth2flows"
)

// fakeStore is the one in-memory TokenStore of the tests. It keeps the
// contract of TokenStore and TokenLease faithfully: Lock waits while a live
// lease is held, every lease taken gets the next fencing number, and a
// lease's Store writes only while it is still the newest lease of its key.
// A lease lapses only when the test says so (lapse), as a holder that lives
// keeps its lease alive. fail makes every call fail, as a store that is
// down; beforeStore runs at the start of each lease Store.
type fakeStore struct {
	mu      sync.Mutex
	entries map[string]*fakeEntry

	fail        atomic.Bool
	loads       atomic.Int32
	locks       atomic.Int32
	stores      atomic.Int32
	beforeStore func(key string) // nil: none; called without the store's lock
}

type fakeEntry struct {
	tok     *oauth2flows.Token
	expires time.Time // zero: until replaced
	fence   uint64    // the newest lease taken
	held    bool      // a lease is held and has not lapsed
}

var errStoreDown = errors.New("fake store: connection refused")

func newFakeStore() *fakeStore { return &fakeStore{entries: map[string]*fakeEntry{}} }

func (s *fakeStore) entry(key string) *fakeEntry {
	e := s.entries[key]
	if e == nil {
		e = &fakeEntry{}
		s.entries[key] = e
	}
	return e
}

func (s *fakeStore) Load(ctx context.Context, key string) (*oauth2flows.Token, error) {
	s.loads.Add(1)
	if s.fail.Load() {
		return nil, errStoreDown
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[key]
	if e == nil || e.tok == nil || (!e.expires.IsZero() && time.Now().After(e.expires)) {
		return nil, nil
	}
	tok := *e.tok // a copy, as a real store decodes a new one
	return &tok, nil
}

func (s *fakeStore) Lock(ctx context.Context, key string) (oauth2flows.TokenLease, error) {
	s.locks.Add(1)
	for {
		if s.fail.Load() {
			return nil, errStoreDown
		}
		s.mu.Lock()
		e := s.entry(key)
		if !e.held {
			e.fence++
			e.held = true
			l := &fakeLease{s: s, key: key, fence: e.fence}
			s.mu.Unlock()
			return l, nil
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// put stores tok under key as a newer lease holder would.
func (s *fakeStore) put(key string, tok *oauth2flows.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entry(key)
	e.fence++
	c := *tok
	e.tok, e.expires = &c, time.Time{}
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
	defer s.mu.Unlock()
	if e := s.entries[key]; e != nil {
		return e.tok
	}
	return nil
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
	if l.s.fail.Load() {
		return errStoreDown
	}
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	e := l.s.entry(l.key)
	if e.fence != l.fence {
		return fmt.Errorf("fake store: lease %d, newest %d: %w", l.fence, e.fence, oauth2flows.ErrLeaseLost)
	}
	c := *tok
	e.tok, e.expires = &c, expires
	return nil
}

func (l *fakeLease) Unlock(ctx context.Context) error {
	if l.s.fail.Load() {
		return errStoreDown
	}
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if e := l.s.entry(l.key); e.fence == l.fence {
		e.held = false
	}
	return nil
}
