package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/oauth2flows/oauth2flows"
)

// MemoryStore is an [oauth2flows.TokenStore] in memory, for tests: several
// caches or Transports on one MemoryStore are replicas sharing one store.
// It keeps the contract [TestTokenStore] checks: tokens are copied in and
// out as a real store serializes them, and expire; Lock waits while a
// lease is held; every lease taken gets the next fencing number, and a
// lease's Store writes only while it is the newest lease of its key. A
// lease lapses only when the test says so ([MemoryStore.Lapse]), as a
// holder that lives keeps its lease alive. Every call honours its ctx.
//
// It is not for production: it shares nothing between processes.
type MemoryStore struct {
	mu      sync.Mutex
	entries map[string]*memoryEntry
}

type memoryEntry struct {
	data     []byte    // the token, serialized; nil: none
	expires  time.Time // zero: until replaced
	fence    uint64    // of the newest lease taken
	held     bool      // a lease is held and has not lapsed
	released chan struct{}
}

var _ oauth2flows.ContextHonoringStore = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{entries: map[string]*memoryEntry{}} }

// HonorsContext implements [oauth2flows.ContextHonoringStore]: every call
// returns once its ctx has ended.
func (s *MemoryStore) HonorsContext() bool { return true }

// entry returns key's entry; s.mu must be held.
func (s *MemoryStore) entry(key string) *memoryEntry {
	e := s.entries[key]
	if e == nil {
		e = &memoryEntry{}
		s.entries[key] = e
	}
	return e
}

// Load implements [oauth2flows.TokenStore].
func (s *MemoryStore) Load(ctx context.Context, key string) (*oauth2flows.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("storetest: load: %w", err)
	}
	s.mu.Lock()
	var data []byte
	if e := s.entries[key]; e != nil && (e.expires.IsZero() || time.Now().Before(e.expires)) {
		data = e.data
	}
	s.mu.Unlock()
	if data == nil {
		return nil, nil
	}
	tok := new(oauth2flows.Token)
	if err := json.Unmarshal(data, tok); err != nil {
		return nil, fmt.Errorf("storetest: load: %w", err)
	}
	return tok, nil
}

// Lock implements [oauth2flows.TokenStore].
func (s *MemoryStore) Lock(ctx context.Context, key string) (oauth2flows.TokenLease, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("storetest: lock: %w", err)
		}
		s.mu.Lock()
		e := s.entry(key)
		if !e.held {
			e.fence++
			e.held, e.released = true, make(chan struct{})
			l := &memoryLease{s: s, key: key, fence: e.fence}
			s.mu.Unlock()
			return l, nil
		}
		released := e.released
		s.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-released:
		}
	}
}

// Lapse lets the lease held on key lapse, as if its holder had stalled
// past the lease's time to live: the next Lock takes the key at once, and
// the old lease can no longer store (see [Lapser]).
func (s *MemoryStore) Lapse(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.entries[key]; e != nil && e.held {
		e.held = false
		close(e.released)
	}
	return nil
}

type memoryLease struct {
	s     *MemoryStore
	key   string
	fence uint64
}

// errNoAccessToken is the error of a Store of a token that cannot be served.
var errNoAccessToken = errors.New("storetest: store: a token without access_token is refused")

func (l *memoryLease) Store(ctx context.Context, tok *oauth2flows.Token, expires time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storetest: store: %w", err)
	}
	if tok == nil || tok.AccessToken == "" {
		return errNoAccessToken
	}
	data, err := json.Marshal(tok)
	if err != nil {
		return fmt.Errorf("storetest: store: %w", err)
	}
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	e := l.s.entry(l.key)
	if e.fence != l.fence {
		return fmt.Errorf("storetest: store: lease %d, newest %d: %w", l.fence, e.fence, oauth2flows.ErrLeaseLost)
	}
	e.data, e.expires = data, expires
	return nil
}

func (l *memoryLease) Unlock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storetest: unlock: %w", err)
	}
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if e := l.s.entry(l.key); e.fence == l.fence && e.held {
		e.held = false
		close(e.released)
	}
	return nil
}
