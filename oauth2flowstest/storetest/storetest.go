// Package storetest checks implementations of [oauth2flows.TokenStore], as
// testing/fstest checks file systems: a store's own tests call
// [TestTokenStore] with a function that returns an empty store.
//
//	func TestConformance(t *testing.T) {
//		storetest.TestTokenStore(t, func(t *testing.T) oauth2flows.TokenStore {
//			return mystore.New(newClient(t)) // empty, or under a prefix of t's own
//		})
//	}
//
// A store whose test can make a lease lapse implements [Lapser] too, and
// has its fencing checked. The package also holds [MemoryStore], an
// in-memory store for tests, which passes it.
package storetest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/oauth2flows/oauth2flows"
)

// Lapser is a store whose test can make a lease lapse, as when its holder
// stalls (a GC pause, a SIGSTOP) past the lease's time to live. A store
// that keeps the leases of live holders alive cannot be made to lapse
// otherwise; [TestTokenStore] checks fencing only on a Lapser.
type Lapser interface {
	// Lapse ends the lease held on key without its holder's knowledge.
	Lapse(ctx context.Context, key string) error
}

// Bounds of TestTokenStore: how long a call that must not wait may take,
// and how long a store may take to notice that a call's ctx ended.
const (
	prompt = 5 * time.Second
	slack  = 2 * time.Second
)

