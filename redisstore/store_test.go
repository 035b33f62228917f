package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth2flows/oauth2flows"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

func testToken(access, refresh string, expiry time.Time) *oauth2flows.Token {
	return &oauth2flows.Token{
		Token: oauth2.Token{
			AccessToken:  access,
			TokenType:    "Bearer",
			RefreshToken: refresh,
			Expiry:       expiry,
		},
		IDToken: "id-" + access,
		Scope:   "api://mid/.default offline_access",
	}
}

// put stores tok under key through a lease, as the root package does.
func put(t testing.TB, s *Store, key string, tok *oauth2flows.Token, expires time.Time) {
	t.Helper()
	ctx := context.Background()
	l, err := s.Lock(ctx, key)
	require.NoError(t, err)
	require.NoError(t, l.Store(ctx, tok, expires))
	require.NoError(t, l.Unlock(ctx))
}

// errorLog collects what the error handler is given.
type errorLog struct {
	mu   sync.Mutex
	ops  []string
	errs []error
}

func (e *errorLog) handle(_ context.Context, err *oauth2flows.StoreError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ops = append(e.ops, err.Op)
	e.errs = append(e.errs, err.Err)
}

func (e *errorLog) get() ([]string, []error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.ops...), append([]error(nil), e.errs...)
}

func TestNewRefusesToStoreWithoutUsableConfig(t *testing.T) {
	c := freshDB(t, 1)
	tests := []struct {
		name   string
		client redis.UniversalClient
		opts   []Option
		field  string
	}{
		{"no key", c, nil, "WithEncryptionKey"},
		{"short key", c, []Option{WithEncryptionKey(make([]byte, 16))}, "WithEncryptionKey"},
		{"short old key", c, []Option{WithEncryptionKey(newKey(t)), WithDecryptionKeys(make([]byte, 31))}, "WithDecryptionKeys"},
		{"short name key", c, []Option{WithEncryptionKey(newKey(t)), WithNameKey([]byte("k"))}, "WithNameKey"},
		{"lock TTL", c, []Option{WithEncryptionKey(newKey(t)), WithLockTTL(0)}, "WithLockTTL"},
		{"timeout", c, []Option{WithEncryptionKey(newKey(t)), WithTimeout(-time.Second)}, "WithTimeout"},
		{"nil client", nil, []Option{WithEncryptionKey(newKey(t))}, "client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log errorLog
			s := New(tt.client, append(tt.opts, WithErrorHandler(log.handle))...)
			ctx := context.Background()

			tok, err := s.Load(ctx, "user-1")
			assert.Nil(t, tok)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field)
			assert.True(t, strings.HasPrefix(err.Error(), "oauth2flows: redisstore: "+tt.field+": "), err.Error())

			l, err := s.Lock(ctx, "user-1")
			assert.Nil(t, l)
			require.ErrorAs(t, err, &ce)

			ops, _ := log.get()
			assert.Empty(t, ops, "the handler sees no error a call returned: the caller reports those")
			n, err := c.DBSize(ctx).Result()
			require.NoError(t, err)
			assert.Zero(t, n, "nothing was sent to Redis")
		})
	}
	t.Run("no key message", func(t *testing.T) {
		_, err := New(c).Load(context.Background(), "k")
		assert.ErrorContains(t, err, "oauth2flows: redisstore: WithEncryptionKey: no encryption key")
	})
}

func TestRoundTrip(t *testing.T) {
	c := freshDB(t, 2)
	key := newKey(t)
	exp := time.Now().Add(time.Hour).Round(time.Second)
	tests := []struct {
		name    string
		opts    []Option
		tok     *oauth2flows.Token
		expires time.Time
	}{
		{"sealed, with expiry", []Option{WithEncryptionKey(key)}, testToken("at-1", "rt-1", exp), exp},
		{"sealed, kept until replaced", []Option{WithEncryptionKey(key)}, testToken("at-2", "", time.Time{}), time.Time{}},
		{"sealed, SAML OBO", []Option{WithEncryptionKey(key)}, &oauth2flows.Token{Token: oauth2.Token{AccessToken: "PHNhbWw+", TokenType: "N_A"}, IssuedTokenType: oauth2flows.TokenTypeSAML2}, exp},
		{"insecure plaintext", []Option{WithInsecurePlaintext()}, testToken("at-3", "rt-3", exp), exp},
		{"key wins over plaintext", []Option{WithInsecurePlaintext(), WithEncryptionKey(key)}, testToken("at-4", "rt-4", exp), exp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := New(c, tt.opts...)
			userKey := "obo|" + tt.name
			got, err := s.Load(ctx, userKey)
			require.NoError(t, err)
			assert.Nil(t, got, "empty store: (nil, nil)")

			put(t, s, userKey, tt.tok, tt.expires)
			got, err = s.Load(ctx, userKey)
			require.NoError(t, err)
			require.NotNil(t, got)
			assert.Equal(t, tt.tok.AccessToken, got.AccessToken)
			assert.Equal(t, tt.tok.RefreshToken, got.RefreshToken)
			assert.Equal(t, tt.tok.TokenType, got.TokenType)
			assert.True(t, tt.tok.Expiry.Equal(got.Expiry))
			assert.Equal(t, tt.tok.IDToken, got.IDToken)
			assert.Equal(t, tt.tok.Scope, got.Scope)
			assert.Equal(t, tt.tok.IssuedTokenType, got.IssuedTokenType)

			ttl, err := c.PTTL(ctx, s.keys(userKey).token).Result()
			require.NoError(t, err)
			if tt.expires.IsZero() {
				assert.Equal(t, time.Duration(-1), ttl, "no expiry in Redis")
			} else {
				assert.InDelta(t, time.Until(tt.expires).Seconds(), ttl.Seconds(), 2, "Redis drops the value when the token expires")
			}
		})
	}
}

