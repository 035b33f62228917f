package oauth2flows_test

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/oauth2flows/oauth2flows"
)

// fakeTokenStore is the in-memory TokenStore the tests share, standing in
// for Redis (whose own tests run against a real redis-server): one lease
// per key at a time, fenced by a counter, values serialized in and out as a
// real store does, and entries that expire. Several caches or Transports on
// one fakeTokenStore are replicas sharing one store.
type fakeTokenStore struct {
	// fail, when set, is called first by every method with its name
	// ("Load", "Lock", "Store", "Unlock") and the call's ctx; what it returns
	// is the method's error. It may panic or block to play a broken store.
	fail func(ctx context.Context, op string) error

	mu     sync.Mutex
	values map[string]fakeValue
	leases map[string]*fakeLease // the lease held on each key
	fence  map[string]uint64     // leases taken on each key
	keys   []string              // every key a method was given, in order
	stores int                   // successful Store calls
}

type fakeValue struct {
	data    []byte
	expires time.Time
}

type fakeLease struct {
	s        *fakeTokenStore
	key      string
	n        uint64
	released chan struct{}
}

func newFakeTokenStore() *fakeTokenStore {
	return &fakeTokenStore{values: map[string]fakeValue{}, leases: map[string]*fakeLease{}, fence: map[string]uint64{}}
}

func (s *fakeTokenStore) check(ctx context.Context, op, key string) error {
	s.mu.Lock()
	s.keys = append(s.keys, key)
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		return fail(ctx, op)
	}
	return nil
}

func (s *fakeTokenStore) Load(ctx context.Context, key string) (*oauth2flows.Token, error) {
	if err := s.check(ctx, "Load", key); err != nil {
		return nil, err
	}
	s.mu.Lock()
	v, ok := s.values[key]
	s.mu.Unlock()
	if !ok || !v.expires.IsZero() && !time.Now().Before(v.expires) {
		return nil, nil
	}
	var tok oauth2flows.Token
	if err := json.Unmarshal(v.data, &tok); err != nil {
		return nil, err
	}
	return &tok, nil
}

func (s *fakeTokenStore) Lock(ctx context.Context, key string) (oauth2flows.TokenLease, error) {
	if err := s.check(ctx, "Lock", key); err != nil {
		return nil, err
	}
	for {
		s.mu.Lock()
		held := s.leases[key]
		if held == nil {
			s.fence[key]++
			l := &fakeLease{s: s, key: key, n: s.fence[key], released: make(chan struct{})}
			s.leases[key] = l
			s.mu.Unlock()
			return l, nil
		}
		s.mu.Unlock()
		select {
		case <-held.released:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (l *fakeLease) Store(ctx context.Context, tok *oauth2flows.Token, expires time.Time) error {
	if err := l.s.check(ctx, "Store", l.key); err != nil {
		return err
	}
	data, err := json.Marshal(tok)
	if err != nil {
		return err
	}
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if l.s.fence[l.key] != l.n {
		return oauth2flows.ErrLeaseLost
	}
	l.s.values[l.key] = fakeValue{data: data, expires: expires}
	l.s.stores++
	return nil
}

func (l *fakeLease) Unlock(ctx context.Context) error {
	if err := l.s.check(ctx, "Unlock", l.key); err != nil {
		return err
	}
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if l.s.leases[l.key] == l {
		delete(l.s.leases, l.key)
		close(l.released)
	}
	return nil
}

// snapshot returns the keys asked so far and every stored value.
func (s *fakeTokenStore) snapshot() (keys []string, values [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.values {
		values = append(values, v.data)
	}
	return append([]string(nil), s.keys...), values
}
