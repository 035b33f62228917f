package redisstore

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkL2Hit compares a Load that finds a token (GET, AES-256-GCM open,
// JSON decode) with the bare go-redis GET of the same value, on one client
// and one redis-server. "bare" and "load" time each alone; "ratio"
// alternates them and reports load/get, the figure the goal (<= 1.3x) is
// about.
func BenchmarkL2Hit(b *testing.B) {
	c := freshDB(b, 11)
	ctx := context.Background()
	s := New(c, WithEncryptionKey(newKey(b)))
	// Entra-sized: a 1.2 kB access token, a 1 kB ID token, a refresh token.
	tok := testToken(jwtLike(1200), jwtLike(800), time.Now().Add(time.Hour))
	tok.IDToken = jwtLike(1000)
	put(b, s, "user", tok, tok.Expiry)
	rk := s.keys("user").token
	v, err := c.Get(ctx, rk).Bytes()
	require.NoError(b, err)
	b.Logf("stored value: %d bytes", len(v))

	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Get(ctx, rk).Bytes(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("load", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if t, err := s.Load(ctx, "user"); err != nil || t == nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ratio", func(b *testing.B) {
		b.ReportAllocs()
		var get, load time.Duration
		for b.Loop() {
			t0 := time.Now()
			if _, err := c.Get(ctx, rk).Bytes(); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if t, err := s.Load(ctx, "user"); err != nil || t == nil {
				b.Fatal(err)
			}
			get += t1.Sub(t0)
			load += time.Since(t1)
		}
		b.ReportMetric(float64(load)/float64(get), "load/get")
	})
}

// BenchmarkOpen is the CPU cost a Load adds to the GET: naming, opening and
// decoding, without Redis.
func BenchmarkOpen(b *testing.B) {
	s := New(nil, WithEncryptionKey(newKey(b)))
	k, err := newSealKey(newKey(b))
	require.NoError(b, err)
	s.cur, s.namer = k, k
	tok := testToken(jwtLike(1200), jwtLike(800), time.Now().Add(time.Hour))
	tok.IDToken = jwtLike(1000)
	rk := s.keys("user").token
	v, err := seal(k, rk, tok)
	require.NoError(b, err)
	buf := make([]byte, len(v)) // Load opens what GET returned, in place
	b.ReportAllocs()
	for b.Loop() {
		if _, err := open(k, s.keys("user").token, append(buf[:0], v...)); err != nil {
			b.Fatal(err)
		}
	}
}

func jwtLike(n int) string {
	return strings.Repeat(base64.RawURLEncoding.EncodeToString([]byte("0123456789abcdef")), n/22+1)[:n]
}

// BenchmarkRenewalWait is what WithWaitReplicas costs a renewal (Lock,
// Store of an Entra-sized token, Unlock) on a master with one replica, both
// started by the test: "ratio" alternates a renewal without WAIT and one
// with it, and reports wait/plain.
func BenchmarkRenewalWait(b *testing.B) {
	master, _ := startReplicated(b)
	c := newClient(b, master.Addr(), 0)
	ctx := context.Background()
	key := newKey(b)
	plain := New(c, WithEncryptionKey(key))
	wait := New(c, WithEncryptionKey(key), WithWaitReplicas(1, 100*time.Millisecond))
	tok := testToken(jwtLike(1200), jwtLike(800), time.Now().Add(time.Hour))
	tok.IDToken = jwtLike(1000)
	renew := func(s *Store) {
		l, err := s.Lock(ctx, "user")
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Store(ctx, tok, tok.Expiry); err != nil {
			b.Fatal(err)
		}
		if err := l.Unlock(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	var tp, tw time.Duration
	for b.Loop() {
		t0 := time.Now()
		renew(plain)
		t1 := time.Now()
		renew(wait)
		tp += t1.Sub(t0)
		tw += time.Since(t1)
	}
	b.ReportMetric(float64(tw)/float64(tp), "wait/plain")
	b.ReportMetric(float64(tp.Nanoseconds())/float64(b.N), "ns/plain")
	b.ReportMetric(float64(tw.Nanoseconds())/float64(b.N), "ns/wait")
}

// BenchmarkCheckIn is what a Transport's check-in (oauth2flows' checkin.go)
// costs, once per user and replica with traffic per 10 s: a RestartedAt,
// against a Load of an Entra-sized token, the call a replica makes for
// every token another replica renewed, alternated in one loop on one
// client. "asked" takes a lease's place before each call, so that Redis is
// asked every time (restartedat/load); "kept" is the answer kept for a
// second, as check-ins between two leases of a replica get it.
func BenchmarkCheckIn(b *testing.B) {
	c := freshDB(b, 12)
	ctx := context.Background()
	s := New(c, WithEncryptionKey(newKey(b)))
	tok := testToken(jwtLike(1200), jwtLike(800), time.Now().Add(time.Hour))
	tok.IDToken = jwtLike(1000)
	put(b, s, "user", tok, tok.Expiry)
	for _, asked := range []bool{true, false} {
		b.Run(map[bool]string{true: "asked", false: "kept"}[asked], func(b *testing.B) {
			b.ReportAllocs()
			var load, check time.Duration
			for b.Loop() {
				t0 := time.Now()
				if t, err := s.Load(ctx, "user"); err != nil || t == nil {
					b.Fatal(err)
				}
				if asked {
					s.restarts.leaseTaken()
				}
				t1 := time.Now()
				if _, err := s.RestartedAt(ctx, "user"); err != nil {
					b.Fatal(err)
				}
				load += t1.Sub(t0)
				check += time.Since(t1)
			}
			b.ReportMetric(float64(check)/float64(load), "restartedat/load")
			b.ReportMetric(float64(check.Nanoseconds())/float64(b.N), "ns/restartedat")
		})
	}
}