func TestStoreRefusesATokenWithoutAccessToken(t *testing.T) {
	c := freshDB(t, 3)
	ctx := context.Background()
	s := New(c, WithEncryptionKey(newKey(t)))
	l, err := s.Lock(ctx, "k")
	require.NoError(t, err)
	defer l.Unlock(ctx)
	for _, tok := range []*oauth2flows.Token{nil, {}} {
		var ce *ConfigError
		require.ErrorAs(t, l.Store(ctx, tok, time.Time{}), &ce)
		assert.Equal(t, "tok", ce.Field)
	}
	n, err := c.Exists(ctx, s.keys("k").token).Result()
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestValueSealedWithoutKeyIsAnErrorInPlaintextStore(t *testing.T) {
	c := freshDB(t, 3)
	ctx := context.Background()
	sealed := New(c, WithEncryptionKey(newKey(t)))
	plain := New(c, WithInsecurePlaintext())
	put(t, sealed, "k", testToken("at", "rt", time.Time{}), time.Time{})
	// Copy the sealed value under the plaintext store's name for "k".
	v, err := c.Get(ctx, sealed.keys("k").token).Bytes()
	require.NoError(t, err)
	require.NoError(t, c.Set(ctx, plain.keys("k").token, v, 0).Err())
	tok, err := plain.Load(ctx, "k")
	assert.Nil(t, tok)
	var ve *ValueError
	require.ErrorAs(t, err, &ve)
}

func TestTamperedValuesAreErrors(t *testing.T) {
	c := freshDB(t, 4)
	ctx := context.Background()
	var log errorLog
	s := New(c, WithEncryptionKey(newKey(t)), WithErrorHandler(log.handle))
	tok := testToken("secret-access-token", "secret-refresh-token", time.Time{})
	put(t, s, "alice", tok, time.Time{})
	put(t, s, "bob", testToken("bobs-token", "bobs-refresh", time.Time{}), time.Time{})
	good, err := c.Get(ctx, s.keys("alice").token).Bytes()
	require.NoError(t, err)
	bobs, err := c.Get(ctx, s.keys("bob").token).Bytes()
	require.NoError(t, err)
	plainJSON, err := json.Marshal(testToken("planted", "planted-rt", time.Time{}))
	require.NoError(t, err)

	flip := func(i int) []byte {
		v := append([]byte(nil), good...)
		v[i] ^= 0x01
		return v
	}
	tests := []struct {
		name  string
		value []byte
	}{
		{"ciphertext bit", flip(len(good) - 20)},
		{"tag bit", flip(len(good) - 1)},
		{"nonce bit", flip(1 + keyIDLen)},
		{"key id bit", flip(1)},
		{"format byte", flip(0)},
		{"truncated", good[:len(good)-1]},
		{"header only", good[:1+keyIDLen+nonceLen]},
		{"planted plaintext", append([]byte{formatPlain}, plainJSON...)},
		{"raw JSON", plainJSON},
		{"bob's value moved to alice", bobs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, c.Set(ctx, s.keys("alice").token, tt.value, 0).Err())
			got, err := s.Load(ctx, "alice")
			assert.Nil(t, got)
			var ve *ValueError
			require.ErrorAs(t, err, &ve)
			assert.True(t, strings.HasPrefix(err.Error(), "oauth2flows: redisstore: load: "), err.Error())
			assert.NotContains(t, err.Error(), "secret")
			assert.NotContains(t, err.Error(), "planted")
			assert.NotContains(t, err.Error(), "bobs")
		})
	}
	t.Run("empty is none", func(t *testing.T) {
		require.NoError(t, c.Set(ctx, s.keys("alice").token, "", 0).Err())
		got, err := s.Load(ctx, "alice")
		assert.Nil(t, got)
		assert.NoError(t, err, "as if deleted, which whoever can write an empty value can do too")
	})
	ops, _ := log.get()
	assert.Empty(t, ops, "returned errors are the caller's to report")
}