// TestTokenStore checks that the stores newStore returns keep the contract
// of [oauth2flows.TokenStore] and [oauth2flows.TokenLease], in subtests:
//
//   - LoadMiss: Load of a key never stored is (nil, nil).
//   - RoundTrip: what a lease stores loads back, every field of the token,
//     under its own key only, and as a copy; keys that differ in any byte
//     (case, a colon, braces, the empty key, 4 KB) are kept apart.
//   - Lease: Lock waits while another lease of the key is held, and not
//     for other keys; the waiter gets the lease once it is given up, and
//     sees what the holder stored.
//   - FencingAfterLapse (a [Lapser] only): once a lease lapsed and another
//     was taken, the old lease's Store fails with an error wrapping
//     [oauth2flows.ErrLeaseLost] and its Unlock does not end the new lease.
//   - ConcurrentLockers: leases taken at once by many goroutines never
//     overlap, and no increment stored under them is lost.
//   - Expiry: a token stored with an expiry is not loaded after it; one
//     stored with the zero time is kept.
//   - ContextDeadlines: Lock of a held key returns at ctx's deadline with
//     an error wrapping context.DeadlineExceeded, leaving nothing held, and
//     every call returns promptly once its ctx has ended.
//   - Refusals: Store refuses a nil token and one without an access token,
//     which no caller could serve, and stores nothing.
//   - NoRestart: a store that is an [oauth2flows.RestartReportingStore]
//     reports no restart (the zero time) while it has not restarted.
//
// Each subtest calls newStore with its own t for an empty store, and uses
// keys of its own.
func TestTokenStore(t *testing.T, newStore func(t *testing.T) oauth2flows.TokenStore) {
	t.Helper()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s oauth2flows.TokenStore)
	}{
		{"LoadMiss", testLoadMiss},
		{"RoundTrip", testRoundTrip},
		{"Lease", testLease},
		{"FencingAfterLapse", testFencingAfterLapse},
		{"ConcurrentLockers", testConcurrentLockers},
		{"Expiry", testExpiry},
		{"ContextDeadlines", testContextDeadlines},
		{"Refusals", testRefusals},
		{"NoRestart", testNoRestart},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

// expiry is the Expiry of the tokens of [token]: a store keeps a token
// until the expiry its Store is given, not the token's own.
var expiry = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

// token returns a token with every field set, told apart by n.
func token(n int) *oauth2flows.Token {
	s := strconv.Itoa(n)
	return &oauth2flows.Token{
		Token: oauth2.Token{AccessToken: "at-" + s, TokenType: "Bearer", RefreshToken: "rt-" + s,
			Expiry: expiry, ExpiresIn: 3600},
		IDToken: "id-" + s, Scope: "openid " + s, IssuedTokenType: oauth2flows.TokenTypeAccessToken,
	}
}

// sameToken reports the first field in which got differs from want.
func sameToken(got, want *oauth2flows.Token) string {
	switch {
	case got == nil:
		return "no token"
	case got.AccessToken != want.AccessToken:
		return "AccessToken"
	case got.TokenType != want.TokenType:
		return "TokenType"
	case got.RefreshToken != want.RefreshToken:
		return "RefreshToken"
	case !got.Expiry.Equal(want.Expiry):
		return "Expiry"
	case got.ExpiresIn != want.ExpiresIn:
		return "ExpiresIn"
	case got.IDToken != want.IDToken:
		return "IDToken"
	case got.Scope != want.Scope:
		return "Scope"
	case got.IssuedTokenType != want.IssuedTokenType:
		return "IssuedTokenType"
	}
	return ""
}

// ctxFor returns a context that ends after d, or with the test.
func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func lock(t *testing.T, s oauth2flows.TokenStore, key string) oauth2flows.TokenLease {
	t.Helper()
	l, err := s.Lock(ctxFor(t, prompt), key)
	if err != nil {
		t.Fatalf("Lock(%q): %v", key, err)
	}
	if l == nil {
		t.Fatalf("Lock(%q) returned neither a lease nor an error", key)
	}
	return l
}

func store(t *testing.T, l oauth2flows.TokenLease, tok *oauth2flows.Token, expires time.Time) {
	t.Helper()
	if err := l.Store(ctxFor(t, prompt), tok, expires); err != nil {
		t.Fatalf("Store: %v", err)
	}
}

func unlock(t *testing.T, l oauth2flows.TokenLease) {
	t.Helper()
	if err := l.Unlock(ctxFor(t, prompt)); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
}

func load(t *testing.T, s oauth2flows.TokenStore, key string) *oauth2flows.Token {
	t.Helper()
	tok, err := s.Load(ctxFor(t, prompt), key)
	if err != nil {
		t.Fatalf("Load(%q): %v", key, err)
	}
	return tok
}

// mustWait checks that Lock of key does not return within d.
func mustWait(t *testing.T, s oauth2flows.TokenStore, key string, d time.Duration) {
	t.Helper()
	l, err := s.Lock(ctxFor(t, d), key)
	if err == nil {
		l.Unlock(context.Background())
		t.Fatalf("Lock(%q) got a lease while another was held", key)
	}
}

func testLoadMiss(t *testing.T, s oauth2flows.TokenStore) {
	tok, err := s.Load(ctxFor(t, prompt), "miss")
	if tok != nil || err != nil {
		t.Fatalf("Load of a key never stored = (%v, %v), want (nil, nil)", tok, err)
	}
}

func testRoundTrip(t *testing.T, s oauth2flows.TokenStore) {
	want := token(1)
	l := lock(t, s, "round-trip")
	store(t, l, want, time.Time{})
	want.AccessToken = "changed after Store"
	unlock(t, l)
	want.AccessToken = "at-1"

	got := load(t, s, "round-trip")
	if f := sameToken(got, want); f != "" {
		t.Fatalf("loaded token differs from the stored one in %s", f)
	}
	got.AccessToken = "changed after Load"
	if f := sameToken(load(t, s, "round-trip"), want); f != "" {
		t.Fatalf("a change to a loaded token reached the store (%s)", f)
	}
	if tok := load(t, s, "round-trip-other"); tok != nil {
		t.Fatal("a token stored under one key loads under another")
	}

	// Keys arrive as given: a user's name, a hash, anything. Each is its
	// own, whatever its bytes.
	keys := []string{"user:alice", "user:alice:", "User:Alice", "{user:alice}", "user alice", "ユーザー",
		"", strings.Repeat("k", 4096)}
	for i, key := range keys {
		l := lock(t, s, key)
		store(t, l, token(10+i), time.Time{})
		unlock(t, l)
	}
	for i, key := range keys {
		if f := sameToken(load(t, s, key), token(10+i)); f != "" {
			t.Errorf("key %.20q: %s differs from what was stored under it", key, f)
		}
	}
}

func testLease(t *testing.T, s oauth2flows.TokenStore) {
	held := lock(t, s, "lease")
	mustWait(t, s, "lease", 200*time.Millisecond)
	unlock(t, lock(t, s, "lease-other")) // another key is free

	got := make(chan oauth2flows.TokenLease, 1)
	go func() {
		l, err := s.Lock(ctxFor(t, prompt+slack), "lease")
		if err != nil {
			t.Errorf("the waiting Lock: %v", err)
		}
		got <- l
	}()
	select {
	case <-got:
		t.Fatal("a waiting Lock returned while the lease was held")
	case <-time.After(100 * time.Millisecond):
	}
	store(t, held, token(2), time.Time{})
	unlock(t, held)
	var next oauth2flows.TokenLease
	select {
	case next = <-got:
	case <-time.After(prompt):
		t.Fatal("the waiting Lock did not get the lease after Unlock")
	}
	if next == nil {
		return
	}
	if f := sameToken(load(t, s, "lease"), token(2)); f != "" {
		t.Fatalf("the next holder does not see what the previous stored (%s)", f)
	}
	store(t, next, token(3), time.Time{})
	unlock(t, next)
	if err := next.Unlock(ctxFor(t, prompt)); err != nil {
		t.Fatalf("a second Unlock: %v", err)
	}
	unlock(t, lock(t, s, "lease"))
}

func testFencingAfterLapse(t *testing.T, s oauth2flows.TokenStore) {
	lapser, ok := s.(Lapser)
	if !ok {
		t.Skipf("%T is not a storetest.Lapser: fencing is not checked", s)
	}
	old := lock(t, s, "fence")
	if err := lapser.Lapse(ctxFor(t, prompt), "fence"); err != nil {
		t.Fatalf("Lapse: %v", err)
	}
	newer := lock(t, s, "fence")
	store(t, newer, token(2), time.Time{})

	err := old.Store(ctxFor(t, prompt), token(1), time.Time{})
	if !errors.Is(err, oauth2flows.ErrLeaseLost) {
		t.Fatalf("Store under a lapsed lease = %v, want an error wrapping ErrLeaseLost", err)
	}
	if f := sameToken(load(t, s, "fence"), token(2)); f != "" {
		t.Fatalf("the lapsed holder overwrote the newer token (%s)", f)
	}
	old.Unlock(ctxFor(t, prompt)) // may report that it had nothing to give up
	mustWait(t, s, "fence", 200*time.Millisecond)
	unlock(t, newer)
	unlock(t, lock(t, s, "fence"))
}

func testConcurrentLockers(t *testing.T, s oauth2flows.TokenStore) {
	const lockers, rounds = 8, 5
	var inside atomic.Int32
	var overlapped atomic.Bool
	var wg sync.WaitGroup
	for range lockers {
		wg.Go(func() {
			for range rounds {
				l, err := s.Lock(ctxFor(t, 4*prompt), "counter")
				if err != nil {
					t.Errorf("Lock: %v", err)
					return
				}
				if inside.Add(1) > 1 {
					overlapped.Store(true)
				}
				tok, err := s.Load(ctxFor(t, prompt), "counter")
				count := 0
				if err == nil && tok != nil {
					count, err = strconv.Atoi(tok.AccessToken)
				}
				if err == nil {
					next := token(count + 1)
					next.AccessToken = strconv.Itoa(count + 1)
					err = l.Store(ctxFor(t, prompt), next, time.Time{})
				}
				inside.Add(-1)
				if uerr := l.Unlock(ctxFor(t, prompt)); err == nil {
					err = uerr
				}
				if err != nil {
					t.Errorf("under the lease: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if overlapped.Load() {
		t.Error("two leases of one key were held at once")
	}
	if tok := load(t, s, "counter"); tok == nil || tok.AccessToken != strconv.Itoa(lockers*rounds) {
		t.Errorf("counter = %v, want %d: an increment was lost", tok, lockers*rounds)
	}
}

func testExpiry(t *testing.T, s oauth2flows.TokenStore) {
	l := lock(t, s, "kept")
	store(t, l, token(2), time.Time{})
	unlock(t, l)
	l = lock(t, s, "expired")
	store(t, l, token(3), time.Now().Add(-time.Second)) // may be refused
	unlock(t, l)
	l = lock(t, s, "expiring")
	expires := time.Now().Add(time.Second)
	store(t, l, token(1), expires)
	unlock(t, l)

	if load(t, s, "expiring") == nil {
		t.Fatal("a token was not loaded before its expiry")
	}
	time.Sleep(time.Until(expires) + 200*time.Millisecond)
	if load(t, s, "expiring") != nil {
		t.Fatal("a token was loaded after its expiry")
	}
	if load(t, s, "expired") != nil {
		t.Fatal("a token stored with an expiry in the past was loaded")
	}
	if load(t, s, "kept") == nil {
		t.Fatal("a token stored with the zero time was not kept")
	}
}

func testContextDeadlines(t *testing.T, s oauth2flows.TokenStore) {
	held := lock(t, s, "deadline")
	start := time.Now()
	_, err := s.Lock(ctxFor(t, 100*time.Millisecond), "deadline")
	if took := time.Since(start); took > 100*time.Millisecond+slack {
		t.Errorf("Lock of a held key returned %v after its deadline", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock of a held key past its deadline = %v, want an error wrapping context.DeadlineExceeded", err)
	}
	unlock(t, held)
	unlock(t, lock(t, s, "deadline")) // the waiter that gave up holds nothing

	// Every call returns promptly once its ctx has ended, with or without
	// an error.
	l := lock(t, s, "ended")
	ended, cancel := context.WithCancel(t.Context())
	cancel()
	for _, call := range []struct {
		name string
		run  func() error
	}{
		{"Load", func() error { _, err := s.Load(ended, "ended"); return err }},
		{"Store", func() error { return l.Store(ended, token(1), time.Time{}) }},
		{"Lock", func() error {
			if other, err := s.Lock(ended, "ended-other"); err == nil {
				other.Unlock(context.Background())
			}
			return nil
		}},
		{"Unlock", func() error { return l.Unlock(ended) }},
	} {
		done := make(chan struct{})
		go func() { defer close(done); call.run() }()
		select {
		case <-done:
		case <-time.After(slack):
			t.Fatalf("%s with an ended ctx did not return within %v", call.name, slack)
		}
	}
	l.Unlock(context.Background())
}

func testRefusals(t *testing.T, s oauth2flows.TokenStore) {
	l := lock(t, s, "refused")
	defer unlock(t, l)
	noAccess := token(1)
	noAccess.AccessToken = ""
	for _, v := range []struct {
		name string
		tok  *oauth2flows.Token
	}{
		{"nil token", nil},
		{"no access token", noAccess},
	} {
		if err := l.Store(ctxFor(t, prompt), v.tok, time.Time{}); err == nil {
			t.Errorf("Store of a %s: no error", v.name)
		}
		if tok := load(t, s, "refused"); tok != nil {
			t.Errorf("Store of a %s stored something", v.name)
		}
	}
}

func testNoRestart(t *testing.T, s oauth2flows.TokenStore) {
	rs, ok := s.(oauth2flows.RestartReportingStore)
	if !ok {
		t.Skip("not a RestartReportingStore")
	}
	at, err := rs.RestartedAt(ctxFor(t, 5*time.Second), "storetest:norestart")
	if err != nil {
		t.Fatalf("RestartedAt: %v", err)
	}
	if !at.IsZero() {
		t.Errorf("RestartedAt = %v, want the zero time: the store has not restarted", at)
	}
}