func TestWrongKeyIsAMiss(t *testing.T) {
	c := freshDB(t, 5)
	ctx := context.Background()
	k1, k2 := newKey(t), newKey(t)
	s1 := New(c, WithEncryptionKey(k1))
	put(t, s1, "alice", testToken("at", "rt", time.Time{}), time.Time{})

	t.Run("other key names other entries", func(t *testing.T) {
		got, err := New(c, WithEncryptionKey(k2)).Load(ctx, "alice")
		require.NoError(t, err)
		assert.Nil(t, got)
	})
	t.Run("same names, other key: an error", func(t *testing.T) {
		s2 := New(c, WithEncryptionKey(k2), WithNameKey(k1))
		got, err := s2.Load(ctx, "alice")
		assert.Nil(t, got)
		var ve *ValueError
		require.ErrorAs(t, err, &ve)
		assert.Contains(t, ve.Reason, "key this store does not have")
	})
}

func TestKeyRotation(t *testing.T) {
	c := freshDB(t, 6)
	ctx := context.Background()
	k1, k2 := newKey(t), newKey(t)
	before := New(c, WithEncryptionKey(k1))
	step1 := New(c, WithEncryptionKey(k1), WithDecryptionKeys(k2), WithNameKey(k1))
	step2 := New(c, WithEncryptionKey(k2), WithDecryptionKeys(k1), WithNameKey(k1))
	after := New(c, WithEncryptionKey(k2), WithNameKey(k1))

	put(t, before, "old", testToken("sealed-with-k1", "", time.Time{}), time.Time{})
	put(t, step2, "new", testToken("sealed-with-k2", "", time.Time{}), time.Time{})

	for _, s := range []*Store{before, step1, step2, after} {
		assert.Equal(t, before.keys("old"), s.keys("old"), "the names survive the rotation")
	}
	tests := []struct {
		name   string
		s      *Store
		old    string // access token read for "old", or "" for an error
		newTok string // for "new"
	}{
		{"before reads k1, not k2", before, "sealed-with-k1", ""},
		{"step 1 reads both", step1, "sealed-with-k1", "sealed-with-k2"},
		{"step 2 reads both", step2, "sealed-with-k1", "sealed-with-k2"},
		{"after reads k2, not k1", after, "", "sealed-with-k2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for key, want := range map[string]string{"old": tt.old, "new": tt.newTok} {
				got, err := tt.s.Load(ctx, key)
				if want == "" {
					var ve *ValueError
					require.ErrorAs(t, err, &ve, key)
					continue
				}
				require.NoError(t, err, key)
				assert.Equal(t, want, got.AccessToken)
			}
		})
	}
	v, err := c.Get(ctx, step2.keys("new").token).Bytes()
	require.NoError(t, err)
	id, ok := keyID(v)
	require.True(t, ok)
	assert.Equal(t, step2.cur.id, id, "new writes use the new key")
}

// TestRedisHoldsNothingReadable writes tokens for several users, holds a
// lease, and then reads every key and value in Redis: none holds a user
// key, an access, refresh or ID token, or an assertion.
func TestRedisHoldsNothingReadable(t *testing.T) {
	c := freshDB(t, 7)
	ctx := context.Background()
	s := New(c, WithEncryptionKey(newKey(t)))
	var secrets []string
	for _, user := range []string{"alice@contoso.com", "bob@contoso.com"} {
		assertion := "eyJhbGciOiJSUzI1NiJ9.assertion-of-" + user
		key := "obo|" + user + "|" + assertion
		tok := testToken("access-of-"+user, "refresh-of-"+user, time.Now().Add(time.Hour))
		put(t, s, key, tok, tok.Expiry)
		secrets = append(secrets, user, assertion, tok.AccessToken, tok.RefreshToken, tok.IDToken)
	}
	l, err := s.Lock(ctx, "obo|alice@contoso.com|held")
	require.NoError(t, err)
	defer l.Unlock(ctx)

	var n int
	iter := c.Scan(ctx, 0, "*", 100).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		n++
		v, err := c.Get(ctx, k).Bytes()
		require.NoError(t, err)
		for _, sec := range secrets {
			for _, part := range []string{sec, strings.Split(sec, "@")[0]} {
				assert.NotContains(t, k, part)
				assert.NotContains(t, string(v), part)
			}
		}
		assert.True(t, strings.HasPrefix(k, DefaultPrefix+"{"), k)
	}
	require.NoError(t, iter.Err())
	assert.Equal(t, 2*2+2, n, "per stored user a token and a fence; the held lease and its fence")
}

func TestPrefix(t *testing.T) {
	c := freshDB(t, 8)
	ctx := context.Background()
	key := newKey(t)
	a := New(c, WithEncryptionKey(key), WithPrefix("app-a:"))
	b := New(c, WithEncryptionKey(key), WithPrefix("app-b:"))
	put(t, a, "k", testToken("a", "", time.Time{}), time.Time{})
	got, err := b.Load(ctx, "k")
	require.NoError(t, err)
	assert.Nil(t, got, "another prefix is another store")
	keys, err := c.Keys(ctx, "app-a:*").Result()
	require.NoError(t, err)
	assert.Len(t, keys, 2)
}

// TestRedisErrorsAreTyped: a Redis that refuses connections for the whole
// call is a *RedisError, after retries the handler sees.
func TestRedisErrorsAreTyped(t *testing.T) {
	var log errorLog
	c := newClient(t, "127.0.0.1:1", 0) // nothing listens there
	const bound = 300 * time.Millisecond
	s := New(c, WithEncryptionKey(newKey(t)), WithTimeout(bound), WithErrorHandler(log.handle))
	start := time.Now()
	_, err := s.Load(context.Background(), "k")
	took := time.Since(start)
	var re *RedisError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "load", re.Op)
	assert.True(t, strings.HasPrefix(err.Error(), "oauth2flows: redisstore: load: redis: "), err.Error())
	assert.False(t, errors.Is(err, oauth2flows.ErrLeaseLost))
	assert.Less(t, took, bound+200*time.Millisecond, "retried within the bound, not past it")
	ops, errs := log.get()
	require.GreaterOrEqual(t, len(ops), 2, "connection refused is retried, with backoff")
	for i, op := range ops {
		assert.Equal(t, "Load", op)
		require.ErrorAs(t, errs[i], &re)
	}
}

// TestStoreHonorsContextWhenTheClientPutsDeadlinesOnTheSocket: the root
// package calls the store on the caller's goroutine only when its deadline
// reaches the socket; otherwise a stalled Redis would hold the caller for
// the client's own read timeout.
func TestStoreHonorsContextWhenTheClientPutsDeadlinesOnTheSocket(t *testing.T) {
	key := make([]byte, 32)
	tests := []struct {
		name   string
		client redis.UniversalClient
		opts   []Option
		want   bool
	}{
		{name: "ContextTimeoutEnabled", client: redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true}), want: true},
		{name: "default client", client: redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})},
		{name: "read deadlines disabled", client: redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true, ReadTimeout: -2})},
		{name: "cluster", client: redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true}), want: true},
		{name: "ring", client: redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}, ContextTimeoutEnabled: true}), want: true},
		{name: "refuses every call", client: redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), opts: []Option{}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Cleanup(func() { tt.client.Close() })
			opts := tt.opts
			if opts == nil {
				opts = []Option{WithEncryptionKey(key)}
			}
			s := New(tt.client, opts...)
			assert.Equal(t, tt.want, s.HonorsContext())
		})
	}
}

// timeoutErr is a socket's i/o timeout, as the client returns it.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "read tcp: i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// TestDeadlineWrapsASocketTimeoutAtTheContextsDeadline: with
// ContextTimeoutEnabled the socket's deadline is the context's, and the
// read can time out before the context's timer has marked it done; the
// error must still match context.DeadlineExceeded (it failed one CI run of
// TestLeaseOutlivesTTLWhileHeld).
func TestDeadlineWrapsASocketTimeoutAtTheContextsDeadline(t *testing.T) {
	past, cancel := context.WithDeadline(context.WithoutCancel(t.Context()), time.Now().Add(-time.Second))
	defer cancel()
	// A context whose deadline has passed but whose Err is not set yet.
	racing := notYetDone{past}
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"TimeoutAtTheDeadline", racing, timeoutErr{}, true},
		{"TimeoutAfterTheContextEnded", past, timeoutErr{}, true},
		{"TimeoutWithoutADeadline", context.Background(), timeoutErr{}, false},
		{"OtherErrorAtTheDeadline", racing, errors.New("connection refused"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := deadline(tt.ctx, tt.err)
			assert.ErrorIs(t, err, tt.err)
			assert.Equal(t, tt.want, errors.Is(err, context.DeadlineExceeded))
		})
	}
	assert.NoError(t, deadline(racing, nil))
}

// notYetDone is a context whose deadline has passed while its Err, like a
// timer that has not fired yet, is still nil.
type notYetDone struct{ context.Context }

func (notYetDone) Err() error { return nil }
